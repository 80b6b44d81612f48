"""The dense stage alone: the allowed rows scanned against every row scanned, then masked.

Why a separate timing: the query mix of ``bench.semantic`` is mostly searches of
every language, where both ways read every row; this one times the stage on a
synthetic :class:`~search.dense.DenseIndex` of the benchmark's shape (30,400
documents, 52,712 passages of 512 float32) for three masks, the baseline (the
full product, the per-document max, the mask after: what the search did
before) and :func:`search.dense.top_by_meaning` alternating in the same run,
and checks that both pick the same documents. ``python -m bench.dense_scan [rounds]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from search.dense import DEPTH, DenseIndex, top_by_meaning

DOCS, ROWS, DIM = 30_400, 52_712, 512


def _index(rng: np.random.Generator) -> DenseIndex:
    cuts = np.sort(rng.choice(np.arange(1, ROWS), DOCS - 1, replace=False))
    per = np.diff(np.concatenate(([0], cuts, [ROWS])))
    docs = np.repeat(np.arange(DOCS, dtype=np.int64), per)
    matrix = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    unique, segment = np.unique(docs, return_index=True)
    spans = np.zeros(ROWS, np.int32)
    return DenseIndex(matrix, docs, spans, spans, segment.astype(np.int64), unique, DOCS)


def _baseline(index: DenseIndex, query: Any, allowed: Any) -> npt.NDArray[np.int64]:
    """Every row scanned, the mask applied to the per-document maxima (the old way)."""
    best = np.maximum.reduceat(index.matrix @ query, index.segment)
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
    at = np.arange(DOCS)
    masks: dict[str, Any] = {
        "every language (no mask)": None,
        "one language (a block of 60% of the documents)": at < int(DOCS * 0.6),
        "a phrase search (300 scattered documents)": np.isin(at, rng.choice(DOCS, 300, False)),
    }
    out: dict[str, Any] = {}
    for name, mask in masks.items():
        query = index.matrix[int(rng.integers(ROWS))]
        ways: dict[str, Callable[[], object]] = {
            "baseline": lambda q=query, m=mask: _baseline(index, q, m),
            "masked_scan": lambda q=query, m=mask: top_by_meaning(index, q, m, None),
        }
        same = (
            _baseline(index, query, mask).tolist()
            == top_by_meaning(index, query, mask, None)[0].tolist()
        )
        times: dict[str, list[float]] = {k: [] for k in ways}
        for _ in range(rounds):
            for way, run in ways.items():  # alternating
                t0 = time.perf_counter()
                run()
                times[way].append((time.perf_counter() - t0) * 1000)
        row: dict[str, Any] = {"same_documents": same}
        for way, ms in times.items():
            ms.sort()
            row[way] = {
                "p50_ms": round(ms[len(ms) // 2], 2),
                "p95_ms": round(ms[int(len(ms) * 0.95)], 2),
            }
        row["p95_masked_over_baseline"] = round(
            row["masked_scan"]["p95_ms"] / row["baseline"]["p95_ms"], 2
        )
        out[name] = row
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100), indent=1))
