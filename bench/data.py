"""The fixed data slice every benchmark uses, read from ``../shared/data`` when present.

SaudiNewsNet is non-commercial: it is read in place, never copied into the repository.
"""

from __future__ import annotations

import gzip
import itertools
import json
import lzma
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
SHARED: Final = ROOT.parent / "shared" / "data"
SNN: Final = SHARED / "saudinewsnet-ar" / "docs.ar.jsonl.xz"
FRENCH: Final = (
    ROOT / "corpus" / "flores200-devtest" / "docs.fr.jsonl.gz",
    ROOT / "corpus" / "tico19-test" / "docs.fr.jsonl.gz",
)


def snn_available() -> bool:
    return SNN.exists()


def read_snn(limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` SaudiNewsNet articles (all with ``None``)."""
    if not SNN.exists():
        return []
    with lzma.open(SNN, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in itertools.islice(stream, limit)]


def read_french() -> list[dict[str, Any]]:
    """Every French document of the bundled corpus (FLORES-200 + TICO-19) and the seed."""
    docs: list[dict[str, Any]] = []
    for path in FRENCH:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            docs.extend(json.loads(line) for line in stream)
    return docs


def write_corpus(docs: list[dict[str, Any]], folder: Path) -> Path:
    """Write ``docs`` as one JSON Lines file of a corpus folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "docs.jsonl").open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return folder
