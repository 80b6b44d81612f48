"""Dates of dispatches: ISO dates and French/Arabic month names, kept at their precision.

A dispatch may say only ``2024-07`` or ``vendredi, 26 juillet, 2024 à 23:48`` or
``26 يوليوز 2024``: :func:`parse_date` returns an ISO string of the precision
found (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) or ``None``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from index import arabic, french


def _month_key(word: str) -> str:
    return french.fold_accents(arabic.normalize(word)).lower()


_MONTHS: Final[dict[str, int]] = {}
for _number, _names in enumerate(
    [
        "janvier january jan يناير جانفي كانون_الثاني",
        "février fevrier february feb فبراير فيفري شباط",
        "mars march mar مارس آذار",
        "avril april apr أبريل ابريل إبريل افريل أفريل نيسان",
        "mai may ماي مايو أيار",
        "juin june jun يونيو يونيه جوان حزيران",
        "juillet july jul يوليو يوليوز جويلية تموز",
        "août aout august aug غشت أغسطس اغسطس أوت تموز_آب آب",
        "septembre september sep sept سبتمبر شتنبر أيلول",
        "octobre october oct أكتوبر اكتوبر تشرين_الأول",
        "novembre november nov نوفمبر نونبر تشرين_الثاني",
        "décembre decembre december dec ديسمبر دجنبر كانون_الأول",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_month_key(_name.replace("_", " "))] = _number

_ISO_RE: Final = re.compile(r"\b(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?\b")
_DMY_RE: Final = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
_WORD_RE: Final = re.compile(r"(\d{1,2})?(?:er|ère)?\s*([^\W\d_]+)[\s,]+(\d{4})")


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    try:
        datetime(year, month or 1, day or 1)
    except ValueError:
        return None
    if not 1000 <= year <= 2999:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _month(word: str) -> int | None:
    key = _month_key(word)
    if key.startswith("ال") and key[2:] in _MONTHS:
        key = key[2:]
    return _MONTHS.get(key)


def parse_date(text: str) -> str | None:
    """The most precise date found in ``text``, as an ISO string, or ``None``."""
    text = arabic.normalize(text)  # Arabic-Indic digits → ASCII
    for match in _WORD_RE.finditer(text):
        month = _month(match.group(2))
        if month is not None:
            day = int(match.group(1)) if match.group(1) else None
            found = _iso(int(match.group(3)), month, day)
            if found:
                return found
    dmy = _DMY_RE.search(text)
    if dmy:
        found = _iso(int(dmy.group(3)), int(dmy.group(2)), int(dmy.group(1)))
        if found:
            return found
    iso = _ISO_RE.search(text)
    if iso:
        month = int(iso.group(2)) if iso.group(2) else None
        day = int(iso.group(3)) if iso.group(3) else None
        return _iso(int(iso.group(1)), month, day)
    return None


def date_bounds(iso: str) -> datetime:
    """The first instant of an ISO date of any precision (for range queries)."""
    parts = [int(p) for p in iso.split("-")]
    return datetime(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
