"""Source and date filters: tests on a generation's column arrays, not query clauses.

Why: a date range is hundreds of numeric terms for Whoosh (it was the slowest
part of a filtered search), and a filter should restrict, not add to the score.
The language filter is applied later by the engine, because the language facet
counts the documents of both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh.util.times import datetime_to_long

from search.facets import NO_DATE
from search.generation import Generation
from search.models import SearchRequest
from search.validate import period_end, period_start


def column_filter(
    gen: Generation, parsed: Any, request: SearchRequest
) -> Callable[[int], bool] | None:
    """Source and date filters as a test on the column arrays (None: no filter).

    Why not query clauses: a date range is hundreds of numeric terms for Whoosh
    (it was the slowest part of a filtered search), and a filter should not
    add to the score. The language filter is applied after (see facets).
    """
    sources = frozenset(parsed.filters.sources)
    ranges = list(parsed.filters.dates)
    if request.date_from or request.date_to:
        ranges.append((request.date_from, request.date_to))
    if not sources and not ranges:
        return None
    bounds = [
        (
            datetime_to_long(period_start(low)) if low else None,
            datetime_to_long(period_end(high)) if high else None,
        )
        for low, high in ranges
    ]
    source_of, date_of = gen.source_codes.codes, gen.dates
    wanted = {code for code, name in enumerate(gen.source_codes.names) if name in sources}

    def keep(docnum: int) -> bool:
        if sources and int(source_of[docnum]) not in wanted:
            return False
        value = int(date_of[docnum])
        return not bounds or (
            value != NO_DATE
            and all((lo is None or lo <= value) and (hi is None or value < hi) for lo, hi in bounds)
        )

    return keep


def filters_shown(parsed: Any, request: SearchRequest) -> dict[str, str]:
    """The filters as shown in ``Interpretation.filters`` (query and request together)."""
    shown: dict[str, str] = {}
    langs = [*parsed.filters.langs, *([request.lang] if request.lang else [])]
    if langs:
        shown["lang"] = ",".join(dict.fromkeys(langs))
    if parsed.filters.sources:
        shown["source"] = ",".join(parsed.filters.sources)
    dates = [*parsed.filters.dates]
    if request.date_from or request.date_to:
        dates.append((request.date_from, request.date_to))
    if dates:
        shown["date"] = " ".join(f"{a or ''}..{b or ''}" for a, b in dates)
    return shown
