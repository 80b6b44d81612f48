"""The analysis chain: one tokenizer on the original text, each word routed by script.

``analyze`` (for people and tests) and the Whoosh analyzers (for the index)
share :func:`analyze_word`, cached because news text repeats its words: the
cache turns most tokens into one dictionary lookup.

The Whoosh classes live at this stable import path because Whoosh pickles
analyzers into the index schema; :data:`ANALYSIS_VERSION` is stored with each
index and changes whenever these rules change, so an old index is rebuilt.
"""

from __future__ import annotations

import ast
import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

from whoosh.analysis import Composable, Filter, Tokenizer
from whoosh.analysis import Token as WhooshToken

from index import arabic, french
from index.text import chunk_words, is_arabic, iter_words

Script = Literal["ar", "fr", "num"]


def _rules_version() -> str:
    """A digest of the rule modules: any change to their code changes the index format.

    The digest is of the syntax tree, not the bytes: reformatting or editing a
    comment does not force a rebuild of every index and of the lexicon.
    """
    digest = hashlib.sha256()
    for name in ("text.py", "arabic.py", "french.py", "analysis.py", "fields.py"):
        tree = ast.parse((Path(__file__).parent / name).read_text("utf-8"))
        digest.update(ast.dump(tree, annotate_fields=False).encode("utf-8"))
    return digest.hexdigest()[:12]


ANALYSIS_VERSION: Final = f"1-{_rules_version()}"


@dataclass(slots=True, unsafe_hash=True)
class Token:
    """One analysed word of a text.

    ``term`` is what the index stores (stemmed), ``exact`` the folded unstemmed
    form (exact and phrase matching), ``start``/``end`` offsets into the
    original text so highlights land on the surface word.

    Treat it as read-only (``dataclasses.replace`` makes a changed copy). It is
    not declared ``frozen`` because a frozen dataclass builds each instance with
    seven ``object.__setattr__`` calls: 1.6 µs a token, more than all the rest of
    the analysis of a cached word. Equality and hashing are those of a frozen one.
    """

    term: str
    exact: str
    start: int
    end: int
    script: Script
    position: int
    stop: bool = False


class WordAnalysis(NamedTuple):
    """What the rules make of one surface word (cached).

    A named tuple: immutable, four times cheaper to build than a frozen
    dataclass, and invisible to the cyclic garbage collector once cached.
    """

    skip: int  # characters of an elided prefix (l', qu') not part of the word
    term: str
    exact: str
    script: Script
    stop: bool


#: ``(skip, term, exact, script, stop)``: a :class:`WordAnalysis` as a plain tuple.
WordTuple = tuple[int, str, str, Script, bool]

#: Surface word → its analysis, as plain tuples: the garbage collector stops
#: tracking a tuple of strings and numbers, not a named tuple, and a cache of
#: 150,000 tracked objects made each full collection cost 0.1 s.
_WORDS: dict[str, WordTuple] = {}
#: Bound of ``_WORDS``: cleared when full, so a long run cannot grow it without end.
WORD_CACHE_SIZE: Final = 500_000


def analyze_word(surface: str) -> WordAnalysis:
    """Analyse one surface word with the rules of its own script (cached)."""
    return WordAnalysis._make(_word(surface))


def _word(surface: str) -> WordTuple:
    found = _WORDS.get(surface)
    if found is None:
        found = _rules(surface)
        if len(_WORDS) >= WORD_CACHE_SIZE:
            _WORDS.clear()
        _WORDS[surface] = found
    return found


def _rules(surface: str) -> WordTuple:
    """The rules of the word's own script, uncached (a plain tuple: see ``_WORDS``)."""
    word = unicodedata.normalize("NFKC", surface)
    if word[0].isdigit() and all(ch.isdigit() or ch in ".,٫٬" for ch in word):
        number = arabic.normalize(word).replace(",", ".")
        return (0, number, number, "num", False)
    if is_arabic(word):
        norm = arabic.normalize(word)
        if not norm:
            return (0, "", "", "ar", True)
        if arabic.is_stopword(norm) and not arabic.is_yeh_name(word):
            return (0, norm, norm, "ar", True)
        return (0, arabic.stem(arabic.drop_tanween_alef(word, norm)), norm, "ar", False)
    skip, rest = french.split_elision(word)
    if skip and len(word) != len(surface):  # NFKC changed lengths: recompute on surface
        skip, _ = french.split_elision(surface)
    norm = french.normalize(rest)
    exact = french.exact(norm)
    if not exact.strip("'"):
        return (skip, "", "", "fr", True)
    # the folded form is checked only for a word typed without accents ("ou"
    # for "où"): "sûr" and "dû" fold to the stop words "sur" and "du"
    if french.is_stopword(norm) or (norm == exact and french.is_stopword(exact)):
        return (skip, exact, exact, "fr", True)
    return (skip, french.stem(norm), exact, "fr", False)


#: A token of a chunk (a whitespace-separated piece of text): its word position
#: in the chunk, its start and end in the chunk, term, exact form, script, stop.
ChunkToken = tuple[int, int, int, str, str, Script, bool]
#: What a chunk gives: its tokens (words with a non-empty ``exact``) and how many
#: word positions it takes in the index (every word part takes one, even empty).
Chunk = tuple[tuple[ChunkToken, ...], int]

#: Chunk → :data:`Chunk`: the hot cache of ``analyze`` and of the index fields.
#: News text splits on whitespace into few distinct chunks (a word, often with
#: its punctuation), so most of a text costs one ``str.split`` and one lookup per
#: chunk instead of a regex scan of every character. Splitting first changes no
#: token: no word contains whitespace and the word regex looks neither behind nor
#: ahead, so it finds in each chunk exactly the words it finds there in the text.
_CHUNKS: dict[str, Chunk] = {}
#: Bound of ``_CHUNKS``: cleared when full, so a long run cannot grow it without end.
CHUNK_CACHE_SIZE: Final = 300_000


def chunk_tokens(chunk: str) -> Chunk:
    """The tokens of one whitespace-free piece of text (cached)."""
    cached = _CHUNKS.get(chunk)
    if cached is None:
        words = chunk_words(chunk)
        if len(words) == 1:  # most chunks: one word, no loop and no list
            surface, start, end = words[0]
            skip, term, exact, script, stop = _word(surface)
            found: tuple[ChunkToken, ...] = (
                ((0, start + skip, end, term, exact, script, stop),) if exact else ()
            )
        else:
            found = tuple(
                (k, start + skip, end, term, exact, script, stop)
                for k, (surface, start, end) in enumerate(words)
                for skip, term, exact, script, stop in (_word(surface),)
                if exact
            )
        cached = (found, len(words))
        if len(_CHUNKS) >= CHUNK_CACHE_SIZE:
            _CHUNKS.clear()
        _CHUNKS[chunk] = cached
    return cached


def clear_caches() -> None:
    """Forget every cached analysis (benchmarks measure a cold start)."""
    _CHUNKS.clear()
    _WORDS.clear()


def tokenize(text: str, lang: str | None = None) -> list[Token]:
    """Every word of ``text`` with its analysis, stop words included (``stop=True``).

    ``lang`` is accepted for symmetry with documents but each word is analysed
    by its own script, so mixed French/Arabic text needs no hint.
    """
    return _tokens(text, True)


def analyze(text: str, lang: str | None = None) -> list[Token]:
    """The indexed tokens of ``text``: stop words dropped, offsets into ``text``."""
    return _tokens(text, False)


def _tokens(text: str, stops: bool) -> list[Token]:
    """The tokens of ``text``; ``position`` counts stop words even when they are dropped.

    A chunk's offset is ``text.find(chunk, end)`` with ``end`` the end of the
    previous chunk: only whitespace lies between them.
    """
    tokens: list[Token] = []
    append = tokens.append
    find = text.find
    chunks = text.split()
    position = 0
    end = 0
    # the lookups in one C-level ``map``: the cache is large, so each lookup
    # waits on memory, and the interpreter's work between them no longer adds up
    for chunk, cached in zip(chunks, map(_CHUNKS.get, chunks), strict=True):
        start = find(chunk, end)
        end = start + len(chunk)
        for _, lo, hi, term, exact, script, stop in (cached or chunk_tokens(chunk))[0]:
            if stops or not stop:
                append(Token(term, exact, start + lo, start + hi, script, position, stop))
            position += 1
    return tokens


def word_positions(text: str) -> tuple[dict[str, int], dict[str, list[int]]]:
    """``term → frequency`` (stop words out) and ``exact → positions`` (stop words in).

    Exactly what the Whoosh analyzers give the index, in one pass: the stemmed
    fields keep frequencies only, the exact fields positions, and a word takes
    one position per script part, even a part with nothing to index (a stray
    mark), as :class:`WordTokenizer` numbers them.
    """
    terms: dict[str, int] = {}
    exacts: dict[str, list[int]] = {}
    count = terms.get
    chunks = text.split()
    position = 0
    for chunk, cached in zip(chunks, map(_CHUNKS.get, chunks), strict=True):
        found, width = cached or chunk_tokens(chunk)
        for k, _, _, term, exact, _, stop in found:
            places = exacts.get(exact)
            if places is None:
                exacts[exact] = [position + k]
            else:
                places.append(position + k)
            if not stop:
                terms[term] = count(term, 0) + 1
        position += width
    return terms, exacts


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
            skip, term, exact, _, stop = _word(token.text)
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
