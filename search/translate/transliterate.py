"""Proper names across scripts: rule-based skeletons matched against the target vocabulary.

Why skeletons: Arabic writes few vowels and French spells Arabic names with
conventions (ch → ش, kh → خ, dh → ذ, gh → غ, ou → و), so Kadhafi, Gaddafi and
القذافي disagree letter by letter but share the consonant skeleton ``kdf``.
Both scripts are mapped to one Latin consonant alphabet (h, ʿayn, hamza and
the long vowels dropped, emphatics merged with their plain letters, doubles
collapsed — Arabic does not write the shadda), then compared.

Why against the target index's own vocabulary: a name is only worth adding
to the query if the target documents contain it; the vocabulary (term →
document frequency) comes from the index, so no name list is needed. Guards:
a one-consonant skeleton never matches and a two-consonant one only a
near-identical spelling (Arabic roots are triconsonantal: too many
collisions), one edit is allowed only from five consonants up, and candidates
are ranked by a vowel-aware spelling distance then frequency.

Why several readings of a Latin word: the archive's names come from every
language, and French keeps their own spelling (Bachmann, Liggins), where
Arabic writes what is heard (باكمان, ليغينز); see :func:`latin_spellings`.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from index.text import is_arabic
from search.strings import Strings

_FR_DIGRAPHS: Final = (
    ("tch", "c"),
    ("sch", "c"),
    ("ch", "c"),
    ("sh", "c"),
    ("kh", "k"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("qu", "k"),
    ("dj", "j"),
    ("gu", "g"),
    ("ou", "U"),
)
_FR_SOFT_C: Final = re.compile(r"c(?=[eiy])")
_FR_SOFT_G: Final = re.compile(r"g(?=[eiy])")
_FR_MAP: Final = str.maketrans(
    {"c": "k", "q": "k", "x": "ks", "v": "f", "p": "b", "e": "i", "y": "i", "o": "u", "w": "u"}
)  # vowels to Arabic's three classes: Kennedy ≈ kinidi ≈ كينيدي; w is و (Newt ≈ نيوت)
_VOWELS: Final = frozenset("aeiouyhw'")

_AR_MAP: Final = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "c", "ص": "s", "ض": "d", "ط": "t", "ظ": "d",
    "ع": "'", "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "ة": "", "و": "u", "ي": "i", "ى": "a", "ا": "a", "ء": "", "أ": "a",
    "إ": "i", "آ": "a", "ؤ": "", "ئ": "",
}  # fmt: skip


_DOUBLES: Final = re.compile(r"(.)\1+")


class _DropOthers(dict[int, str]):
    """A ``str.translate`` table that drops every character it does not map."""

    def __missing__(self, code: int) -> None:
        return None


_AR_TABLE: Final = _DropOthers({ord(ch): latin for ch, latin in _AR_MAP.items() if latin})


def _collapse(text: str) -> str:
    return _DOUBLES.sub(r"\1", text)


def latin_spelling(word: str, *, ch: str = "c", soft_g: bool = True) -> str:
    """A Latin word in the shared alphabet, vowels kept (``kadhafi`` → ``kadafi``).

    ``ch`` and ``soft_g`` choose how two ambiguous spellings are read: the
    French way by default (Chirac → ش, Gilles → ج), the English or German way
    with ``ch="k"`` (Bachmann → باكمان) and ``soft_g=False`` (Liggins → ليغينز).
    """
    w = word.lower()
    for pattern, repl in _FR_DIGRAPHS:
        if pattern == "ch" and ch != "c":
            repl = ch
        w = w.replace(pattern, repl.upper())  # upper case = already mapped
    w = _FR_SOFT_C.sub("s", w)
    if soft_g:
        w = _FR_SOFT_G.sub("j", w)
    w = w.translate(_FR_MAP).lower()
    return _collapse("".join(ch for ch in w if ch.isalpha()))


def latin_spellings(word: str) -> tuple[str, ...]:
    """Every reading of a Latin word, the French one first (see :func:`latin_spelling`).

    Why several: the archive's names come from every language, and French text
    keeps their original spelling (Bachmann, Liggins, Gingrich), while Arabic
    writes what is heard (باكمان, ليغينز, جينجريتش).
    """
    readings = [latin_spelling(word)]
    for variant in (latin_spelling(word, ch="k"), latin_spelling(word, soft_g=False)):
        if variant not in readings:
            readings.append(variant)
    return tuple(readings)


def arabic_spelling(word: str) -> str:
    """An Arabic word in the shared alphabet; long vowels as a/u/i; تش read as ch."""
    return _collapse(word.replace("تش", "ش").translate(_AR_TABLE))


def spelling(word: str) -> str:
    """The shared-alphabet spelling of a word in either script (French reading for Latin)."""
    return arabic_spelling(word) if is_arabic(word) else latin_spelling(word)


def spellings(word: str) -> tuple[str, ...]:
    """Every shared-alphabet reading of a word (one for Arabic, see :func:`latin_spellings`)."""
    return (arabic_spelling(word),) if is_arabic(word) else latin_spellings(word)


_NO_VOWELS: Final = str.maketrans("z", "s", "".join(_VOWELS))


def _consonants(spelled: str) -> str:
    return spelled.translate(_NO_VOWELS)


def skeleton(word: str) -> str:
    """Consonants only (s and z merged): what two spellings of one name share."""
    return _consonants(spelling(word))


def _keys(spelled: str) -> list[str]:
    """Lookup keys of one reading.

    Its skeleton; the same with doubles collapsed (Bichkek's ``bckk`` meets
    بيشكك's ``bck``); and, from five consonants up, one wildcard per consonant.
    """
    skel = _consonants(spelled)
    if len(skel) < 2:
        return []
    keys = [skel]
    collapsed = _collapse(skel)
    if len(collapsed) >= 2 and collapsed != skel:
        keys.append(collapsed)
    if len(skel) >= 5:
        keys += [skel[:i] + "*" + skel[i + 1 :] for i in range(len(skel))]
    return keys


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings: plain dynamic programming)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A target-vocabulary term that may spell the same name."""

    term: str
    distance: float  # normalised vowel-aware spelling distance, 0 = identical
    df: int


def _hash(key: str) -> int:
    """A key's 64-bit hash (this process's: the index is rebuilt by each process)."""
    return hash(key) & 0xFFFF_FFFF_FFFF_FFFF


#: Name look-ups a matcher remembers (a few MB); past it, it forgets them all.
MEMO: Final = 20_000


#: Candidates :meth:`NameMatcher.candidates` returns unless told otherwise.
LIMIT: Final = 2


class NameMatcher:
    """Skeleton index over one target vocabulary (build once per index generation)."""

    def __init__(self, vocabulary: Mapping[str, int], min_df: int = 1) -> None:
        """Index every skeleton key of the vocabulary's terms (``df >= min_df``).

        Held as arrays, not a dict of lists: the keys' 64-bit hashes sorted, with the
        position of each key's term in a packed pool (12 bytes a key where a dict
        entry, a list and its strings took ~100). Two keys of equal hash only add a
        term that the spelling distance then rejects.
        """
        self._vocabulary = vocabulary
        self._memo: dict[tuple[tuple[str, ...], int, float], list[Candidate]] = {}
        terms = sorted(term for term, df in vocabulary.items() if df >= min_df)
        hashes, ids = array("Q"), array("I")
        for i, term in enumerate(terms):
            for key in dict.fromkeys(k for s in spellings(term) for k in _keys(s)):
                hashes.append(_hash(key))
                ids.append(i)
        self._terms = Strings(terms)
        del terms
        order = np.argsort(np.frombuffer(hashes, dtype=np.uint64), kind="stable")
        self._hashes = np.frombuffer(hashes, dtype=np.uint64)[order]
        self._ids = np.frombuffer(ids, dtype=np.uint32)[order]

    def _terms_of(self, key: str) -> Iterator[str]:
        """The terms indexed under ``key`` (and, rarely, under a key of equal hash)."""
        wanted = np.uint64(_hash(key))
        lo = int(np.searchsorted(self._hashes, wanted, "left"))
        hi = int(np.searchsorted(self._hashes, wanted, "right"))
        for i in self._ids[lo:hi].tolist():
            yield self._terms[i]

    @property
    def nbytes(self) -> int:
        return self._terms.nbytes + self._hashes.nbytes + self._ids.nbytes

    def candidates(
        self, *words: str, limit: int = LIMIT, max_distance: float = 0.5
    ) -> list[Candidate]:
        """:meth:`find`, remembered (a generation's matcher is fixed; names recur)."""
        key = (words, limit, max_distance)
        found = self._memo.get(key)
        if found is None:
            found = self.find(*words, limit=limit, max_distance=max_distance)
            if len(self._memo) >= MEMO:
                self._memo.clear()
            self._memo[key] = found
        return list(found)

    def find(self, *words: str, limit: int = LIMIT, max_distance: float = 0.5) -> list[Candidate]:
        """Vocabulary terms spelling one of ``words`` in the other script, best first.

        ``words`` are forms of one source word (an Arabic word with and without
        its proclitics); the distance is the smallest over their readings and
        the term's. Two-consonant keys (John, Emma, and a collapsed ``mml``)
        only match a near-identical vowel-aware spelling (distance ≤ 0.34).
        """
        found: dict[str, Candidate] = {}
        for word in words:
            arabic = is_arabic(word)
            for source in spellings(word):
                for key in _keys(source):
                    bound = min(max_distance, 0.34) if len(key) == 2 else max_distance
                    for term in self._terms_of(key):
                        if is_arabic(term) == arabic:
                            continue
                        dist = min(
                            edit_distance(source, target) / max(len(source), len(target))
                            for target in spellings(term)
                        )
                        known = found.get(term)
                        if dist <= bound and (known is None or dist < known.distance):
                            found[term] = Candidate(term, dist, self._vocabulary.get(term, 0))
        ranked = sorted(found.values(), key=lambda c: (round(c.distance, 2), -c.df, c.term))
        return ranked[:limit]
