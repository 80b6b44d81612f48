"""What the handlers share: the settings, the engine, the re-indexer, and request parsing.

The page and the API parse parameters through the same function, so the same
URL gives the same :class:`SearchRequest` (and the same results) in both.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Protocol

from index import IndexStore
from search import validate_request
from search.errors import InvalidParameter
from search.models import DocumentView, SearchRequest, SearchResults
from web.scheduler import Reindexer
from web.settings import Settings

MAX_EXCLUDED = 32
_EXCLUDE = re.compile(r"^(fr|ar):[^\s:]{1,64}$")


class Engine(Protocol):
    """The part of ``search.SearchEngine`` the web layer uses (a seam for tests)."""

    def search(self, request: SearchRequest) -> SearchResults: ...

    def document(self, doc_id: str, q: str | None = None, cross: bool = True) -> DocumentView: ...

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    reindexer: Reindexer


@dataclass(frozen=True)
class RawParams:
    """Query parameters exactly as received (strings), for validation and for rebuilding links."""

    q: str = ""
    lang: str | None = None
    page: str | None = None
    size: str | None = None
    sort: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    cross: str | None = None
    exclude: tuple[str, ...] = ()


def parse_request(raw: RawParams, settings: Settings) -> SearchRequest:
    """Validate raw strings into a request; raises ``InvalidParameter`` naming the bad value."""
    if len(raw.q) > settings.max_query_length:
        raise InvalidParameter(
            f"q is {len(raw.q)} characters long; at most {settings.max_query_length} are accepted",
            "q",
        )
    request = validate_request(
        q=raw.q,
        lang=raw.lang or "",
        page=raw.page if raw.page is not None else "1",
        size=raw.size if raw.size is not None else "10",
        sort=raw.sort if raw.sort is not None else "relevance",
        date_from=raw.date_from or "",
        date_to=raw.date_to or "",
        cross=raw.cross if raw.cross is not None else "true",
    )
    if raw.exclude:
        return dataclasses.replace(request, exclude_translations=parse_exclude(raw.exclude))
    return request


def parse_exclude(values: tuple[str, ...]) -> tuple[str, ...]:
    """Dropped translations look like ``ar:بشر`` (target language, colon, term)."""
    if len(values) > MAX_EXCLUDED:
        raise InvalidParameter(
            f"exclude is given {len(values)} times; at most {MAX_EXCLUDED} are accepted", "exclude"
        )
    for value in values:
        if not _EXCLUDE.match(value):
            raise InvalidParameter(
                f"exclude={value!r} is not a translation key; expected fr:TERM or ar:TERM",
                "exclude",
            )
    return tuple(dict.fromkeys(values))


def index_summary(services: Services) -> dict[str, Any]:
    """Documents per language, generation and last run, read from the index directory.

    Read from the store (small JSON files), not the engine, so it works the same
    whatever the engine caches, and shows the re-indexer's next run.
    """
    store = IndexStore(services.settings.index_dir)
    manifest = store.manifest()
    last = store.read_status()
    schedule = services.reindexer.status()
    return {
        "documents": manifest.documents if manifest else 0,
        "by_lang": dict(manifest.by_lang) if manifest else {},
        "generation": manifest.generation if manifest else None,
        "created": manifest.created if manifest else None,
        "last_run": {
            key: last.get(key)
            for key in (
                "kind",
                "started",
                "duration_s",
                "added",
                "updated",
                "deleted",
                "failed",
                "problems",
            )
        }
        if last
        else None,
        "reindex": schedule,
    }
