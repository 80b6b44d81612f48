"""The JSON shape of the result model, shared by the API and ``fihris search --json``."""

from __future__ import annotations

import dataclasses
from typing import Any

from search.models import DocumentView, SearchResults


def results_to_dict(results: SearchResults) -> dict[str, Any]:
    """``SearchResults`` as plain JSON data (the request's parameters echoed under ``query``)."""
    data = dataclasses.asdict(results)
    request = data.pop("request")
    data["query"] = {
        "q": request["q"],
        "lang": request["lang"],
        "sort": request["sort"],
        "from": request["date_from"],
        "to": request["date_to"],
        "cross": request["cross"],
        "match": request["match"],
        "mode": request["mode"],
    }
    data["pages"] = results.pages
    for hit in data["hits"]:
        for fragment in hit["snippets"]:
            fragment["matches"] = [list(m) for m in fragment["matches"]]
    return data


def document_to_dict(view: DocumentView) -> dict[str, Any]:
    """``DocumentView`` as plain JSON data; ``counterpart`` is the other-language version
    (the same fields, without its own ``counterpart`` and ``related``) or null."""
    data = dataclasses.asdict(view)
    if data["counterpart"] is not None:
        for key in ("counterpart", "related"):
            data["counterpart"].pop(key, None)
    return data
