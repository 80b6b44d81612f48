"""One published index generation: its searchers, column arrays, statistics and caches.

Why a pool of searchers per generation: opening a Whoosh searcher costs
~0.3 s on 30,000 documents, and a searcher is not safe to share between
threads (its file handles seek). Each generation keeps a small pool (created
on demand, at most :data:`MAX_SEARCHERS`; with the GIL more would not search
faster); a request borrows one. What is fixed for a generation is computed
once and shared: the lang/year/date/source columns, the term statistics and
postings cache (:class:`search.scoring.Statistics`), prefix expansions and the
vocabularies for suggestions and name matching.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from index import IndexStore
from search.allocator import release_memory
from search.budget import Budget
from search.cache import DEFAULT_CACHE_BYTES, ByteCache, process_shares, strings_bytes
from search.complete_files import mine_index, read_completions
from search.facets import NO_DATE, Codes
from search.scoring import Statistics
from search.strings import TermSet
from search.suggest import Vocabulary
from search.timeline import month_numbers
from search.vocab_files import read_terms

MAX_SEARCHERS: Final = 4
#: Index terms a prefix expands to (the most frequent first). Measured on 20,000
#: SaudiNewsNet + French documents (README, "Bounded cost"): each expanded term is two
#: postings lists to read and score, and past ~50 terms the added terms are rare forms
#: that change no top-10 result, while a six-prefix query's time grows with them.
MAX_EXPANSION: Final = 50
#: Terms of one field read from the terms files per prefix (in term order, every segment
#: together) to pick the most frequent: a bound on the scan itself, which costs ~0.1 ms
#: a term (a terms-file entry read and decoded). 5,000 (per field, before) made the
#: first `ال* OR مس* OR وا*` on 20,000 documents spend 13 s expanding.
SCAN_EXPANSION: Final = 1000
#: Terms read per prefix even past the deadline (a few milliseconds): a search whose
#: time ran out still expands its prefixes a little, so it returns some results
#: (marked partial) instead of none.
SCAN_FLOOR: Final = 64


class Generation:
    """One published generation: its searchers, column arrays and caches."""

    def __init__(
        self,
        store: IndexStore,
        prepare_names: Callable[[Mapping[str, int]], None] | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.index, self.manifest = store.open()
        self._prepare_names = prepare_names
        self.name = f"gen-{self.manifest.generation:06d}"
        self.directory = store.root / self.name
        first = self.index.searcher()
        self._free: list[Any] = [first]
        self._count = 1
        self._cond = threading.Condition()
        self._busy = 0
        self._retired = False
        count = int(first.doc_count_all())
        # typed arrays, a byte or eight per document, not lists of Python objects
        self.lang_codes = Codes.of(_column(first, "lang", ""), count)  # facets and filters
        self.year_codes = Codes.of(_column(first, "year", ""), count)
        self.source_codes = Codes.of(_column(first, "source", ""), count)  # the source filter
        dates = _column(first, "date", NO_DATE, translate=False)
        self.dates: npt.NDArray[np.uint64] = np.fromiter(dates, np.uint64, count)
        self.months = month_numbers(self.dates)  # the timeline facet (search.timeline)
        self._fingerprints: list[str] | None = None
        self.dense: Any = None  # search.dense.DenseLayer, set by the engine on first use
        #: postings, phrases, doc frequencies and prefix expansions; vocabularies pinned
        self.cache = ByteCache(cache_bytes)
        for name, share in process_shares(cache_bytes).items():
            # the process's analysis and snippet caches live outside the generation
            # (search.cache): their shares are kept out of its room
            self.cache.pin(f"process:{name}", share)
        self.stats = Statistics(first, self.cache)
        self._vocab: dict[str, Any] = {}
        self._vocab_lock = threading.Lock()

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:
        with self._cond:
            while not self._free and self._count >= MAX_SEARCHERS:
                self._cond.wait()
            searcher = self._free.pop() if self._free else None
            if searcher is None:
                self._count += 1
            self._busy += 1
        try:
            if searcher is None:
                searcher = self.index.searcher()
            yield searcher
        finally:
            with self._cond:
                self._busy -= 1
                if searcher is not None:
                    self._free.append(searcher)
                else:
                    self._count -= 1
                self._cond.notify()
                if self._retired and not self._busy:
                    self._close_all()

    def retire(self) -> None:
        """Close once no request uses this generation any more."""
        with self._cond:
            self._retired = True
            if not self._busy:
                self._close_all()

    def _close_all(self) -> None:
        for searcher in self._free:
            with contextlib.suppress(Exception):
                searcher.close()
        # Closed searchers leave the pool: a request that took this generation just
        # before it was retired may still ask for one, and must get a new one rather
        # than wait for a free searcher that will never come back.
        self._count -= len(self._free)
        self._free.clear()
        self._cond.notify_all()  # waiters may now open a searcher of their own

    def expand_prefix(self, prefix: str, budget: Budget | None = None) -> tuple[list[str], bool]:
        """The most frequent exact forms starting with ``prefix``; True if some were left out."""
        terms, capped, _ = self.expand(prefix, budget)
        return terms, capped

    def expand(self, prefix: str, budget: Budget | None = None) -> tuple[list[str], bool, bool]:
        """``(terms, capped, cut)``: :meth:`expand_prefix`, and whether the deadline cut it.

        Cached per generation. Each leaf segment's terms are read with their
        frequencies in one pass (no second lookup per term), at most
        :data:`SCAN_EXPANSION` per field; past ``budget``'s deadline the scan stops,
        (after :data:`SCAN_FLOOR` terms: a late search still finds something) and what
        it found is used, not cached, the budget records the cut and ``cut`` is
        True (the caller must not trust the list as complete: an exclusion could
        not be applied with it).
        """
        key = ("prefix", prefix)
        cached: tuple[list[str], bool] | None = self.cache.get(key)
        if cached is not None:
            return cached[0], cached[1], False
        found: dict[str, int] = {}
        complete = True
        with self.searcher() as searcher:
            for field in ("body_exact", "title_exact"):
                in_field: dict[str, int] = {}
                complete = _scan_prefix(searcher, field, prefix, in_field, budget) and complete
                for term, df in in_field.items():
                    found.setdefault(term, df)  # a body term ranks by its body frequency
                if budget is not None and budget.expired():
                    complete = False
                    break
        if not complete and budget is not None:
            budget.cut("expansion")
        ranked = sorted(found, key=lambda t: (-found[t], t))
        limit = MAX_EXPANSION
        # capped: the cap left forms out (the budget's own note tells of a cut scan)
        result = (ranked[:limit], len(ranked) > limit)
        if complete:
            self.cache.put(key, result, strings_bytes(result[0]) + 64)
        return result[0], result[1], not complete

    @property
    def fingerprints(self) -> list[str]:
        """Content digests by docnum, read on first use: only the semantic layer keys its
        vectors by them, so a lexical server never holds them (~100 bytes a document)."""
        found = self._fingerprints
        if found is None:
            # a searcher of its own, not one of the pool: the caller may hold one already
            with self.index.searcher() as searcher:
                found = self._fingerprints = list(_column(searcher, "fingerprint", ""))
        return found

    def vocabulary(self, kind: str) -> Any:
        """Per-generation vocabularies, built once in a background thread (None until ready).

        ``"suggest"``: exact forms for did-you-mean; ``"complete"``: the
        completions of the search box (:mod:`search.complete`); ``"fr"``/``"ar"``: the words
        of one script for the translator's name matching, keyed as
        ``search.translate.translator.name_form`` says: French exact forms (the
        stemmer truncates names), Arabic stemmed terms (the article comes off).
        A name vocabulary is published once ``prepare_names`` has indexed it.
        """
        with self._vocab_lock:
            if kind in self._vocab:
                return self._vocab[kind]
            self._vocab[kind] = None
        threading.Thread(target=self._build_vocabulary, args=(kind,), daemon=True).start()
        return None

    def vocabularies_ready(self, kinds: tuple[str, ...]) -> bool:
        """True when every vocabulary of ``kinds`` is built (names indexed included)."""
        with self._vocab_lock:
            return all(self._vocab.get(kind) is not None for kind in kinds)

    def _build_vocabulary(self, kind: str) -> None:
        if kind == "complete":
            with self.searcher() as searcher:
                reader = searcher.reader()
                # written at build time; else mined here (an index from an older version)
                completions = read_completions(self.directory, reader)
                if completions is None:
                    completions = mine_index(reader)
                    release_memory()  # the mining's transient objects, not kept resident
            # counted against the cache bound like the other vocabularies
            self.cache.pin("vocabulary:complete", completions.nbytes)
            with self._vocab_lock:
                self._vocab[kind] = completions
            return
        with self.searcher() as searcher:
            reader = searcher.reader()
            field = "body" if kind == "ar" else "body_exact"
            terms = read_terms(self.directory, reader, field)  # written at build time
        if kind == "suggest":
            value: Any = Vocabulary(terms)
        else:
            from index.text import is_arabic

            # packed (search.strings): the words of one script, ~20 bytes each
            value = TermSet(t for t in terms if is_arabic(t) == (kind == "ar"))
            del terms
            if self._prepare_names is not None:
                # the translator's name index over these words (a second or two
                # on 100,000 words), built here so that no query waits for it
                self._prepare_names(value)
        self.cache.pin(f"vocabulary:{kind}", _vocabulary_bytes(value))
        with self._vocab_lock:
            self._vocab[kind] = value
        release_memory()  # the term lists read to build it, freed in this thread's arena


def _column(searcher: Any, name: str, default: Any, translate: bool = True) -> Iterator[Any]:
    """A column's values by global docnum; segments without the column give ``default``.

    Why per segment: a segment where no document has the field (an update adding
    only undated documents) has no column, and the multi-reader then drops it.
    """
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        if reader.has_column(name):
            yield from reader.column_reader(name, translate=translate)
        else:
            yield from itertools.repeat(default, reader.doc_count_all())


def _scan_prefix(
    searcher: Any, field: str, prefix: str, found: dict[str, int], budget: Budget | None
) -> bool:
    """Add ``field``'s terms starting with ``prefix`` and their doc frequencies to ``found``.

    False when the scan stopped early (the deadline, checked once :data:`SCAN_FLOOR`
    terms are read; the :data:`SCAN_EXPANSION` bound, shared by the segments, is the
    expected case and counts as complete). Per leaf segment: a multi-reader would look
    every term up again in every segment.
    """
    left = SCAN_EXPANSION
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        try:
            terms = reader.iter_prefix(field, prefix)
            for raw, info in terms:
                if left <= 0:
                    return True
                left -= 1
                scanned = SCAN_EXPANSION - left
                if scanned > SCAN_FLOOR and not scanned & 63 and budget and budget.expired():
                    return False
                term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                found[term] = found.get(term, 0) + int(info.doc_frequency())
        except KeyError:  # a segment without the field
            continue
    return True


def _vocabulary_bytes(value: Any) -> int:
    """Estimated bytes of a vocabulary: the suggestion buckets or a name dictionary."""
    if isinstance(value, Vocabulary):
        return value.nbytes()
    if isinstance(value, TermSet):
        return value.nbytes
    if isinstance(value, dict):
        return sys.getsizeof(value) + strings_bytes(value)
    return 0
