"""French language rules: elision, stop words, Snowball stemming, accent folding.

Pure functions on ONE word. Order matters: Snowball French is written for
accented lower-case words, so accents are folded AFTER stemming (``êtres`` →
``être`` → ``etre``), which also makes an unaccented query (``etre``) meet it.
"""

from __future__ import annotations

import unicodedata
from typing import Final

import snowballstemmer

_STEMMER: Final = snowballstemmer.stemmer("french")  # PyStemmer's C code when installed

#: Elided articles and pronouns: ``l'enfant`` is indexed as ``enfant``.
ELISIONS: Final = frozenset("l d qu j m t s n c jusqu lorsqu puisqu quoiqu presqu quelqu".split())

#: Snowball's French stop list (accented, lower case) plus the elided forms, minus
#: ``été``/``étés``: also the noun "summer" (``l'été 2024``), which readers search for.
#: ``a`` (has) is added: Snowball lists ``à`` but not ``a``, its unaccented spelling.
STOPWORDS: Final = frozenset(
    """
    au aux avec ce ces dans de des du elle en et eux il ils je la le les leur leurs lui ma mais
    me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te
    tes toi ton tu un une vos votre vous c d j l à a m n s t y étée étées étant étante
    étants étantes suis es est sommes êtes sont serai seras sera serons serez seront serais
    serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent
    sois soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante
    ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront
    aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes
    eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent
    cette cet celle celui ceux celles dont où si ni car donc or
    """.split()
)

_LIGATURES: Final = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ı": "i"})

#: Invisible format characters that may sit inside a word (soft hyphen, zero-width
#: joiners and spaces, word joiner): they must not change the indexed form.
_INVISIBLE: Final = str.maketrans(dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff"))

#: Snowball over-merges a few frequent news words with unrelated ones (``parlement``
#: → ``parl`` like ``parler``; ``département`` → ``départ``). Keyed by folded form.
_STEM_EXCEPTIONS: Final = {
    "parlement": "parlement",
    "parlements": "parlement",
    "departement": "departement",
    "departements": "departement",
}


def fold_accents(word: str) -> str:
    """Remove diacritics and expand ligatures: ``Cœur`` → ``coeur``, ``été`` → ``ete``."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_elision(word: str) -> tuple[int, str]:
    """Split an elided prefix: returns (characters removed, rest).

    ``l’enfant`` → ``(2, "enfant")``; ``aujourd'hui`` is not an elision and is kept
    whole (with a normalised apostrophe).
    """
    for i, ch in enumerate(word):
        if ch in "'’ʼ‘":
            head = word[:i].lower()
            if head in ELISIONS and i + 1 < len(word):
                return i + 1, word[i + 1 :]
            break
    return 0, word


def normalize(word: str) -> str:
    """Lower case with one apostrophe, accents kept (the stemmer needs them)."""
    word = unicodedata.normalize("NFC", word.translate(_INVISIBLE)).lower()
    for apostrophe in "’ʼ‘":
        word = word.replace(apostrophe, "'")
    return word


def is_stopword(norm: str) -> bool:
    """True for a function word (checked on the accented lower-case form)."""
    return norm in STOPWORDS


def stem(norm: str) -> str:
    """Snowball French stem of a normalised word, then accents folded."""
    folded = fold_accents(norm)
    if folded in _STEM_EXCEPTIONS:
        return _STEM_EXCEPTIONS[folded]
    if norm.isascii():
        norm = _restore_accent(norm)
    return fold_accents(_STEMMER.stemWord(norm))


def _restore_accent(word: str) -> str:
    """The accent an unaccented query most often drops where Snowball needs it.

    Snowball strips ``-ée`` and ``-ité`` only when accented, so ``journee`` and
    ``criminalite`` (typed without accents) would get other stems than
    ``journée`` and ``criminalité``. French has almost no native word in ``-ee``,
    and long words in ``-ite`` are nearly all ``-ité`` nouns.
    """
    for plain, accented in (("ees", "ées"), ("ee", "ée")):
        if word.endswith(plain) and len(word) > len(plain) + 2:
            return word[: -len(plain)] + accented
    for plain, accented in (("ites", "ités"), ("ite", "ité")):
        if word.endswith(plain) and len(word) >= 8 and word not in _PLAIN_ITE:
            return word[: -len(plain)] + accented
    return word


#: Long words really ending in unaccented ``-ite``.
_PLAIN_ITE: Final = frozenset(
    {
        "favorite",
        "favorites",
        "faillite",
        "faillites",
        "reussite",
        "reussites",
        "dynamite",
        "conduite",
        "conduites",
        "marmite",
        "stalactite",
        "stalagmite",
        "anthracite",
        "satellite",
        "satellites",
        "parasite",
        "parasites",
        "insolite",
        "insolites",
        "termite",
        "termites",
        "hypocrite",
        "hypocrites",
        "jesuite",
        "jesuites",
        "sodomite",
        "explicite",
        "implicite",
        "illicite",
        "illicites",
        "licite",
        "gratuite",
        "gratuites",
        "fortuite",
        "fortuites",
        "prescrite",
        "prescrites",
        "inscrite",
        "inscrites",
        "proscrite",
        "decrite",
        "decrites",
        "interdite",
        "interdites",
        "produite",
        "produites",
        "construite",
        "construites",
        "detruite",
        "detruites",
        "reduite",
        "reduites",
        "introduite",
        "introduites",
        "traduite",
        "traduites",
        "poursuite",
        "poursuites",
        "ensuite",
        "petite",
        "petites",
        "maudite",
        "maudites",
        "reconduite",
        "reconduites",
        "instruite",
        "instruites",
        "redite",
        "proscrites",
        "circuite",
        "bauxite",
        "cellulite",
        "hepatite",
        "arthrite",
        "bronchite",
        "meningite",
        "gastrite",
        "sinusite",
        "otite",
        "tendinite",
        "laryngite",
        "dermatite",
        "encephalite",
        "appendicite",
        "cystite",
        "colite",
    }
)


def exact(norm: str) -> str:
    """The unstemmed, accent-folded form used for exact and phrase matching."""
    return fold_accents(norm)
