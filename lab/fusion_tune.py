"""``python -m lab.fusion_tune``: choose the fusion's constants on the tuning halves only.

What it does: builds and embeds the evaluation index of each set once (as
``fihris eval ranking`` does), then, for each ``(K, WEIGHT, DEPTH)`` of a small
grid, sets :mod:`search.fusion`'s constants (and :mod:`search.dense`'s depth) and
runs the ``hybrid`` row of the **tuning half** through the public search. The
best configuration by mean MRR over the sets' directions is printed with its
tuning figures; test halves are not read here (``fihris eval ranking`` reports
them for the constants chosen).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import search.dense as dense
import search.fusion as fusion
import search.query_vectors as query_vectors
from lab.lexicon_build import DEFAULT_DATA
from lab.ranking_eval import (
    SEMANTIC_MAX_DOCS,
    engine_search,
    metrics,
    request_for,
    tuning_retriever,
)

#: (method, K, WEIGHT): K matters to rrf only
GRID = (
    *(("rrf", k, w) for k in (10.0, 60.0) for w in (0.5, 1.0, 2.0)),
    *(("linear", 60.0, w) for w in (0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0)),
)
GRID_DEPTH = (100,)


Run = tuple[str, Any, list[Any]]  # set name, its retriever, its tuning-half items


def _runs(data_dir: Path, sets: Sequence[str], direction: str | None = None) -> list[Run]:
    """Each set's embedded engine and tuning-half items (SaudiNewsNet: its first articles)."""
    runs: list[Run] = []
    for name in sets:
        limit = SEMANTIC_MAX_DOCS if name == "saudi" else None
        known, retriever = tuning_retriever(data_dir, name, limit)
        items = [i for i in known.items if i.half == "tune" and direction in (None, i.direction)]
        runs.append((name, retriever, items))
    return runs


def _mrr(runs: Sequence[Run], mode: str = "hybrid") -> dict[str, float]:
    """MRR per ``"<set> <direction>"`` cell through the public search in ``mode``."""
    per: dict[str, float] = {}
    for name, retriever, items in runs:
        search = engine_search(retriever)
        by_dir: dict[str, list[Any]] = {}
        for item in items:
            outcome = search(request_for(item, mode), item.target)
            by_dir.setdefault(item.direction, []).append(outcome)
        for direction, outcomes in by_dir.items():
            per[f"{name} {direction}"] = float(metrics(outcomes)["mrr"])
    return per


def _close(runs: Sequence[Run]) -> None:
    for _, retriever, _ in runs:
        retriever.close()


def tune(
    data_dir: Path, sets: Sequence[str], grid: Sequence[tuple[str, float, float]] = GRID
) -> dict[str, Any]:
    runs = _runs(data_dir, sets)
    table: list[dict[str, Any]] = []
    try:
        for (method, k, weight), depth in itertools.product(grid, GRID_DEPTH):
            fusion.METHOD, fusion.K, fusion.WEIGHT = method, k, weight  # type: ignore[misc]
            dense.DEPTH = depth  # type: ignore[misc]
            per = _mrr(runs)
            mean = sum(per.values()) / len(per)
            row = {"method": method, "k": k, "weight": weight, "depth": depth}
            table.append({**row, "mean": mean, "tune": per})
            print(f"{row}: tune mean MRR {mean:.4f} {per}", flush=True)
    finally:
        _close(runs)
    return {"best": max(table, key=lambda row: row["mean"]), "grid": table}


#: (BLEND, BLEND_TOP) of an Arabic query's French translation (search.query_vectors.meaning_vector)
BLEND_GRID = ((0.0, 2), (0.5, 1), (1.0, 1), (1.0, 2), (2.0, 1))


def tune_blend(data_dir: Path, sets: Sequence[str]) -> dict[str, Any]:
    """AR→FR MRR by meaning alone (``semantic``, where the blend applies) and ``hybrid``.

    For each blend of :data:`BLEND_GRID`, the tuning halves only; the blend is
    decided on the ``semantic`` row, ``hybrid`` shows what it would do there.
    """
    runs = _runs(data_dir, sets, "ar->fr")
    table: list[dict[str, Any]] = []
    try:
        for blend, top in BLEND_GRID:
            query_vectors.BLEND, query_vectors.BLEND_TOP = blend, top  # type: ignore[misc]
            chosen = _mrr(runs, "semantic")
            per = {f"{k} semantic": v for k, v in chosen.items()}
            per.update({f"{k} hybrid": v for k, v in _mrr(runs).items()})
            mean = sum(chosen.values()) / len(chosen)
            row = {"blend": blend, "top": top, "mean": mean, "tune": per}
            table.append(row)
            print(row, flush=True)
    finally:
        _close(runs)
    return {"best": max(table, key=lambda row: row["mean"]), "grid": table}


#: Same-language slopes of :func:`search.fusion.meaning_weights` (0: one weight for all).
SURE_GRID = (0.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0)


def tune_sure(data_dir: Path, sets: Sequence[str]) -> dict[str, Any]:
    """Hybrid MRR of the tuning halves for each slope of :data:`SURE_GRID`.

    SaudiNewsNet runs on its first :data:`lab.ranking_eval.SEMANTIC_MAX_DOCS`
    articles (embedded, as ``fihris eval ranking --limit`` does). The score of
    a slope is the mean over the sets of each set's mean MRR, so that the news
    set (one direction) weighs as much as FLORES or TICO (four each).
    """
    runs = _runs(data_dir, sets)
    table: list[dict[str, Any]] = []
    try:
        for sure in SURE_GRID:
            fusion.SURE = sure  # type: ignore[misc]
            per = _mrr(runs)
            by_set: dict[str, list[float]] = {}
            for cell, value in per.items():
                by_set.setdefault(cell.split()[0], []).append(value)
            mean = sum(sum(v) / len(v) for v in by_set.values()) / len(by_set)
            table.append({"sure": sure, "mean": mean, "tune": per})
            print(f"sure {sure}: tune mean of sets {mean:.4f} {per}", flush=True)
    finally:
        _close(runs)
    return {"best": max(table, key=lambda row: row["mean"]), "grid": table}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.fusion_tune", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="flores,tico")
    parser.add_argument("--method", choices=["rrf", "linear"], help="this method's rows only")
    parser.add_argument("--json", type=Path, help="write the grid here")
    parser.add_argument(
        "--blend", action="store_true", help="the Arabic query's French blend (AR→FR by meaning)"
    )
    parser.add_argument(
        "--sure",
        action="store_true",
        help="the same-language slope of meaning's weight (use --sets flores,tico,saudi)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    grid = [row for row in GRID if args.method in (None, row[0])]
    sets = [s for s in args.sets.split(",") if s]
    if args.sure:
        report = tune_sure(args.data, sets)
    elif args.blend:
        report = tune_blend(args.data, sets)
    else:
        report = tune(args.data, sets, grid)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), "utf-8")
    print(json.dumps(report["best"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
