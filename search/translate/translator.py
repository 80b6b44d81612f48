"""Query translation: each source query word → weighted target terms, shown to the user.

Why this order of lookups, per word:
1. curated phrases first (longest match over the analysed terms), so
   "traite des êtres humains" is translated as one unit (الاتجار بالبشر)
   instead of "traite" → علاج ("traitement" shares the stem);
2. names by their EXACT form in the gazetteer — stemming would turn a name into
   an unrelated common word before translation (``Marche`` → ``march``); a
   French name that is also a common word (Pierre/pierre) only when capitalised,
   an Arabic one with its proclitics taken off (بالمغرب → المغرب), and the
   names an Arabic stem merely shares (العمر "age" → عمر "Omar") never;
3. the lexicon by the analysed term, then (Arabic) with clitics and verb
   affixes stripped (``وسيعلنون`` → ``اعلن``);
4. transliteration against the target vocabulary for capitalised words, for
   words with no translation, and for Arabic words only Model 1 translates;
5. otherwise the word is kept as is (numbers, names written alike in both
   scripts' documents, e.g. ``COVID-19``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from index import Token, analyze_word, arabic
from search.translate.glossary import load_entries
from search.translate.lexicon import Lexicon, Translation, other_lang
from search.translate.transliterate import Candidate, NameMatcher


@dataclass(frozen=True, slots=True)
class WordTranslation:
    """One source query word (or curated phrase) and what it is searched as."""

    source: tuple[Token, ...]
    source_text: str
    translations: tuple[Translation, ...]

    @property
    def translated(self) -> bool:
        """False when the word is kept untranslated."""
        return any(tr.provenance != "untranslated" for tr in self.translations)

    def psq_groups(self) -> list[list[tuple[str, float]]]:
        """Weighted target terms, one group per PSQ term.

        A single-word translation list is one group (one source word = one
        query term). Phrase translations keep one group per target position,
        so "الاتجار بالبشر" → [trafic|trait], [etre], [humain]: the phrase
        still weighs as several query words, as it would in the other language.
        """
        width = max(len(tr.terms) for tr in self.translations)
        groups: list[dict[str, float]] = [{} for _ in range(width)]
        for tr in self.translations:
            parts = tr.terms
            for j in range(width):
                part = parts[min(j, len(parts) - 1)] if len(parts) > 1 or j == 0 else None
                if part is not None:
                    groups[j][part] = groups[j].get(part, 0.0) + tr.weight
        return [sorted(g.items(), key=lambda kv: (-kv[1], kv[0])) for g in groups if g]

    def as_dict(self) -> dict[str, object]:
        """JSON shape for ``interpretation.translations``."""
        return {
            "source": self.source_text,
            "translations": [
                {
                    "term": tr.term,
                    "display": tr.display,
                    "weight": round(tr.weight, 3),
                    "provenance": tr.provenance,
                }
                for tr in self.translations
            ],
        }


#: Function words the index keeps (its stop list is short) but that have no
#: useful translation: Model 1 spreads them over whatever co-occurs ("a" → حالة),
#: which adds noise terms to every cross-language query. Exact (folded) forms.
UNTRANSLATABLE: Final = frozenset(
    """
    a aie fait faire font non oui comme tant puis cela ceci ca depuis tous tout toute toutes
    plus moins aucun aucune encore tres alors lors selon elles ici peut peuvent pu etre
    avoir aussi ainsi autre autres bien deja meme memes entre sans sous vers chez apres avant
    pendant quand comment fois donc la leur quelque quelques chaque lequel laquelle lesquels
    dont tel telle tels telles certains certaines beaucoup trop seulement
    egalement notamment toutefois cependant neanmoins desormais afin ensuite enfin parfois
    environ surtout
    عندما يمكن حول فقط جدا كذلك وكذلك لذلك لذا ولكن لكنه بينما حين بعض جميع عدم اكثر اقل
    حاليا مما وفقا خلال نفس احد اخري اخر تم يتم قال وقال سوف عما
    """.split()
)

#: Arabic function words by whole paradigm, where the index's stop list has only
#: the commonest forms: كان and ليس conjugated (سيكون, يكن), قام as the light verb of
#: قام بـ ("carried out"), and the prepositions with their attached pronouns
#: (لديهم, علينا, معها). Model 1 spreads each over whatever co-occurs with it.
FUNCTION_PARADIGMS: Final = frozenset(
    """
    كنت كنا كانا كانتا يكونوا تكونوا نكون اكون سيكون ستكون سيكونون يكونون يكن تكن نكن اكن
    ليسوا لست لسنا قام قامت قاموا يقوم تقوم يقومون تقومون نقوم اقوم
    لديه لديها لدينا لديكم لديهم لديهما لديك عنده عندها عندهم عندنا عندي عندك عندكم عندهما
    لي لك لنا لكم لهما بي بك بنا بكم بهم منهم منا مني منك منكم فيهم فينا فيك فيكم
    عليهم علينا عليك عليكم اليهم الينا اليك عنهم عنا معها معهم معنا معك
    """.split()
)


def name_form(lang: str, term: str, exact: str) -> str:
    """The form of a target-language word that names are matched against.

    French: the exact form, because the French stemmer truncates names
    (Miller → ``mill``, Kirchner → ``kirchn``) below what a transliteration can
    meet. Arabic: the stemmed term, because the light stemmer only takes off
    the article and endings, which names written with ال need (القذافي →
    ``قذاف`` meets Kadhafi). Every target vocabulary handed to
    :meth:`QueryTranslator.translate` is keyed by these forms.
    """
    return exact if lang == "fr" else term


def _index_term(lang: str, form: str) -> str:
    """The index term of a vocabulary form (see :func:`name_form`)."""
    return analyze_word(form).term if lang == "fr" else form


#: Arabic proclitics (and, so, for, with, like) that do not change a function word.
_CLITICS: Final = "وفلبك"


def _function_word(exact: str) -> bool:
    """A word with no useful translation: :data:`UNTRANSLATABLE`, also behind a proclitic.

    The index's stop list takes و and ف off a function word, not ل ب ك, so لكل
    (for each), بما and كذلك reach the translator, where Model 1 spreads them
    over whatever co-occurs with them.
    """
    if exact in UNTRANSLATABLE or exact in FUNCTION_PARADIGMS:
        return True
    return (
        len(exact) > 2
        and exact[0] in _CLITICS
        and (exact[1:] in UNTRANSLATABLE or arabic.is_stopword(exact[1:]))
    )


#: French auxiliaries: after them ``été`` is the past participle of "être", not summer.
AUXILIARIES: Final = frozenset(
    "a ont avait avaient aura auront aurait auraient ai as avons avez ayant eut aient ait".split()
)


@lru_cache(maxsize=1)
def _gazetteer_by_exact() -> dict[tuple[str, str], tuple[Translation, ...]]:
    """(lang, exact form or space-joined exact forms) → target translations."""
    table: dict[tuple[str, str], list[Translation]] = {}
    for entry in load_entries():
        if entry.source != "gazetteer":
            continue
        for src in ("fr", "ar"):
            tgt = other_lang(src)
            key = (src, " ".join(entry.exact(src)))
            term = " ".join(entry.terms(tgt))
            known = table.setdefault(key, [])
            if all(tr.term != term for tr in known):  # spelling variants: first wins
                known.append(Translation(term, 1.0, "gazetteer", entry.surface(tgt)))
    return {key: _normalised(trs) for key, trs in table.items()}


@lru_cache(maxsize=1)
def _gazetteer_starts() -> frozenset[tuple[str, str]]:
    """(lang, first exact form) of the gazetteer's names of several words."""
    return frozenset(
        (lang, key.split(" ", 1)[0]) for lang, key in _gazetteer_by_exact() if " " in key
    )


def _gazetteer_only(tr: Translation) -> bool:
    """A translation only the gazetteer (and Model 1) gives: a name, not a word's meaning."""
    parts = set(tr.provenance.split("+"))
    return "gazetteer" in parts and not parts & {"glossary", "freedict"}


def _normalised(trs: Sequence[Translation]) -> tuple[Translation, ...]:
    total = sum(tr.weight for tr in trs) or 1.0
    return tuple(Translation(tr.term, tr.weight / total, tr.provenance, tr.display) for tr in trs)


class QueryTranslator:
    """Translates analysed query tokens with a :class:`Lexicon` (and a target vocabulary).

    ``backoff`` (on): an Arabic word unknown to the lexicon is retried with its
    clitics and verb affixes stripped (:func:`arabic_variants`).
    """

    def __init__(
        self,
        lexicon: Lexicon,
        name_share: float = 0.5,
        *,
        backoff: bool = True,
    ) -> None:
        self.lexicon = lexicon
        self.name_share = name_share
        self.backoff = backoff
        #: When a list: every name looked up in the vocabulary is appended, as its forms
        #: and the candidates found (story links reuse a translation while these stay).
        self.probes: list[tuple[tuple[str, ...], tuple[Candidate, ...]]] | None = None
        self._matchers: dict[int, tuple[Mapping[str, int], NameMatcher]] = {}
        self._lock = threading.Lock()  # the engine prepares matchers in background threads
        self._starts: dict[str, frozenset[str] | None] = {}

    def warm(self) -> None:
        """Load the gazetteer now (~1 s), not in the first query that translates a word."""
        _gazetteer_by_exact()
        _gazetteer_starts()

    def prepare_names(self, vocabulary: Mapping[str, int]) -> None:
        """Build the name index of ``vocabulary`` ahead of the first query that needs it."""
        self._matcher(vocabulary)

    def names_prepared(self, vocabulary: Mapping[str, int]) -> bool:
        """True when the name index of ``vocabulary`` is built (no query will build it)."""
        with self._lock:
            cached = self._matchers.get(id(vocabulary))
        return cached is not None and cached[0] is vocabulary

    def _matcher(self, vocabulary: Mapping[str, int]) -> NameMatcher:
        with self._lock:
            cached = self._matchers.get(id(vocabulary))
        if cached is None or cached[0] is not vocabulary:
            cached = (vocabulary, NameMatcher(vocabulary))
            with self._lock:
                if len(self._matchers) >= 2:  # one per target language; drop the oldest
                    self._matchers.pop(next(iter(self._matchers)))
                self._matchers[id(vocabulary)] = cached
        return cached[1]

    def translate(
        self,
        tokens: Sequence[Token],
        target_lang: str,
        vocabulary: Mapping[str, int] | None = None,
        text: str | None = None,
    ) -> list[WordTranslation]:
        """Per source word (or phrase): its weighted translations into ``target_lang``.

        Stop words and :data:`UNTRANSLATABLE` function words are skipped, and
        so are ``été`` after an auxiliary (``ont été``: "been", not "summer")
        and the ``dire`` of ``c'est-à-dire`` ("that is", not "to say").

        ``tokens`` are analysed query tokens (stop words are skipped); ``text``
        the query they came from, used to see capitals; ``vocabulary`` the
        target index's words (keyed by :func:`name_form`) → document frequency, for names.
        """
        words = [
            tok
            for k, tok in enumerate(tokens)
            if not tok.stop
            and not _function_word(tok.exact)
            and not (tok.exact == "ete" and k > 0 and tokens[k - 1].exact in AUXILIARIES)
            and not (tok.exact == "dire" and [t.exact for t in tokens[k - 2 : k]] == ["est", "a"])
        ]
        out: list[WordTranslation] = []
        i = 0
        while i < len(words):
            consumed, result = self._translate_at(words, i, target_lang, vocabulary, text)
            out.append(result)
            i += consumed
        return out

    def _translate_at(
        self,
        words: Sequence[Token],
        i: int,
        target_lang: str,
        vocabulary: Mapping[str, int] | None,
        text: str | None,
    ) -> tuple[int, WordTranslation]:
        tok = words[i]
        src = source_lang(tok, target_lang)
        if src is None:
            return 1, _kept(tok, text)
        gazetteer = _gazetteer_by_exact()
        phrases = self.may_start_phrase(tok, src)
        for length in self.phrase_lengths(src):
            span = words[i : i + length]
            if length < 2 or len(span) < length or not phrases:
                continue
            exact = (src, " ".join(t.exact for t in span))
            if exact in gazetteer:
                return length, _word(span, text, gazetteer[exact])
            found = self.lexicon.translations(" ".join(t.term for t in span), src)
            if found:
                return length, _word(span, text, found)
        surface = text[tok.start : tok.end] if text is not None else ""
        capitalised = surface[:1].isupper()
        # An acronym is looked up only as the stemmer left it: SARS would
        # otherwise be read as the stem "sar" of Sara (سارة); it goes to the
        # gazetteer and to transliteration (سارس) instead.
        acronym = len(surface) >= 2 and surface.isupper() and surface.isascii()
        stemmed_away = acronym and tok.term != tok.exact
        found = [] if stemmed_away else self.lexicon.translations(tok.term, src)
        if src == "ar":
            # Arabic has no capitals: a word is a name when one of its forms
            # without proclitics is a gazetteer name (بالمغرب → المغرب). Otherwise
            # the names its stem shares are dropped: the article and endings the
            # stemmer takes off make العمر (age) the stem of عمر (Omar), الخميس
            # (Thursday) that of الخميسات (Khémisset), داخل that of الداخلة.
            forms = arabic_name_forms(tok.exact, article=False)
            named = next((gazetteer[("ar", f)] for f in forms if ("ar", f) in gazetteer), None)
            if named is not None:
                return 1, _word([tok], text, named)
            found = [tr for tr in found if not _gazetteer_only(tr)] or found
        # A French name that is also a common word (Pierre/pierre, Vienne/vienne)
        # is a name only when written with a capital.
        if (src, tok.exact) in gazetteer and (capitalised or text is None or not found):
            return 1, _word([tok], text, gazetteer[(src, tok.exact)])
        if not found and self.backoff and src == "ar":
            found = self._backoff(tok.exact, vocabulary)
        names: list[Translation] = []
        # Nor can a capital tell an Arabic name: a word that only Model 1
        # translates (إديسون → Addis Abeba, learned from three sentences) is also
        # matched as a name, and the two are merged.
        learned_only = src == "ar" and all(tr.provenance == "model1" for tr in found)
        if vocabulary is not None and (capitalised or not found or learned_only):
            names = [
                Translation(
                    _index_term(target_lang, c.term), 1.0 - c.distance, "transliteration", c.term
                )
                for c in self._names(tok, src, vocabulary)
            ]
        if names and found:
            share = self.name_share
            merged = [_scaled(tr, 1 - share) for tr in found]
            merged += [_scaled(tr, share) for tr in _normalised(names)]
            return 1, _word([tok], text, merged)
        if names:
            return 1, _word([tok], text, _normalised(names))
        if found:
            return 1, _word([tok], text, found)
        return 1, _kept(tok, text)

    def may_start_phrase(self, tok: Token, src: str) -> bool:
        """Whether a lexicon or gazetteer phrase may start at ``tok``.

        Most words start none: then no span is joined and looked up (linking
        translates a collection's leads, ~100 words each, with up to 4 spans per word).
        """
        starts = self._phrase_starts(src)
        return (
            starts is None
            or " " in tok.exact
            or " " in tok.term
            or (src, tok.exact) in _gazetteer_starts()
            or tok.term in starts
        )

    def phrase_lengths(self, src: str) -> list[int]:
        """The span lengths tried at a word, longest first."""
        return sorted({*self.lexicon.phrase_lengths(src), 2, 3, 4}, reverse=True)

    def _phrase_starts(self, src: str) -> frozenset[str] | None:
        """The first terms of ``src``'s lexicon phrases (None: the lexicon cannot list them)."""
        found = self._starts.get(src)
        if found is None and src not in self._starts:
            listed = getattr(self.lexicon, "keys", None)
            if listed is not None:
                found = frozenset(k.split(" ", 1)[0] for k in listed(src) if " " in k)
            self._starts[src] = found
        return found

    def _names(self, tok: Token, src: str, vocabulary: Mapping[str, int]) -> list[Candidate]:
        """Target words that may spell the name ``tok``, best first.

        An Arabic word is matched by its stem and by its whole form with only
        the proclitics and the article taken off: the light stemmer cuts what
        looks like an ending off a foreign name (إديسون → اديس, بيري → بير).
        """
        if src != "ar":
            forms: tuple[str, ...] = (tok.exact,)
        else:
            forms = tuple(dict.fromkeys((*arabic_name_forms(tok.exact), tok.term)))
        found = self._matcher(vocabulary).candidates(*forms)
        if self.probes is not None:
            self.probes.append((forms, tuple(found)))
        return found

    def _backoff(self, exact: str, vocabulary: Mapping[str, int] | None) -> list[Translation]:
        """Translations of the first lexicon key reached by stripping Arabic clitics.

        Why: the light stemmer keeps the proclitics ب ل ك ف س and the verb
        inflections (يعلنون, وأعلنوا, لمساعدة), so a word the lexicon knows in
        another form finds nothing. Candidates are tried shortest-change first.
        """
        for candidate in arabic_variants(exact):
            found = self.lexicon.translations(candidate, "ar")
            if found:
                return found
        return []


def _without_proclitics(exact: str, letters: str) -> list[str]:
    """``exact``, without و or ف, then also without one of ``letters``: every split kept."""
    heads = [exact]
    if len(exact) >= 4 and exact[0] in "وف":
        heads.append(exact[1:])
    for head in list(heads):
        if len(head) >= 4 and head[0] in letters:
            heads.append(head[1:])
    return heads


def arabic_name_forms(exact: str, *, article: bool = True) -> list[str]:
    """A normalised Arabic word with and without its proclitics (and article), nothing else cut.

    Every split is kept (بيري may be بـ + يري or the name Perry): the name
    matcher keeps the form closest to a target word. ``article=False`` keeps
    the article, as the gazetteer writes names (المغرب, but عمر is never العمر);
    لل is then read as ل + ال (للمغرب → المغرب).
    """
    forms = _without_proclitics(exact, "بلك")
    for head in list(forms):
        if len(head) >= 4 and head.startswith(("ال", "لل")):
            forms.append(head[2:] if article else "ال" + head[2:])
    return list(dict.fromkeys(forms))


def arabic_variants(exact: str) -> list[str]:
    """Stems of ``exact`` with clitics and verb affixes stripped, fewest changes first."""
    out: list[str] = []
    for head in _without_proclitics(exact, _PROCLITICS):
        forms = [head]
        for suffix in _VERB_SUFFIXES:
            if head.endswith(suffix) and len(head) - len(suffix) >= 3:
                forms.append(head[: -len(suffix)])
                # a noun's teh marbuta is written ت before a pronoun: رحلته is
                # رحلة + ه, and the stemmer (which sees رحلت) never meets رحلة
                if suffix in _PRONOUNS and head[-len(suffix) - 1] == "ت":
                    forms.append(head[: -len(suffix) - 1] + "ه")
        for form in list(forms):
            if len(form) >= 4 and form[0] in _IMPERFECT:
                forms.append(form[1:])
                forms.append("ا" + form[1:])
        for form in forms:
            stemmed = arabic.stem(form)
            for key in (stemmed, form):
                if key != exact and key not in out and len(key) >= 2:
                    out.append(key)
    return out


_PROCLITICS: Final = "بلكس"
_IMPERFECT: Final = "يتن"
_VERB_SUFFIXES: Final = ("وا", "ون", "ين", "ت", "تم", "نا", "هم", "هما", "ه", "ها", "كم")
#: Attached pronouns, after which a final ت may be a teh marbuta (ة, folded to ه).
_PRONOUNS: Final = frozenset({"ه", "ها", "هم", "هما", "نا", "كم"})


def _scaled(tr: Translation, factor: float) -> Translation:
    return Translation(tr.term, tr.weight * factor, tr.provenance, tr.display)


def source_lang(tok: Token, target_lang: str) -> str | None:
    """The language ``tok`` is translated from; None when it is kept as it is (a number,
    or a word already in ``target_lang``)."""
    src = "ar" if tok.script == "ar" else "fr"
    return None if tok.script == "num" or src == target_lang else src


def surface_of(span: Sequence[Token], text: str | None) -> str:
    """The words of ``span`` as written in ``text`` (their exact forms without it)."""
    if text is None:
        return " ".join(t.exact for t in span)
    return text[span[0].start : span[-1].end]


def _word(span: Sequence[Token], text: str | None, trs: Sequence[Translation]) -> WordTranslation:
    """Merge translations reached twice (lexicon and transliteration): weights add up."""
    merged: dict[str, Translation] = {}
    for tr in trs:
        known = merged.get(tr.term)
        if known is None:
            merged[tr.term] = tr
        else:
            provenance = "+".join(dict.fromkeys([*known.provenance.split("+"), tr.provenance]))
            merged[tr.term] = Translation(
                tr.term, known.weight + tr.weight, provenance, known.display
            )
    ranked = sorted(merged.values(), key=lambda tr: (-tr.weight, tr.term))
    return WordTranslation(tuple(span), surface_of(span, text), tuple(ranked))


def _kept(tok: Token, text: str | None) -> WordTranslation:
    kept = Translation(tok.term, 1.0, "untranslated", surface_of([tok], text))
    return WordTranslation((tok,), surface_of([tok], text), (kept,))
