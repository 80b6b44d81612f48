"""Known-item sets for ``fihris eval ranking``: a query as typed, and its one document.

Sets, read in place from ``../shared/data`` (never copied into the repository):

- ``saudi`` — SaudiNewsNet (Arabic news, CC BY-NC-SA: non-commercial, read in
  place): an article's **title** is the query, its **body** the known item. The
  body is indexed without the title, so the query is never found verbatim. The
  collection is the articles themselves (30,100; ``limit`` keeps the first N,
  in file order). Articles without a title are not queries (they stay in the
  collection as distractors).
- ``flores`` / ``tico`` — FLORES-200 devtest and TICO-19 test, French/Arabic
  document pairs: a document's **lead (first) sentence** is the query, **the
  rest of the document** the indexed text (:func:`lab.clir_eval.load_docs`,
  "rest" protocol). Four directions: FR→FR and AR→AR find the query's own
  document; FR→AR and AR→FR find its counterpart in the other language.

Not a set: ``newstest-fr`` has no headlines (lines grouped 15 at a time into
pseudo-documents that can span two articles), so "headline → its article" and
even "lead sentence → the rest of its article" have no reliable answer there.

The split (why and how). Anything tuned on these sets must be judged on items
it was not tuned on, so every item falls in one of two fixed halves:
``test`` when the first byte of SHA-256(key) is odd, ``tune`` otherwise, where
the key is the article id (``saudi``) or the **pair id** (``flores``, ``tico``),
so the four queries of one pair, in every direction, share a half and the
cross-language ÷ same-language ratio compares the same stories. The rule
depends on nothing but the key: the same item is in the same half on every
machine, with any ``limit``, whatever the other items are.
"""

from __future__ import annotations

import hashlib
import json
import lzma
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from lab.clir_eval import DATASETS, Doc, load_docs

Half = Literal["tune", "test"]
SETS: Final = ("saudi", "flores", "tico")
SAUDI: Final = Path("saudinewsnet-ar") / "docs.ar.jsonl.xz"
#: Query language → target language, in report order.
PARALLEL_DIRECTIONS: Final = (("fr", "fr"), ("ar", "ar"), ("fr", "ar"), ("ar", "fr"))


def half(key: str) -> Half:
    """The fixed half of the item with this key (see the module doc)."""
    return "test" if hashlib.sha256(key.encode("utf-8")).digest()[0] & 1 else "tune"


@dataclass(frozen=True, slots=True)
class KnownItem:
    """One query as typed, the id of the only document that answers it, and its split key."""

    key: str
    query: str
    query_lang: str
    target: str
    target_lang: str

    @property
    def half(self) -> Half:
        return half(self.key)

    @property
    def direction(self) -> str:
        return f"{self.query_lang}->{self.target_lang}"


@dataclass(frozen=True, slots=True)
class KnownItemSet:
    """A collection to index and the known items searched in it.

    ``lexicon_excludes``: the dataset a leave-one-out lexicon must leave out
    (the set's own aligned sentences are lexicon training data), or ``None``
    when the committed lexicon never saw the set.
    """

    name: str
    docs: tuple[Doc, ...]
    items: tuple[KnownItem, ...]
    lexicon_excludes: str | None

    @property
    def langs(self) -> frozenset[str]:
        return frozenset(doc.lang for doc in self.docs)


def load_saudi(data_dir: Path, limit: int | None = None) -> KnownItemSet:
    """SaudiNewsNet: title → its own body, among the first ``limit`` articles (all: ``None``)."""
    docs: list[Doc] = []
    items: list[KnownItem] = []
    with lzma.open(data_dir / SAUDI, "rt", encoding="utf-8") as stream:
        for line in stream:
            if limit is not None and len(docs) >= limit:
                break
            row = json.loads(line)
            body, title = (row.get("text") or "").strip(), (row.get("title") or "").strip()
            if not body:
                continue
            docs.append(Doc(row["id"], row["id"], "ar", title, body))
            if title:
                items.append(KnownItem(row["id"], title, "ar", row["id"], "ar"))
    return KnownItemSet("saudi", tuple(docs), tuple(items), None)


def load_parallel(data_dir: Path, dataset: str) -> KnownItemSet:
    """FLORES or TICO: lead sentence → the rest of its document, each language and across."""
    docs = load_docs(data_dir, dataset, "rest")
    by_pair = {(doc.pair_id, doc.lang): doc for doc in docs}
    items = [
        KnownItem(doc.pair_id, doc.first, source, by_pair[doc.pair_id, target].id, target)
        for source, target in PARALLEL_DIRECTIONS
        for doc in docs
        if doc.lang == source and (doc.pair_id, target) in by_pair and doc.first.strip()
    ]
    return KnownItemSet(dataset, tuple(docs), tuple(items), dataset)


def load_set(data_dir: Path, name: str, limit: int | None = None) -> KnownItemSet:
    """The set called ``name`` (one of :data:`SETS`); ``limit`` applies to ``saudi`` only."""
    if name == "saudi":
        return load_saudi(data_dir, limit)
    if name in DATASETS:
        return load_parallel(data_dir, name)
    raise ValueError(f"unknown set {name!r}: choose among {', '.join(SETS)}")
