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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from index.embedding import embed_generation
from index.encoder import Encoder
from index.semantic import chunk_files, layer_dir, load_layer
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
#: Allowed rows are copied (then scanned) when at most 1 / GATHER_FRACTION of all rows.
GATHER_FRACTION: Final = 4


@dataclass(frozen=True)
class DenseIndex:
    """A generation's passage vectors, with each row's document number (rows grouped by doc)."""

    matrix: npt.NDArray[np.float32]
    docs: npt.NDArray[np.int64]  # per row, sorted
    starts: npt.NDArray[np.int32]  # per row: span of the passage in the body
    ends: npt.NDArray[np.int32]
    segment: npt.NDArray[np.int64]  # first row of each document in ``unique``
    unique: npt.NDArray[np.int64]  # the documents that have vectors, ascending
    documents: int

    def best(
        self, query: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.float32]:
        """Per document of ``unique`` (of ``unique[allowed]``): the cosine of its closest passage.

        Why the mask goes in and not after: the product over every row is the
        cost of a search by meaning (~100 MB of vectors read at 30,000
        documents). When the allowed documents hold at most 1 /
        :data:`GATHER_FRACTION` of the rows (a phrase or ``+word`` search: the
        documents the words found), only their rows are copied and scanned;
        else the whole matrix, the mask after. Slices per run of allowed rows
        (a language block) were tried and dropped: erratic, often slower than
        the full product on this machine.
        The BLAS keeps its threads: one thread was faster on an idle machine
        (p95 7 against 16 ms for 52,712 × 512) but twice slower with other
        work on both cores (p50 47 against 28 ms), the case that sets a p95.
        """
        query = np.ascontiguousarray(query, dtype=np.float32)
        if allowed is None or not len(self.docs):
            sims = self.matrix @ query
            best = np.maximum.reduceat(sims, self.segment) if len(sims) else sims
            return best if allowed is None else best[allowed]
        chosen = np.flatnonzero(allowed)
        if not len(chosen):
            return np.zeros(0, np.float32)
        bounds = np.append(self.segment, len(self.docs))
        counts = (bounds[1:] - bounds[:-1])[chosen]
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        rows = int(counts.sum())
        if rows * GATHER_FRACTION <= len(self.docs):
            take = np.repeat(bounds[chosen] - offsets, counts) + np.arange(rows)
            sims = self.matrix[take] @ query
        else:
            return self.best(query)[allowed]
        return np.maximum.reduceat(sims, offsets)

    def passage(self, docnum: int, query: npt.NDArray[np.float32]) -> tuple[int, int] | None:
        """The body span of ``docnum``'s passage closest to ``query``."""
        at = int(np.searchsorted(self.unique, docnum))
        if at >= len(self.unique) or self.unique[at] != docnum:
            return None
        low = int(self.segment[at])
        high = int(self.segment[at + 1]) if at + 1 < len(self.segment) else len(self.docs)
        row = low + int(np.argmax(self.matrix[low:high] @ query))
        return int(self.starts[row]), int(self.ends[row])


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
    unique, segment = np.unique(doc_arr, return_index=True)
    matrix = loaded.matrix[take] if len(take) else np.zeros((0, 0), np.float32)
    return DenseIndex(
        np.ascontiguousarray(matrix),
        doc_arr,
        loaded.starts[take],
        loaded.ends[take],
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
    sources), called on the best candidates only.
    """
    depth = DEPTH if depth is None else depth
    best = index.best(query, allowed)
    docs = index.unique if allowed is None else index.unique[allowed]
    if not len(docs):
        return docs, best
    chosen: list[int] = []
    wide = depth * 4  # the best few hundred first: a full sort of 30,000 cosines costs ~8 ms
    if len(best) > wide:
        head = np.argpartition(-best, wide)[:wide]
        order = head[np.argsort(-best[head], kind="stable")]
    else:
        order = np.argsort(-best, kind="stable")
    for at in order.tolist():
        if keep is None or keep(int(docs[at])):
            chosen.append(at)
            if len(chosen) >= depth:
                break
    if len(chosen) < depth and len(order) < len(best):  # the filter refused most: all of them
        chosen = []
        for at in np.argsort(-best, kind="stable").tolist():
            if keep is None or keep(int(docs[at])):
                chosen.append(at)
                if len(chosen) >= depth:
                    break
    picked = np.asarray(sorted(chosen, key=lambda a: int(docs[a])), dtype=np.int64)
    return docs[picked], best[picked]


#: Characters of a passage shown as the snippet of a document found by meaning.
SNIPPET_CHARS: Final = 300


def passage_fragment(body: str, start: int, end: int) -> Fragment:
    """The closest passage as a snippet: its first sentences, cut at a word, nothing marked."""
    text = body[start:end].strip()
    if len(text) > SNIPPET_CHARS:
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        text = text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS].rstrip() + " …"
    return Fragment(html=html.escape(text, quote=False), text=text, matches=())
