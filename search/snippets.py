"""Highlighting: whole surface words marked in HTML-escaped text, in both scripts.

Why re-tokenize the stored text instead of Whoosh's highlighter: the index
analysis (:func:`index.tokenize`, cached per word) gives each word's original
character offsets and its analysed forms, so a mark always covers a whole
surface word (``بالبشر``, never ``بشر`` inside it) and matches exactly what the
query matched (stemmed term, exact form, phrase or prefix). The same
:class:`Highlighter` cuts result snippets and marks a whole document.

Why the scan reads the analysis cache itself (:func:`_scan`) rather than
building :class:`index.Token` objects: a news article is ~600 words and the
page shows ten, and making a Token per word was most of a search's time once
matching got fast. The scan walks the same per-chunk cache ``tokenize`` uses,
so offsets and forms are identical, and only keeps what a mark needs.
"""

from __future__ import annotations

import html
import re
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
        words: list[tuple[int, int, str]] | None = [] if self.phrases else None
        if tokens is None:
            found = _scan(text, self.terms, self.exacts, self.prefixes, words)
        else:
            found = {}
            for i, tok in enumerate(tokens):
                key = _key(tok.term, tok.exact, tok.stop, self.terms, self.exacts, self.prefixes)
                if key is not None:
                    found[i] = (tok.start, tok.end, key)
            if words is not None:
                words.extend((t.start, t.end, t.exact) for t in tokens)
        if words:
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
        for start, end in _sentences(text):
            inside = [m for m in matches if start <= m[0] and m[1] <= end]
            if not inside:
                continue
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
    words: list[tuple[int, int, str]] | None,
) -> dict[int, Match]:
    """Marks by word index, as ``tokenize(text)`` numbers the words (stop words included).

    ``words`` (if given) receives every word's (start, end, exact form), for phrases.
    """
    found: dict[int, Match] = {}
    find = text.find
    end = 0
    i = 0
    for chunk in text.split():
        start = find(chunk, end)
        end = start + len(chunk)
        for _, lo, hi, term, exact, _, stop in chunk_tokens(chunk)[0]:
            if (not stop and term in terms) or exact in exacts:
                found[i] = (start + lo, start + hi, term if term in terms else exact)
            elif prefixes:
                key = _key(term, exact, stop, terms, exacts, prefixes)
                if key is not None:
                    found[i] = (start + lo, start + hi, key)
            if words is not None:
                words.append((start + lo, start + hi, exact))
            i += 1
    return found


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each sentence, stripped of surrounding spaces."""
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        yield from _stripped(text, pos, end)
        pos = end
    yield from _stripped(text, pos, len(text))


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
