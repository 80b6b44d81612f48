"""The timeline facet drawn as an inline SVG bar chart, on the server.

Why on the server: the page works without JavaScript, and the CSP forbids
inline script and style, so the chart is plain SVG attributes (geometry) and
classes (colours, in ``fihris.css``). Each bar is a link filtering the search
to its period (``from`` = ``to`` = the period). Time runs in the reading
direction of the interface: left to right in French, right to left in Arabic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from search.models import Period
from web.links import Links

WIDTH: Final = 640
HEIGHT: Final = 140
#: Room under the bars for the first and last period's labels.
AXIS: Final = 22
TOP: Final = 6
GAP: Final = 0.18  # share of each slot left empty between bars


@dataclass(frozen=True)
class Bar:
    period: str
    count: int
    x: float
    y: float
    width: float
    height: float
    href: str


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    unit: str  # "month" | "year"
    first: str
    last: str
    total: int
    peak: Period
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - AXIS
    rtl: bool = False


def chart(periods: Sequence[Period], link: Callable[[str], str], rtl: bool) -> Chart | None:
    """Geometry of the bars for ``periods`` (oldest first); None when there is nothing to draw.

    ``link(period)`` gives a bar's URL. A period with no dispatch gets no bar
    (and no link): it only keeps the spacing of the others.
    """
    if not periods or not any(p.count for p in periods):
        return None
    slot = WIDTH / len(periods)
    top = max(p.count for p in periods)
    room = HEIGHT - AXIS - TOP
    bars = []
    for i, period in enumerate(periods):
        if not period.count:
            continue
        height = max(2.0, room * period.count / top)
        x = i * slot + slot * GAP / 2
        width = max(1.0, slot * (1 - GAP))
        if rtl:
            x = WIDTH - x - width
        bars.append(
            Bar(
                period.period,
                period.count,
                round(x, 2),
                round(HEIGHT - AXIS - height, 2),
                round(width, 2),
                round(height, 2),
                link(period.period),
            )
        )
    peak = max(periods, key=lambda p: p.count)
    return Chart(
        bars=tuple(bars),
        unit="month" if len(periods[0].period) > 4 else "year",
        first=periods[0].period,
        last=periods[-1].period,
        total=sum(p.count for p in periods),
        peak=peak,
        rtl=rtl,
    )


def timeline_chart(periods: Sequence[Period], links: Links, rtl: bool) -> Chart | None:
    """The template's entry point: bars linking to the page filtered to their period."""
    return chart(periods, lambda period: links.page(date_from=period, date_to=period), rtl)
