"""``fihris eval ranking``: known-item ranking of queries exactly as people type them.

What it measures, and why this way. A user pastes a headline or a lead sentence
and expects its article near the top. So each query (:mod:`lab.known_items`)
is sent **verbatim** — no rewriting, no OR inserted, no words dropped — through
the public :meth:`search.SearchEngine.search` with a :class:`SearchRequest` whose
only settings are the ones the protocol needs: ``lang`` = the target language,
``size`` = 100 (the rank cutoff: a known item beyond it counts 0) and
``snippets`` off (snippets are built after ranking and never change it).
Cross-language search stays on, as by default. Each query runs once per row:

- ``strict``  — ``match="all"``: every word required (the conjunction the
  engine applied to every query before best-match semantics), words only;
- ``bm25-or`` — ``match="any"``: plain BM25F with the words joined by OR, over
  the same analysis, words only;
- ``default`` — no ``match`` argument: whatever the product does by default
  (``hybrid`` when the sentence encoder is installed and the set embedded);
- ``lexical``, ``semantic``, ``hybrid`` — ``mode=`` each way of ranking
  (:mod:`search.dense`): words only, meaning only, the two fused. A set of at
  most :data:`SEMANTIC_MAX_DOCS` documents is embedded for them (FLORES, TICO;
  SaudiNewsNet with ``--limit``); a larger one, or no encoder, runs them as
  words only, and the report's ``embedded`` says how many documents had vectors.

The engine runs over a throw-away index of the set's documents, built by the
project's own :func:`index.build_index` (:class:`lab.engine_eval.EngineRetriever`,
documents without titles). FLORES and TICO use a lexicon built without the
dataset (leave-one-dataset-out, as ``fihris eval clir``); SaudiNewsNet, never
lexicon training data, the committed one.

Metrics per set, direction, row and half (tune / test, :func:`lab.known_items.half`):
MRR, R@1, R@10, the number of queries, how many the engine refused (a query
with nothing searchable counts as not found) and how many hit the engine's
time limit. The FLORES test half also gives cross-language ÷ same-language MRR
(FR→AR ÷ AR→AR and AR→FR ÷ FR→FR: the same target documents, the query's
human translation as the monolingual baseline; "both": the two cross-language
MRRs summed over the two same-language ones; ``null`` / n/a when the baseline
found nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lab.engine_eval import EngineRetriever
from lab.known_items import SETS, KnownItem, KnownItemSet, load_set
from lab.lexicon_build import DEFAULT_DATA, build_lexicon
from search.errors import SearchError
from search.models import MAX_SIZE, SearchRequest
from search.translate.lexicon import Lexicon

#: Row name → the SearchRequest arguments that make it (the default row adds none).
ROWS: Final[Mapping[str, Mapping[str, Any]]] = {
    "strict": {"match": "all", "mode": "lexical"},
    "bm25-or": {"match": "any", "mode": "lexical"},
    "default": {},
    "lexical": {"mode": "lexical"},
    "semantic": {"mode": "semantic"},
    "hybrid": {"mode": "hybrid"},
}
#: Sets up to this size get their passage vectors (30,100 articles would take an hour).
SEMANTIC_MAX_DOCS: Final = 5000
HALVES: Final = ("tune", "test")
CUTOFF: Final = MAX_SIZE
STOPPED: Final = "the search was stopped"  # the engine's note when its time limit is hit


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where the known item came (``None``: not in the first ``CUTOFF``), and how the run went."""

    rank: int | None
    refused: bool = False
    timed_out: bool = False


#: Runs one request, returns the outcome for ``target``.
Search = Callable[[SearchRequest, str], Outcome]


def request_for(item: KnownItem, row: str) -> SearchRequest:
    """The request of ``item`` in ``row``: the query as typed, and only the protocol's settings."""
    return SearchRequest(
        q=item.query, lang=item.target_lang, size=CUTOFF, snippets=False, **ROWS[row]
    )


def engine_search(retriever: EngineRetriever) -> Search:
    """``Search`` through the engine's public ``search``."""

    def run(request: SearchRequest, target: str) -> Outcome:
        try:
            results = retriever.engine.search(request)
        except SearchError:  # nothing searchable in the query: the user gets a message
            return Outcome(None, refused=True)
        ids = [hit.id for hit in results.hits]
        stopped = any(note.startswith(STOPPED) for note in results.interpretation.notes)
        return Outcome(ids.index(target) + 1 if target in ids else None, timed_out=stopped)

    return run


def metrics(outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    """MRR, R@1, R@10 over ``outcomes`` (a miss counts 0), with the counts behind them."""
    n = len(outcomes)
    ranks = [o.rank for o in outcomes]
    return {
        "queries": n,
        "mrr": sum(1.0 / r for r in ranks if r) / n if n else 0.0,
        "r@1": sum(1 for r in ranks if r == 1) / n if n else 0.0,
        "r@10": sum(1 for r in ranks if r and r <= 10) / n if n else 0.0,
        "refused": sum(o.refused for o in outcomes),
        "timed_out": sum(o.timed_out for o in outcomes),
    }


def run_set(items: Sequence[KnownItem], search: Search) -> dict[str, Any]:
    """Every item in every row; metrics by direction → row → half."""
    outcomes: dict[tuple[str, str, str], list[Outcome]] = {}
    for item in items:
        for row in ROWS:
            outcome = search(request_for(item, row), item.target)
            outcomes.setdefault((item.direction, row, item.half), []).append(outcome)
    directions = list(dict.fromkeys(item.direction for item in items))
    return {
        direction: {
            row: {h: metrics(outcomes.get((direction, row, h), [])) for h in HALVES} for row in ROWS
        }
        for direction in directions
    }


def _ratio(top: float, bottom: float) -> float | None:
    """``top / bottom``; ``None`` when the baseline found nothing (no ratio to speak of)."""
    return top / bottom if bottom else None


def cross_over_same(results: Mapping[str, Any], half: str = "test") -> dict[str, Any]:
    """Cross-language ÷ same-language MRR per row, on one half (the same target documents)."""
    out: dict[str, Any] = {}
    for row in ROWS:
        mrr = {
            d: float(results[d][row][half]["mrr"]) for d in ("fr->fr", "ar->ar", "fr->ar", "ar->fr")
        }
        out[row] = {
            "fr->ar/ar->ar": _ratio(mrr["fr->ar"], mrr["ar->ar"]),
            "ar->fr/fr->fr": _ratio(mrr["ar->fr"], mrr["fr->fr"]),
            "cross/same": _ratio(mrr["fr->ar"] + mrr["ar->fr"], mrr["fr->fr"] + mrr["ar->ar"]),
        }
    return out


def lexicon_for(data_dir: Path, known: KnownItemSet) -> Lexicon:
    """The set's lexicon: built without the evaluated dataset when it is one of its sources."""
    if known.lexicon_excludes:
        return build_lexicon(data_dir, exclude=frozenset({known.lexicon_excludes}))
    return Lexicon.load()


def tuning_retriever(
    data_dir: Path, name: str, limit: int | None = None
) -> tuple[KnownItemSet, EngineRetriever]:
    """Set ``name`` and an embedded engine over its documents (the tuning tools' set-up).

    The lexicon is the one ``evaluate`` uses for the set (:func:`lexicon_for`);
    ``limit``: SaudiNewsNet's first articles only.
    """
    known = load_set(data_dir, name, limit)
    lexicon = lexicon_for(data_dir, known)
    targets = {i.target_lang for i in known.items if i.query_lang != i.target_lang}
    return known, EngineRetriever(known.docs, lexicon, "and", name_langs=targets, semantic=True)


def evaluate_set(
    known: KnownItemSet, lexicon: Lexicon, search: Search | None = None
) -> dict[str, Any]:
    """Index ``known``'s documents, run its items, and report (with timings)."""
    started = time.perf_counter()
    retriever: EngineRetriever | None = None
    if search is None:
        # names are matched in a target language only when queries come from the other one
        targets = {i.target_lang for i in known.items if i.query_lang != i.target_lang}
        retriever = EngineRetriever(
            known.docs,
            lexicon,
            "and",
            name_langs=targets,
            semantic=len(known.docs) <= SEMANTIC_MAX_DOCS,
        )
        search = engine_search(retriever)
    indexed = time.perf_counter()
    try:
        results = run_set(known.items, search)
    finally:
        if retriever is not None:
            retriever.close()
    report: dict[str, Any] = {
        "documents": len(known.docs),
        "embedded": retriever.embedded if retriever is not None else 0,
        "lexicon": f"built without {known.lexicon_excludes}"
        if known.lexicon_excludes
        else "committed",
        "directions": results,
        "seconds": {
            "index": round(indexed - started, 1),
            "search": round(time.perf_counter() - indexed, 1),
        },
    }
    if {"fr->fr", "ar->ar", "fr->ar", "ar->fr"} <= set(results):
        report["cross_over_same_test"] = cross_over_same(results, "test")
    return report


def evaluate(
    data_dir: Path = DEFAULT_DATA,
    sets: Sequence[str] = SETS,
    limit: int | None = None,
    lexicons: Mapping[str, Lexicon] | None = None,
) -> dict[str, Any]:
    """The whole report: every set in ``sets``; ``lexicons`` overrides a set's lexicon."""
    report: dict[str, Any] = {
        "cutoff": CUTOFF,
        "rows": {row: dict(args) for row, args in ROWS.items()},
        "split": "test if sha256(key)[0] is odd; key = article id (saudi), pair id (flores, tico)",
        "limit": limit,
        "sets": {},
    }
    for name in sets:
        started = time.perf_counter()
        known = load_set(data_dir, name, limit)
        lexicon = lexicons[name] if lexicons and name in lexicons else lexicon_for(data_dir, known)
        lexicon_s = time.perf_counter() - started
        result = evaluate_set(known, lexicon)
        result["seconds"]["lexicon"] = round(lexicon_s, 1)
        report["sets"][name] = result
    return report


def format_table(report: Mapping[str, Any]) -> str:
    """A readable table: one line per set, direction, row and half."""
    lines = [
        f"Known-item ranking, queries as typed (rank cutoff {report['cutoff']}; "
        f"rows: strict = match all, bm25-or = match any, default = no match argument; "
        f"lexical, semantic, hybrid = mode)",
    ]
    for name, res in report["sets"].items():
        secs = res["seconds"]
        lines.append(
            f"\n{name}: {res['documents']} documents ({res.get('embedded', 0)} with vectors), "
            f"lexicon {res['lexicon']} "
            f"(index {secs['index']}s, search {secs['search']}s)"
        )
        lines.append(
            f"  {'direction':<9} {'row':<8} {'half':<5} {'queries':>7} {'MRR':>7} "
            f"{'R@1':>7} {'R@10':>7} {'refused':>7} {'stopped':>7}"
        )
        for direction, rows in res["directions"].items():
            for row, halves in rows.items():
                for h, m in halves.items():
                    lines.append(
                        f"  {direction:<9} {row:<8} {h:<5} {m['queries']:>7} {m['mrr']:>7.3f} "
                        f"{m['r@1']:>7.3f} {m['r@10']:>7.3f} {m['refused']:>7} {m['timed_out']:>7}"
                    )
        ratios = res.get("cross_over_same_test")
        if ratios:
            lines.append("  cross-language ÷ same-language MRR, test half:")
            for row, r in ratios.items():
                shown = {k: "n/a" if v is None else f"{v:.2f}" for k, v in r.items()}
                lines.append(
                    f"    {row:<8} FR→AR÷AR→AR {shown['fr->ar/ar->ar']}   "
                    f"AR→FR÷FR→FR {shown['ar->fr/fr->fr']}   both {shown['cross/same']}"
                )
    return "\n".join(lines)


def _sets(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(names) - set(SETS)
    if unknown or not names:
        shown = ", ".join(sorted(unknown)) or "(none)"
        raise argparse.ArgumentTypeError(f"unknown set(s) {shown}: choose among {', '.join(SETS)}")
    return names


def _limit(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"--limit must be at least 1, not {value}")
    return value


def main_ranking(argv: Sequence[str] | None = None) -> int:
    """CLI body of ``fihris eval ranking``."""
    parser = argparse.ArgumentParser(
        prog="fihris eval ranking",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    parser.add_argument("--sets", type=_sets, default=list(SETS), help="saudi,flores,tico")
    parser.add_argument("--limit", type=_limit, help="SaudiNewsNet: only the first N articles")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = evaluate(args.data, args.sets, args.limit)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_table(report))
        print(f"\n({report['seconds']}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main_ranking())
