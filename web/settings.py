"""Settings of the web service, read from ``FIHRIS_*`` environment variables.

This is the only module that reads the environment (a test enforces it): every
other module receives a :class:`Settings`, so tests and the CLI can build one
explicitly and nothing changes behind their back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

from index.errors import FihrisError
from index.loaders import DEFAULT_MAX_DOCUMENT_BYTES
from search.budget import DEFAULT_TIME_LIMIT_S
from search.cache import DEFAULT_CACHE_BYTES

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
UI_LANGS: Final = ("fr", "ar")
_UNITS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION_SYNTAX: Final = "expected a number and a unit s, m, h or d, e.g. 30s, 10m, 1h"
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_CORES: Final = os.cpu_count() or 2


class SettingsError(FihrisError):
    """A setting has a value we cannot use; the message names the variable and what is accepted."""


def parse_duration(text: str) -> float:
    """``"30s"``, ``"10m"``, ``"1h"``, ``"1d"`` (or plain seconds) → seconds, strictly positive.

    Raises ``ValueError`` with the accepted syntax, so callers can name the variable or option.
    """
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r}: {DURATION_SYNTAX}")
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds <= 0:
        raise ValueError(f"invalid duration {text!r}: it must be greater than zero")
    return seconds


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None


def _port(text: str) -> int:
    value = _int(text)
    if not 0 < value < 65536:
        raise ValueError("accepted: a port between 1 and 65535")
    return value


def _positive_int(text: str) -> int:
    value = _int(text)
    if value <= 0:
        raise ValueError("it must be a whole number greater than zero")
    return value


_SIZE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b?)\s*$", re.IGNORECASE)
SIZE_SYNTAX: Final = (
    "expected a number of bytes, optionally with a unit K, M or G, e.g. 16M, 512KiB"
)
#: Below this a corpus line holding one ordinary dispatch would already be refused.
MIN_DOCUMENT_BYTES: Final = 1024


def parse_document_bytes(text: str) -> int:
    """The largest document read: ``16M``, ``16MiB``, ``512K``, ``1G`` or plain bytes (≥ 1 KiB).

    Units are binary (K = 1024). Raises ``ValueError`` naming the value and the syntax.
    """
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"invalid size {text!r}: {SIZE_SYNTAX}")
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[(match.group(2) or "").lower()]
    value = int(float(match.group(1)) * scale)
    if value < MIN_DOCUMENT_BYTES:
        raise ValueError(f"invalid size {text!r}: at least {MIN_DOCUMENT_BYTES} bytes (1K)")
    return value


#: The accepted range of FIHRIS_CACHE_BYTES: below 1 MiB the caches could not hold one
#: query's postings; above 64 GiB is a typo (a unit forgotten or doubled).
MIN_CACHE_BYTES: Final = 1 << 20
MAX_CACHE_BYTES: Final = 64 << 30


def parse_cache_bytes(text: str) -> int:
    """The bound of a generation's caches: ``128M``, ``1G``, ``64MiB`` or bytes (1M–64G)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"invalid size {text!r}: {SIZE_SYNTAX}")
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[(match.group(2) or "").lower()]
    value = int(float(match.group(1)) * scale)
    if not MIN_CACHE_BYTES <= value <= MAX_CACHE_BYTES:
        raise ValueError(
            f"invalid size {text!r}: accepted from {MIN_CACHE_BYTES} bytes (1M) "
            f"to {MAX_CACHE_BYTES} bytes (64G)"
        )
    return value


#: The accepted range of FIHRIS_TIME_LIMIT, in seconds: below 10 ms no search could
#: finish its first stage; above a minute a client (and the gate's queue) gave up long ago.
MIN_TIME_LIMIT_S: Final = 0.01
MAX_TIME_LIMIT_S: Final = 60.0


def parse_time_limit(text: str) -> float:
    """Seconds one search may take, every stage included: ``2s``, ``0.5``, ``1m`` (10 ms–60 s)."""
    accepted = f"accepted from {MIN_TIME_LIMIT_S:g} s to {MAX_TIME_LIMIT_S:g} s, e.g. 2s or 0.5s"
    try:
        seconds = _seconds(text)
    except ValueError as exc:
        raise ValueError(f"{exc}; {accepted}") from None
    if not MIN_TIME_LIMIT_S <= seconds <= MAX_TIME_LIMIT_S:
        raise ValueError(accepted)
    return seconds


def _seconds(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(str(exc).split(": ", 1)[-1]) from None


def _ui_lang(text: str) -> str:
    value = text.strip().lower()
    if value not in UI_LANGS:
        raise ValueError("accepted: fr, ar")
    return value


def parse_reindex_every(text: str) -> float | None:
    """A re-index period, or ``None`` for "off" (``off``, ``never``, ``none``, ``0``, empty)."""
    if text.strip().lower() in {"", "0", "off", "none", "never"}:
        return None
    return parse_duration(text)


def parse_port(text: str) -> int:
    """A TCP port, 1–65535 (``ValueError`` says what is accepted)."""
    return _port(text)


def _document_chars(text: str) -> int:
    value = _int(text)
    if value < 1000:
        raise ValueError("at least 1000 characters (a page of text)")
    return value


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value in {"on", "1", "true", "yes"}:
        return True
    if value in {"off", "0", "false", "no"}:
        return False
    raise ValueError("accepted: on or off")


def _optional_token(text: str) -> str | None:
    token = text.strip()
    if token and len(token) < 16:
        raise ValueError("an admin token must have at least 16 characters")
    return token or None


@dataclass(frozen=True)
class Settings:
    """Everything the web service needs to know; immutable so it can be shared freely."""

    index_dir: Path = PROJECT_ROOT / "var" / "index"
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    host: str = "127.0.0.1"  # loopback by default: exposing the service is a deliberate act
    port: int = 8000
    reindex_every: float | None = None  # seconds between incremental updates; None = off
    admin_token: str | None = None  # POST /api/reindex is disabled without one
    max_query_length: int = 1000  # characters; longer queries get a 400, not a slow search
    ui_lang: str = "fr"  # interface language when the request does not choose one
    max_body_size: int = 64 * 1024  # bytes; the API takes no large bodies
    max_url_length: int = 32 * 1024  # bytes of path and query (encoded); longer is a 414
    #: bytes of one corpus document (a stream line, a text file); larger ones are skipped
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    # bytes of header names and values together; more is a 431 (a head that has not arrived
    # whole within max_url_length + max_header_size is refused by the protocol itself, 400)
    max_header_size: int = 16 * 1024
    # seconds a connection may take to send a whole request head (new or kept alive);
    # after that it is closed (408 when part of a head had arrived)
    header_timeout: float = 10.0
    keep_alive: float = 5.0  # seconds an idle kept-alive connection stays open after a response
    # searches and document renders running at once (the cores: each one is CPU-bound);
    # more wait up to queue_wait seconds for a turn, then get a 503 with Retry-After
    max_concurrent: int = _CORES
    queue_wait: float = 2.0
    # characters of a document body returned at once; the rest by ?offset= (a 50 MB
    # dispatch must not become a 105 MB response that stalls the server)
    max_document_chars: int = 200_000
    #: the sentence encoder of the semantic layer (index/encoder.py); off: lexical only
    encoder: bool = True
    # seconds one search may take, every stage included; past it the rest degrades
    # (snippets left out, no suggestion…) and the results say so (partial: true)
    time_limit: float = DEFAULT_TIME_LIMIT_S
    # bytes of each index generation's caches (postings, phrases, prefixes, vocabularies)
    cache_bytes: int = DEFAULT_CACHE_BYTES
    #: rows of one export (GET /api/export); a search matching more is cut, and the
    #: response says so (headers, and the page next to the download links)
    export_max_rows: int = 10_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), then ``overrides`` on top.

        Overrides are typed values (the CLI's parsed options); ``None`` overrides are ignored.
        """
        env = os.environ if environ is None else environ
        parsers: dict[str, tuple[str, Callable[[str], Any]]] = {
            "index_dir": ("FIHRIS_INDEX", Path),
            "corpus_dir": ("FIHRIS_CORPUS", Path),
            "host": ("FIHRIS_HOST", str.strip),
            "port": ("FIHRIS_PORT", _port),
            "reindex_every": ("FIHRIS_REINDEX_EVERY", parse_reindex_every),
            "admin_token": ("FIHRIS_ADMIN_TOKEN", _optional_token),
            "max_query_length": ("FIHRIS_MAX_QUERY_LENGTH", _positive_int),
            "ui_lang": ("FIHRIS_UI_LANG", _ui_lang),
            "max_document_bytes": ("FIHRIS_MAX_DOCUMENT_BYTES", parse_document_bytes),
            "max_header_size": ("FIHRIS_MAX_HEADER_SIZE", _positive_int),
            "header_timeout": ("FIHRIS_HEADER_TIMEOUT", _seconds),
            "keep_alive": ("FIHRIS_KEEP_ALIVE", _seconds),
            "max_concurrent": ("FIHRIS_MAX_CONCURRENT", _positive_int),
            "queue_wait": ("FIHRIS_QUEUE_WAIT", _seconds),
            "max_document_chars": ("FIHRIS_MAX_DOCUMENT_CHARS", _document_chars),
            "encoder": ("FIHRIS_ENCODER", _switch),
            "time_limit": ("FIHRIS_TIME_LIMIT", parse_time_limit),
            "cache_bytes": ("FIHRIS_CACHE_BYTES", parse_cache_bytes),
            "export_max_rows": ("FIHRIS_EXPORT_MAX_ROWS", _positive_int),
        }
        values: dict[str, Any] = {}
        for name, (variable, parse) in parsers.items():
            raw = env.get(variable)
            if raw is None:
                continue
            try:
                values[name] = parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{variable}={raw!r} is not usable: {exc}") from None
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("index_dir", "corpus_dir"):
            if name in values:
                values[name] = Path(values[name])
        return replace(cls(), **values)
