"""Oracle: search.postings_read reads every term's postings as Whoosh's matcher does.

On a real index built and updated by Fihris (several segments, deleted documents,
terms inlined, one block, many blocks, compressed and raw blocks), every term of
the text fields is read both ways: the same document numbers, weights and
encoded positions, in the same order.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index import IndexStore, build_index, update_index
from search.postings_read import read_term

FIELDS = ("body", "title")


def _corpus(folder: Path, count: int, start: int = 0) -> None:
    rng = random.Random(start)
    words = ["marché", "politique", "rabat", "eau", "santé", "pluie", "école", "route"]
    arabic = ["الرباط", "المغرب", "الماء", "الصحة", "المدرسة", "الطريق"]
    lines = []
    for n in range(start, start + count):
        lang = "ar" if n % 3 == 0 else "fr"
        pool = arabic if lang == "ar" else words
        # "commun" / "مشترك" in every document: a term of several blocks (128 postings each)
        common = "مشترك" if lang == "ar" else "commun"
        body = " ".join([common, *rng.choices(pool, k=rng.randint(3, 40)), f"mot{n % 11}"])
        title = f"{common} {rng.choice(pool)}"
        date = f"2024-01-{1 + n % 28:02d}"
        doc = {"id": f"d{n}", "lang": lang, "title": title, "text": body, "date": date}
        lines.append(json.dumps(doc, ensure_ascii=False))
    (folder / f"part{start}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")


@pytest.fixture(scope="module")
def segments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Any]]:
    root = tmp_path_factory.mktemp("postings")
    corpus = root / "corpus"
    corpus.mkdir()
    _corpus(corpus, 700)
    build_index(corpus, root / "index", prepare=None)
    _corpus(corpus, 300, start=700)  # a second segment
    lines = (corpus / "part0.jsonl").read_text("utf-8").splitlines()
    (corpus / "part0.jsonl").write_text("\n".join(lines[::2]) + "\n", "utf-8")  # deletions
    update_index(corpus, root / "index", prepare=None)
    index, _ = IndexStore(root / "index").open()
    with index.reader() as reader:
        leaves = [sub for sub, _ in reader.leaf_readers()]
        yield leaves


def _whoosh(sub: Any, field: str, btext: bytes) -> tuple[list[int], list[float], list[Any]]:
    matcher = sub.postings(field, btext)  # filters deleted documents
    ids, ws, vs = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        ws.append(matcher.weight())
        vs.append(matcher.value())
        matcher.next()
    return ids, ws, vs


def test_the_index_has_what_the_oracle_must_cover(segments: list[Any]) -> None:
    assert len(segments) >= 2
    assert any(sub.has_deletions() for sub in segments)
    first = segments[0]
    info = first._terms.term_info("body", b"commun")
    assert not info.is_inlined() and first.doc_frequency("body", "commun") > 3 * 128


@pytest.mark.parametrize("field", FIELDS)
def test_every_term_reads_as_whooshs_matcher(segments: list[Any], field: str) -> None:
    checked = 0
    for sub in segments:
        for btext in sub.lexicon(field):
            found = read_term(sub, field, btext, values=True)
            assert found is not None, btext
            ids, ws, vs = found
            w_ids, w_ws, w_vs = _whoosh(sub, field, btext)
            assert ids.tolist() == w_ids, btext
            assert ws.tolist() == pytest.approx(w_ws, abs=0), btext
            assert vs == w_vs, btext
            without = read_term(sub, field, btext, values=False)
            assert without is not None and without[2] is None
            checked += 1
    assert checked > 20
