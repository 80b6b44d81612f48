"""Completions while typing: frequent words, phrases and titles that start like the input.

Why a folded key: a user types ``etre`` or ``الاتج`` and means ``êtres`` or
``الاتجار``; the key of every entry, and of what is typed, is the index's own
exact form of each word (``index.tokenize``: French accents and case folded,
elision dropped; Arabic hamza seats, teh marbuta, vowel marks and tatweel
normalised), words joined by one space. These rules act letter by letter, so
the key of a typed prefix is a prefix of the key of the word it starts.

Why sorted arrays and not a dict or a trie of Python objects: the table of one
generation is two strings (every key, every surface form, ``\\n``-separated), their
offsets and a rank in numpy arrays. A prefix is two binary searches over the keys
and the best few entries of the range found by ``argpartition`` on the ranks: a
few microseconds, and memory about the size of the text it holds.

What is in it, read once per index generation in the background
(:func:`mine`): each document's title, and the words and phrases (2 to
:data:`MAX_WORDS` words, neither first nor last a stop word, no punctuation
inside) of its title and lead (:data:`LEAD_CHARS`), counted over the whole
collection. Words and phrases seen at least :data:`MIN_COUNT` times are kept,
in their most readable surface form (lower case unless only ever capitalised),
ranked by how often they occur; a phrase always followed by the same word is
dropped for its longer form. Titles (shortest first) get :data:`TITLE_SLOTS` of
the places when words and phrases would fill them all.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Final

import numpy as np
import numpy.typing as npt

from index import Token, tokenize
from index.text import is_arabic

#: Characters of a body read for its words and phrases (its lead: ~150 words).
LEAD_CHARS: Final = 1000
#: Longest phrase suggested, in words.
MAX_WORDS: Final = 4
#: A word or phrase must occur this often (title and lead of every document) to be suggested.
MIN_COUNT: Final = 2
#: Distinct words and phrases counted at once per script; past it the rarest are forgotten.
MAX_COUNTED: Final = 300_000
#: Suggestions returned by default (browsers show about as many).
LIMIT: Final = 8
#: Slots kept for titles when words and phrases alone would fill the list.
TITLE_SLOTS: Final = 2
#: Longest title suggested, in characters (longer ones are cut at a word).
TITLE_CHARS: Final = 100
#: Characters allowed between two words of a phrase (besides spaces).
_JOINERS: Final = frozenset("-'’ʼ‘")
_TOP: Final = "\U0010ffff"

Bytes = npt.NDArray[np.uint8]
Offsets = npt.NDArray[np.int64]


def fold(text: str) -> str:
    """The key of ``text``: exact forms of its words joined by one space.

    A trailing space is kept (``traite `` only completes to phrases that go on
    after ``traite``).
    """
    key = " ".join(tok.exact for tok in tokenize(text))
    if key and text[-1:].isspace():
        key += " "
    return key


class Table:
    """Entries sorted by key, each with a surface form and a rank (0 is the best).

    Keys and surfaces are UTF-8 bytes, each followed by ``\\n``, with their byte
    offsets: compared as bytes (the order of code points, so of ``str``), and read
    from the generation's file in place (:mod:`search.mapped`), so a server keeps
    only the pages its binary searches touch.
    """

    def __init__(self, entries: Iterable[tuple[str, str, int]]) -> None:
        """``entries``: (key, surface, rank); a key seen twice keeps its best rank."""
        best: dict[str, tuple[int, str]] = {}
        for key, surface, rank in entries:
            if "\n" in key or "\n" in surface or not key:
                continue
            old = best.get(key)
            if old is None or rank < old[0]:
                best[key] = (rank, surface)
        keys = sorted(best)
        self._keys, self._key_at = _pack(keys)
        self._surfaces, self._surface_at = _pack([best[k][1] for k in keys])
        self._ranks = np.fromiter((best[k][0] for k in keys), dtype=np.int32, count=len(keys))
        self.size = len(keys)
        self.mapped = False

    @classmethod
    def from_arrays(
        cls,
        keys: Bytes,
        key_at: Offsets,
        surfaces: Bytes,
        surface_at: Offsets,
        ranks: npt.NDArray[np.int32],
        mapped: bool = False,
    ) -> Table:
        """A table from what :meth:`arrays` gave (read back from a generation's file).

        The offsets must be one more than the entries, from 0 to each string's
        length; anything else raises ``ValueError``. Checked at their ends only, so
        a mapped table stays on disk: offsets damaged inside give wrong entries
        (decoded with replacement characters), never an exception.
        """
        size = len(ranks)
        if (
            len(key_at) != size + 1
            or len(surface_at) != size + 1
            or int(key_at[0]) != 0
            or int(surface_at[0]) != 0
            or int(key_at[-1]) != len(keys)
            or int(surface_at[-1]) != len(surfaces)
        ):
            raise ValueError("completion table: offsets do not match the strings")
        table = cls(())
        table._keys, table._key_at = keys, key_at
        table._surfaces, table._surface_at = surfaces, surface_at
        table._ranks, table.size, table.mapped = ranks, size, mapped
        return table

    def arrays(self) -> tuple[Bytes, Offsets, Bytes, Offsets, npt.NDArray[np.int32]]:
        """(keys, key offsets, surfaces, surface offsets, ranks): all the table holds."""
        return self._keys, self._key_at, self._surfaces, self._surface_at, self._ranks

    def _key(self, i: int) -> bytes:
        return self._keys[self._key_at[i] : self._key_at[i + 1] - 1].tobytes()

    def key(self, i: int) -> str:
        return self._key(i).decode("utf-8", "replace")

    def surface(self, i: int) -> str:
        raw = self._surfaces[self._surface_at[i] : self._surface_at[i + 1] - 1].tobytes()
        return raw.decode("utf-8", "replace")

    def _bisect(self, target: bytes) -> int:
        return bisect.bisect_left(range(self.size), target, key=self._key)

    def starting(self, prefix: str, limit: int) -> list[str]:
        """Surface forms of the best ``limit`` entries whose key starts with ``prefix``."""
        if not prefix or limit <= 0:
            return []
        lo = self._bisect(prefix.encode("utf-8", "surrogatepass"))
        hi = self._bisect((prefix + _TOP).encode("utf-8", "surrogatepass"))
        if lo >= hi:
            return []
        ranks = self._ranks[lo:hi]
        many = hi - lo > limit
        best = np.argpartition(ranks, limit - 1)[:limit] if many else np.arange(hi - lo)
        best = best[np.argsort(ranks[best], kind="stable")]
        return [self.surface(lo + int(i)) for i in best]

    @property
    def nbytes(self) -> int:
        """Memory held by the table's arrays (0 when mapped: they stay in the file)."""
        if self.mapped:
            return 0
        return sum(a.nbytes for a in self.arrays())


def _pack(values: list[str]) -> tuple[Bytes, Offsets]:
    """Every value's UTF-8 bytes followed by ``\\n``, and where each starts."""
    encoded = [v.encode("utf-8", "surrogatepass") + b"\n" for v in values]
    at = np.zeros(len(values) + 1, dtype=np.int64)
    if values:
        np.cumsum([len(e) for e in encoded], out=at[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), at


class Completions:
    """The completions of one index generation."""

    def __init__(self, phrases: Table, titles: Table) -> None:
        self.phrases = phrases
        self.titles = titles

    def complete(self, text: str, limit: int = LIMIT) -> list[str]:
        """Up to ``limit`` suggestions for ``text``, best first, each a whole query.

        Words and phrases starting like ``text``, then titles; when those are few,
        the last word typed is completed and the words before it kept as typed
        (``lutte contre la trai`` → ``lutte contre la traite des êtres humains``).
        """
        key = fold(text)
        if not key.strip():
            return []
        found = self.phrases.starting(key, limit)
        titles = self.titles.starting(key, limit)
        first = found[: limit - min(len(titles), TITLE_SLOTS)]
        out = _unique([*first, *titles, *found[len(first) :]], limit)
        tokens = tokenize(text)
        if len(out) < limit and len(tokens) > 1 and not text[-1:].isspace():
            head = text[: tokens[-1].start]
            tail = self.phrases.starting(fold(text[tokens[-1].start :]), limit)
            out = _unique([*out, *(head + t for t in tail)], limit)
        return out

    @property
    def nbytes(self) -> int:
        return self.phrases.nbytes + self.titles.nbytes


def _unique(values: list[str], limit: int) -> list[str]:
    """The first ``limit`` values, a value differing only by case from an earlier one left out."""
    seen: set[str] = set()
    out = []
    for value in values:
        folded = value.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(value)
            if len(out) == limit:
                break
    return out


class _Counter:
    """Occurrences of words and phrases by key, with one readable surface form each.

    Bounded: past :data:`MAX_COUNTED` keys, those seen least often so far are
    forgotten (the fewest counts that bring it back to half), so memory stays
    bounded whatever the collection's size; a phrase forgotten early and seen
    often later is counted from then on (its count low by a few occurrences).
    """

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.surfaces: dict[str, str] = {}
        self.pruned = 0  # the highest count ever forgotten

    def add(self, key: str, surface: str) -> None:
        count = self.counts.get(key)
        if count is None:
            self.counts[key] = 1
            self.surfaces[key] = surface
            if len(self.counts) > MAX_COUNTED:
                self._prune()
            return
        self.counts[key] = count + 1
        old = self.surfaces[key]
        if old[:1].isupper() and surface[:1].islower():
            self.surfaces[key] = surface  # "traite", not "Traite" at a sentence start

    def remove(self, key: str) -> None:
        count = self.counts.get(key)
        if count is None:
            return  # forgotten (pruned) or never counted
        if count > 1:
            self.counts[key] = count - 1
        else:
            del self.counts[key]
            del self.surfaces[key]

    def _prune(self) -> None:
        histogram = Counter(self.counts.values())
        left, floor = len(self.counts), 0
        while left > MAX_COUNTED // 2:
            floor += 1
            left -= histogram.get(floor, 0)
        for key in [k for k, c in self.counts.items() if c <= floor]:
            del self.counts[key]
            del self.surfaces[key]
        self.pruned = max(self.pruned, floor)


def _phrases(text: str, tokens: list[Token]) -> Iterator[tuple[str, str]]:
    """(key, surface) of every word and phrase of ``text``."""
    for i, first in enumerate(tokens):
        if first.stop or first.script == "num":
            continue
        parts = [first.exact]
        yield first.exact, text[first.start : first.end]
        for j in range(i + 1, min(i + MAX_WORDS, len(tokens))):
            prev, tok = tokens[j - 1], tokens[j]
            gap = text[prev.end : tok.start]
            if any(not ch.isspace() and ch not in _JOINERS for ch in gap):
                break  # punctuation: the phrase stops here
            parts.append(tok.exact)
            if not tok.stop:
                yield " ".join(parts), text[first.start : tok.end]


def _title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, TITLE_CHARS)
    return title[: cut if cut > 0 else TITLE_CHARS] + "…"


def _continued(kept: list[str], n: int, counts: dict[str, int]) -> bool:
    """True when a longer phrase of ``kept`` (sorted) starting with ``kept[n]`` is as frequent."""
    stem, count = kept[n] + " ", counts[kept[n]]
    for i in range(n + 1, len(kept)):
        longer = kept[i]
        if not longer.startswith(stem):
            return False
        if counts[longer] >= count:
            return True
    return False


class Miner:
    """The counts :func:`mine` keeps, fed one document at a time, and fed back out.

    Why: an update adds 1% of the documents; mining the whole collection again
    was the largest part of an update. The generation keeps the counts
    (:mod:`search.complete_files`) and the next one continues them: its new
    documents added, its removed ones taken off. Continuing gives what mining
    the new collection in its order gives (old documents first, then the new
    ones: the order an update writes them in), except where the bounded
    counting already forgot rare phrases (then both are off by a few low counts)
    and where a removed document gave a phrase its surface form.
    """

    def __init__(self) -> None:
        # one counter per script: a large Arabic archive must not crowd out the French words
        self.counters = {"ar": _Counter(), "fr": _Counter()}
        self.titles: dict[str, str] = {}
        self.title_counts: dict[str, int] = {}

    def add(self, title: str, body: str) -> None:
        for key, surface in _keys(title, body):
            self.counters["ar" if is_arabic(key[:1]) else "fr"].add(key, surface)
        shown = _title(title)
        if shown:
            key = fold(shown).rstrip()
            self.titles.setdefault(key, shown)
            self.title_counts[key] = self.title_counts.get(key, 0) + 1

    def remove(self, title: str, body: str) -> None:
        """Take off a document :meth:`add` counted (in this or an earlier generation)."""
        for key, _ in _keys(title, body):
            self.counters["ar" if is_arabic(key[:1]) else "fr"].remove(key)
        shown = _title(title)
        if shown:
            key = fold(shown).rstrip()
            left = self.title_counts.get(key, 0) - 1
            if left > 0:
                self.title_counts[key] = left
            else:
                self.title_counts.pop(key, None)
                self.titles.pop(key, None)

    def completions(self) -> Completions:
        counts = {**self.counters["ar"].counts, **self.counters["fr"].counts}
        surfaces = {**self.counters["ar"].surfaces, **self.counters["fr"].surfaces}
        kept = sorted(k for k, c in counts.items() if c >= MIN_COUNT)
        # a phrase always continued the same way gives way to the longer form
        closed = []
        for n, key in enumerate(kept):
            if " " in key and _continued(kept, n, counts):
                continue
            closed.append(key)
        order = sorted(closed, key=lambda k: (-counts[k], len(k), k))
        phrases = Table((k, surfaces[k], rank) for rank, k in enumerate(order))
        titles = self.titles
        by_length = sorted(titles, key=lambda k: (len(k), k))
        return Completions(phrases, Table((k, titles[k], n) for n, k in enumerate(by_length)))


def _keys(title: str, body: str) -> Iterator[tuple[str, str]]:
    """(key, surface) of every word and phrase of a document's title and lead."""
    head = body[:LEAD_CHARS]
    for text in (title, head) if not head.startswith(title.rstrip("…")) else (head,):
        yield from _phrases(text, tokenize(text))


def mine(documents: Iterable[tuple[str, str]]) -> Completions:
    """The completions of a collection, from each document's (title, body)."""
    miner = Miner()
    for title, body in documents:
        miner.add(title, body)
    return miner.completions()
