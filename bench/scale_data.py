"""Synthetic archives of any size for the scale benchmark, made from ``../shared/data``.

What a collection is (stated in the JSON of every run): ~70% Arabic, the
SaudiNewsNet articles, and ~30% French, the ``newstest-fr`` pseudo-documents and
the FLORES-200/TICO-19 French documents. A source document is used as it is the
first time; every further copy gets a new id (``<id>~r<k>``) and its sentences
shuffled (seeded), so no two documents are identical and the vocabulary stays
that of real news. ``pair_id`` metadata is dropped (a copy is nobody's
translation) and undated French documents get the date of an Arabic article
drawn with the same seed, as a dated archive has: story links then work by
similarity over date windows, as in production.

Time (PERIOD_NOTE): the collection grows as an archive does, in time. SaudiNewsNet
covers 22 days; every pass over it (~43,000 documents with their French share) is
dated one span after the previous pass, so any day holds ~1,400 documents at every
size. Copies kept at their source's date (until 2026-12-08) put 100,000 documents
in the same 22 days: story links compare each document with its date window, so
their cost grew as the square of the size (86 s at 30k, 589 s at 100k), which
measured the density of the fake collection rather than the archive's size.
Written under a temporary or
``var/`` folder, never committed (SaudiNewsNet is non-commercial).
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from bench import data

ARABIC_SHARE: Final = 0.7
NEWSTEST: Final = data.SHARED / "newstest-fr" / "docs.fr.jsonl.gz"
_SENTENCE: Final = re.compile(r"(?<=[.!?؟。])\s+|\n+")
SEED: Final = 18


@functools.cache
def sources() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Arabic, French) source documents: SaudiNewsNet; newstest + FLORES/TICO French.

    Read once per process (~30,000 articles): callers never change them."""
    arabic = data.read_snn(None)
    french: list[dict[str, Any]] = []
    if NEWSTEST.exists():
        with gzip.open(NEWSTEST, "rt", encoding="utf-8") as stream:
            french.extend(json.loads(line) for line in stream)
    french.extend(d for d in data.read_french() if d.get("lang", "fr") == "fr")
    return arabic, french


def _copy(
    doc: dict[str, Any], k: int, rng: random.Random, date: str | None, days: int = 0
) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: doc[key] for key in ("id", "lang", "title", "date", "text") if key in doc
    }
    if not out.get("date") and date:
        out["date"] = date
    if days and out.get("date"):
        out["date"] = _later(str(out["date"]), days)
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
    # one pass over the Arabic sources is one period of the archive; each further
    # period is dated after the one before (see PERIOD_NOTE)
    period_docs = max(1, round(len(arabic) / ARABIC_SHARE))
    span = _span_days(dates)
    for n in range(start, start + size):
        rng = random.Random(f"{seed}:{n}")
        # interleaved: every 10 documents, 7 Arabic and 3 French
        is_arabic = n % 10 < round(ARABIC_SHARE * 10)
        pool = arabic if is_arabic else french
        index = (n // 10) * (7 if is_arabic else 3) + (n % 10 if is_arabic else n % 10 - 7)
        doc = pool[index % len(pool)]
        date = rng.choice(dates) if dates else None
        yield _copy(doc, index // len(pool), rng, date, (n // period_docs) * span)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _span_days(dates: list[str]) -> int:
    """Days from the first to the last source date, both included (0: undated)."""
    days = [d for d in map(_day, dates) if d is not None]
    return (max(days) - min(days)).days + 1 if days else 0


def _later(text: str, days: int) -> str:
    """An ISO date (or date-time) ``days`` later, the time of day kept."""
    day = _day(text)
    return text if day is None else (day + timedelta(days=days)).isoformat() + text[10:]


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
    "French documents get a date drawn from the Arabic articles; every ~43,000 documents "
    "(one pass over SaudiNewsNet's 22 days) are dated one period later, so the archive grows "
    "in time at a constant ~1,400 documents a day, as a real one does"
)
