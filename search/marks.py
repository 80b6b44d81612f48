"""Finding what to mark in a text: the spans :class:`search.snippets.Highlighter` marks.

Why the scan (:func:`scan`) does not walk every word: a long report is
thousands of words and the page shows ten hits, and walking every word in
Python was most of a search's time once matching got fast. A chunk (a
whitespace-separated piece of text) always analyses the same way wherever it
stands, so a map from terms and exact forms to the distinct chunks holding them
(:class:`_ChunkMap`, filled once per chunk) gives the chunks to mark by set
intersection; only their occurrences are then located, with ``str.find``.
Offsets and forms are identical to ``tokenize``'s (a property test checks it);
phrases are checked from the occurrences of their first word only.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any, Final

from index.analysis import chunk_tokens

_CHUNK: Final = re.compile(r"\S+")  # what ``str.split()`` splits into

Match = tuple[int, int, str]  # start, end, key (the query term it stands for)


def key_of(
    term: str,
    exact: str,
    stop: bool,
    terms: frozenset[str],
    exacts: frozenset[str],
    prefixes: tuple[str, ...],
) -> str | None:
    """What a word is marked for: its stemmed term, its exact form or a prefix (or None)."""
    if (not stop and term in terms) or exact in exacts:
        return term if term in terms else exact
    if prefixes and exact.startswith(prefixes):  # one C call for the usual "no"
        for prefix in prefixes:
            if exact.startswith(prefix):
                return prefix + "*"
    return None


class _ChunkMap:
    """Which distinct chunks hold each stemmed term and each exact form.

    Why: a long report has thousands of distinct chunks and a query marks a
    handful; asking the analysis about every one of them on every search was
    most of a snippet's cost. Each chunk is analysed into this map once (the
    first search that meets it); later searches find the chunks to mark with set
    intersections run in C. Entries are only ever added, so a reader never sees
    a half-made answer; the whole map is replaced (not cleared) when full, so a
    search holding the old one finishes with it.

    Full means :attr:`nbytes`, an estimate of its memory kept as chunks are
    learnt (each chunk string, its place in the sets, each new key with its set),
    past the bound :func:`set_chunk_map_bytes` sets.
    """

    __slots__ = ("by_exact", "by_term", "nbytes", "seen")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.by_term: dict[str, set[str]] = {}
        self.by_exact: dict[str, set[str]] = {}
        self.nbytes = 0

    def learn(self, chunks: set[str]) -> None:
        """Analyse the ``chunks`` never met before into the map."""
        new = chunks - self.seen
        if not new:
            return
        by_term, by_exact = self.by_term, self.by_exact
        keys = len(by_term) + len(by_exact)
        chars = added = 0
        for chunk in new:
            chars += len(chunk)
            for _, _, _, term, exact, _, stop in chunk_tokens(chunk)[0]:
                if not stop:
                    by_term.setdefault(term, set()).add(chunk)
                by_exact.setdefault(exact, set()).add(chunk)
                added += 2 - stop
        self.seen |= new
        # arithmetic only (sys.getsizeof per object cost as much as the learning):
        # strings at 2 bytes a character (Arabic's; generous for French), every
        # reference a slot, every new key its string, empty set and dict slot
        keys = len(by_term) + len(by_exact) - keys
        self.nbytes += (
            2 * chars + len(new) * (_STR + _SLOT) + added * _SLOT + keys * (_NEW_KEY + _KEY)
        )

    def holding(self, chunks: set[str], terms: Iterable[str], exacts: Iterable[str]) -> set[str]:
        """Those of ``chunks`` (all learnt) holding one of ``terms`` (not as a stop
        word) or of ``exacts``."""
        found: set[str] = set()
        for index, keys in ((self.by_term, terms), (self.by_exact, exacts)):
            for key in keys:
                holders = index.get(key)
                if holders:
                    found |= chunks & holders
        return found


#: A reference in a set or a dict, with its share of the free room they keep.
_SLOT: Final = 24
#: A string object's header (``sys.getsizeof("")`` is 49; 74 for a 2-byte string).
_STR: Final = 60
#: A key met for the first time: its string (a short word) and its empty set and dict slot.
_KEY: Final = 70
_NEW_KEY: Final = sys.getsizeof(set()) + 50


#: Bytes the map may hold before it is replaced by an empty one, unless a server sets
#: a share of its FIHRIS_CACHE_BYTES (:func:`set_chunk_map_bytes`).
DEFAULT_CHUNK_MAP_BYTES: Final = 32 << 20
_limit = DEFAULT_CHUNK_MAP_BYTES
_chunk_map = _ChunkMap()


def set_chunk_map_bytes(limit: int) -> None:
    """Bound the chunk map (one per process, shared by every engine: the last bound set wins)."""
    global _limit
    _limit = max(1, limit)


def chunk_map_bytes() -> int:
    """The estimated bytes of the chunk map."""
    return _chunk_map.nbytes


def _learnt(chunks: set[str]) -> _ChunkMap:
    """The chunk map, with ``chunks`` learnt (a fresh map if the current one is full)."""
    global _chunk_map
    current = _chunk_map
    if current.nbytes >= _limit:
        current = _chunk_map = _ChunkMap()
    current.learn(chunks)
    return current


def scan(
    text: str,
    terms: frozenset[str],
    exacts: frozenset[str],
    prefixes: tuple[str, ...],
    phrases: tuple[tuple[str, ...], ...],
) -> list[Match]:
    """The marks of ``text``, as :meth:`Highlighter.matches` finds them from ``tokenize``.

    Only the distinct chunks that may be marked (found through the chunk map;
    every chunk when a prefix is asked for) are analysed: their marks relative to
    the chunk, and whether a phrase may start in them. Only those chunks'
    occurrences are then located in the text.
    """
    firsts = {phrase[0] for phrase in phrases}
    chunks = set(text.split())
    if not prefixes:
        chunks = _learnt(chunks).holding(chunks, terms, exacts | firsts)
    marked: dict[str, list[tuple[int, int, str] | None]] = {}
    for chunk in chunks:
        tokens = chunk_tokens(chunk)[0]
        marks: list[tuple[int, int, str] | None] | None = None
        for n, (_, lo, hi, term, exact, _, stop) in enumerate(tokens):
            key = key_of(term, exact, stop, terms, exacts, prefixes)
            if key is not None or exact in firsts:
                if marks is None:
                    marks = [None] * len(tokens)
                marks[n] = (lo, hi, key) if key is not None else None
        if marks is not None:
            marked[chunk] = marks
    if not marked:
        return []
    found: dict[int, Match] = {}
    anchors: list[int] = []  # chunk starts where a phrase may begin
    for start, chunk in _occurrences(text, marked):
        for mark in marked[chunk]:
            if mark is not None:
                found[start + mark[0]] = (start + mark[0], start + mark[1], mark[2])
        if firsts:
            anchors.append(start)
    if anchors:
        _mark_phrases(text, anchors, phrases, found)
    return [found[k] for k in sorted(found)]


#: Below this length a chunk is found by regular expression: ``str.find`` would
#: stop inside too many longer words.
_FIND_MIN: Final = 4


#: Past this many distinct chunks to locate (a prefix query marks hundreds of forms),
#: one pass over the text's chunks beats one ``str.find`` scan of the text per chunk:
#: a six-prefix query spent 0.5 s here on a long report.
_FIND_MOST: Final = 48


def _occurrences(text: str, chunks: dict[str, Any] | set[str]) -> list[tuple[int, str]]:
    """(start, chunk) of every whole-chunk occurrence of ``chunks`` in ``text``, in order.

    ``str.find`` runs in C and skips straight to candidates, several times faster
    than one alternation over a long text; very short chunks, which occur inside
    many words, go through one whole-chunk regular expression instead. Many chunks
    (past :data:`_FIND_MOST`) are found in one pass over the text's chunks.
    """
    if len(chunks) > _FIND_MOST:  # one pass over the text: find would scan it per chunk
        return [(m.start(), m.group()) for m in _CHUNK.finditer(text) if m.group() in chunks]
    found: list[tuple[int, str]] = []
    short: list[str] = []
    size = len(text)
    find, isspace = text.find, str.isspace
    for chunk in chunks:
        width = len(chunk)
        if width < _FIND_MIN:
            short.append(chunk)
            continue
        at = find(chunk)
        while at != -1:
            end = at + width
            if (at == 0 or isspace(text[at - 1])) and (end == size or isspace(text[end])):
                found.append((at, chunk))
            at = find(chunk, at + 1)
    if short:
        alternatives = "|".join(re.escape(c) for c in sorted(short, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\S)(?:{alternatives})(?!\S)")
        found.extend((m.start(), m.group()) for m in pattern.finditer(text))
    found.sort()
    return found


def _words_from(
    text: str, start: int, width: int
) -> tuple[list[tuple[int, int, str]], list[str], int]:
    """The words from the chunk starting at ``start`` on, enough for a phrase of
    ``width`` words to begin at any word of that chunk: (start, end, exact) of each,
    their exact forms, and how many belong to the first chunk. A chunk without
    words (a dash) takes no word position, as in ``tokenize``."""
    words: list[tuple[int, int, str]] = []
    first = 0
    for chunk in _CHUNK.finditer(text, start):
        at = chunk.start()
        for _, lo, hi, _, exact, _, _ in chunk_tokens(chunk.group())[0]:
            words.append((at + lo, at + hi, exact))
        if at == start:
            first = len(words)
        if len(words) >= first + width - 1:
            break
    return words, [w[2] for w in words], first


def _mark_phrases(
    text: str, anchors: list[int], phrases: tuple[tuple[str, ...], ...], found: dict[int, Match]
) -> None:
    """Mark the phrases beginning in the chunks starting at ``anchors``, phrase by
    phrase (a later phrase's key wins on a shared word, as in the token walk)."""
    width = max(len(phrase) for phrase in phrases)
    places = [_words_from(text, start, width) for start in anchors]
    for phrase in phrases:
        size = len(phrase)
        wanted = list(phrase)
        key = " ".join(phrase)
        for words, exacts, first in places:
            for i in range(min(first, len(words) - size + 1)):
                if exacts[i : i + size] == wanted:
                    for lo, hi, _ in words[i : i + size]:
                        found[lo] = (lo, hi, key)
