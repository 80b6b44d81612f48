"""The naive Whoosh build of the scale benchmark: ``python -m bench.scale_naive FILE DIR``.

What a developer gets from the Whoosh tutorial: ``StandardAnalyzer`` on stored
``title``/``body``, one default writer (one process), one commit. The schema is the
one :mod:`bench.naive_web` searches.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer


def build(corpus: Path, where: Path) -> int:
    analyzer = StandardAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        lang=fields.ID(stored=True),
        title=fields.TEXT(stored=True, analyzer=analyzer),
        body=fields.TEXT(stored=True, analyzer=analyzer),
    )
    where.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(where), schema)
    writer = ix.writer()
    count = 0
    with corpus.open(encoding="utf-8") as stream:
        for line in stream:
            doc = json.loads(line)
            writer.add_document(
                id=str(doc["id"]),
                lang=doc.get("lang") or "",
                title=doc.get("title") or "",
                body=doc["text"],
            )
            count += 1
    writer.commit()
    return count


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
