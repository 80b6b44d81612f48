"""The analysis chain: one tokenizer on the original text, each word routed by script.

The rules and their caches are in :mod:`index.tokens` (compiled when it can
be); this module adds what Whoosh needs around them. The Whoosh classes live
at this stable import path because Whoosh pickles analyzers into the index
schema; :data:`ANALYSIS_VERSION` is stored with each index and changes
whenever the rules change, so an old index is rebuilt.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

from whoosh.analysis import Composable, Filter, Tokenizer
from whoosh.analysis import Token as WhooshToken

from index.text import iter_words
from index.tokens import (
    Chunk,
    ChunkToken,
    Script,
    Token,
    WordAnalysis,
    analyze,
    analyze_word,
    chunk_tokens,
    clear_caches,
    tokenize,
    word_positions,
    word_tuple,
)

__all__ = [
    "ANALYSIS_VERSION",
    "Chunk",
    "ChunkToken",
    "Script",
    "Token",
    "WordAnalysis",
    "analyze",
    "analyze_word",
    "chunk_tokens",
    "clear_caches",
    "exact_analyzer",
    "term_analyzer",
    "tokenize",
    "word_positions",
]

#: The modules whose code is the analysis: any change to one changes the index format.
RULE_MODULES: Final = ("text.py", "arabic.py", "french.py", "tokens.py", "analysis.py", "fields.py")


def rules_digest(folder: Path) -> str:
    """A digest of the rule modules in ``folder``: a change to their code changes the index.

    The digest is of the syntax tree without docstrings, not the bytes:
    reformatting, editing a comment or a docstring does not force a rebuild of
    every index and of the lexicon.
    """
    digest = hashlib.sha256()
    for name in RULE_MODULES:
        tree = ast.parse((folder / name).read_text("utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                del body[0]
        digest.update(ast.dump(tree, annotate_fields=False).encode("utf-8"))
    return digest.hexdigest()[:12]


ANALYSIS_VERSION: Final = f"1-{rules_digest(Path(__file__).parent)}"


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
        exact_form = self.form == "exact"
        for token in tokens:
            skip, term, exact, _, stop = word_tuple(token.text)
            if not exact:
                continue
            if stop and not exact_form:
                if token.removestops:
                    continue
                token.stopped = True
            token.text = exact if exact_form else term
            if skip and token.chars:
                token.startchar += skip
            yield token


def term_analyzer() -> Composable:
    """Analyzer of the stemmed fields (``title``, ``body``)."""
    return WordTokenizer() | TermFilter("term")


def exact_analyzer() -> Composable:
    """Analyzer of the exact fields (``title_exact``, ``body_exact``)."""
    return WordTokenizer() | TermFilter("exact")
