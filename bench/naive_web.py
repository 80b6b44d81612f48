"""The naive Whoosh web baseline: a new searcher per request, QueryParser, default highlighter.

Served with uvicorn by ``bench.searching``; it is what a developer writes from the
Whoosh tutorial and the Litestar quick start.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from litestar import Litestar, get
from whoosh import index as whoosh_index
from whoosh.qparser import MultifieldParser

INDEX = whoosh_index.open_dir(sys.argv[1]) if __name__ == "__main__" else None


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/search", sync_to_thread=True)
def search(q: str, lang: str | None = None, sort: str | None = None) -> dict[str, Any]:
    assert INDEX is not None
    with INDEX.searcher() as searcher:  # a new searcher for every request
        query = MultifieldParser(["title", "body"], INDEX.schema).parse(q)
        results = searcher.search(query, limit=10)
        return {
            "total": len(results),
            "hits": [
                {"id": hit["id"], "title": hit["title"], "snippet": hit.highlights("body")}
                for hit in results
            ],
        }


if __name__ == "__main__":
    uvicorn.run(
        Litestar([healthz, search]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
