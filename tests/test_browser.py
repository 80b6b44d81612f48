"""The search page in a real headless Chromium (Debian's), driven by playwright.

A failing test leaves a full-page screenshot in tests/artifacts/ (see conftest).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import AR_SEED, ARTIFACTS, FR_SEED, XSS_ID
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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


# -- suggestions while typing (fihris.js over /api/suggest) ------------------------------
SHOTS = Path(os.environ.get("FIHRIS_SHOTS", str(ARTIFACTS / "shots")))


def wait_for_suggestions(page: Any) -> Any:
    """The open list; completions are built in the background: type again until they come."""
    listbox = page.locator("#q-suggestions")
    for _ in range(60):
        try:
            listbox.wait_for(state="visible", timeout=1000)
            return listbox
        except PlaywrightTimeout:
            page.press("#q", "End")
            page.keyboard.type(" ")
            page.keyboard.press("Backspace")
    raise AssertionError("no suggestion list appeared")


@pytest.mark.parametrize(
    ("ui", "typed", "expected", "direction"),
    [
        ("fr", "etre", "êtres humains", "ltr"),  # accent not typed
        ("ar", "الاتج", "الاتجار بالبشر", "rtl"),
    ],
)
def test_suggestions_while_typing_keyboard_and_screenshot(
    page: Any, ui: str, typed: str, expected: str, direction: str
) -> None:
    page.goto(f"/?ui={ui}")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    box.click()
    page.keyboard.type(typed, delay=30)
    listbox = wait_for_suggestions(page)
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.locator("[role=option]")
    texts = options.all_inner_texts()
    assert expected in texts, texts
    assert options.first.evaluate("el => getComputedStyle(el).direction") == direction
    # Down to the expected one: it becomes the active descendant
    for _ in range(texts.index(expected) + 1):
        page.keyboard.press("ArrowDown")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"suggestions-{ui}.png"))
    chosen = options.nth(texts.index(expected))
    assert chosen.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == chosen.get_attribute("id")
    # Up then Down comes back to it; Enter takes it and searches
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_load_state("domcontentloaded")
    page.wait_for_selector("li.hit")
    assert page.locator("#q").input_value() == expected
    assert "q=" in page.url


def test_escape_closes_the_list_and_keeps_the_text(page: Any) -> None:
    page.goto("/")
    page.locator("#q").click()
    page.keyboard.type("trai", delay=30)
    wait_for_suggestions(page)
    page.keyboard.press("Escape")
    assert page.locator("#q-suggestions").is_hidden()
    assert page.locator("#q").get_attribute("aria-expanded") == "false"
    assert page.locator("#q").input_value() == "trai"
    # Down opens it again
    page.keyboard.press("ArrowDown")
    page.locator("#q-suggestions").wait_for(state="visible")
    page.locator("#q-suggestions [role=option]").first.click()  # a click takes one
    page.wait_for_selector("li.hit")
    assert page.locator("#q").input_value().startswith("trai")


def test_without_javascript_the_box_is_a_plain_search_field(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.locator("#q").get_attribute("role") is None  # no half-made combobox
        assert page.locator("#q-suggestions").is_hidden()
        page.fill("#q", "trai")
        page.click("button[type=submit].primary")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#q").input_value() == "trai"
    finally:
        context.close()


# -- the story side by side (/doc/{id} with its other-language version) -----------------
def wait_for_counterpart(page: Any, url: str) -> None:
    """Links are computed in the background after the index opens: reload until shown."""
    for _ in range(60):
        page.goto(url)
        if page.locator("article.counterpart").count():
            return
        page.wait_for_timeout(1000)
    raise AssertionError("the linked version never appeared")


@pytest.mark.parametrize(
    ("ui", "doc_id", "q", "other_lang"),
    [
        ("fr", FR_SEED, "traite des êtres humains", "ar"),
        ("ar", AR_SEED, "الاتجار بالبشر", "fr"),
    ],
)
def test_story_side_by_side_in_both_interfaces(
    page: Any, ui: str, doc_id: str, q: str, other_lang: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    wait_for_counterpart(page, f"/doc/{doc_id}?q={q}&ui={ui}")
    main, other = page.locator("article.document"), page.locator("article.counterpart")
    assert other.get_attribute("lang") == other_lang
    assert other.get_attribute("dir") == ("rtl" if other_lang == "ar" else "ltr")
    assert main.get_attribute("dir") == ("ltr" if other_lang == "ar" else "rtl")
    # two columns, tops aligned; in the Arabic interface the first column is on the right
    a, b = main.bounding_box(), other.bounding_box()
    assert abs(a["y"] - b["y"]) < 1 and b["width"] > 300
    assert (a["x"] < b["x"]) == (ui == "fr")
    # the query's words marked in both: the other column by their translations
    assert main.locator("mark").count() >= 1 and other.locator("mark").count() >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"side-by-side-{ui}.png"))
    # a narrow screen stacks them
    page.set_viewport_size({"width": 420, "height": 900})
    a, b = main.bounding_box(), other.bounding_box()
    assert b["y"] >= a["y"] + a["height"] - 1
    assert abs(a["x"] - b["x"]) < 1


def test_related_dispatches_listed_with_dates(page: Any) -> None:
    url = "/doc/agence/2021/port-0?ui=ar"
    for _ in range(60):
        page.goto(url)
        if page.locator("section.related li").count():
            break
        page.wait_for_timeout(1000)
    items = page.locator("section.related li")
    assert items.count() >= 2
    assert {items.nth(i).locator("a").get_attribute("lang") for i in range(items.count())} == {
        "fr",
        "ar",
    }
    assert items.first.locator("time").get_attribute("datetime")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("section.related").screenshot(path=str(SHOTS / "related-ar.png"))
    items.first.locator("a").click()
    page.wait_for_load_state("domcontentloaded")
    assert "/doc/" in page.url


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
