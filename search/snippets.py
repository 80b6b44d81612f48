"""Highlighting: whole surface words marked in HTML-escaped text, in both scripts.

Why re-tokenize the stored text instead of Whoosh's highlighter: the index
analysis (:func:`index.tokenize`, cached per word) gives each word's original
character offsets and its analysed forms, so a mark always covers a whole
surface word (``بالبشر``, never ``بشر`` inside it) and matches exactly what the
query matched (stemmed term, exact form, phrase or prefix). The same
:class:`Highlighter` cuts result snippets and marks a whole document.

Why the scan (:func:`_scan`) analyses each distinct chunk once instead of
building :class:`index.Token` objects for every word: a long report is
thousands of words and the page shows ten hits, and walking every word in
Python was most of a search's time once matching got fast. A chunk (a
whitespace-separated piece of text) always analyses the same way wherever it
stands, so the scan asks the per-chunk analysis cache ``tokenize`` uses about
each *distinct* chunk, then finds only the marked chunks' occurrences with one
regular expression run in C. Offsets and forms are identical to ``tokenize``'s
(a property test checks it); phrases are checked from the occurrences of their
first word only.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from index import Token
from index.analysis import chunk_tokens
from search.models import Fragment

FRAGMENT_CHARS: Final = 250
MAX_FRAGMENTS: Final = 3
#: Sentence ends in both scripts (Arabic question mark and semicolon included).
_SENTENCE_END: Final = re.compile(r"[.!?؟؛…]+[\"'»”)\]]*\s+|\n+")

_CHUNK: Final = re.compile(r"\S+")  # what ``str.split()`` splits into

Match = tuple[int, int, str]  # start, end, key (the query term it stands for)


@dataclass(frozen=True)
class Highlighter:
    """What to mark: stemmed ``terms``, ``exacts`` forms, exact ``phrases`` and ``prefixes``."""

    terms: frozenset[str] = frozenset()
    exacts: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.exacts or self.phrases or self.prefixes)

    def merged(self, other: Highlighter) -> Highlighter:
        return Highlighter(
            self.terms | other.terms,
            self.exacts | other.exacts,
            self.phrases + other.phrases,
            self.prefixes + other.prefixes,
        )

    def matches(self, text: str, tokens: list[Token] | None = None) -> list[Match]:
        """Marked spans of ``text``, in order, never overlapping."""
        if not self:
            return []
        if tokens is None:
            return _scan(text, self.terms, self.exacts, self.prefixes, self.phrases)
        found: dict[int, Match] = {}
        for i, tok in enumerate(tokens):
            key = _key(tok.term, tok.exact, tok.stop, self.terms, self.exacts, self.prefixes)
            if key is not None:
                found[i] = (tok.start, tok.end, key)
        if self.phrases:
            words = [(t.start, t.end, t.exact) for t in tokens]
            exacts = [w[2] for w in words]
            for phrase in self.phrases:
                width = len(phrase)
                key = " ".join(phrase)
                first = phrase[0]
                for i in range(len(words) - width + 1):
                    if exacts[i] == first and exacts[i : i + width] == list(phrase):
                        for k in range(width):
                            start, end, _ = words[i + k]
                            found[i + k] = (start, end, key)
        return [found[i] for i in sorted(found)]

    def matched_by(self, text: str, matches: list[Match]) -> bool:
        """Whether this highlighter marks one of ``matches``, spans of ``text`` found by a
        highlighter containing this one (:meth:`merged`): one word analysed per span
        instead of a second scan of the text."""
        keys = {" ".join(phrase) for phrase in self.phrases}
        for start, end, key in matches:
            if key in keys:
                return True
            for _, _, _, term, exact, _, stop in chunk_tokens(text[start:end])[0]:
                if _key(term, exact, stop, self.terms, self.exacts, self.prefixes) is not None:
                    return True
        return False

    def mark(self, text: str) -> str:
        """The whole ``text`` HTML-escaped, matched words in ``<mark>``."""
        return render(text, self.matches(text), 0, len(text))

    def fragments(
        self,
        text: str,
        limit: int = MAX_FRAGMENTS,
        size: int = FRAGMENT_CHARS,
        matches: list[Match] | None = None,
    ) -> tuple[Fragment, ...]:
        """Up to ``limit`` sentence-aware fragments with the most distinct query terms.

        Falls back to the start of the text when nothing matches (a document found
        through its title or a translation still gets a readable snippet).
        ``matches``: this highlighter's :meth:`matches` of ``text``, if already known.
        """
        if not text.strip():
            return ()
        if matches is None:
            matches = self.matches(text)
        if not matches:
            start, end = _window(text, 0, 0, size)
            return (_fragment(text, [], start, end),)
        candidates = []
        for start, end, inside in _sentence_groups(text, matches):
            if end - start > size:
                start, end = _window(text, inside[0][0], inside[0][1], size)
                inside = [m for m in inside if start <= m[0] and m[1] <= end]
            candidates.append((start, end, inside))
        chosen: list[tuple[int, int, list[Match]]] = []
        seen: set[str] = set()
        while candidates and len(chosen) < limit:
            best = max(
                candidates,
                key=lambda c: (len({m[2] for m in c[2]} - seen), len(c[2]), -c[0]),
            )
            candidates.remove(best)
            chosen.append(best)
            seen |= {m[2] for m in best[2]}
        chosen.sort(key=lambda c: c[0])
        return tuple(_fragment(text, inside, start, end) for start, end, inside in chosen)


def _key(
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
    for prefix in prefixes:
        if exact.startswith(prefix):
            return prefix + "*"
    return None


def _scan(
    text: str,
    terms: frozenset[str],
    exacts: frozenset[str],
    prefixes: tuple[str, ...],
    phrases: tuple[tuple[str, ...], ...],
) -> list[Match]:
    """The marks of ``text``, as :meth:`Highlighter.matches` finds them from ``tokenize``.

    Each distinct chunk is analysed (from the cache) once: its marks relative to
    the chunk, and whether a phrase may start in it. Only those chunks' occurrences
    are then located, by one whole-chunk regular expression.
    """
    firsts = {phrase[0] for phrase in phrases}
    marked: dict[str, list[tuple[int, int, str] | None]] = {}
    for chunk in set(text.split()):
        tokens = chunk_tokens(chunk)[0]
        marks: list[tuple[int, int, str] | None] | None = None
        for n, (_, lo, hi, term, exact, _, stop) in enumerate(tokens):
            if (not stop and term in terms) or exact in exacts:
                key: str | None = term if term in terms else exact
            elif prefixes:
                key = _key(term, exact, stop, terms, exacts, prefixes)
            else:
                key = None
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
    for occurrence in _occurrences(marked).finditer(text):
        start = occurrence.start()
        marks = marked[occurrence.group()]
        for mark in marks:
            if mark is not None:
                found[start + mark[0]] = (start + mark[0], start + mark[1], mark[2])
        if firsts:
            anchors.append(start)
    if anchors:
        _mark_phrases(text, anchors, phrases, found)
    return [found[k] for k in sorted(found)]


def _occurrences(marked: Iterable[str]) -> re.Pattern[str]:
    """Whole-chunk occurrences of the ``marked`` chunks (``re`` caches the pattern)."""
    alternatives = "|".join(re.escape(c) for c in sorted(marked, key=len, reverse=True))
    return re.compile(rf"(?<!\S)(?:{alternatives})(?!\S)")


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


def _sentence_groups(text: str, matches: list[Match]) -> Iterable[tuple[int, int, list[Match]]]:
    """Each sentence holding matches: its (start, end), stripped, and the matches
    lying wholly inside it. Sentence ends are found once, in C; the matches are
    placed by bisection, so a long text costs no Python loop over its sentences."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    groups: dict[int, list[Match]] = {}
    for match in matches:
        groups.setdefault(bisect_right(ends, match[0]), []).append(match)
    for k, group in groups.items():
        lo = ends[k - 1] if k else 0
        hi = ends[k] if k < len(ends) else len(text)
        for start, end in _stripped(text, lo, hi):
            inside = [m for m in group if start <= m[0] and m[1] <= end]
            if inside:
                yield start, end, inside


def _stripped(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def _window(text: str, mstart: int, mend: int, size: int) -> tuple[int, int]:
    """About ``size`` characters around a match, cut at word boundaries."""
    start = max(0, mstart - size // 3)
    end = min(len(text), max(mend, start + size))
    if start > 0:
        space = text.find(" ", start, mstart)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", mend, end)
        end = space if space != -1 else end
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _fragment(text: str, matches: list[Match], start: int, end: int) -> Fragment:
    piece = text[start:end]
    spans = tuple((m[0] - start, m[1] - start) for m in matches)
    return Fragment(html=render(text, matches, start, end), text=piece, matches=spans)


def render(text: str, matches: list[Match], start: int, end: int) -> str:
    """``text[start:end]`` HTML-escaped, with every match in ``<mark>``."""
    out: list[str] = []
    pos = start
    for mstart, mend, _ in matches:
        if mstart < start or mend > end:
            continue
        out.append(html.escape(text[pos:mstart]))
        out.append(f"<mark>{html.escape(text[mstart:mend])}</mark>")
        pos = mend
    out.append(html.escape(text[pos:end]))
    return "".join(out)
