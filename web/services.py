"""What the handlers share: the settings, the engine, the re-indexer, and request parsing.

The page and the API parse parameters through the same function, so the same
URL gives the same :class:`SearchRequest` (and the same results) in both.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from index import IndexStore
from index.encoder import encoder_state
from index.errors import IndexStoreError
from index.semantic import progress as semantic_progress
from index.store import damaged
from search import validate_request
from search.errors import InvalidParameter
from search.models import DocumentView, SearchRequest, SearchResults
from web.scheduler import Reindexer
from web.settings import Settings

MAX_EXCLUDED = 32
# A dropped translation: target language, colon, a term of 1-64 characters without a colon,
# whitespace or control character. The same text is the OpenAPI schema's ``pattern`` (web.api),
# so it is written for both regex dialects: whitespace is spelt out, because Python's ``\s``
# and JavaScript's differ (\x1c-\x1f, \x85, \ufeff), and it is matched whole (``fullmatch``:
# Python's ``$`` also matches before a final newline, JavaScript's does not).
EXCLUDE_PATTERN = (
    r"^(fr|ar):[^:\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
    r"{1,64}$"
)
_EXCLUDE = re.compile(EXCLUDE_PATTERN)


class Engine(Protocol):
    """The part of ``search.SearchEngine`` the web layer uses (a seam for tests)."""

    def search(self, request: SearchRequest) -> SearchResults: ...

    def document(
        self,
        doc_id: str,
        q: str | None = None,
        cross: bool = True,
        offset: int = 0,
        limit: int | None = None,
    ) -> DocumentView: ...

    def status(self) -> dict[str, Any]: ...

    def complete(self, prefix: str, limit: int = 8) -> list[str]: ...

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
    match: str | None = None
    mode: str | None = None


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
        match=raw.match or "best",
        mode=raw.mode or "",
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
        if not _EXCLUDE.fullmatch(value):
            raise InvalidParameter(
                f"exclude={value!r} is not a translation key; expected fr:TERM or ar:TERM",
                "exclude",
            )
    return tuple(dict.fromkeys(values))


#: Digits of the largest offset accepted (a body never has a trillion characters).
_OFFSET = re.compile(r"[0-9]{1,12}")
OFFSET_PATTERN = "^[0-9]{1,12}$"


def parse_offset(text: str | None) -> int:
    """``?offset=`` of a document: where its piece starts (characters); 0 when absent."""
    if text is None or text == "":
        return 0
    if not _OFFSET.fullmatch(text):
        raise InvalidParameter(
            f"offset={text!r} is not a position in the document; expected a whole number "
            "from 0 to its length (the next_offset of the previous piece)",
            "offset",
        )
    return int(text)


#: Failures listed in a status (the count is always complete).
MAX_FAILURES_SHOWN = 50
_RUN_FIELDS = (
    "kind",
    "started",
    "duration_s",
    "added",
    "updated",
    "deleted",
    "unchanged",
    "failed",
    "warnings",
    "generation",
    "rebuilt_because",
    "error",
)


def store_summary(index_dir: Path, encoder: bool = True) -> dict[str, Any]:
    """Documents per language, generation and the last run, read from the index directory.

    Read from the store (small JSON files), not the engine, so the page, the API
    and ``fihris status`` (another process, no engine) say the same thing. The last
    run is whoever ran it: this server's re-indexer, cron, or ``fihris index update``.
    """
    store = IndexStore(index_dir)
    manifest = store.manifest()
    return {
        "documents": manifest.documents if manifest else 0,
        "by_lang": dict(manifest.by_lang) if manifest else {},
        "generation": manifest.generation if manifest else None,
        "created": manifest.created if manifest else None,
        # what is wrong with the live generation's files (a few stat calls), or None
        "damaged": index_damage(store),
        "last_run": last_run(store.read_status()),
        "semantic": semantic_summary(store, encoder),
    }


def semantic_summary(store: IndexStore, enabled: bool) -> dict[str, Any]:
    """The semantic layer: its encoder (``None``: lexical only, and why), documents embedded."""
    state = encoder_state(enabled)
    try:
        gen_dir: Path | None = store.current_dir()
    except IndexStoreError:
        gen_dir = None
    return {
        **semantic_progress(gen_dir, state.name),
        "available": state.available,
        "reason": state.reason,
    }


def index_damage(store: IndexStore) -> str | None:
    """The live generation's damage as the error message users see (problem and fix), or None."""
    problem = store.check()
    if problem is None:
        return None
    return str(damaged(store.current_dir(), problem))


def last_run(report: dict[str, Any]) -> dict[str, Any] | None:
    """A run report (``status.json``) as shown: counts, and the failures with path and reason."""
    if not report:
        return None
    shown = {key: report.get(key) for key in _RUN_FIELDS}
    problems = [p for p in report.get("problems") or [] if isinstance(p, dict)]
    shown["failures"] = [
        {"path": p.get("path"), "line": p.get("line"), "reason": p.get("reason")}
        for p in problems
        if p.get("severity", "error") == "error"
    ][:MAX_FAILURES_SHOWN]
    return shown


def index_summary(services: Services) -> dict[str, Any]:
    """:func:`store_summary` plus this server's re-indexer: running, last attempt, next run."""
    return {
        **store_summary(services.settings.index_dir, services.settings.encoder),
        "reindex": services.reindexer.status(),
    }


def status_lines(index_dir: Path, summary: dict[str, Any]) -> list[str]:
    """``fihris status`` for people: the index, the last run and its failures, the next run."""
    langs = ", ".join(f"{k} {v}" for k, v in sorted(summary["by_lang"].items())) or "empty"
    lines = [
        f"index:      {index_dir}",
        f"generation: {summary['generation']} (created {summary['created']})",
        f"documents:  {summary['documents']} ({langs})",
    ]
    run = summary["last_run"]
    if summary.get("damaged"):
        lines.append(f"DAMAGED:    {summary['damaged']}")
    if run is None:
        lines.append("last run:   none recorded")
    else:
        lines.append(
            f"last run:   {run['kind']} started {run['started']}, {run['duration_s']} s: "
            f"added {run['added']}, updated {run['updated']}, deleted {run['deleted']}, "
            f"unchanged {run['unchanged']}, failed {run['failed']}, warnings {run['warnings']}"
        )
        if run.get("rebuilt_because"):
            lines.append(f"            rebuilt the whole index: {run['rebuilt_because']}")
        if run.get("error"):
            lines.append(f"            the run did not finish: {run['error']}")
        for failure in run["failures"]:
            where = f"{failure['path']}:{failure['line']}" if failure["line"] else failure["path"]
            lines.append(f"  failed:   {where}: {failure['reason']}")
    semantic = summary.get("semantic") or {}
    if semantic.get("available"):
        lines.append(
            f"semantic:   {semantic['documents']:,} / {semantic['total']:,} documents embedded "
            f"(encoder {semantic['encoder']})"
        )
    else:
        lines.append(f"semantic:   off, {semantic.get('reason', 'no encoder')}")
    schedule = summary["schedule"]
    if schedule:
        lines.append(
            f"next run:   {schedule['next_run']} (every {schedule['every_s']:g} s, "
            f"fihris serve pid {schedule['pid']})"
        )
    else:
        lines.append(
            "next run:   not scheduled by a server (fihris serve --reindex-every); "
            "cron or systemd runs are not known here"
        )
    return lines
