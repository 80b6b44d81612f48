"""The dense (meaning) side of a search: the passages' cosines, the documents closest in meaning.

Why an exact scan: at this archive's scale (30,000 dispatches, ~60,000
passages) the cosine of the query with every passage of the target languages
is one pass over 27 MB of int8 rows, 12 to 45 ms of one core on this shared
machine under load; an approximate index (HNSW) would add a dependency, a
build step per generation and recall loss. A cheaper first pass then an
exact re-score was measured and dropped: these sentence vectors do not
compress (a 128-dimension PCA
sketch holds 82% of their energy; re-scoring its best 300 of 2,800 documents
exactly kept 98% of the true top 20, see the README).

The fusion of both rankings: :mod:`search.fusion`. Only the best
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
from search import dense_kernel as kernel
from search.models import Fragment

#: Documents by meaning that take part in a search: each one not found by the words is
#: a result more (a two-result word search shows up to DEPTH more). On the tuning halves
#: (FLORES + TICO, 8 directions, ``lab.fusion_tune`` with depths 10/20/40/100) the mean
#: hybrid MRR was 0.7709 / 0.7757 / 0.7767 / 0.7778: 20 keeps nearly all of the gain
#: with a fifth of the added results.
DEPTH: Final = 20
#: Seconds between two looks at the layer's folder for new chunks.
RECHECK_S: Final = 10.0
#: Allowed rows are gathered (then scanned) when at most 1 / GATHER_FRACTION of all rows.
GATHER_FRACTION: Final = 4
#: At most this many runs of consecutive allowed rows are scanned run by run; more: all rows.
RUNS: Final = 32


@dataclass(frozen=True)
class DenseIndex:
    """A generation's passage vectors, with each row's document number (rows grouped by doc).

    Why int8 in memory: the rows stay as stored (``codes``, 512 bytes a
    passage), a quarter of a float32 copy (27 against 108 MB at 52,712
    passages), and a scan reads them as int8 (:mod:`search.dense_kernel`). A
    row's cosine is ``(codes @ query) * factor`` (its scale and norm in one
    factor).
    """

    codes: npt.NDArray[np.int8]
    factors: npt.NDArray[np.float32]  # per row: codes @ v * factor = cosine with unit v
    docs: npt.NDArray[np.int64]  # per row, sorted
    starts: npt.NDArray[np.int32]  # per row: span of the passage in the body
    ends: npt.NDArray[np.int32]
    segment: npt.NDArray[np.int64]  # first row of each document in ``unique``
    unique: npt.NDArray[np.int64]  # the documents that have vectors, ascending
    documents: int

    def scan(
        self, query: npt.NDArray[np.float32], low: int = 0, high: int | None = None
    ) -> npt.NDArray[np.float32]:
        """The cosine of ``query`` with rows ``low:high`` (:func:`search.dense_kernel.dot`)."""
        high = len(self.codes) if high is None else high
        if high <= low:
            return np.zeros(0, np.float32)
        out = kernel.dot(self.codes[low:high], query)
        out *= self.factors[low:high]
        return out

    def best(
        self, query: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.float32]:
        """Per document of ``unique`` (of ``unique[allowed]``): the cosine of its closest passage.

        Why the mask goes in and not after: reading the rows is the cost of a
        search by meaning. When the allowed documents hold at most 1 /
        :data:`GATHER_FRACTION` of the rows (a phrase or ``+word`` search: the
        documents the words found), only their rows are gathered and scanned;
        else, when they form at most :data:`RUNS` runs of consecutive rows (a
        language's documents, indexed together), only those runs are scanned;
        else every row, the mask after.
        """
        query = np.ascontiguousarray(query, dtype=np.float32)
        if allowed is None or not len(self.docs):
            sims = self.scan(query)
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
            sims = kernel.dot(self.codes[take], query) * self.factors[take]
            return np.maximum.reduceat(sims, offsets)
        breaks = np.flatnonzero(np.diff(chosen) != 1) + 1  # runs of consecutive documents
        firsts, lasts = chosen[np.r_[0, breaks]], chosen[np.r_[breaks - 1, len(chosen) - 1]]
        if len(firsts) > RUNS:
            return self.best(query)[allowed]
        sims = np.concatenate(
            [
                self.scan(query, int(bounds[f]), int(bounds[t + 1]))
                for f, t in zip(firsts, lasts, strict=True)
            ]
        )
        return np.maximum.reduceat(sims, offsets)

    def passage(self, docnum: int, query: npt.NDArray[np.float32]) -> tuple[int, int] | None:
        """The body span of ``docnum``'s passage closest to ``query``."""
        at = int(np.searchsorted(self.unique, docnum))
        if at >= len(self.unique) or self.unique[at] != docnum:
            return None
        low = int(self.segment[at])
        high = int(self.segment[at + 1]) if at + 1 < len(self.segment) else len(self.docs)
        sims = kernel.dot(self.codes[low:high], query) * self.factors[low:high]
        row = low + int(np.argmax(sims))
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
    """A :class:`DenseIndex` of int8 rows grouped by (sorted) document number."""
    unique, segment = np.unique(docs, return_index=True)
    return DenseIndex(
        np.ascontiguousarray(codes),
        factors,
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
        self._stamp = -2  # the folder's modification time when last listed (wait)
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
        """Load now (tests, evaluations, the CLI); ``None`` if nothing is there.

        The folder is listed only when its modification time moved (a chunk is
        renamed into it when written): listing it at every search cost more
        than half a millisecond at 30,000 documents.
        """
        with self._busy:
            try:
                stamp = self.layer.stat().st_mtime_ns
            except OSError:
                stamp = -1
            if stamp != self._stamp or stamp == -1:
                files = len(chunk_files(self.layer))
                if files != self._files:
                    self._index = _index(self.layer, self._fingerprints)
                    self._files = files
                self._stamp = stamp
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
