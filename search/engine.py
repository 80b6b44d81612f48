"""The search engine: parse, compile, evaluate, rank, cut snippets; safe for many threads.

Why the engine holds no index state itself: everything tied to an index
generation (searchers, column arrays, term statistics, caches) lives in
:class:`search.generation.Generation`. The CURRENT file is stat()ed on every
request (microseconds): when a new generation is published, the next request
opens it and the old one is closed once its last borrowed searcher comes back.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from index import (
    IndexStore,
    IndexStoreError,
    Manifest,
    analysis_cache_bytes,
    trim_analysis_caches,
)
from index.encoder import Encoder, load_encoder
from index.store import READ_ERRORS, check_generation, damaged
from search import facets as fc
from search import marks, proximity
from search.allocator import Trimmer
from search.budget import DEFAULT_TIME_LIMIT_S, Budget
from search.cache import DEFAULT_CACHE_BYTES, process_shares
from search.compile import Compiled
from search.complete import LIMIT
from search.crosslang import CrossLanguage, default_cross_language
from search.dense import DenseIndex, DenseLayer, top_by_meaning
from search.errors import InvalidQuery, SearchError
from search.evaluate import Evaluator, Scores
from search.filters import column_filter, filters_shown
from search.fusion import fuse, meaning_weights
from search.generation import MAX_SEARCHERS as MAX_SEARCHERS  # re-exported (tests use it)
from search.generation import Generation
from search.hits import Meaning, document_page, hit
from search.links import links_for
from search.models import (
    DocumentView,
    Facets,
    Interpretation,
    Mode,
    SearchRequest,
    SearchResults,
    WordTranslation,
)
from search.prepare import meaning_text, prepare
from search.query import analysed_terms, parse
from search.query_vectors import QueryVectors, meaning_vector
from search.snippets import Highlighter
from search.suggest import FEW_HITS, suggest
from search.syntax import Not
from search.vectors import locate

#: Seconds a whole search may take: expansion, translation, evaluation, proximity,
#: facets, snippets and the suggestion share it (:class:`search.budget.Budget`).
TIME_LIMIT_S: Final = DEFAULT_TIME_LIMIT_S


#: ``encoder=`` default of :class:`SearchEngine`: the installed sentence encoder, if any.
AUTO: Final = "auto"


class SearchEngine:
    """Searches one index directory; follows its generations without being recreated.

    ``time_limit``: seconds per search (default :data:`TIME_LIMIT_S`); past it the
    remaining stages degrade and the results say so (``partial``). ``cache_bytes``:
    the bound of each generation's caches (:class:`search.cache.ByteCache`).
    """

    def __init__(
        self,
        index_dir: Path,
        *,
        cross_language: CrossLanguage | None = None,
        encoder: Encoder | str | None = AUTO,
        embed: bool = False,
        wait_for_vectors: bool = False,
        time_limit: float | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        """``encoder``: the sentence encoder (default: the installed one; ``None``: words only).

        ``embed``: embed the documents a generation's vectors lack, in the background
        (the server). ``wait_for_vectors``: load a generation's vectors before its first
        search instead of in the background (the CLI, evaluations).
        """
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        self.cache_bytes = cache_bytes
        # the analysis and snippet caches are per process: their shares of cache_bytes
        self._shares = process_shares(cache_bytes)
        marks.set_chunk_map_bytes(self._shares["snippets"])
        self.store = IndexStore(self.index_dir)
        self.cross = cross_language if cross_language is not None else default_cross_language()
        self.encoder: Encoder | None = load_encoder() if isinstance(encoder, str) else encoder
        self.query_vectors = QueryVectors(self.encoder) if self.encoder is not None else None
        use_encoder = getattr(self.cross, "use_encoder", None)
        if use_encoder is not None and self.query_vectors is not None:
            use_encoder(self.query_vectors, self.index_dir)  # translations chosen in context
        self._embed = embed
        self._wait_vectors = wait_for_vectors
        self._lock = threading.Lock()
        self._gen: Generation | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._closed = False
        self.trimmer = Trimmer()

    # -- generations --------------------------------------------------------------------
    def _generation(self) -> Generation:
        try:
            st = os.stat(self.index_dir / "CURRENT")
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        gen = self._gen
        if gen is not None and stamp == self._stamp:
            return gen
        with self._lock:
            if self._gen is not None and stamp == self._stamp:
                return self._gen
            name = self.store.current_name()
            if self._gen is None or name != self._gen.name:
                # raises IndexMissingError without an index; the translator indexes
                # each name vocabulary as the generation builds it, off the query path
                new = self._open_generation()
                old, self._gen = self._gen, new
                if old is not None:
                    old.retire()
            self._stamp = stamp
            return self._gen

    def _open_generation(self) -> Generation:
        try:
            return Generation(
                self.store, getattr(self.cross, "prepare_names", None), self.cache_bytes
            )
        except READ_ERRORS as exc:
            # the files passed the check as it was opened: damaged since, or a bug
            gen_dir = self.store.current_dir()
            problem = self.store.check()
            if problem is None:
                raise
            raise damaged(gen_dir, problem) from exc

    @contextlib.contextmanager
    def _detect_damage(self) -> Iterator[None]:
        """Turn a read error into ``IndexDamagedError`` when the generation's files changed."""
        try:
            yield
        except READ_ERRORS as exc:
            gen = self._gen
            if gen is None:
                raise
            problem = check_generation(gen.directory, gen.manifest)
            if problem is None:
                raise
            raise damaged(gen.directory, problem) from exc

    def warm(self) -> None:
        """Start loading, in the background, what the first queries would wait for.

        The lexicon and the gazetteer (a fraction of a second), the current generation's name
        vocabularies (built from the index's terms) and its passage vectors.
        Without an index yet, only the lexicon: the rest comes with the first
        generation.
        """
        prepare = getattr(self.cross, "prepare", None)
        if prepare is not None:
            prepare()
        if self.query_vectors is not None:
            threading.Thread(
                target=self.query_vectors.ready, name="fihris-encoder", daemon=True
            ).start()
        try:
            gen = self._generation()
        except IndexStoreError:  # missing or damaged: the server starts and says so
            return
        for kind in ("fr", "ar", "complete"):
            gen.vocabulary(kind)
        self._dense(gen)  # load the vectors; the server also embeds what they lack
        links = links_for(gen.index)
        if links is not None:
            links.start()  # read from the generation (written at build time), or computed

    # -- search -------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResults:
        """Run ``request``; raises InvalidQuery for a query with nothing searchable."""
        with self._detect_damage():
            try:
                return self._search(request)
            finally:
                # what a search (its snippets, above all) added to the analysis caches
                trim_analysis_caches(self._shares["analysis"])
                self.trimmer.searched()  # and what it freed, back to the system now and then

    def _search(self, request: SearchRequest) -> SearchResults:
        t0 = time.perf_counter()
        if not request.q.strip():
            raise InvalidQuery("the query is empty: type a word to search for", "q")
        parsed = parse(request.q)
        gen = self._generation()
        if request.cross:
            # one-off: the lexicon (a second or more, loaded in the background from
            # warm()); waited for outside the budget, as opening the generation is, so
            # the first search after a start is not cut short by what it did not cause
            loaded = getattr(self.cross, "loaded", None)
            if loaded is not None:
                loaded()
            in_context = getattr(self.cross, "context_ready", None)
            if self._wait_vectors and in_context is not None and self.query_vectors is not None:
                in_context(None)  # the table of translation vectors, as for the passages'
        if self.query_vectors is not None and (request.cross or request.mode != "lexical"):
            self.query_vectors.ready()  # the encoder's first call: outside the budget too
        # read at each search (not bound at definition): tests and tools may change it
        budget = Budget(TIME_LIMIT_S if self.time_limit is None else self.time_limit)
        prepared = prepare(
            gen,
            self.cross,
            parsed,
            request.q,
            request.cross,
            request.lang,
            frozenset(request.exclude_translations),
            request.match,
            budget=budget,
        )
        query, own, translated, translations, notes, compiled = prepared
        langs = set(parsed.filters.langs)
        if request.lang:
            langs = langs & {request.lang} if langs else {request.lang}
            if parsed.filters.langs and not langs:
                shown = f"lang:{parsed.filters.langs[0]} in the query"
                notes.append(f"{shown} and lang={request.lang} exclude each other: no result")
        keep = column_filter(gen, parsed, request)
        with gen.searcher() as searcher:
            evaluator = Evaluator(gen.stats, searcher, budget.deadline)
            found = _kept(evaluator.run(query), keep)
            allowed = langs if (request.lang or parsed.filters.langs) else None
            visible = (
                len(found[0]) > 0
                if allowed is None
                else bool(gen.lang_codes.among(found[0], allowed).any())
            )
            if not visible and compiled.exact_phrase is not None and not evaluator.timed_out:
                # no dispatch has the phrase word for word: search its words instead
                prepared = prepare(
                    gen, self.cross, parsed, request.q, request.cross, request.lang,
                    frozenset(request.exclude_translations), request.match, relax=True,
                    budget=budget,
                )  # fmt: skip
                query, own, translated, translations, more, compiled = prepared
                notes += more
                notes.append(
                    f'no dispatch has "{compiled_phrase(parsed)}" word for word: '
                    "its words are searched instead"
                )
                found = _kept(evaluator.run(query), keep)
            own_lang = _query_lang(parsed)
            if (
                request.match == "best"
                and request.sort == "relevance"
                and not evaluator.timed_out
                and (allowed is None or own_lang in allowed)
                and len(found[0])
                and not budget.check("proximity")
            ):
                # proximity and the lead, among the best documents the user can see in the
                # query's own language: the positions are those of the query's own words, so
                # in the other language only the names and numbers it keeps would earn them
                mine = np.flatnonzero(gen.lang_codes.among(found[0], {own_lang}))
                pool = dict(zip(found[0][mine].tolist(), found[1][mine].tolist(), strict=True))
                extra = proximity.bonuses(
                    gen.stats, searcher, _own_words(parsed), pool, budget.deadline
                )
                if extra is None:  # stopped by the deadline: every candidate as scored
                    budget.cut("proximity")
                elif extra:
                    scores = found[1].copy()
                    at = np.searchsorted(found[0], np.fromiter(extra, dtype=np.int64))
                    scores[at] += np.fromiter(extra.values(), dtype=np.float64)
                    found = (found[0], scores)
            mode, dense, meaning, more = self._meaning(
                gen, parsed, request, compiled, found, allowed, keep, evaluator.timed_out, budget,
                translations,
            )  # fmt: skip
            notes += more
            if dense is not None:
                found = dense
            matches = fc.Matches(found[0], found[1], evaluator.timed_out)
            if matches.timed_out:
                budget.cut("evaluation")
            if allowed is None:
                kept = np.arange(len(matches.docnums))
            else:
                kept = np.flatnonzero(gen.lang_codes.among(matches.docnums, allowed))
            facets = (
                Facets()
                if budget.check("facets")
                else fc.facets(matches, kept, gen.lang_codes, gen.year_codes, gen.months)
            )
            scores = matches.scores
            cross_active = (
                dense is None and bool(translations) and (allowed is None or len(allowed) > 1)
            )
            if cross_active:
                scores = fc.normalise_per_lang(matches, kept, gen.lang_codes, _query_lang(parsed))
            first = (request.page - 1) * request.size
            ranked = fc.rank(
                kept, scores, matches.docnums, gen.dates, request.sort, first + request.size
            )
            hits = tuple(
                hit(
                    searcher,
                    int(matches.docnums[i]),
                    float(scores[i]),
                    own,
                    translated,
                    request.snippets,
                    budget,
                    meaning,
                )
                for i in ranked[first:]
            )
            suggestion = None
            if len(kept) < FEW_HITS and not budget.check("suggestion"):
                suggestion = self._suggest(gen, searcher, parsed, request, len(kept), budget)
        interpretation = Interpretation(
            query=parsed.readable(conjunction=request.match == "all"),
            match=request.match,
            required=tuple(compiled.required),
            optional=tuple(compiled.optional),
            terms=analysed_terms(parsed),
            filters=filters_shown(parsed, request),
            translations=tuple(translations),
            notes=tuple(dict.fromkeys([*parsed.notes, *notes, *budget.notes()])),
            mode=mode,
        )
        return SearchResults(
            request=request,
            total=len(kept),
            page=request.page,
            size=request.size,
            took_ms=round((time.perf_counter() - t0) * 1000, 2),
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            interpretation=interpretation,
            partial=budget.partial,
        )

    def _meaning(
        self,
        gen: Generation,
        parsed: Any,
        request: SearchRequest,
        compiled: Compiled,
        found: Scores,
        allowed: set[str] | None,
        keep: Any,
        timed_out: bool,
        budget: Budget | None = None,
        translations: Sequence[WordTranslation] = (),
    ) -> tuple[Mode, Scores | None, Meaning | None, list[str]]:
        """The mode used, and the fused (or dense) ranking with the closest passages.

        Every filter stays exact: documents by meaning are taken among the
        allowed languages and pass the column filter (dates, sources); when the
        query requires or excludes anything (``+word``, ``AND``, ``-word``, a
        phrase search, ``match=all``), only among the documents the words found.
        """
        asked: Mode = request.mode or ("hybrid" if self.encoder is not None else "lexical")
        if asked == "lexical":
            return "lexical", None, None, []
        if self.encoder is None:
            return "lexical", None, None, [f"mode={asked}: no sentence encoder, words only"]
        if request.sort != "relevance" and asked == "hybrid":
            return "lexical", None, None, []  # sorted by date: the words decide what is shown
        if budget is not None and budget.check("meaning"):
            return "lexical", None, None, []  # past the deadline: the words' ranking, noted
        index = self._dense(gen)
        if index is None or not index.documents:
            note = f"mode={asked}: the semantic layer is not ready yet, words only"
            return "lexical", None, None, [note]
        assert self.query_vectors is not None
        blend = (
            asked == "semantic"
            and _query_lang(parsed) == "ar"
            and (allowed is None or "fr" in allowed)
        )  # an Arabic query by meaning alone: with its French translation (query_vectors)
        vector = meaning_vector(
            self.query_vectors, meaning_text(parsed, request.q), translations, blend
        )
        mask = None
        if allowed is not None:
            mask = gen.lang_codes.among(index.unique, allowed)
        constrained = _constrained(parsed, request, compiled) or timed_out
        if constrained:
            inside = np.isin(index.unique, found[0])
            mask = inside if mask is None else mask & inside
        docs, sims = top_by_meaning(index, vector, mask, None if constrained else keep)
        _, by_words = locate(docs, found[0])  # found[0]: sorted docnums, docs: a few
        meaning = Meaning(index, vector, frozenset(docs[~by_words].tolist()))
        notes = []
        if index.documents < len(gen.fingerprints):
            notes.append(
                f"the semantic layer covers {index.documents:,} of "
                f"{len(gen.fingerprints):,} documents so far"
            )
        if asked == "semantic":
            return "semantic", (docs, sims.astype(np.float64)), meaning, notes
        # each language over its own best (the fair French/Arabic merge): with lang=ar, an
        # Arabic dispatch's words are weighed against the best Arabic one, not a French one
        home = next(iter(allowed)) if allowed is not None and len(allowed) == 1 else None
        own = _query_lang(parsed)
        lexical = _per_lang(gen, found, home or own)
        weights = meaning_weights(sims, gen.lang_codes.among(docs, {own}))
        return "hybrid", fuse(lexical, (docs, sims), weights), meaning, notes

    def _dense(self, gen: Generation) -> DenseIndex | None:
        if self.encoder is None:
            return None
        with self._lock:
            if gen.dense is None:
                gen.dense = DenseLayer(gen.directory, self.encoder, gen.fingerprints, self._embed)
        layer: DenseLayer = gen.dense
        return layer.wait() if self._wait_vectors else layer.current()

    def _suggest(
        self,
        gen: Generation,
        searcher: Any,
        parsed: Any,
        request: SearchRequest,
        total: int,
        budget: Budget,
    ) -> str | None:
        """A did-you-mean query, counted within what is left of the request's ``budget``."""
        vocabulary = gen.vocabulary("suggest")
        if vocabulary is None:
            return None
        reader = searcher.reader()

        def doc_frequency(term: str) -> int:
            return int(reader.doc_frequency("body_exact", term)) + int(
                reader.doc_frequency("title_exact", term)
            )

        def count(q: str) -> int:
            try:
                other = parse(q)
                query = prepare(
                    gen, self.cross, other, q, False, request.lang, frozenset(), request.match
                )[0]
            except SearchError:
                return 0
            evaluator = Evaluator(gen.stats, searcher, budget.deadline)
            found = evaluator.run(query)
            if evaluator.timed_out:
                budget.cut("suggestion")
                return 0
            keep = column_filter(gen, other, request)
            return len(found[0]) if keep is None else sum(1 for d in found[0].tolist() if keep(d))

        return suggest(parsed, vocabulary, doc_frequency, count, total)

    # -- completions ----------------------------------------------------------------------
    def complete(self, prefix: str, limit: int = LIMIT) -> list[str]:
        """Completions of what is typed (``search.complete``); empty until they are built.

        They are built once per generation in the background (started by
        :meth:`warm` or the first call), so no keystroke waits for them.
        """
        with self._detect_damage():
            completions = self._generation().vocabulary("complete")
        return completions.complete(prefix, limit) if completions is not None else []

    def completions_ready(self, timeout: float = 0.0) -> bool:
        """Start building the current generation's completions; True once they are there."""
        deadline = time.monotonic() + timeout
        while True:
            if self._generation().vocabulary("complete") is not None:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    # -- documents and status -----------------------------------------------------------
    def document(
        self,
        doc_id: str,
        q: str | None = None,
        cross: bool = True,
        offset: int = 0,
        limit: int | None = None,
    ) -> DocumentView:
        """A document, ``q``'s words (and their translations) marked (see :meth:`_document`)."""
        with self._detect_damage():
            return self._document(doc_id, q, cross, offset, limit)

    def _document(
        self,
        doc_id: str,
        q: str | None = None,
        cross: bool = True,
        offset: int = 0,
        limit: int | None = None,
    ) -> DocumentView:
        """A document, ``q``'s words (and their translations) marked.

        With ``limit``, only the body's characters from ``offset`` on, at most
        ``limit`` of them and cut at a space: marking and sending a 50 MB body at
        once took seconds and twice its size in memory. ``length``, ``offset`` and
        ``next_offset`` in the view say where the piece sits and where the next begins.
        """
        gen = self._generation()
        marks = Highlighter()
        if q and q.strip():
            with contextlib.suppress(SearchError):
                parsed = parse(q)
                _, own, translated, _, _, _ = prepare(
                    gen, self.cross, parsed, q, cross, None, frozenset()
                )
                marks = own.merged(translated)
        with gen.searcher() as searcher:
            return document_page(searcher, doc_id, marks, offset, limit)

    def status(self) -> dict[str, Any]:
        """Documents per language, generation, analysis version and creation time."""
        gen = self._generation()
        manifest: Manifest = gen.manifest
        return {
            "documents": manifest.documents,
            "by_lang": dict(manifest.by_lang),
            "generation": manifest.generation,
            "analysis_version": manifest.analysis_version,
            "created": manifest.created,
            "kind": manifest.kind,
            "cross_language": self.cross is not None,
            "semantic": self.encoder.name if self.encoder is not None else None,
            "time_limit_s": TIME_LIMIT_S if self.time_limit is None else self.time_limit,
            # the generation's caches, bounded in bytes (FIHRIS_CACHE_BYTES), and the
            # process's, whose shares it pins
            "cache": {**gen.cache.status(), "process": self._process_caches()},
            "ready": self._ready(gen),
        }

    def _process_caches(self) -> dict[str, Any]:
        """The analysis and snippet caches: their shares of the limit and estimated bytes."""
        return {
            "analysis": {
                "limit_bytes": self._shares["analysis"],
                "bytes": sum(analysis_cache_bytes().values()),
            },
            "snippets": {"limit_bytes": self._shares["snippets"], "bytes": marks.chunk_map_bytes()},
        }

    def _ready(self, gen: Generation) -> dict[str, Any]:
        """What of the live generation is ready: lexical search is as soon as it is open;
        cross-language search needs its name vocabularies; hits get their other-language
        versions once the story links are loaded (written at build time) or computed."""
        links = links_for(gen.index)
        return {
            "lexical": True,
            "vocabularies": self.cross is not None and gen.vocabularies_ready(("fr", "ar")),
            "links": links is not None and links.ready,
            "links_source": (links.report.get("source") if links is not None else None),
            # translations chosen by the query's meaning: their candidates' vectors
            "translations_in_context": bool(
                getattr(self.cross, "context_ready", lambda _t: False)(0)
            ),
        }

    def close(self) -> None:
        """Close the searchers (safe to call twice)."""
        with self._lock:
            if self._gen is not None:
                self._gen.retire()
            self._gen, self._stamp = None, None


def _constrained(parsed: Any, request: SearchRequest, compiled: Compiled) -> bool:
    """Whether the query requires or excludes something documents by meaning must respect."""
    if request.match == "all" or compiled.exact_phrase is not None or compiled.required:
        return True

    def walk(node: Any) -> bool:
        if isinstance(node, Not) or getattr(node, "required", False):
            return True
        if getattr(node, "title_only", False):
            return True
        return any(walk(child) for child in getattr(node, "children", ()))

    return walk(parsed.root)


def _per_lang(gen: Generation, found: Scores, home: str) -> Scores:
    """Scores divided by their language's best (as the lexical merge does), for ranking."""
    matches = fc.Matches(found[0], found[1], False)
    every = np.arange(len(found[0]))
    return found[0], fc.normalise_per_lang(matches, every, gen.lang_codes, home)


def _query_lang(parsed: Any) -> str:
    """The language the query is written in (its words' majority script)."""
    scripts = [t.script for w in parsed.words() for t in w.tokens if t.script != "num"]
    return "ar" if scripts.count("ar") > len(scripts) / 2 else "fr"


def _own_words(parsed: Any) -> list[str]:
    """The exact forms of the query's positive words, in order, common words left out."""
    return [
        t.exact
        for w in parsed.words()
        if not getattr(w, "prefix", False)
        for t in w.tokens
        if not t.stop
    ]


def compiled_phrase(parsed: Any) -> str:
    """The text of a query that is one quoted phrase."""
    words = parsed.words()
    return str(words[0].text) if words else ""


def _kept(found: Scores, keep: Any) -> Scores:
    """The evaluator's matches that pass the column filter ``keep`` (None: all)."""
    if keep is None or not len(found[0]):
        return found
    mask = np.fromiter((keep(d) for d in found[0].tolist()), bool, len(found[0]))
    return found[0][mask], found[1][mask]
