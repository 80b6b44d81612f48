"""The analysis chain: one tokenizer on the original text, each word routed by script.

``analyze`` (for people and tests) and the Whoosh analyzers (for the index)
share :func:`analyze_word`, cached because news text repeats its words: the
cache turns most tokens into one dictionary lookup.

The Whoosh classes live at this stable import path because Whoosh pickles
analyzers into the index schema; :data:`ANALYSIS_VERSION` is stored with each
index and changes whenever these rules change, so an old index is rebuilt.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from whoosh.analysis import Composable, Filter, Tokenizer
from whoosh.analysis import Token as WhooshToken

from index import arabic, french
from index.text import is_arabic, iter_words

Script = Literal["ar", "fr", "num"]


def _rules_version() -> str:
    """A digest of the rule modules: any change to them changes the index format."""
    digest = hashlib.sha256()
    for name in ("text.py", "arabic.py", "french.py", "analysis.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


ANALYSIS_VERSION: Final = f"1-{_rules_version()}"


@dataclass(frozen=True, slots=True)
class Token:
    """One analysed word of a text.

    ``term`` is what the index stores (stemmed), ``exact`` the folded unstemmed
    form (exact and phrase matching), ``start``/``end`` offsets into the
    original text so highlights land on the surface word.
    """

    term: str
    exact: str
    start: int
    end: int
    script: Script
    position: int
    stop: bool = False


@dataclass(frozen=True, slots=True)
class WordAnalysis:
    """What the rules make of one surface word (cached)."""

    skip: int  # characters of an elided prefix (l', qu') not part of the word
    term: str
    exact: str
    script: Script
    stop: bool


@lru_cache(maxsize=500_000)
def analyze_word(surface: str) -> WordAnalysis:
    """Analyse one surface word with the rules of its own script."""
    word = unicodedata.normalize("NFKC", surface)
    if word[0].isdigit() and all(ch.isdigit() or ch in ".,٫٬" for ch in word):
        number = arabic.normalize(word).replace(",", ".")
        return WordAnalysis(0, number, number, "num", False)
    if is_arabic(word):
        norm = arabic.normalize(word)
        if not norm:
            return WordAnalysis(0, "", "", "ar", True)
        if arabic.is_stopword(norm):
            return WordAnalysis(0, norm, norm, "ar", True)
        return WordAnalysis(0, arabic.stem(norm), norm, "ar", False)
    skip, rest = french.split_elision(word)
    if skip and len(word) != len(surface):  # NFKC changed lengths: recompute on surface
        skip, _ = french.split_elision(surface)
    norm = french.normalize(rest)
    exact = french.exact(norm)
    if not exact.strip("'"):
        return WordAnalysis(skip, "", "", "fr", True)
    if french.is_stopword(norm) or french.is_stopword(exact):
        return WordAnalysis(skip, exact, exact, "fr", True)
    return WordAnalysis(skip, french.stem(norm), exact, "fr", False)


def tokenize(text: str, lang: str | None = None) -> list[Token]:
    """Every word of ``text`` with its analysis, stop words included (``stop=True``).

    ``lang`` is accepted for symmetry with documents but each word is analysed
    by its own script, so mixed French/Arabic text needs no hint.
    """
    return list(_iter_tokens(text))


def analyze(text: str, lang: str | None = None) -> list[Token]:
    """The indexed tokens of ``text``: stop words dropped, offsets into ``text``."""
    return [tok for tok in _iter_tokens(text) if not tok.stop]


def _iter_tokens(text: str) -> Iterator[Token]:
    position = 0
    for surface, start, end in iter_words(text):
        word = analyze_word(surface)
        if not word.exact:
            continue
        yield Token(word.term, word.exact, start + word.skip, end, word.script, position, word.stop)
        position += 1


class WordTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer over :func:`index.text.iter_words`; ``text`` is the surface word."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[WhooshToken]:
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (surface, start, end) in enumerate(iter_words(value)):
            token.text = surface
            token.stopped = False
            token.boost = 1.0
            if keeporiginal:
                token.original = surface
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class TermFilter(Filter):  # type: ignore[misc]
    """Replaces each surface word by its indexed form.

    ``form="term"`` gives stemmed terms with stop words removed (the ``body``
    field); ``form="exact"`` gives folded unstemmed forms, stop words kept, so a
    quoted phrase matches word for word (the ``body_exact`` field).
    """

    def __init__(self, form: Literal["term", "exact"] = "term") -> None:
        self.form = form

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermFilter) and other.form == self.form

    def __hash__(self) -> int:
        return hash((type(self), self.form))

    def __call__(self, tokens: Iterator[WhooshToken]) -> Iterator[WhooshToken]:
        exact = self.form == "exact"
        for token in tokens:
            word = analyze_word(token.text)
            if not word.exact:
                continue
            if word.stop and not exact:
                if token.removestops:
                    continue
                token.stopped = True
            token.text = word.exact if exact else word.term
            if word.skip and token.chars:
                token.startchar += word.skip
            yield token


def term_analyzer() -> Composable:
    """Analyzer of the stemmed fields (``title``, ``body``)."""
    return WordTokenizer() | TermFilter("term")


def exact_analyzer() -> Composable:
    """Analyzer of the exact fields (``title_exact``, ``body_exact``)."""
    return WordTokenizer() | TermFilter("exact")
