"""Highlighting: whole surface words marked in HTML-escaped text, in both scripts.

Why re-tokenize the stored text instead of Whoosh's highlighter: the index
analysis (:func:`index.tokenize`, cached per word) gives each word's original
character offsets and its analysed forms, so a mark always covers a whole
surface word (``بالبشر``, never ``بشر`` inside it) and matches exactly what the
query matched (stemmed term, exact form, phrase or prefix). The same
:class:`Highlighter` cuts result snippets and marks a whole document.

Finding the marks is :mod:`search.marks`; this module cuts sentence-aware
fragments around them and renders them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from index.analysis import chunk_tokens
from search.marks import Match, key_of, scan
from search.models import Fragment

FRAGMENT_CHARS: Final = 250
MAX_FRAGMENTS: Final = 3
#: Sentence ends in both scripts (Arabic question mark and semicolon included).
_SENTENCE_END: Final = re.compile(r"[.!?؟؛…]+[\"'»”)\]]*\s+|\n+")


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

    def matches(self, text: str) -> list[Match]:
        """Marked spans of ``text``, in order, never overlapping."""
        if not self:
            return []
        return scan(text, self.terms, self.exacts, self.prefixes, self.phrases)

    def matched_by(self, text: str, matches: list[Match]) -> bool:
        """Whether this highlighter marks one of ``matches``, spans of ``text`` found by a
        highlighter containing this one (:meth:`merged`): one word analysed per span
        instead of a second scan of the text."""
        keys = {" ".join(phrase) for phrase in self.phrases}
        for start, end, key in matches:
            if key in keys:
                return True
            for _, _, _, term, exact, _, stop in chunk_tokens(text[start:end])[0]:
                if key_of(term, exact, stop, self.terms, self.exacts, self.prefixes) is not None:
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


#: How far before a match its sentence's start is first looked for.
_LOOK_BACK: Final = 400


def _sentence_groups(
    text: str, matches: list[Match], look_back: int = _LOOK_BACK
) -> Iterable[tuple[int, int, list[Match]]]:
    """Each sentence holding matches: its (start, end), stripped, and the matches
    lying wholly inside it.

    Why sentence ends are looked for only around the matches: finding every end
    of a long report cost more than the rest of its snippet. A sentence ends at
    the first end after its first match (``search`` runs forward in C) and
    starts at the last end before it, looked for in the ``look_back``
    characters before it, then from the previous sentence on if there is none.
    (Starting the scan inside a run of spaces can only end a sentence a few
    spaces early, which stripping removes.)
    """
    previous = 0  # end of the previous sentence holding matches (a true end)
    group: list[Match] = []
    lo = hi = 0
    for match in sorted(matches):
        if group and match[0] < hi:
            group.append(match)
            continue
        if group:
            yield from _inside(text, lo, hi, group)
            previous = hi
        at = match[0]
        after = _SENTENCE_END.search(text, at)
        hi = after.end() if after else len(text)
        near = _last_end(text, max(previous, at - look_back), at)
        lo = near if near is not None else _last_end(text, previous, at) or previous
        group = [match]
    if group:
        yield from _inside(text, lo, hi, group)


def _last_end(text: str, start: int, end: int) -> int | None:
    """The last sentence end found between ``start`` and ``end``, if any."""
    last = None
    for found in _SENTENCE_END.finditer(text, start, end):
        last = found.end()
    return last


def _inside(
    text: str, lo: int, hi: int, group: list[Match]
) -> Iterable[tuple[int, int, list[Match]]]:
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
