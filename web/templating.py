"""Small display helpers for the templates: dates and numbers in the interface language."""

from __future__ import annotations

from typing import Final

MONTHS: Final = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "ar": (
        "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
        "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
    ),
}  # fmt: skip


def format_date(iso: str | None, ui: str = "fr") -> str:
    """``2024-07-26`` → ``26 juillet 2024`` / ``26 يوليو 2024``; partial dates stay partial.

    Anything unexpected is returned unchanged: a display helper must never fail a page.
    """
    if not iso:
        return ""
    parts = iso[:10].split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return iso
    months = MONTHS.get(ui, MONTHS["fr"])
    if len(numbers) >= 2 and 1 <= numbers[1] <= 12:
        month = months[numbers[1] - 1]
        if len(numbers) == 3:
            return f"{numbers[2]} {month} {numbers[0]}"
        return f"{month} {numbers[0]}"
    return str(numbers[0]) if numbers else iso


def format_number(value: int | float, ui: str = "fr") -> str:
    """Thousands separated the way each interface reads them (Western digits in both)."""
    text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    if ui == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def format_datetime(iso: str | None, ui: str = "fr") -> str:
    """``2026-11-23T00:59:24+00:00`` → ``23 novembre 2026, 00:59 UTC`` (times are stored in UTC)."""
    if not iso:
        return "—"
    day, _, time = iso.partition("T")
    shown = format_date(day, ui)
    if time[:5].replace(":", "").isdigit():
        shown += f"{'،' if ui == 'ar' else ','} {time[:5]} UTC"
    return shown
