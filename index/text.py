"""Word segmentation of the ORIGINAL text, with character offsets.

Why not ``\\w+``: Python's ``\\w`` stops at combining marks, so voweled Arabic
(``مُكَافَحَة``) and decomposed French accents (``e`` + U+0301) would break into
pieces and highlights would land inside words. Here a word is a run of letters,
digits and combining marks; apostrophes inside a word are kept (the French rules
decide about elision) and hyphens separate words (``porte-parole`` is two
consecutive positions, so the phrase still matches). A run mixing Arabic and
Latin letters is split where the script changes, so each part is analysed by
its own language rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

#: Combining marks (Latin, Arabic harakat and Quranic marks) plus ZWNJ/ZWJ,
#: which join letters of one word.
MARKS: Final = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08d3-\u08ff"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u200c\u200d"
)
ARABIC_LETTERS: Final = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
APOSTROPHES: Final = "'’ʼ‘"

_WORD = rf"(?:[^\W_]|[{MARKS}])+"
_NUMBER = r"\d+(?:[.,٫٬]\d+)+"
_TOKEN_RE: Final = re.compile(rf"{_NUMBER}|{_WORD}(?:[{APOSTROPHES}]{_WORD})*")
_ARABIC_RE: Final = re.compile(rf"[{ARABIC_LETTERS}]")
_SCRIPT_RUN_RE: Final = re.compile(
    rf"(?:[{ARABIC_LETTERS}{MARKS}]|\d)+|(?:[^{ARABIC_LETTERS}]|[{MARKS}])+"
)
_LATIN_RE: Final = re.compile(r"[A-Za-z\u00c0-\u024f]")


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(surface, start, end)`` for every word of ``text``, in order."""
    for match in _TOKEN_RE.finditer(text):
        surface = match.group()
        start = match.start()
        if _ARABIC_RE.search(surface) and _LATIN_RE.search(surface):
            for part in _SCRIPT_RUN_RE.finditer(surface):
                yield part.group(), start + part.start(), start + part.end()
        else:
            yield surface, start, match.end()


def is_arabic(word: str) -> bool:
    """True when ``word`` contains an Arabic-script letter (routes it to the Arabic rules)."""
    return _ARABIC_RE.search(word) is not None


def arabic_share(text: str) -> float:
    """Share of Arabic-script letters among all letters: the language detector."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return 0.0
    return len(_ARABIC_RE.findall(text)) / letters
