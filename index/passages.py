"""A document cut into passages for the sentence encoder: its paragraphs, about 250 words each.

Why passages and not whole documents: a sentence encoder averages what it
reads, so a 2,000-word dispatch as one vector says little about any of its
parts; a query matches a passage. Why ~250 words: long enough to carry a
story's context (a lead paragraph and the next), short enough that the vector
is about one thing. Paragraphs (blank or single line breaks) are merged until
the next would pass the limit; a paragraph longer than the limit is cut every
:data:`WORDS` words. The title counts: it is read with the first passage (the
lead), where a news story states what it is about.

Passages keep their character offsets in the body, so the one closest to a
query can be shown as the snippet of a document found by meaning alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: Words per passage (at most, except a single word longer than a line).
WORDS: Final = 250
#: Passages per document: a 50 MB dispatch must not cost hours of embedding.
MAX_PASSAGES: Final = 64
_PARAGRAPH: Final = re.compile(r"[^\n]+")
_WORD: Final = re.compile(r"\S+")


@dataclass(frozen=True)
class Passage:
    """``text`` is what is embedded; ``start``/``end`` are its span in the body."""

    start: int
    end: int
    text: str


def passages(title: str, body: str) -> list[Passage]:
    """The passages of a document; the first one carries the title (at least one passage)."""
    spans = _spans(body)
    if not spans:
        return [Passage(0, 0, title.strip())]
    out = [Passage(s, e, body[s:e]) for s, e in spans[:MAX_PASSAGES]]
    head = title.strip()
    if head and not out[0].text.startswith(head.rstrip("…")):
        out[0] = Passage(out[0].start, out[0].end, f"{head}\n{out[0].text}")
    return out


def _spans(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each passage: whole paragraphs merged up to :data:`WORDS` words."""
    spans: list[tuple[int, int]] = []
    start = end = -1
    count = 0
    for para in _PARAGRAPH.finditer(body):
        words = [m.span() for m in _WORD.finditer(body, para.start(), para.end())]
        if not words:
            continue
        if count and count + len(words) > WORDS:
            spans.append((start, end))
            start, count = -1, 0
        while len(words) > WORDS:  # a paragraph longer than a passage: cut it by words
            if count:
                spans.append((start, end))
                start, count = -1, 0
            spans.append((words[0][0], words[WORDS - 1][1]))
            words = words[WORDS:]
        if start < 0:
            start = words[0][0]
        end = words[-1][1]
        count += len(words)
    if count:
        spans.append((start, end))
    return spans
