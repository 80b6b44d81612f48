"""The dense stage alone: the int8 scan, a block at a time, against the float32 full scan.

Why a separate timing: this times the stage without the rest of a search, on a
synthetic :class:`~search.dense.DenseIndex` of the benchmark's shape (30,400
documents, 52,712 passages of 512 dimensions) for three masks: the baseline
(every row as float32 in memory, the full product with OpenBLAS's threads, the
per-document max, the mask after: what the search did before) and
:func:`search.dense.top_by_meaning` (int8 rows, one BLAS thread) alternating in
the same run. ``top20_overlap``: the share of the baseline's top 20 found (1.0:
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


def main(rounds: int = 100) -> dict[str, Any]:
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
            "baseline": partial(_baseline, index, matrix, query, mask),
            "int8_scan": partial(top_by_meaning, index, query, mask, None),
        }
        want = set(_baseline(index, matrix, query, mask).tolist())
        got = set(top_by_meaning(index, query, mask, None)[0].tolist())
        times: dict[str, list[float]] = {k: [] for k in ways}
        for _ in range(rounds):
            for way, run in ways.items():  # alternating
                t0 = time.perf_counter()
                run()
                times[way].append((time.perf_counter() - t0) * 1000)
        row: dict[str, Any] = {"top20_overlap": round(len(want & got) / len(want), 2)}
        for way, ms in times.items():
            ms.sort()
            row[way] = {
                "p50_ms": round(ms[len(ms) // 2], 2),
                "p95_ms": round(ms[int(len(ms) * 0.95)], 2),
            }
        row["p95_int8_over_baseline"] = round(
            row["int8_scan"]["p95_ms"] / row["baseline"]["p95_ms"], 2
        )
        out[name] = row
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100), indent=1))
