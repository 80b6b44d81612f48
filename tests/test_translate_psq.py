"""PSQ as a Whoosh query: same score as a Term for one translation, mixed statistics otherwise."""

from __future__ import annotations

import math

import pytest
from whoosh import fields, query
from whoosh.filedb.filestore import RamStorage
from whoosh.index import Index

from index.analysis import term_analyzer
from search.translate.psq import PSQTerm, psq_query

DOCS = {
    "0": "le chat noir mange",
    "1": "chien chien chat",
    "2": "oiseau vole",
    "3": "le chien aboie fort fort",
    "4": "chat chien oiseau",
}


@pytest.fixture(scope="module")
def ix() -> Index:
    schema = fields.Schema(
        id=fields.ID(stored=True), lang=fields.ID, body=fields.TEXT(analyzer=term_analyzer())
    )
    index = RamStorage().create_index(schema)
    writer = index.writer()
    for doc_id in ("0", "1", "2", "3"):
        writer.add_document(id=doc_id, lang="fr", body=DOCS[doc_id])
    writer.commit()
    writer = index.writer()  # a second segment: per-segment matchers, global statistics
    writer.add_document(id="4", lang="ar", body=DOCS["4"])
    writer.commit(merge=False)
    return index


def test_single_translation_scores_like_a_term(ix: Index) -> None:
    with ix.searcher() as s:
        plain = {h["id"]: h.score for h in s.search(query.Term("body", "chat"))}
        psq = {h["id"]: h.score for h in s.search(PSQTerm("body", [("chat", 1.0)]))}
    assert plain.keys() == psq.keys() == {"0", "1", "4"}
    for doc_id, value in plain.items():
        assert math.isclose(value, psq[doc_id])


def test_translations_count_as_one_query_term(ix: Index) -> None:
    # A flat OR adds both terms' scores for doc 4 (it has chat AND chien);
    # PSQ mixes them into one term, so its score stays below the flat sum.
    with ix.searcher() as s:
        flat = {
            h["id"]: h.score
            for h in s.search(query.Or([query.Term("body", "chat"), query.Term("body", "chien")]))
        }
        psq = {h["id"]: h.score for h in s.search(PSQTerm("body", [("chat", 0.5), ("chien", 0.5)]))}
    assert set(psq) == set(flat) == {"0", "1", "3", "4"}
    assert psq["4"] < flat["4"]


CAT_OR_DOG = PSQTerm("body", [("chat", 0.7), ("chien", 0.3)])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # inside Or, with a plain term: union of both
        (
            query.Or([CAT_OR_DOG, query.Term("body", "oiseau")]),
            {"0", "1", "2", "3", "4"},
        ),
        # inside And: only documents with a translation AND the other term
        (
            query.And([CAT_OR_DOG, query.Term("body", "oiseau")]),
            {"4"},
        ),
        # a translation absent from the index is harmless
        (PSQTerm("body", [("absent", 0.9), ("oiseau", 0.1)]), {"2", "4"}),
        # nothing at all matches nothing
        (PSQTerm("body", [("absent", 1.0)]), set()),
    ],
)
def test_composes_with_whoosh_queries(ix: Index, q: query.Query, expected: set[str]) -> None:
    with ix.searcher() as s:
        assert {h["id"] for h in s.search(q, limit=None)} == expected


def test_filter_and_matched_terms(ix: Index) -> None:
    q = PSQTerm("body", [("chat", 0.6), ("chien", 0.4)])
    assert q.all_terms() == {("body", "chat"), ("body", "chien")}
    with ix.searcher() as s:
        hits = s.search(q, terms=True, filter=query.Term("lang", "ar"))
        assert [h["id"] for h in hits] == ["4"]
        assert set(hits[0].matched_terms()) == {("body", b"chat"), ("body", b"chien")}


def test_psq_query_skips_empty_groups() -> None:
    assert psq_query("body", [[], []]) is query.NullQuery
    assert psq_query("body", [[("a", 1.0)], []]) == PSQTerm("body", [("a", 1.0)])
