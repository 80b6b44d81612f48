"""Export: every hit of a search, up to a cap, as CSV or JSON Lines, streamed.

Why through the engine's ordinary search: the export must hold exactly the
dispatches the page and the API find, in the same order, so it is the same
:class:`SearchRequest` (every search parameter) with one page as large as the cap
and snippets off, and the rows are the hits of the one result model. The ranking
is done once; the rows are then encoded and sent a batch at a time, so the
response starts before the last row is written and is never held whole.

CSV starts with a UTF-8 byte order mark: without it, spreadsheet programs read
the file in a legacy code page and the Arabic comes out as mojibake. A text cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, so a hostile title cannot run as a spreadsheet formula (CSV
injection); JSON Lines carries the values unchanged.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any, Final

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from search.errors import InvalidParameter
from search.models import Hit, SearchRequest, SearchResults
from web.api import (
    ERRORS,
    Cross,
    Exclude,
    From,
    Lang,
    MatchParam,
    ModeParam,
    Q,
    Sort,
    To,
    raw_params,
)
from web.gate import COST
from web.links import doc_path
from web.services import RawParams, Services, parse_request
from web.settings import Settings

#: The columns of a row, in order (the JSON Lines keys are the same).
COLUMNS: Final = ("id", "lang", "title", "date", "source", "url", "score", "translations", "link")
MEDIA_TYPES: Final = {
    "csv": "text/csv; header=present",  # Litestar adds the charset to text/*
    "jsonl": "application/jsonl; charset=utf-8",
}
BOM: Final = "\ufeff"
#: Rows encoded per chunk of the response.
BATCH: Final = 250
_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")

Format = Annotated[
    str | None,
    QueryParameter(
        name="format",
        description="csv (default: UTF-8 with a byte order mark) | jsonl (one JSON object a line)",
        schema_extra={"enum": list(MEDIA_TYPES)},
    ),
]


def parse_format(value: str | None) -> str:
    """``csv`` (the default) or ``jsonl``; anything else is a 400 naming it."""
    fmt = "csv" if value is None or value == "" else value
    if fmt not in MEDIA_TYPES:
        raise InvalidParameter(
            f"format must be csv or jsonl, got {value!r}",
            "format",
        )
    return fmt


def export_request(raw: RawParams, settings: Settings) -> SearchRequest:
    """The search of ``raw`` (validated as for /api/search), as one page of the cap's size."""
    request = parse_request(dataclasses.replace(raw, page=None, size=None), settings)
    return dataclasses.replace(request, page=1, size=settings.export_max_rows, snippets=False)


def row(hit: Hit, base: str) -> dict[str, Any]:
    """One exported row: the hit's fields and the absolute link to its document page."""
    return {
        "id": hit.id,
        "lang": hit.lang,
        "title": hit.title,
        "date": hit.date,
        "source": hit.source,
        "url": hit.url,
        "score": hit.score,
        "translations": list(hit.translations),
        "link": base + doc_path(hit.id),
    }


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _batches(hits: tuple[Hit, ...]) -> Iterator[tuple[Hit, ...]]:
    for start in range(0, len(hits), BATCH):
        yield hits[start : start + BATCH]


def csv_chunks(hits: tuple[Hit, ...], base: str) -> Iterator[bytes]:
    """The CSV file: BOM and header, then the rows; ``translations`` one id a line in the cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield (BOM + out.getvalue()).encode("utf-8")
    for batch in _batches(hits):
        out.seek(0)
        out.truncate()
        for hit in batch:
            data = row(hit, base)
            data["translations"] = "\n".join(data["translations"])
            writer.writerow([_cell(data[c]) for c in COLUMNS])
        yield out.getvalue().encode("utf-8", "replace")


def jsonl_chunks(hits: tuple[Hit, ...], base: str) -> Iterator[bytes]:
    """JSON Lines: one object per hit, keys as :data:`COLUMNS`."""
    for batch in _batches(hits):
        lines = (json.dumps(row(hit, base), ensure_ascii=False) + "\n" for hit in batch)
        yield "".join(lines).encode("utf-8", "replace")


def export_headers(results: SearchResults, fmt: str, cap: int) -> dict[str, str]:
    """Download name, and the total, rows and cap: a client sees when the cap cut the export."""
    return {
        "Content-Disposition": f'attachment; filename="fihris-export.{fmt}"',
        "Fihris-Total": str(results.total),
        "Fihris-Rows": str(len(results.hits)),
        "Fihris-Cap": str(cap),
        # the time limit cut the search short (FIHRIS_TIME_LIMIT): fewer rows than match
        "Fihris-Partial": "true" if results.partial else "false",
        "Cache-Control": "no-store",
    }


@get(
    "/api/export",
    summary="Export every hit of a search (CSV or JSON Lines)",
    sync_to_thread=True,
    tags=["search"],
    opt={COST: "search"},
    responses={
        **{k: v for k, v in ERRORS.items() if k != 404},
        200: ResponseSpec(
            None,
            description="the rows, streamed: text/csv (UTF-8 with a BOM) or application/jsonl",
            generate_examples=False,
        ),
    },
)
def api_export(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    q: Q = "",
    fmt: Format = None,
    lang: Lang = None,
    sort: Sort = None,
    date_from: From = None,
    date_to: To = None,
    cross: Cross = None,
    exclude: Exclude = None,
    match: MatchParam = None,
    mode: ModeParam = None,
) -> Stream:
    """Every hit of the search, best first (or newest with ``sort=date``), up to a cap.

    The parameters are those of ``/api/search`` without ``page`` and ``size``. Columns
    (CSV header; JSON Lines keys): ``id, lang, title, date, source, url, score,
    translations, link`` (``link``: the document's page here). CSV is UTF-8 with a
    byte order mark, ``translations`` one id a line in its cell, and a text cell that
    starts with ``= + - @`` is prefixed with ``'``; in JSON Lines ``translations`` is a
    list. At most FIHRIS_EXPORT_MAX_ROWS rows (10,000 by default): the headers
    ``Fihris-Total`` (matching dispatches), ``Fihris-Rows`` (rows sent) and
    ``Fihris-Cap`` say when the cap cut the export; ``Fihris-Partial: true`` when the
    time limit (FIHRIS_TIME_LIMIT) cut the search short.
    """
    chosen = parse_format(fmt)
    raw = raw_params(q, lang, None, None, sort, date_from, date_to, cross, exclude, match, mode)
    cap = services.settings.export_max_rows
    results = services.engine.search(export_request(raw, services.settings))
    base = str(request.base_url).rstrip("/")
    chunks = csv_chunks if chosen == "csv" else jsonl_chunks
    return Stream(
        chunks(results.hits, base),
        media_type=MEDIA_TYPES[chosen],
        headers=export_headers(results, chosen, cap),
    )


ROUTES = [api_export]
