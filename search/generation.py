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
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from index import IndexStore
from search.complete import mine
from search.facets import NO_DATE, Codes
from search.scoring import Statistics
from search.suggest import Vocabulary
from search.timeline import month_numbers

MAX_SEARCHERS: Final = 4
#: Index terms a prefix expands to (the most frequent first).
MAX_EXPANSION: Final = 200
_SCAN_EXPANSION: Final = 5000


class Generation:
    """One published generation: its searchers, column arrays and caches."""

    def __init__(
        self,
        store: IndexStore,
        prepare_names: Callable[[Mapping[str, int]], None] | None = None,
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
        self.langs: list[str] = _column(first, "lang", "")
        self.years: list[str] = _column(first, "year", "")
        self.dates: list[int] = _column(first, "date", NO_DATE, translate=False)
        self.lang_codes = Codes.of(self.langs)  # facets and filters over every match
        self.year_codes = Codes.of(self.years)
        self.months = month_numbers(self.dates)  # the timeline facet (search.timeline)
        self.sources: list[str] = _column(first, "source", "")
        # content digests by docnum: the semantic layer's vectors are keyed by them
        self.fingerprints: list[str] = _column(first, "fingerprint", "")
        self.dense: Any = None  # search.dense.DenseLayer, set by the engine on first use
        self.stats = Statistics(first)
        self._prefixes: dict[str, tuple[list[str], bool]] = {}
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

    def expand_prefix(self, prefix: str) -> tuple[list[str], bool]:
        """The most frequent exact forms starting with ``prefix`` (cached per generation)."""
        cached = self._prefixes.get(prefix)
        if cached is None:
            with self.searcher() as searcher:
                reader = searcher.reader()
                found: dict[str, int] = {}
                for field in ("body_exact", "title_exact"):
                    for n, raw in enumerate(reader.expand_prefix(field, prefix)):
                        if n >= _SCAN_EXPANSION:
                            break
                        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                        if term not in found:
                            found[term] = reader.doc_frequency(field, term)
            ranked = sorted(found, key=lambda t: (-found[t], t))
            cached = (ranked[:MAX_EXPANSION], len(ranked) > MAX_EXPANSION)
            if len(self._prefixes) > 1000:
                self._prefixes.clear()
            self._prefixes[prefix] = cached
        return cached

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

    def _build_vocabulary(self, kind: str) -> None:
        if kind == "complete":
            with self.searcher() as searcher:
                completions = mine(
                    (stored.get("title") or "", stored.get("body") or "")
                    for _, stored in searcher.reader().iter_docs()
                )
            with self._vocab_lock:
                self._vocab[kind] = completions
            return
        with self.searcher() as searcher:
            reader = searcher.reader()
            field = "body" if kind == "ar" else "body_exact"
            terms = [
                t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon(field)
            ]
        if kind == "suggest":
            value: Any = Vocabulary(terms)
        else:
            from index.text import is_arabic

            value = {t: 1 for t in terms if is_arabic(t) == (kind == "ar")}
            if self._prepare_names is not None:
                # the translator's name index over these words (a second or two
                # on 100,000 words), built here so that no query waits for it
                self._prepare_names(value)
        with self._vocab_lock:
            self._vocab[kind] = value


def _column(searcher: Any, name: str, default: Any, translate: bool = True) -> list[Any]:
    """A column as a list by global docnum; segments without the column give ``default``.

    Why per segment: a segment where no document has the field (an update adding
    only undated documents) has no column, and the multi-reader then drops it.
    """
    values: list[Any] = []
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        if reader.has_column(name):
            values.extend(reader.column_reader(name, translate=translate))
        else:
            values.extend([default] * reader.doc_count_all())
    return values
