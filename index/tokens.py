"""Token and the cached analysis of words and chunks: the hot core of indexing and search.

Every text indexed or searched goes through here, word after word, so this
module is compiled with mypyc when it can be (:mod:`index.native`): the same
code, typed strictly, runs about 1.7 times faster as C. Keep it free of
Whoosh classes (a compiled class cannot be pickled into an index schema,
which is why the analyzers live in :mod:`index.analysis`) and of anything
mypyc cannot compile.

``analyze`` (for people and tests) and the index's analyzers share
:func:`word_tuple`, cached because news text repeats its words: the cache
turns most tokens into one dictionary lookup.
"""

from __future__ import annotations

import gc
import unicodedata
from typing import Final, Literal, NamedTuple

from index import arabic, french
from index.text import chunk_words, is_arabic

Script = Literal["ar", "fr", "num"]


class Token:
    """One analysed word of a text.

    ``term`` is what the index stores (stemmed), ``exact`` the folded unstemmed
    form (exact and phrase matching), ``start``/``end`` offsets into the
    original text so highlights land on the surface word.

    Treat it as read-only; equality and hashing are by value, as for a frozen
    dataclass. It is a plain class, not a dataclass, because analysis builds
    one per word: a dataclass's generated ``__init__`` stays interpreted even
    when this module is compiled (seven attribute stores through the generic
    ``setattr``), while this one compiles to direct stores.
    """

    __slots__ = ("end", "exact", "position", "script", "start", "stop", "term")

    term: str
    exact: str
    start: int
    end: int
    script: Script
    position: int
    stop: bool

    def __init__(
        self,
        term: str,
        exact: str,
        start: int,
        end: int,
        script: Script,
        position: int,
        stop: bool = False,
    ) -> None:
        self.term = term
        self.exact = exact
        self.start = start
        self.end = end
        self.script = script
        self.position = position
        self.stop = stop

    def astuple(self) -> tuple[str, str, int, int, Script, int, bool]:
        """The fields in declaration order (equality and hashing compare these)."""
        return (self.term, self.exact, self.start, self.end, self.script, self.position, self.stop)

    def shifted(self, offset: int) -> Token:
        """A copy whose offsets are ``offset`` characters further (a word of a quoted part)."""
        return Token(
            self.term,
            self.exact,
            self.start + offset,
            self.end + offset,
            self.script,
            self.position,
            self.stop,
        )

    def asdict(self) -> dict[str, str | int | bool]:
        """The fields by name (the CLI's JSON)."""
        return dict(zip(TOKEN_FIELDS, self.astuple(), strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Token):
            return NotImplemented
        return self.astuple() == other.astuple()

    def __hash__(self) -> int:
        return hash(self.astuple())

    def __repr__(self) -> str:
        return (
            f"Token(term={self.term!r}, exact={self.exact!r}, start={self.start!r}, "
            f"end={self.end!r}, script={self.script!r}, position={self.position!r}, "
            f"stop={self.stop!r})"
        )


#: The names of a :class:`Token`'s fields, in order.
TOKEN_FIELDS: Final = ("term", "exact", "start", "end", "script", "position", "stop")


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
    return WordAnalysis._make(word_tuple(surface))


def word_tuple(surface: str) -> WordTuple:
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
            skip, term, exact, script, stop = word_tuple(surface)
            found: tuple[ChunkToken, ...] = (
                ((0, start + skip, end, term, exact, script, stop),) if exact else ()
            )
        else:
            found = tuple(
                (k, start + skip, end, term, exact, script, stop)
                for k, (surface, start, end) in enumerate(words)
                for skip, term, exact, script, stop in (word_tuple(surface),)
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
    previous chunk: only whitespace lies between them. The cyclic garbage
    collector waits meanwhile (:func:`_paused`).
    """
    tokens: list[Token] = []
    position = 0
    end = 0
    collect = _paused()
    try:
        for chunk in text.split():
            start = text.find(chunk, end)
            end = start + len(chunk)
            cached = _CHUNKS.get(chunk)
            found = (cached if cached is not None else chunk_tokens(chunk))[0]
            for _, lo, hi, term, exact, script, stop in found:
                if stops or not stop:
                    tokens.append(
                        Token(term, exact, start + lo, start + hi, script, position, stop)
                    )
                position += 1
    finally:
        if collect:
            gc.enable()
    return tokens


def _paused() -> bool:
    """Pause the cyclic garbage collector; True when the caller must re-enable it.

    Analysis creates no reference cycles, only many small objects (a token per
    word, cache entries for new words): a collection in the middle of a text
    would walk them all and the whole cache again, for nothing. The collector
    runs again as soon as the text is done; a collector already off stays off.
    """
    collect = gc.isenabled()
    gc.disable()
    return collect


def word_positions(text: str) -> tuple[dict[str, int], dict[str, list[int]]]:
    """``term → frequency`` (stop words out) and ``exact → positions`` (stop words in).

    Exactly what the Whoosh analyzers give the index, in one pass: the stemmed
    fields keep frequencies only, the exact fields positions, and a word takes
    one position per script part, even a part with nothing to index (a stray
    mark), as :class:`WordTokenizer` numbers them.
    """
    terms: dict[str, int] = {}
    exacts: dict[str, list[int]] = {}
    position = 0
    collect = _paused()
    try:
        for chunk in text.split():
            cached = _CHUNKS.get(chunk)
            found, width = cached if cached is not None else chunk_tokens(chunk)
            for k, _, _, term, exact, _, stop in found:
                places = exacts.get(exact)
                if places is None:
                    exacts[exact] = [position + k]
                else:
                    places.append(position + k)
                if not stop:
                    terms[term] = terms.get(term, 0) + 1
            position += width
    finally:
        if collect:
            gc.enable()
    return terms, exacts
