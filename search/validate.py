"""Request validation: raw strings (HTTP, CLI) → a SearchRequest, or a 400 naming the value.

Why one function for every entry point: the page, the API and the CLI must
accept and refuse exactly the same inputs with the same messages. Every
message names the parameter, the bad value and what is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Final

from search.errors import InvalidParameter, InvalidQuery
from search.models import MATCHES, MAX_PAGE, MAX_SIZE, MODES, SearchRequest, Sort

MAX_QUERY_LENGTH: Final = 1000
#: Longest text completed while typing (``/api/suggest``): the start of a query, not a page.
MAX_PREFIX_LENGTH: Final = 200
DEFAULT_SIZE: Final = 10
LANGS: Final = ("fr", "ar")
SORTS: Final = ("relevance", "date")
TRUE: Final = frozenset({"true", "1", "yes", "on", "oui", "نعم"})
FALSE: Final = frozenset({"false", "0", "no", "off", "non", "لا"})
_ARABIC_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_DATE_RE: Final = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def validate_request(
    q: str,
    lang: str = "",
    page: str = "1",
    size: str = "10",
    sort: str = "relevance",
    date_from: str = "",
    date_to: str = "",
    cross: str = "true",
    match: str = "best",
    mode: str = "",
) -> SearchRequest:
    """Check and convert raw parameters; raises :class:`InvalidParameter`.

    ``q`` is only checked for length here (an empty ``q`` is the page's "no
    search yet" state; :meth:`SearchEngine.search` refuses it as InvalidQuery).
    """
    q = q or ""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter(
            f"q is {len(q)} characters long; at most {MAX_QUERY_LENGTH} are accepted", "q"
        )
    lang_value = (lang or "").strip().lower()
    if lang_value and lang_value not in LANGS:
        raise InvalidParameter(f"lang must be fr, ar or empty (both), got {lang!r}", "lang")
    sort_value = (sort or "relevance").strip().lower()
    if sort_value not in SORTS:
        raise InvalidParameter(f"sort must be relevance or date, got {sort!r}", "sort")
    low = _date_param(date_from, "from")
    high = _date_param(date_to, "to")
    if low and high and period_start(low) >= period_end(high):
        raise InvalidParameter(f"from ({date_from!r}) must not be after to ({date_to!r})", "from")
    sort_typed: Sort = "date" if sort_value == "date" else "relevance"
    match_value = (match or "best").strip().lower()
    if match_value not in MATCHES:
        raise InvalidParameter(f"match must be best, all or any, got {match!r}", "match")
    mode_value = (mode or "").strip().lower()
    if mode_value and mode_value not in MODES:
        raise InvalidParameter(
            f"mode must be hybrid, lexical, semantic or empty (the default), got {mode!r}", "mode"
        )
    return SearchRequest(
        q=q,
        lang=lang_value or None,
        page=_int_param(page, "page", 1, MAX_PAGE, 1),
        size=_int_param(size, "size", 1, MAX_SIZE, DEFAULT_SIZE),
        sort=sort_typed,
        date_from=low,
        date_to=high,
        cross=_bool_param(cross, "cross"),
        match=MATCHES[MATCHES.index(match_value)],
        mode=MODES[MODES.index(mode_value)] if mode_value else None,
    )


def validate_prefix(q: str | None) -> str:
    """The text typed so far, for completions; raises :class:`InvalidParameter` naming it.

    Refused: nothing but spaces, more than :data:`MAX_PREFIX_LENGTH` characters,
    bytes that are not UTF-8 (decoded as U+FFFD), and control, surrogate,
    private-use or unassigned characters (nothing a person types).
    """
    text = q or ""
    if not text.strip():
        raise InvalidParameter(
            f"q={text!r} is empty: give the start of a query, 1 to {MAX_PREFIX_LENGTH} characters",
            "q",
        )
    if len(text) > MAX_PREFIX_LENGTH:
        raise InvalidParameter(
            f"q is {len(text)} characters long; completions take at most "
            f"{MAX_PREFIX_LENGTH} characters (the start of a query)",
            "q",
        )
    if "\ufffd" in text:
        raise InvalidParameter(
            "q is not valid UTF-8 (bytes that decode to U+FFFD); send the text percent-encoded "
            "as UTF-8",
            "q",
        )
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in " \t":
            raise InvalidParameter(
                f"q contains U+{ord(ch):04X}, a character nobody types; "
                "accepted: letters, digits, punctuation and spaces",
                "q",
            )
    return text


def _int_param(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    text = (raw or "").strip()
    if not text:
        return default
    if not re.fullmatch(r"[+-]?\d{1,30}", text.translate(_ARABIC_DIGITS)):
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}, got {raw!r}", name)
    value = int(text.translate(_ARABIC_DIGITS))
    if value < low or value > high:
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}, got {raw!r}", name)
    return value


def _bool_param(raw: str | None, name: str) -> bool:
    text = (raw or "true").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise InvalidParameter(
        f"{name} must be true or false (also 1/0, yes/no, on/off), got {raw!r}", name
    )


def _date_param(raw: str | None, name: str) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    iso = normalise_iso(text)
    if iso is None:
        raise InvalidParameter(
            f"{name} must be an ISO date of any precision (2024, 2024-07 or 2024-07-26), "
            f"got {raw!r}",
            name,
        )
    return iso


def normalise_iso(text: str) -> str | None:
    """``2024-7`` → ``2024-07``; None unless a real date of year, month or day precision."""
    match = _DATE_RE.match(text.translate(_ARABIC_DIGITS).strip())
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    if not 1000 <= year <= 2999:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date_filter(value: str) -> tuple[str | None, str | None]:
    """``2024-07`` / ``2024-01..2024-06`` / ``>2024-03`` / ``<=2024`` → inclusive bounds.

    Bounds keep their precision; ``>2024-03`` becomes "from 2024-04" and ``<2024``
    "to 2023", so the engine only ever sees inclusive ranges.
    """
    raw = value.translate(_ARABIC_DIGITS).strip()
    if ".." in raw:
        low, _, high = raw.partition("..")
        bounds = (_iso(low, value) if low else None, _iso(high, value) if high else None)
    elif raw.startswith((">=", "<=")):
        iso = _iso(raw[2:], value)
        bounds = (iso, None) if raw[0] == ">" else (None, iso)
    elif raw.startswith((">", "<")):
        iso = _iso(raw[1:], value)
        bounds = (next_period(iso), None) if raw[0] == ">" else (None, previous_period(iso))
    else:
        iso = _iso(raw, value)
        bounds = (iso, iso)
    if bounds[0] and bounds[1] and period_start(bounds[0]) >= period_end(bounds[1]):
        raise InvalidQuery(f"date:{value} is an empty range (start after end)", "q")
    return bounds


def _iso(text: str, value: str) -> str:
    iso = normalise_iso(text)
    if iso is None:
        raise InvalidQuery(
            f"date:{value} is not a date; accepted: date:2024, date:2024-07, date:2024-07-26, "
            "date:2024-01..2024-06, date:>2024-03, date:<2024",
            "q",
        )
    return iso


def next_period(iso: str) -> str:
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return f"{parts[0] + 1:04d}"
    if len(parts) == 2:
        y, m = parts
        return f"{y + m // 12:04d}-{m % 12 + 1:02d}"
    return (date(*parts) + timedelta(days=1)).isoformat()


def previous_period(iso: str) -> str:
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return f"{parts[0] - 1:04d}"
    if len(parts) == 2:
        y, m = parts
        return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"
    return (date(*parts) - timedelta(days=1)).isoformat()


def period_start(iso: str) -> datetime:
    """The first instant of an ISO date of any precision."""
    parts = [int(p) for p in iso.split("-")]
    return datetime(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def period_end(iso: str) -> datetime:
    """The first instant after the period (``2024-07`` → 2024-08-01 00:00)."""
    return period_start(next_period(iso))
