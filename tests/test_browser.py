"""The search page in a real headless Chromium (Debian's), driven by playwright.

A failing test leaves a full-page screenshot in tests/artifacts/ (see conftest).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AR_SEED, FR_SEED, XSS_ID

pytestmark = pytest.mark.browser


def submit_query(page: Any, q: str) -> None:
    page.fill("#q", q)
    page.press("#q", "Enter")
    page.wait_for_load_state("domcontentloaded")


def test_type_a_query_see_highlights_and_open_the_document(page: Any) -> None:
    page.goto("/")
    submit_query(page, "traite des êtres humains")
    first = page.locator("li.hit").first
    assert first.get_attribute("data-id") == FR_SEED
    assert first.locator("mark").count() >= 1
    assert page.locator(".results-count").inner_text().strip()[0].isdigit()
    first.locator("h3 a").click()
    page.wait_for_url(f"**/doc/{FR_SEED}**")
    assert page.locator("article.document mark").count() >= 1
    assert page.locator("article.document").get_attribute("lang") == "fr"


def test_switch_to_arabic_interface_and_arabic_results_read_rtl(page: Any) -> None:
    page.goto("/")
    submit_query(page, "الاتجار بالبشر")
    page.locator("a.ui-switch").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    hit = page.locator(f'li.hit[data-id="{AR_SEED}"]')
    assert hit.evaluate("el => getComputedStyle(el).direction") == "rtl"
    snippet = hit.locator("p.snippet").first
    assert snippet.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # the choice is remembered: a fresh visit stays in Arabic
    page.goto("/")
    assert page.locator("html").get_attribute("dir") == "rtl"


def test_a_french_result_reads_ltr_inside_the_arabic_interface(page: Any) -> None:
    page.goto("/?ui=ar&q=traite+des+%C3%AAtres+humains")
    hit = page.locator(f'li.hit[data-id="{FR_SEED}"]')
    assert hit.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"


def test_hostile_document_shows_as_text(page: Any) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:  # an alert() would mean injected script ran
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto("/")
    submit_query(page, "piratage")
    hit = page.locator(f'li.hit[data-id="{XSS_ID}"]')
    assert "<script>alert(1)</script>" in hit.inner_text()
    hit.locator("h3 a").click()
    page.wait_for_load_state("load")
    body = page.locator("article.document").inner_text()
    assert '"><img src=x onerror=alert(1)>' in body
    assert page.locator("article.document img").count() == 0
    assert page.locator("article.document script").count() == 0
    assert dialogs == []


def test_search_works_with_javascript_disabled(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        page.fill("#q", "الاتجار بالبشر")
        page.click("button[type=submit].primary")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("li.hit").first.get_attribute("data-id") == AR_SEED
        page.locator("a.ui-switch").click()  # plain links: no script needed
        assert page.locator("html").get_attribute("dir") == "rtl"
    finally:
        context.close()


def test_no_console_errors_and_no_csp_violations(page: Any) -> None:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto("/?q=port")
    page.select_option("select[name=sort]", "date")  # the optional script submits the form
    page.wait_for_url("**sort=date**")
    assert page.locator("li.hit").count() >= 1
    assert problems == []


@pytest.mark.parametrize(("ui", "rtl"), [("fr", False), ("ar", True)])
def test_timeline_chart_reads_in_the_interface_direction_and_filters(
    page: Any, ui: str, rtl: bool
) -> None:
    """Screenshots of the timeline in both interfaces go to tests/artifacts/ (pass or fail)."""
    from conftest import ARTIFACTS

    problems: list[str] = []  # a CSP violation (inline style) is a console error
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"/?q=port&ui={ui}")
    figure = page.locator("figure.timeline")
    assert figure.is_visible()
    assert figure.locator("svg").get_attribute("role") == "img"
    bars = figure.locator("a.timeline-bar rect")
    first, last = bars.first.bounding_box(), bars.last.bounding_box()
    assert first and last and first["height"] > 0
    # oldest bar on the left in French, on the right in Arabic
    assert (first["x"] > last["x"]) is rtl
    # the bars are coloured by the stylesheet (no inline style under the CSP)
    fill = bars.first.evaluate("el => getComputedStyle(el).fill")
    assert fill not in {"", "none", "rgb(0, 0, 0)"}
    ARTIFACTS.mkdir(exist_ok=True)
    figure.screenshot(path=str(ARTIFACTS / f"timeline-{ui}.png"))
    page.screenshot(path=str(ARTIFACTS / f"timeline-page-{ui}.png"), full_page=True)
    period = figure.locator("a.timeline-bar").first.get_attribute("data-period")
    figure.locator("a.timeline-bar").first.click()
    page.wait_for_url(f"**from={period}**")
    assert f"to={period}" in page.url
    dates = page.locator("li.hit time").evaluate_all("els => els.map(e => e.dateTime)")
    assert dates and all(d.startswith(str(period)) for d in dates)
    assert problems == []


@pytest.mark.parametrize("ui", ["fr", "ar"])
def test_subscribe_and_download_links_work_in_the_browser(page: Any, ui: str) -> None:
    """The feed link reads as a feed; the CSV download opens with csv (screenshot saved)."""
    import csv

    import feedparser
    from conftest import ARTIFACTS

    page.goto(f"/?q=port&ui={ui}")
    feed = page.locator("a.feed-link")
    assert feed.is_visible()
    href = feed.get_attribute("href")
    head = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    assert head.get_attribute("href") == href
    parsed = feedparser.parse(page.request.get(href).body())
    assert parsed.version == "atom10" and parsed.entries
    with page.expect_download() as info:
        page.locator("a.export-link", has_text="CSV").click()
    download = info.value
    assert download.suggested_filename == "fihris-export.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = page.locator("[data-total]").first.get_attribute("data-total")
    assert len(rows) == int(str(total)) and rows[0]["link"].startswith("http://127.0.0.1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("p.tools").screenshot(path=str(ARTIFACTS / f"tools-{ui}.png"))
