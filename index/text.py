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

#: Combining marks (Latin, Arabic harakat and Quranic marks) plus ZWNJ/ZWJ and
#: the soft hyphen (scraped news breaks words with it), which join letters of one word.
MARKS: Final = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08d3-\u08ff"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u200c\u200d\u00ad"
)
ARABIC_LETTERS: Final = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
APOSTROPHES: Final = "'’ʼ‘"

#: One word: runs of letters/digits and of combining marks. Possessive quantifiers
#: (Python 3.11) match exactly what ``(?:[^\W_]|[marks])+`` matches, with no
#: per-character alternation and no backtracking: the scan is ~25% faster.
_WORD = rf"(?:[^\W_]++|[{MARKS}]++)++"
_NUMBER = r"\d++(?:[.,٫٬]\d++)++"
_TOKEN_RE: Final = re.compile(rf"{_NUMBER}|{_WORD}(?:[{APOSTROPHES}]{_WORD})*+")
_ARABIC_RE: Final = re.compile(rf"[{ARABIC_LETTERS}]")
_SCRIPT_RUN_RE: Final = re.compile(
    rf"(?:[{ARABIC_LETTERS}{MARKS}]|\d)+|(?:[^{ARABIC_LETTERS}]|[{MARKS}])+"
)
_LATIN_RE: Final = re.compile(r"[A-Za-z\u00c0-\u024f]")

#: The surface words of a text, in order, without offsets (``re.findall``: no
#: match objects, the fastest scan). A word's offset is ``text.find(word, end)``
#: where ``end`` is the end of the previous word: the regex has no look-behind,
#: so no match can start between two matches, and the first occurrence of a word
#: at or after the previous end is where it was matched.
surface_words: Final = _TOKEN_RE.findall


def split_scripts(surface: str) -> tuple[tuple[str, int, int], ...]:
    """The parts of one surface word, one per script: ``(part, start, end)`` in ``surface``.

    Almost always the word itself; a run mixing Arabic and Latin letters
    (``COVIDـ19``-like OCR joins) is split where the script changes.
    """
    if _ARABIC_RE.search(surface) and _LATIN_RE.search(surface):
        return tuple((m.group(), m.start(), m.end()) for m in _SCRIPT_RUN_RE.finditer(surface))
    return ((surface, 0, len(surface)),)


def chunk_words(chunk: str) -> list[tuple[str, int, int]]:
    """``list(iter_words(chunk))`` for a short piece of text, single words first.

    A chunk of letters only is one word (every letter matches ``[^\\W_]``) and
    needs no scan; another chunk that is one word of one script costs one
    ``findall`` and two script tests.
    """
    # letters only: one word, no regex scan (most new chunks)
    words = [chunk] if chunk.isalpha() else surface_words(chunk)
    if len(words) == 1 and len(words[0]) == len(chunk):
        if _ARABIC_RE.search(chunk) and _LATIN_RE.search(chunk):
            return list(split_scripts(chunk))
        return [(chunk, 0, len(chunk))]
    return list(_placed(chunk, words))


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(surface, start, end)`` for every word of ``text``, in order."""
    return _placed(text, surface_words(text))


def _placed(text: str, words: list[str]) -> Iterator[tuple[str, int, int]]:
    """``iter_words`` of ``text`` given its ``surface_words`` (found once, not twice)."""
    end = 0
    find = text.find
    for surface in words:
        start = find(surface, end)
        end = start + len(surface)
        if _ARABIC_RE.search(surface) and _LATIN_RE.search(surface):
            for part, lo, hi in split_scripts(surface):
                yield part, start + lo, start + hi
        else:
            yield surface, start, end


def is_arabic(word: str) -> bool:
    """True when ``word`` contains an Arabic-script letter (routes it to the Arabic rules)."""
    return _ARABIC_RE.search(word) is not None


def arabic_share(text: str) -> float:
    """Share of Arabic-script letters among all letters: the language detector."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return 0.0
    return len(_ARABIC_RE.findall(text)) / letters
