"""``fihris eval ranking`` (lab/): the split, the known-item sets, and exact metrics.

The collections are written here in the shared data's formats, small enough to
index in a second; the real sets live in ``../shared/data`` and are never copied.
"""

from __future__ import annotations

import gzip
import json
import lzma
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from index import analyze_word
from lab.clir_eval import Doc
from lab.known_items import KnownItem, KnownItemSet, half, load_parallel, load_saudi
from lab.ranking_eval import ROWS, Outcome, evaluate_set
from search.models import SearchRequest
from search.translate.lexicon import Lexicon
from web.cli import main

CITIES = (
    "الرباط",
    "القاهرة",
    "بغداد",
    "دمشق",
    "بيروت",
    "الخرطوم",
    "صنعاء",
    "الرياض",
    "مسقط",
    "الدوحة",
    "نواكشوط",
    "طرابلس",
)
ABSENT = ("طوكيو", "باريس", "لندن", "موسكو", "مدريد")


def _saudi_articles() -> tuple[list[dict[str, Any]], dict[str, int | None]]:
    """Twenty articles and the rank each titled one must get (``None``: not found)."""
    rows: list[dict[str, Any]] = []
    expected: dict[str, int | None] = {}

    def add(title: str | None, text: str, rank: int | None = None) -> None:
        doc_id = f"snn-test-{len(rows):05d}"
        rows.append({"id": doc_id, "lang": "ar", "title": title, "text": text})
        if title:
            expected[doc_id] = rank

    for city in CITIES:  # a word only its own article has: first
        add(city, f"{city} مدينة جميلة وكبيرة.", 1)
    for word in ABSENT[:4]:  # a word no article has: not found
        add(word, "خبر قصير عن الطقس اليوم.")
    add(ABSENT[4], "الميناء جديد.")  # the shorter of two articles with الميناء ...
    add("الميناء", "الميناء جديد واسع كبير حديث ومجهز بأحدث المعدات.", 2)  # ... ranks first
    add("؟؟", "سؤال بلا جواب.")  # nothing searchable: refused by the engine, not found
    add(None, "مقال بلا عنوان: يبقى في المجموعة ولا يكون سؤالا.")
    return rows, expected


def _write_saudi(folder: Path, rows: Sequence[dict[str, Any]]) -> None:
    (folder / "saudinewsnet-ar").mkdir(parents=True)
    with lzma.open(folder / "saudinewsnet-ar" / "docs.ar.jsonl.xz", "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _expected(ranks: Sequence[int | None]) -> dict[str, float | int]:
    n = len(ranks)
    return {
        "queries": n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "r@1": sum(r == 1 for r in ranks) / n,
        "r@10": sum(bool(r) and r is not None and r <= 10 for r in ranks) / n,
    }


def test_the_split_is_deterministic_disjoint_and_balanced() -> None:
    keys = [f"snn-2015-07-21-{n:05d}" for n in range(2000)]
    first = {key: half(key) for key in keys}
    assert first == {key: half(key) for key in reversed(keys)}  # order does not matter
    tune = {k for k, h in first.items() if h == "tune"}
    test = {k for k, h in first.items() if h == "test"}
    assert tune.isdisjoint(test) and tune | test == set(keys)
    assert 0.45 < len(test) / len(keys) < 0.55
    # pinned: the rule is sha256(key)[0] odd → test; changing it moves every item
    keys = ["flores-dt-0000", "flores-dt-0001", "flores-dt-0002", "snn-2015-07-21-00000"]
    assert [half(k) for k in keys] == ["test", "tune", "test", "tune"]


#: Rows ranked by words only (the others use the sentence encoder when it is installed).
LEXICAL_ROWS = ("strict", "bm25-or", "lexical")


def test_ranking_on_a_small_collection_gives_exact_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, expected = _saudi_articles()
    _write_saudi(tmp_path, rows)
    halves = {doc_id: half(doc_id) for doc_id in expected}
    assert set(halves.values()) == {"tune", "test"}, "the fixture must fill both halves"

    code = main(["eval", "ranking", "--data", str(tmp_path), "--sets", "saudi", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    result = report["sets"]["saudi"]
    assert result["documents"] == len(rows)
    assert list(result["directions"]) == ["ar->ar"]
    by_row = result["directions"]["ar->ar"]
    assert list(by_row) == list(ROWS)
    for h in ("tune", "test"):
        want = _expected([rank for doc_id, rank in expected.items() if halves[doc_id] == h])
        for row in ROWS:
            got = by_row[row][h]
            assert got["queries"] == want["queries"]
            if row not in LEXICAL_ROWS:
                continue  # meaning ranks differently (test_dense checks it)
            # one-word queries: every matching rule ranks them the same
            assert got["mrr"] == pytest.approx(want["mrr"])
            assert got["r@1"] == pytest.approx(want["r@1"])
            assert got["r@10"] == pytest.approx(want["r@10"])
    refused = sum(by_row["default"][h]["refused"] for h in ("tune", "test"))
    assert refused == 1  # "؟؟"
    overall = _expected(list(expected.values()))
    assert overall["queries"] == 19 and overall["mrr"] == pytest.approx((12 + 0.5) / 19)


def test_the_harness_sends_the_query_exactly_as_typed() -> None:
    typed = "« Faisons de la protection de nos enfants notre priorité » , dit-il"
    item = KnownItem("k1", typed, "fr", "doc-ar", "ar")
    known = KnownItemSet("t", (Doc("doc-ar", "k1", "ar", "", "نص"),), (item,), None)
    seen: list[SearchRequest] = []

    def record(request: SearchRequest, target: str) -> Outcome:
        seen.append(request)
        return Outcome(3 if request.match == "any" else None)

    report = evaluate_set(known, Lexicon.from_rows([]), search=record)
    assert [r.q for r in seen] == [typed] * len(ROWS)
    assert {r.lang for r in seen} == {"ar"}
    default = SearchRequest(q="x")
    assert [r.match for r in seen] == ["all", "any", *[default.match] * 4]
    # the rows by ranking mode; the default row leaves the mode to the product
    assert [r.mode for r in seen] == ["lexical", "lexical", None, "lexical", "semantic", "hybrid"]
    for request in seen:  # nothing else departs from the defaults but the protocol's cutoff
        assert (request.cross, request.sort, request.page) == (
            default.cross,
            default.sort,
            default.page,
        )
        assert request.size == 100 and request.exclude_translations == ()
    rows = report["directions"]["fr->ar"]
    assert rows["bm25-or"][half("k1")]["mrr"] == pytest.approx(1 / 3)
    assert rows["strict"][half("k1")]["mrr"] == 0.0


def test_parallel_sets_query_the_lead_sentence_and_keep_a_pair_in_one_half(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "flores200-devtest-fr-ar"
    folder.mkdir()
    texts = {
        "fr": ["Le port ouvre.\nIl est grand.", "La pluie tombe.\nLes routes sont fermées."],
        "ar": ["الميناء يفتح.\nإنه كبير.", "المطر يسقط.\nالطرق مغلقة."],
    }
    for lang, docs in texts.items():
        with gzip.open(folder / f"docs.{lang}.jsonl.gz", "wt", encoding="utf-8") as out:
            for n, text in enumerate(docs):
                row = {"id": f"p{n}-{lang}", "pair_id": f"p{n}", "lang": lang, "text": text}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    known = load_parallel(tmp_path, "flores")
    assert known.lexicon_excludes == "flores"
    assert [d.body for d in known.docs if d.id == "p0-fr"] == ["Il est grand."]
    got = {(i.direction, i.query, i.target) for i in known.items}
    assert ("fr->ar", "Le port ouvre.", "p0-ar") in got
    assert ("ar->fr", "المطر يسقط.", "p1-fr") in got
    assert ("ar->ar", "الميناء يفتح.", "p0-ar") in got
    assert len(got) == 8
    for pair in ("p0", "p1"):
        assert {i.half for i in known.items if i.key == pair} == {half(pair)}


def test_saudi_limit_and_untitled_articles(tmp_path: Path) -> None:
    rows, expected = _saudi_articles()
    _write_saudi(tmp_path, rows)
    assert len(load_saudi(tmp_path).items) == len(expected)  # the untitled one is no query
    limited = load_saudi(tmp_path, limit=5)
    assert [d.id for d in limited.docs] == [r["id"] for r in rows[:5]]
    assert [i.query for i in limited.items] == list(CITIES[:5])
    # the body is the article's text alone: the title is the query, never indexed
    assert [d.body for d in limited.docs] == [r["text"] for r in rows[:5]]


def test_eval_clir_reports_each_ranking_by_half(tmp_path: Path) -> None:
    """``fihris eval clir`` rows per ranking mode, through the real engine, split like ranking's."""
    from lab.clir_eval import evaluate
    from lab.engine_eval import EngineRetriever

    folder = tmp_path / "flores200-devtest-fr-ar"
    folder.mkdir()
    texts = {
        "fr": [
            "Le port ouvre ses quais.\nLe port de Tanger accueille des navires.",
            "La pluie tombe sur la ville.\nLes routes sont fermées par la pluie.",
            "Le ministre visite l'école.\nLes élèves accueillent le ministre.",
        ],
        "ar": [
            "الميناء يفتح أرصفته.\nميناء طنجة يستقبل السفن.",
            "المطر يسقط على المدينة.\nالطرق مغلقة بسبب المطر.",
            "الوزير يزور المدرسة.\nالتلاميذ يستقبلون الوزير.",
        ],
    }
    for lang, docs in texts.items():
        with gzip.open(folder / f"docs.{lang}.jsonl.gz", "wt", encoding="utf-8") as out:
            for n, text in enumerate(docs):
                row = {"id": f"p{n}-{lang}", "pair_id": f"p{n}", "lang": lang, "text": text}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    pairs = [("port", "ميناء"), ("pluie", "مطر"), ("ministre", "وزير")]
    rows = []
    for fr, ar in pairs:  # keyed by the analysed terms, as the lexicon is
        fr_term, ar_term = analyze_word(fr).term, analyze_word(ar).term
        rows += [("fr", fr_term, ar_term, 1.0, "glossary", ar)]
        rows += [("ar", ar_term, fr_term, 1.0, "glossary", fr)]
    lexicon = Lexicon.from_rows(rows)
    seen: list[Any] = []

    def factory(docs: Any, lex: Lexicon) -> Any:
        retriever = EngineRetriever(docs, lex, "or")
        seen.append(retriever)
        return retriever

    report = evaluate(
        tmp_path, ["flores"], make_retriever=factory, lexicons={"flores": lexicon},
        rankings=("lexical", "hybrid"),
    )  # fmt: skip
    rankings = report["datasets"]["flores"]["rankings"]
    assert list(rankings) == ["lexical", "hybrid"]
    for rows in rankings.values():
        assert set(rows["directions"]) == {"fr->fr", "ar->ar", "fr->ar", "ar->fr"}
        for metrics in rows["directions"].values():
            # three pairs, each pair's query in the half of its pair id
            assert metrics["queries"] == 3
            assert metrics["test"]["queries"] + metrics["tune"]["queries"] == 3
            assert metrics["test"]["queries"] == sum(half(f"p{n}") == "test" for n in range(3))
        assert set(rows["ratio_cross_over_same_test"]) == {"fr->ar", "ar->fr"}
    lexical = rankings["lexical"]["directions"]
    assert lexical["fr->ar"]["mrr"] > 0.5  # the dictionary's words find their pairs
    assert seen and seen[0].mode == "hybrid"  # the last mode asked reached the engine
