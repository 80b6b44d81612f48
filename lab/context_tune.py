"""``python -m lab.context_tune``: choose ``search.translate.context.BETA`` on the tuning halves.

Builds and embeds each set's evaluation index once (as ``fihris eval
ranking`` does), then for each BETA of the grid runs the cross-language items
of the **tuning half** through the public search, ``lexical`` and ``hybrid``
rows, and prints their MRR (BETA 0: the lexicon's weights as they are). The
test halves are not read here: ``fihris eval ranking`` reports them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import search.translate.context as context
from lab.lexicon_build import DEFAULT_DATA
from lab.ranking_eval import engine_search, metrics, request_for, tuning_retriever

GRID = (0.0, 5.0, 10.0, 20.0, 40.0)
ROWS = ("lexical", "hybrid")


def tune(data_dir: Path, sets: Sequence[str], grid: Sequence[float] = GRID) -> dict[str, Any]:
    table: dict[float, dict[str, float]] = {beta: {} for beta in grid}
    for name in sets:
        known, retriever = tuning_retriever(data_dir, name)
        items = [i for i in known.items if i.half == "tune" and i.query_lang != i.target_lang]
        try:
            search = engine_search(retriever)
            for beta in grid:
                context.BETA = beta  # type: ignore[misc]
                for row in ROWS:
                    by_dir: dict[str, list[Any]] = {}
                    for item in items:
                        outcome = search(request_for(item, row), item.target)
                        by_dir.setdefault(item.direction, []).append(outcome)
                    for direction, outcomes in by_dir.items():
                        table[beta][f"{name} {direction} {row}"] = float(metrics(outcomes)["mrr"])
                print(f"BETA {beta}: {table[beta]}", flush=True)
        finally:
            retriever.close()
    rows: list[dict[str, Any]] = [
        {"beta": beta, "mean": sum(cells.values()) / len(cells), "tune": cells}
        for beta, cells in table.items()
    ]
    return {"best": max(rows, key=lambda row: row["mean"]), "grid": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.context_tune", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="flores,tico")
    parser.add_argument("--json", type=Path, help="write the grid here")
    args = parser.parse_args(argv)
    report = tune(args.data, [s for s in args.sets.split(",") if s])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), "utf-8")
    print(json.dumps(report["best"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
