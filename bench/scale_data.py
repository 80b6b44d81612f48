"""Synthetic archives of any size for the scale benchmark, made from ``../shared/data``.

What a collection is (stated in the JSON of every run): ~70% Arabic, the
SaudiNewsNet articles, and ~30% French, the ``newstest-fr`` pseudo-documents and
the FLORES-200/TICO-19 French documents. A source document is used as it is the
first time; every further copy gets a new id (``<id>~r<k>``) and its sentences
shuffled (seeded), so no two documents are identical and the vocabulary stays
that of real news. ``pair_id`` metadata is dropped (a copy is nobody's
translation) and undated French documents get the date of an Arabic article
drawn with the same seed, as a dated archive has: story links then work by
similarity over date windows, as in production. Written under a temporary or
``var/`` folder, never committed (SaudiNewsNet is non-commercial).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from bench import data

ARABIC_SHARE: Final = 0.7
NEWSTEST: Final = data.SHARED / "newstest-fr" / "docs.fr.jsonl.gz"
_SENTENCE: Final = re.compile(r"(?<=[.!?؟。])\s+|\n+")
SEED: Final = 18


def sources() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Arabic, French) source documents: SaudiNewsNet; newstest + FLORES/TICO French."""
    arabic = data.read_snn(None)
    french: list[dict[str, Any]] = []
    if NEWSTEST.exists():
        with gzip.open(NEWSTEST, "rt", encoding="utf-8") as stream:
            french.extend(json.loads(line) for line in stream)
    french.extend(d for d in data.read_french() if d.get("lang", "fr") == "fr")
    return arabic, french


def _copy(doc: dict[str, Any], k: int, rng: random.Random, date: str | None) -> dict[str, Any]:
    out = {key: doc[key] for key in ("id", "lang", "title", "date", "text") if key in doc}
    if not out.get("date") and date:
        out["date"] = date
    if k == 0:
        return out
    sentences = [s for s in _SENTENCE.split(doc["text"]) if s.strip()]
    rng.shuffle(sentences)
    out["id"] = f"{doc['id']}~r{k}"
    out["text"] = "\n".join(sentences)
    return out


def generate(size: int, start: int = 0, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Documents ``start`` .. ``start + size - 1`` of the endless replicated sequence.

    Document ``n`` is fixed by ``n`` and the seed alone, so the 1% an update adds
    (``start=size``) are new documents, never copies of ones already indexed.
    """
    arabic, french = sources()
    if not arabic:
        arabic = french  # without SaudiNewsNet: French only (the JSON says so)
    dates = [d["date"] for d in arabic if d.get("date")]
    for n in range(start, start + size):
        rng = random.Random(f"{seed}:{n}")
        # interleaved: every 10 documents, 7 Arabic and 3 French
        is_arabic = n % 10 < round(ARABIC_SHARE * 10)
        pool = arabic if is_arabic else french
        index = (n // 10) * (7 if is_arabic else 3) + (n % 10 if is_arabic else n % 10 - 7)
        doc = pool[index % len(pool)]
        date = rng.choice(dates) if dates else None
        yield _copy(doc, index // len(pool), rng, date)


def write(size: int, path: Path, start: int = 0) -> int:
    """Write documents ``start`` .. ``start + size - 1`` as one JSON Lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for doc in generate(size, start):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            count += 1
    return count


DESCRIPTION: Final = (
    "~70% Arabic (SaudiNewsNet articles) and ~30% French (newstest-fr pseudo-documents, "
    "FLORES-200 and TICO-19 French documents), replicated: each further copy of a source "
    "document has a new id and its sentences shuffled (seeded); pair_id dropped; undated "
    "French documents get a date drawn from the Arabic articles"
)
