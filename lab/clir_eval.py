"""``fihris eval clir``: known-item cross-language retrieval over FLORES-200 and TICO-19.

Protocol (and why). Each dataset gives N French/Arabic document pairs. The
query is the FIRST SENTENCE of a document; the collection holds every document
of both languages WITHOUT its first sentence ("rest" protocol), and the known
item is the pair's document in the target language. So:

- FR→AR: the French first sentence must find the Arabic counterpart;
- AR→AR: the Arabic first sentence — the human translation of the same query —
  must find the same Arabic document.

This is the classic CLIR ratio (cross-language ÷ monolingual with the query's
human translation, on the same target collection). Removing the first sentence
everywhere keeps the monolingual baseline honest: otherwise AR→AR would find
its own sentence verbatim and score ≈ 1.0 for free. ``--protocol full`` keeps
whole documents for comparison. The lexicon is built WITHOUT the evaluated
dataset (``exclude={dataset}``) and the output says so.

The retrieval is injectable (:class:`Retriever`): by default the real search
engine over a throw-away index of the collection (``--retriever engine``, see
:mod:`lab.engine_eval`), or ``--retriever psq``, a bare PSQ
retrieval over a minimal Whoosh index (the engine's translation without its
parser, fields and merging). The report also gives the precision and recall of
linked translations on the same pairs (pair ids hidden, same lexicon).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from whoosh import fields, query
from whoosh.filedb.filestore import FileStorage

from index import analyze, tokenize
from index.analysis import term_analyzer
from lab.lexicon_build import DEFAULT_DATA, build_lexicon
from search.translate.lexicon import Lexicon
from search.translate.psq import psq_query
from search.translate.translator import QueryTranslator, name_form

DATASETS: Final = {
    "flores": "flores200-devtest-fr-ar",
    "tico": "tico19-test-fr-ar",
}
DIRECTIONS: Final = (("fr", "fr"), ("ar", "ar"), ("fr", "ar"), ("ar", "fr"))
#: Ranking modes ``--rankings`` accepts (the engine's ``mode=``).
MODES: Final = ("lexical", "semantic", "hybrid")


@dataclass(frozen=True, slots=True)
class Doc:
    """One evaluation document: its query sentence and its indexed body."""

    id: str
    pair_id: str
    lang: str
    first: str
    body: str


class Retriever(Protocol):
    """Ranked document ids for a query in ``query_lang``, restricted to ``target_lang``."""

    def __call__(self, text: str, query_lang: str, target_lang: str) -> list[str]: ...


def load_docs(data_dir: Path, dataset: str, protocol: str = "rest") -> list[Doc]:
    """The dataset's French and Arabic documents, split into first sentence and body."""
    docs = []
    for lang in ("fr", "ar"):
        path = data_dir / DATASETS[dataset] / f"docs.{lang}.jsonl.gz"
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                first, _, rest = row["text"].partition("\n")
                body = rest if protocol == "rest" and rest.strip() else row["text"]
                docs.append(Doc(row["id"], row["pair_id"], lang, first, body))
    return docs


@dataclass
class PSQRetriever:
    """Our own retrieval: BM25 for same-language, PSQ over the lexicon across languages."""

    docs: Sequence[Doc]
    lexicon: Lexicon
    mode: str = "psq"  # "psq" | "flat" (flat OR of every translation, for comparison)
    vocabulary: dict[str, Counter[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            lang=fields.ID(stored=True),
            body=fields.TEXT(analyzer=term_analyzer()),
        )
        # A private directory: Whoosh's RamStorage spills columns to a temp
        # file with a fixed name, which two concurrent runs would share.
        self._tmp = tempfile.TemporaryDirectory(prefix="fihris-clir-")
        self._index = FileStorage(self._tmp.name).create_index(schema)
        writer = self._index.writer()
        for doc in self.docs:
            writer.add_document(id=doc.id, lang=doc.lang, body=doc.body)
            counts = self.vocabulary.setdefault(doc.lang, Counter())
            counts.update({name_form(doc.lang, t.term, t.exact) for t in analyze(doc.body)})
        writer.commit()
        self._translator = QueryTranslator(self.lexicon)
        self._searcher = self._index.searcher()

    def build_query(self, text: str, query_lang: str, target_lang: str) -> query.Query:
        """The Whoosh query: plain terms same-language, PSQ terms across languages."""
        if query_lang == target_lang:
            return query.Or([query.Term("body", tok.term) for tok in analyze(text)])
        words = self._translator.translate(
            tokenize(text), target_lang, self.vocabulary.get(target_lang), text
        )
        groups = [group for word in words for group in word.psq_groups()]
        if self.mode == "flat":
            return query.Or([query.Term("body", t) for g in groups for t, _ in g])
        return psq_query("body", groups)

    def __call__(self, text: str, query_lang: str, target_lang: str) -> list[str]:
        q = self.build_query(text, query_lang, target_lang)
        hits = self._searcher.search(q, limit=None, filter=query.Term("lang", target_lang))
        return [hit["id"] for hit in hits]


def score(
    docs: Sequence[Doc], retrieve: Retriever, query_lang: str, target_lang: str
) -> dict[str, Any]:
    """MRR and recall@10 of the known items for one direction, all and per half.

    The halves are those of ``fihris eval ranking`` (``lab.known_items.half``
    of the pair id): a pair's queries share one, so what is tuned on ``tune``
    is reported on ``test``.
    """
    from lab.known_items import half  # known_items reads this module's datasets

    target = {d.pair_id: d.id for d in docs if d.lang == target_lang}
    ranks: dict[str, list[int | None]] = {"tune": [], "test": []}
    for doc in docs:
        if doc.lang != query_lang or doc.pair_id not in target:
            continue
        ranked = retrieve(doc.first, query_lang, target_lang)
        found = target[doc.pair_id]
        ranks[half(doc.pair_id)].append(ranked.index(found) + 1 if found in ranked else None)
    out = _metrics(ranks["tune"] + ranks["test"])
    out.update({name: _metrics(found) for name, found in ranks.items()})
    return out


def _metrics(ranks: Sequence[int | None]) -> dict[str, Any]:
    n = len(ranks)
    return {
        "mrr": sum(1.0 / r for r in ranks if r) / max(n, 1),
        "recall@10": sum(1 for r in ranks if r and r <= 10) / max(n, 1),
        "queries": n,
    }


RetrieverFactory = Callable[[Sequence[Doc], Lexicon], Retriever]


def evaluate(
    data_dir: Path = DEFAULT_DATA,
    datasets: Sequence[str] = ("flores", "tico"),
    protocol: str = "rest",
    make_retriever: RetrieverFactory | None = None,
    lexicons: Mapping[str, Lexicon] | None = None,
    links: bool = False,
    rankings: Sequence[str] = (),
) -> dict[str, Any]:
    """Evaluate every dataset and direction; the lexicon leaves the dataset out.

    ``links``: also score linked translations (:func:`engine_eval.linking_scores`).
    ``rankings``: with the engine retriever, also each of these ranking modes
    (``lexical``, ``semantic``, ``hybrid``), under ``rankings`` in the report;
    ``directions`` holds the first.
    """
    factory = make_retriever or (lambda docs, lex: PSQRetriever(docs, lex))
    report: dict[str, Any] = {"protocol": protocol, "datasets": {}}
    for dataset in datasets:
        started = time.perf_counter()
        if lexicons and dataset in lexicons:
            lexicon = lexicons[dataset]
        else:
            lexicon = build_lexicon(data_dir, exclude=frozenset({dataset}))
        docs = load_docs(data_dir, dataset, protocol)
        retrieve = factory(docs, lexicon)
        by_ranking: dict[str, dict[str, Any]] = {}
        try:
            for ranking in rankings or (None,):
                if ranking is not None:
                    retrieve.mode = ranking  # type: ignore[attr-defined]
                by_ranking[ranking or ""] = {
                    f"{s}->{t}": score(docs, retrieve, s, t) for s, t in DIRECTIONS
                }
            results = next(iter(by_ranking.values()))
        finally:
            close = getattr(retrieve, "close", None)
            if close is not None:
                close()
        ratios = {
            "fr->ar": results["fr->ar"]["mrr"] / (results["ar->ar"]["mrr"] or 1),
            "ar->fr": results["ar->fr"]["mrr"] / (results["fr->fr"]["mrr"] or 1),
        }
        report["datasets"][dataset] = {
            "lexicon_excludes": dataset,
            "lexicon_meta": lexicon.meta,
            "pairs": results["fr->fr"]["queries"],
            "directions": results,
            "ratio_cross_over_same": ratios,
        }
        if rankings:
            report["datasets"][dataset]["rankings"] = {
                name: {"directions": rows, "ratio_cross_over_same_test": _test_ratios(rows)}
                for name, rows in by_ranking.items()
            }
        if links:
            from lab.engine_eval import linking_scores

            full = load_docs(data_dir, dataset, "full")
            report["datasets"][dataset]["linking"] = linking_scores(full, lexicon)
        report["datasets"][dataset]["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _test_ratios(rows: Mapping[str, Any]) -> dict[str, float | None]:
    """Cross-language ÷ same-language MRR on the test half (None: nothing found same-language)."""

    def ratio(cross: str, same: str) -> float | None:
        bottom = rows[same]["test"]["mrr"]
        return rows[cross]["test"]["mrr"] / bottom if bottom else None

    return {"fr->ar": ratio("fr->ar", "ar->ar"), "ar->fr": ratio("ar->fr", "fr->fr")}


def format_table(report: Mapping[str, Any]) -> str:
    """A readable table of the report."""
    retriever = report.get("retriever", "")
    lines = [f"CLIR known-item evaluation (protocol: {report['protocol']}; {retriever})"]
    for dataset, res in report["datasets"].items():
        lines.append(
            f"\n{dataset}: {res['pairs']} pairs — lexicon built WITHOUT {res['lexicon_excludes']}"
        )
        lines.append(f"  {'direction':<10}{'MRR':>8}{'R@10':>8}")
        for name, m in res["directions"].items():
            lines.append(f"  {name:<10}{m['mrr']:>8.3f}{m['recall@10']:>8.3f}")
        for name, ratio in res["ratio_cross_over_same"].items():
            same = "ar->ar" if name == "fr->ar" else "fr->fr"
            lines.append(f"  ratio {name} ÷ {same}: {ratio:.2f}")
        for ranking, rows in res.get("rankings", {}).items():
            lines.append(f"  ranking {ranking}: MRR test (tune), R@10 test")
            for name, m in rows["directions"].items():
                lines.append(
                    f"    {name:<10}{m['test']['mrr']:>7.3f} ({m['tune']['mrr']:.3f})"
                    f"{m['test']['recall@10']:>8.3f}"
                )
            shown = ", ".join(
                f"{name} {value:.2f}" if value is not None else f"{name} -"
                for name, value in rows["ratio_cross_over_same_test"].items()
            )
            lines.append(f"    cross ÷ same, test half: {shown}")
        linking = res.get("linking")
        if linking:
            lines.append(
                f"  linked translations (cosine ≥ {linking['threshold']}, pair ids hidden):"
            )
            for setting in ("closed", "open"):
                m = linking[setting]
                lines.append(
                    f"    {setting:<7}precision {m['precision']:.3f}  recall {m['recall']:.3f}"
                    f"  ({m['links']} links, {m['expected']} true pairs)"
                )
    return "\n".join(lines)


def main_eval(argv: Sequence[str] | None = None) -> int:
    """CLI body of ``fihris eval clir``."""
    parser = argparse.ArgumentParser(prog="fihris eval clir", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dataset", action="append", choices=sorted(DATASETS))
    parser.add_argument("--protocol", choices=("rest", "full"), default="rest")
    parser.add_argument(
        "--retriever",
        choices=("engine", "psq"),
        default="engine",
        help="the real search engine (default) or the bare PSQ retrieval",
    )
    parser.add_argument(
        "--query",
        choices=("or", "and"),
        default="or",
        help="engine: the sentence's units joined by OR (default) or as typed (all words)",
    )
    parser.add_argument("--mode", choices=("psq", "flat"), default="psq", help="psq retriever")
    parser.add_argument("--no-links", action="store_true", help="skip the linking evaluation")
    parser.add_argument(
        "--rankings",
        default=None,
        help="engine: ranking modes to report, e.g. lexical,semantic,hybrid (default: all "
        "three when the sentence encoder is installed, else lexical)",
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    mode, query_mode = args.mode, args.query
    factory: RetrieverFactory
    rankings: list[str] = []
    if args.retriever == "engine":
        from index.encoder import load_encoder
        from lab.engine_eval import EngineRetriever

        encoder = load_encoder() is not None
        default = "lexical,semantic,hybrid" if encoder else "lexical"
        rankings = [r for r in (args.rankings or default).split(",") if r]
        for ranking in rankings:
            if ranking not in MODES:
                parser.error(f"--rankings: {ranking!r} is not one of {', '.join(MODES)}")
        semantic = encoder and any(r != "lexical" for r in rankings)

        def factory(docs: Sequence[Doc], lex: Lexicon) -> Retriever:
            return EngineRetriever(docs, lex, query_mode, semantic=semantic)

        described = f"SearchEngine, cross on, lang = target, query units joined by {query_mode}"
    else:
        factory = lambda docs, lex: PSQRetriever(docs, lex, mode=mode)  # noqa: E731
        described = f"bare {mode} retrieval"
    report = evaluate(
        args.data,
        args.dataset or ("flores", "tico"),
        args.protocol,
        factory,
        links=not args.no_links,
        rankings=rankings,
    )
    report["retriever"] = described
    report["mode"] = mode
    print(format_table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_eval())
