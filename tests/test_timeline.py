"""The timeline facet: the per-month / per-year rule, the API field and the SVG chart.

The fixture corpus (conftest) has French port dispatches from 2021-01 to 2023-06 and
Arabic ones in 2022-05 and 2023-05, so the timeline is monthly and follows the filters.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from whoosh.util.times import datetime_to_long

from search.models import Period
from search.timeline import MAX_MONTHS, month_numbers, timeline

UNDATED = 2**64 - 1


def periods(*dates: datetime | None) -> list[tuple[str, int]]:
    longs = [UNDATED if d is None else datetime_to_long(d) for d in dates]
    months = month_numbers(longs)
    return [(p.period, p.count) for p in timeline(months, np.arange(len(longs)))]


# -- the rule -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        # one month: one bar
        ([datetime(2024, 7, 26), datetime(2024, 7, 1)], [("2024-07", 2)]),
        # a gap inside the span is listed with 0, so bars stay evenly spaced in time
        (
            [datetime(2024, 1, 5), datetime(2024, 3, 9)],
            [("2024-01", 1), ("2024-02", 0), ("2024-03", 1)],
        ),
        # undated dispatches are not counted (and do not make the list empty)
        ([None, datetime(2024, 7, 26)], [("2024-07", 1)]),
        ([None, None], []),
        # 36 months first to last, inclusive: still monthly
        ([datetime(2021, 1, 1), datetime(2023, 12, 31)], None),
        # 37 months: per year, gaps with 0
        (
            [datetime(2021, 1, 1), datetime(2024, 1, 1)],
            [("2021", 1), ("2022", 0), ("2023", 0), ("2024", 1)],
        ),
        # before 1970 (numpy's epoch): months are negative, floor division keeps the year
        ([datetime(1969, 12, 31), datetime(1970, 1, 1)], [("1969-12", 1), ("1970-01", 1)]),
        # centuries apart: only years with dispatches, not hundreds of empty bars
        ([datetime(1200, 6, 1), datetime(2024, 6, 1)], [("1200", 1), ("2024", 1)]),
    ],
)
def test_timeline_rule(
    dates: list[datetime | None], expected: list[tuple[str, int]] | None
) -> None:
    found = periods(*dates)
    if expected is None:  # the 36-month boundary: every month listed
        assert len(found) == MAX_MONTHS and found[0] == ("2021-01", 1)
        assert found[-1] == ("2023-12", 1)
    else:
        assert found == expected


def test_timeline_counts_only_the_given_documents() -> None:
    months = month_numbers([datetime_to_long(datetime(2020, m, 1)) for m in (1, 2, 3)])
    assert timeline(months, np.array([2], np.int64)) == (Period("2020-03", 1),)


# -- the API --------------------------------------------------------------------------
def api_timeline(client: Any, **params: str) -> tuple[dict[str, int], dict[str, Any]]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    data = response.json()
    return {p["period"]: p["count"] for p in data["facets"]["timeline"]}, data


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # both languages: the Arabic dispatches of 2022-05 add to the French one
        ({"q": "port"}, {"2021-01": 1, "2022-05": 3, "2023-05": 2}),
        # the language filter applies (like the year facet): Arabic months only
        ({"q": "port", "lang": "ar"}, {"2022-05": 2, "2023-05": 2}),
        ({"q": "ميناء", "lang": "ar"}, {"2022-05": 2, "2023-05": 2}),  # Arabic query
        # a date filter narrows it
        # (2023-03: a French port dispatch and the hostile one, also about a port)
        ({"q": "port", "from": "2023", "to": "2023"}, {"2023-03": 2, "2023-05": 2}),
        # a lang: filter inside the query counts too
        ({"q": "port lang:fr"}, {"2022-05": 1, "2023-05": 0}),
    ],
)
def test_api_timeline_follows_query_and_filters(
    client: Any, params: dict[str, str], expected: dict[str, int]
) -> None:
    found, data = api_timeline(client, **params, size="100")
    for period, count in expected.items():
        assert found.get(period) == count, (period, found)
    assert all(re.fullmatch(r"\d{4}-\d{2}", p) for p in found)
    # every dated hit is in exactly one period; undated hits (a seed may be) in none
    assert data["total"] == len(data["hits"])
    assert sum(found.values()) == sum(1 for hit in data["hits"] if hit["date"])


def test_api_timeline_is_oldest_first(client: Any) -> None:
    found, _ = api_timeline(client, q="port")
    assert list(found) == sorted(found)


# -- the page -------------------------------------------------------------------------
def chart_of(text: str) -> str:
    match = re.search(r'<figure class="timeline".*?</figure>', text, re.S)
    assert match, "no timeline on the page"
    return match.group(0)


def bars(svg: str) -> list[tuple[str, float, str]]:
    """(period, x, href) of each bar."""
    found = re.findall(
        r'<a class="timeline-bar" href="([^"]*)" data-period="([^"]*)".*?<rect x="([\d.]+)"',
        svg,
        re.S,
    )
    return [(period, float(x), html.unescape(href)) for href, period, x in found]


@pytest.mark.parametrize("ui", ["fr", "ar"])
def test_page_draws_an_accessible_svg_chart_with_period_links(client: Any, ui: str) -> None:
    text = client.get("/", params={"q": "port", "ui": ui}).text
    figure = chart_of(text)
    assert 'role="img"' in figure and 'aria-labelledby="timeline-caption"' in figure
    assert "style=" not in figure and "<script" not in figure  # CSP: no inline style
    caption = re.search(r'<figcaption id="timeline-caption">(.*?)</figcaption>', figure, re.S)
    assert caption and ("2021-01" in caption.group(1) and "2023-06" in caption.group(1))
    assert ("Chronologie" if ui == "fr" else "التسلسل الزمني") in caption.group(1)
    found = bars(figure)
    assert [p for p, _, _ in found] == sorted(p for p, _, _ in found)
    for period, _, href in found:
        query = parse_qs(urlsplit(href).query)
        assert query["from"] == [period] and query["to"] == [period]
        assert query["q"] == ["port"]


@pytest.mark.parametrize(("ui", "rtl"), [("fr", False), ("ar", True)])
def test_time_runs_in_the_reading_direction(client: Any, ui: str, rtl: bool) -> None:
    found = bars(chart_of(client.get("/", params={"q": "port", "ui": ui}).text))
    xs = [x for _, x, _ in found]
    # oldest first in the markup: left to right in French, right to left in Arabic
    assert xs == sorted(xs, reverse=rtl)


def test_a_bar_link_filters_the_results_to_its_period(client: Any) -> None:
    found = bars(chart_of(client.get("/", params={"q": "port"}).text))
    period, _, href = next(b for b in found if b[0] == "2022-05")
    query = parse_qs(urlsplit(href).query)
    api = client.get(
        "/api/search", params={"q": query["q"][0], "from": period, "to": period}
    ).json()
    assert api["total"] == 3
    assert {hit["date"][:7] for hit in api["hits"]} == {period}
    page = client.get(href)
    assert page.status_code == 200 and 'data-total="3"' in page.text


def test_no_chart_when_no_hit_is_dated(client: Any) -> None:
    # nothing matches in 1990: no chart at all, rather than an empty frame
    text = client.get("/", params={"q": "port", "from": "1990", "to": "1990"}).text
    assert '<figure class="timeline"' not in text
