"""The dense stage alone: the int8 scan (both kernels) against the float32 full scan.

Why a separate timing: this times the stage without the rest of a search, on a
synthetic :class:`~search.dense.DenseIndex` of the benchmark's shape (30,400
documents, 52,712 passages of 512 dimensions) for three masks: the baseline
(every row as float32 in memory, the full product with OpenBLAS's threads, the
per-document max, the mask after: what the search did before) and
:func:`search.dense.top_by_meaning` (int8 rows) with each kernel of
:mod:`search.dense_kernel` (``int8_numpy``: a block at a time, one BLAS thread;
``int8_simsimd``: simsimd's int8 kernel, when installed) alternating in the
same run. ``top20_overlap``: the share of the baseline's top 20 found (1.0:
the same documents). ``python -m bench.dense_scan [rounds]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from index.semantic import Chunk, unit_rows
from search import dense_kernel
from search.dense import DEPTH, DenseIndex, dense_index, top_by_meaning

DOCS, ROWS, DIM = 30_400, 52_712, 512


def _index(rng: np.random.Generator) -> DenseIndex:
    cuts = np.sort(rng.choice(np.arange(1, ROWS), DOCS - 1, replace=False))
    per = np.diff(np.concatenate(([0], cuts, [ROWS])))
    docs = np.repeat(np.arange(DOCS, dtype=np.int64), per)
    matrix = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    spans = np.zeros(ROWS, np.int32)
    codes = Chunk.of([], [], matrix).codes
    factors = (1.0 / np.linalg.norm(codes.astype(np.float32), axis=1)).astype(np.float32)
    return dense_index(codes, factors, docs, spans, spans)


def _baseline(index: DenseIndex, matrix: Any, query: Any, allowed: Any) -> npt.NDArray[np.int64]:
    """Every float32 row scanned, the mask applied to the per-document maxima (the old way)."""
    best = np.maximum.reduceat(matrix @ query, index.segment)
    docs = index.unique
    if allowed is not None:
        best, docs = best[allowed], docs[allowed]
    wide = DEPTH * 4
    head = np.argpartition(-best, wide)[:wide] if len(best) > wide else np.arange(len(best))
    order = head[np.argsort(-best[head], kind="stable")][:DEPTH]
    return np.sort(docs[order])


def _with(kernel: str, index: DenseIndex, query: Any, mask: Any) -> Any:
    previous = dense_kernel.use(kernel)
    try:
        return top_by_meaning(index, query, mask, None)
    finally:
        dense_kernel.use(previous)


def main(rounds: int = 100) -> dict[str, Any]:
    kernels = ["numpy"] + (["simsimd"] if dense_kernel.KERNEL == "simsimd" else [])
    rng = np.random.default_rng(7)
    index = _index(rng)
    matrix = unit_rows(index.codes, index.factors)
    at = np.arange(DOCS)
    masks: dict[str, Any] = {
        "every language (no mask)": None,
        "one language (a block of 60% of the documents)": at < int(DOCS * 0.6),
        "a phrase search (300 scattered documents)": np.isin(at, rng.choice(DOCS, 300, False)),
    }
    out: dict[str, Any] = {}
    for name, mask in masks.items():
        query = matrix[int(rng.integers(ROWS))]
        ways: dict[str, Callable[[], object]] = {
            "baseline": partial(_baseline, index, matrix, query, mask)
        }
        want = set(_baseline(index, matrix, query, mask).tolist())
        row: dict[str, Any] = {}
        for name_ in kernels:
            ways[f"int8_{name_}"] = partial(_with, name_, index, query, mask)
            got = set(_with(name_, index, query, mask)[0].tolist())
            row[f"top20_overlap_{name_}"] = round(len(want & got) / len(want), 2)
        times: dict[str, list[float]] = {k: [] for k in ways}
        for _ in range(rounds):
            for way, run in ways.items():  # alternating
                t0 = time.perf_counter()
                run()
                times[way].append((time.perf_counter() - t0) * 1000)
        for way, ms in times.items():
            ms.sort()
            row[way] = {
                "p50_ms": round(ms[len(ms) // 2], 2),
                "p95_ms": round(ms[int(len(ms) * 0.95)], 2),
            }
        for name_ in kernels:
            row[f"p95_int8_{name_}_over_baseline"] = round(
                row[f"int8_{name_}"]["p95_ms"] / row["baseline"]["p95_ms"], 2
            )
        out[name] = row
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100), indent=1))
