"""The dense (meaning) side of a search: passage cosines, and their fusion with the lexical ranking.

Why an exact scan: at this archive's scale (30,000 dispatches, ~60,000
passages) the cosine of the query with every passage of the target languages
is one float32 matrix-vector product, a few milliseconds; an approximate index
(HNSW) would add a dependency, a build step per generation and recall loss for
no gain until a few million passages (see the README).

Why a linear mix and not reciprocal rank fusion: both were measured through
the public search on the evaluation's tuning halves (``python -m
lab.fusion_tune``, FLORES and TICO, four directions). Ranks throw away how
far ahead the words put a document (a dispatch with every query word in its
title against one with two of them in passing), and the linear mix kept it:
a document's score is its lexical score over the best one (after the fair
French/Arabic merge) plus ``WEIGHT`` times the cosine of its closest passage.
A document absent from one side gets nothing from it. Only the best
:data:`DEPTH` documents by meaning take part: past that, a cosine says little.

The layer of a generation is loaded in a background thread (a second or two
per 30,000 documents); until it is there, and for the documents not yet
embedded, searches rank by words alone. The server also embeds what is
missing (``embed=True``), in the background, on both cores.
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from index.embedding import embed_generation
from index.encoder import Encoder
from index.semantic import chunk_files, layer_dir, load_layer, unit_rows
from search.models import Fragment

#: Rank constant of ``rrf`` (not the default method; kept for the tuning tool).
K: Final = 10.0
#: Weight of the cosine against the lexical score over the best (tuning halves only).
WEIGHT: Final = 6.0
#: ``linear`` (lexical score / best + WEIGHT × cosine) or ``rrf`` (Σ w / (K + rank)).
METHOD: Final = "linear"
#: Documents by meaning that take part in a search: each one not found by the words is
#: a result more (a two-result word search shows up to DEPTH more). On the tuning halves
#: (FLORES + TICO, 8 directions, ``lab.fusion_tune`` with depths 10/20/40/100) the mean
#: hybrid MRR was 0.7709 / 0.7757 / 0.7767 / 0.7778: 20 keeps nearly all of the gain
#: with a fifth of the added results.
DEPTH: Final = 20
#: Seconds between two looks at the layer's folder for new chunks.
RECHECK_S: Final = 10.0
#: Documents re-scored exactly after the first pass (the best by the sketch).
RERANK: Final = 300
#: Dimensions of the sketch of the first pass (the layer's principal directions).
SKETCH_DIM: Final = 128
#: Rows whose second moments choose the sketch's directions (evenly spaced).
SKETCH_SAMPLE: Final = 16_384

_LIMIT: Any = None


def _one_thread() -> Any:
    """A context holding the BLAS to one thread (nothing without threadpoolctl).

    Why: the first pass is a 27 MB product, a millisecond on one core; OpenBLAS
    splitting it over both cores while other work runs on them waited ~24 ms
    (p50) for its second thread on this machine. ``ThreadpoolController`` finds
    the libraries once; each ``limit`` then costs microseconds.
    """
    global _LIMIT
    if _LIMIT is None:
        try:
            from threadpoolctl import ThreadpoolController

            _LIMIT = ThreadpoolController().limit
        except Exception:  # not installed (it comes with the encoder): the BLAS as it is
            _LIMIT = False
    return _LIMIT(limits=1, user_api="blas") if _LIMIT else contextlib.nullcontext()


@dataclass(frozen=True)
class DenseIndex:
    """A generation's passage vectors, with each row's document number (rows grouped by doc).

    Why two representations: the exact cosine needs the 512 dimensions
    (``codes``: int8, a quarter of float32), read whole for every query that
    was ~100 MB of float32 per search, 24 to 46 ms on this machine under load.
    The first pass reads a **sketch** instead: each unit row projected on the
    :data:`SKETCH_DIM` principal directions of the layer (``basis``, from the
    rows' second moments at load), a quarter of the size; the best
    :data:`RERANK` documents by the sketch are then scored exactly from the
    codes, and only exact cosines are ranked and shown.
    """

    codes: npt.NDArray[np.int8]
    factors: npt.NDArray[np.float32]  # per row: codes @ v * factor = cosine with unit v
    sketch: npt.NDArray[np.float32]  # per row: the unit row on ``basis``
    basis: npt.NDArray[np.float32]  # (dim, SKETCH_DIM) orthonormal columns
    docs: npt.NDArray[np.int64]  # per row, sorted
    starts: npt.NDArray[np.int32]  # per row: span of the passage in the body
    ends: npt.NDArray[np.int32]
    segment: npt.NDArray[np.int64]  # first row of each document in ``unique``
    unique: npt.NDArray[np.int64]  # the documents that have vectors, ascending
    documents: int

    def rough(self, query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Per document of ``unique``: its closest passage by the sketch (first pass)."""
        folded = np.ascontiguousarray(query @ self.basis, dtype=np.float32)
        with _one_thread():
            sims = self.sketch @ folded
        return np.maximum.reduceat(sims, self.segment) if len(sims) else sims

    def exact(
        self, positions: npt.NDArray[np.int64], query: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Per document ``unique[positions]``: the cosine of its closest passage."""
        if not len(positions):
            return np.zeros(0, np.float32)
        bounds = np.append(self.segment, len(self.docs))
        counts = (bounds[1:] - bounds[:-1])[positions]
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        take = np.repeat(bounds[positions] - offsets, counts) + np.arange(int(counts.sum()))
        sims = (self.codes[take].astype(np.float32) @ query) * self.factors[take]
        return np.maximum.reduceat(sims, offsets)

    def best(
        self, query: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.float32]:
        """Exact cosines of every document of ``unique`` (of ``unique[allowed]``): tools, tests."""
        every = np.arange(len(self.unique), dtype=np.int64)
        query = np.ascontiguousarray(query, dtype=np.float32)
        return self.exact(every if allowed is None else every[allowed], query)

    def passage(self, docnum: int, query: npt.NDArray[np.float32]) -> tuple[int, int] | None:
        """The body span of ``docnum``'s passage closest to ``query``."""
        at = int(np.searchsorted(self.unique, docnum))
        if at >= len(self.unique) or self.unique[at] != docnum:
            return None
        low = int(self.segment[at])
        high = int(self.segment[at + 1]) if at + 1 < len(self.segment) else len(self.docs)
        row = low + int(np.argmax(self.codes[low:high].astype(np.float32) @ query))
        return int(self.starts[row]), int(self.ends[row])


def sketch_of(
    codes: npt.NDArray[np.int8], factors: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``(sketch, basis)``: the unit rows on their :data:`SKETCH_DIM` principal directions.

    The directions are the top eigenvectors of the rows' second moment
    (uncentred: a cosine is a plain dot product), from at most
    :data:`SKETCH_SAMPLE` evenly spaced rows; the rows are projected a block at
    a time (never a float32 copy of the whole layer).
    """
    dim = codes.shape[1] if codes.ndim == 2 else 0
    width = min(SKETCH_DIM, dim)
    if not len(codes) or not width:
        return np.zeros((len(codes), width), np.float32), np.zeros((dim, width), np.float32)
    step = max(1, len(codes) // SKETCH_SAMPLE)
    sample = unit_rows(codes[::step], factors[::step]).astype(np.float64)
    _, vectors = np.linalg.eigh(sample.T @ sample)
    basis = np.ascontiguousarray(vectors[:, ::-1][:, :width], dtype=np.float32)
    sketch = np.empty((len(codes), width), np.float32)
    for at in range(0, len(codes), 8192):
        block = slice(at, at + 8192)
        sketch[block] = unit_rows(codes[block], factors[block]) @ basis
    return sketch, basis


def _index(layer: Path, fingerprints: list[str]) -> DenseIndex:
    """The layer's rows mapped to this generation's document numbers (by fingerprint)."""
    loaded = load_layer(layer)
    where: dict[str, list[int]] = {}
    for docnum, fp in enumerate(fingerprints):
        where.setdefault(fp, []).append(docnum)
    rows: list[int] = []
    docs: list[int] = []
    owner = loaded.owner.tolist()
    for row, o in enumerate(owner):
        for docnum in where.get(loaded.fingerprints[o], ()):
            rows.append(row)
            docs.append(docnum)
    doc_arr = np.asarray(docs, dtype=np.int64)
    order = np.argsort(doc_arr, kind="stable")
    take = np.asarray(rows, dtype=np.int64)[order]
    doc_arr = doc_arr[order]
    codes = loaded.codes[take] if len(take) else np.zeros((0, 0), np.int8)
    factors = loaded.factors[take]
    starts, ends = loaded.starts[take], loaded.ends[take]
    del loaded  # its codes: the reordered copy above is the one kept
    return dense_index(codes, factors, doc_arr, starts, ends)


def dense_index(
    codes: npt.NDArray[np.int8],
    factors: npt.NDArray[np.float32],
    docs: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int32],
    ends: npt.NDArray[np.int32],
) -> DenseIndex:
    """A :class:`DenseIndex` of int8 rows grouped by (sorted) document number, its sketch made."""
    unique, segment = np.unique(docs, return_index=True)
    sketch, basis = sketch_of(codes, factors)
    return DenseIndex(
        np.ascontiguousarray(codes),
        factors,
        sketch,
        basis,
        docs,
        starts,
        ends,
        segment.astype(np.int64),
        unique.astype(np.int64),
        len(unique),
    )


class DenseLayer:
    """The vectors of one generation, loaded (and, with ``embed``, completed) in the background."""

    def __init__(
        self, gen_dir: Path, encoder: Encoder, fingerprints: list[str], embed: bool
    ) -> None:
        self.layer = layer_dir(gen_dir, encoder.name)
        self.gen_dir = gen_dir
        self.encoder = encoder
        self._fingerprints = fingerprints
        self._embed = embed
        self._index: DenseIndex | None = None
        self._files = -1
        self._checked = 0.0
        self._busy = threading.Lock()
        self._embedding = False

    def current(self) -> DenseIndex | None:
        """The vectors as loaded so far (``None`` before the first load); reloads when grown."""
        now = time.monotonic()
        if now - self._checked >= RECHECK_S:
            self._checked = now
            files = len(chunk_files(self.layer))
            if files != self._files and not self._busy.locked():
                threading.Thread(target=self._load, args=(files,), daemon=True).start()
            if self._embed and not self._embedding:
                self._embedding = True
                threading.Thread(target=self._complete, daemon=True).start()
        return self._index

    def wait(self, timeout: float = 30.0) -> DenseIndex | None:
        """Load now (tests, evaluations, the CLI); ``None`` if nothing is there."""
        with self._busy:
            files = len(chunk_files(self.layer))
            if files != self._files:
                self._index = _index(self.layer, self._fingerprints)
                self._files = files
        self._checked = time.monotonic()
        return self._index

    def _load(self, files: int) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            self._index = _index(self.layer, self._fingerprints)
            self._files = files
        except Exception:  # a broken layer must not break searching: words alone
            logging.getLogger(__name__).exception("loading %s failed", self.layer)
        finally:
            self._busy.release()

    def _complete(self) -> None:
        """Embed the documents that have no vectors yet (another process may be at it)."""
        with contextlib.suppress(Exception):
            self.layer.mkdir(exist_ok=True)
            embed_generation(self.gen_dir, self.encoder, wait=False)
        self._checked = 0.0


def fuse(
    lexical: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
    dense: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]],
    weight: float | None = None,
    k: float | None = None,
    method: str | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Fusion of two ``(docnums, scores)``: the union of docnums (ascending), their scores.

    ``rrf``: ``Σ w / (k + rank)``. ``linear``: the lexical score over the best
    one (the engine's per-language merge already divides by it) plus ``w``
    times the cosine. ``weight``, ``k``, ``method``: default :data:`WEIGHT`,
    :data:`K`, :data:`METHOD` (read at each call: the tuning tool sets them).
    """
    weight = WEIGHT if weight is None else weight
    k = K if k is None else k
    method = METHOD if method is None else method
    docs = np.union1d(lexical[0], dense[0]).astype(np.int64)
    fused = np.zeros(len(docs), dtype=np.float64)
    for (found, scores), w, words in ((lexical, 1.0, True), (dense, weight, False)):
        if not len(found) or w == 0:
            continue
        values = np.asarray(scores, dtype=np.float64)
        if method == "linear":  # words: over the best score; meaning: the cosine as it is
            top = float(values.max()) if words else 1.0
            part = w * values / (top if top > 0 else 1.0)
        else:
            ranks = np.empty(len(found), dtype=np.float64)
            ranks[np.argsort(-values, kind="stable")] = np.arange(1, len(found) + 1)
            part = w / (k + ranks)
        fused[np.searchsorted(docs, found)] += part
    return docs, fused


def top_by_meaning(
    index: DenseIndex,
    query: npt.NDArray[np.float32],
    allowed: npt.NDArray[np.bool_] | None,
    keep: Any,
    depth: int | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``depth`` documents closest in meaning, among ``allowed`` ones passing ``keep``.

    ``allowed``: a mask over ``index.unique`` (languages, the set of documents
    the query's constraints let through); ``keep``: the column filter (dates,
    sources), called on the candidates only. At most :data:`RERANK` allowed
    documents (a phrase or ``+word`` search): all of them scored exactly; more:
    the best :data:`RERANK` by the sketch passing ``keep``, scored exactly.
    The cosines returned are exact.
    """
    depth = DEPTH if depth is None else depth
    query = np.ascontiguousarray(query, dtype=np.float32)
    every = np.arange(len(index.unique), dtype=np.int64)
    positions = every if allowed is None else every[allowed]
    if len(positions) > RERANK:
        rough = index.rough(query)[positions]
        head = np.argpartition(-rough, RERANK)[:RERANK]
        order = head[np.argsort(-rough[head], kind="stable")]
        candidates = _passing(index, positions[order], keep, RERANK)
        if len(candidates) < depth:  # the filter refused most of the head: go down the rest
            order = np.argsort(-rough, kind="stable")
            candidates = _passing(index, positions[order], keep, RERANK)
    else:
        candidates = _passing(index, positions, keep, len(positions))
    sims = index.exact(candidates, query)
    top = np.argsort(-sims, kind="stable")[:depth]
    top = top[np.argsort(candidates[top])]  # by document number, as the fusion takes them
    return index.unique[candidates[top]], sims[top]


def _passing(
    index: DenseIndex, positions: npt.NDArray[np.int64], keep: Any, most: int
) -> npt.NDArray[np.int64]:
    """The first ``most`` of ``positions`` whose document passes ``keep`` (sorted)."""
    if keep is None:
        return np.sort(positions[:most])
    chosen: list[int] = []
    for at in positions.tolist():
        if keep(int(index.unique[at])):
            chosen.append(at)
            if len(chosen) >= most:
                break
    return np.asarray(sorted(chosen), dtype=np.int64)


#: Query vectors kept by :class:`QueryVectors` (2 KB each).
QUERY_VECTORS: Final = 512


class QueryVectors:
    """The last :data:`QUERY_VECTORS` query vectors by text: a query embedded once.

    Why: embedding a query takes 3 ms on an idle core and 10 to 15 under load,
    and the same text comes back at once: the next page, a facet or a date
    filter clicked, the feed and the export of a search. Bounded (least
    recently used goes first), keyed by encoder name and text.
    """

    def __init__(self, size: int = QUERY_VECTORS) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str], npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, encoder: Encoder, text: str) -> npt.NDArray[np.float32]:
        key = (encoder.name, text)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        vector = np.ascontiguousarray(encoder.encode([text])[0], dtype=np.float32)
        vector.setflags(write=False)  # shared between searches
        with self._lock:
            self._kept[key] = vector
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return vector

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


#: Characters of a passage shown as the snippet of a document found by meaning.
SNIPPET_CHARS: Final = 300


def passage_fragment(body: str, start: int, end: int) -> Fragment:
    """The closest passage as a snippet: its first sentences, cut at a word, nothing marked."""
    text = body[start:end].strip()
    if len(text) > SNIPPET_CHARS:
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        text = text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS].rstrip() + " …"
    return Fragment(html=html.escape(text, quote=False), text=text, matches=())
