"""Incremental story links under a frozen idf: an update equals a computation from scratch.

The reference of every case is the same collection computed from scratch with the
same frozen idf (:meth:`LinkState.forget_results`); the update computes only the
rows of new and changed documents and must give the same links and related lists.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from test_linking import MINE_AR, PORT_AR, PORT_FR, TOY, word_for_word

from search.link_state import REFREEZE, STATE_FILE, LinkState
from search.linking import LinkDoc, links_of, similarity_graph
from search.related import related_of_graph

TRANSLATE = word_for_word(TOY)
WEATHER_FR = "Une vague de chaleur touche Marrakech et Agadir cette semaine."
WEATHER_AR = "موجة حر تضرب مراكش وأكادير هذا الأسبوع."
BASE = [
    LinkDoc("fr-port", "fr", PORT_FR, "2024-01-01"),
    LinkDoc("ar-port", "ar", PORT_AR, "2024-01-02"),
    LinkDoc("ar-mine", "ar", MINE_AR, "2024-01-02"),
    LinkDoc("fr-weather", "fr", WEATHER_FR, "2024-03-01"),
    LinkDoc("ar-weather", "ar", WEATHER_AR, "2024-03-01"),
] + [LinkDoc(f"ar-{n}", "ar", f"{MINE_AR} {n} ميناء", "2024-01-03") for n in range(8)]


def _run(docs: list[LinkDoc], state: LinkState) -> tuple[dict[str, tuple[str, ...]], object]:
    graph, report = similarity_graph(docs, TRANSLATE, state=state)  # type: ignore[arg-type]
    return links_of(docs, graph), (related_of_graph(graph), report)


def _scratch(docs: list[LinkDoc], state: LinkState) -> tuple[dict[str, tuple[str, ...]], object]:
    fresh = copy.deepcopy(state)
    fresh.forget_results()
    return _run(docs, fresh)


@pytest.mark.parametrize(
    ("change", "gone"),
    [
        # the Arabic port story removed: the French one loses its link
        (lambda docs: [d for d in docs if d.id != "ar-port"], {"ar-port"}),
        # its text changed to another story: the stale link goes with it
        (
            lambda docs: [
                LinkDoc(d.id, d.lang, MINE_AR, d.date) if d.id == "ar-port" else d for d in docs
            ],
            set(),
        ),
        # moved out of the date window (a changed date is a changed document)
        (
            lambda docs: [
                LinkDoc(d.id, d.lang, d.text, "2025-06-01") if d.id == "ar-port" else d
                for d in docs
            ],
            set(),
        ),
        # a new document, and a second Arabic version of the weather story
        (
            lambda docs: [
                *docs,
                LinkDoc("ar-weather-2", "ar", f"{WEATHER_AR} اليوم", "2024-03-02"),
            ],
            set(),
        ),
    ],
)
def test_an_update_equals_a_computation_from_scratch(change: object, gone: set[str]) -> None:
    state = LinkState({})
    before, _ = _run(BASE, state)
    assert before["fr-port"] == ("ar-port",)  # the collection has a link to lose
    after_docs = change(BASE)  # type: ignore[operator]
    reference = _scratch(after_docs, state)
    updated = _run(after_docs, state)
    assert updated[0] == reference[0]
    assert updated[1][0] == reference[1][0]  # type: ignore[index]  # related lists too
    report = updated[1][1]  # type: ignore[index]
    assert report["family_continued"] and report["rows"] < len(after_docs)
    if after_docs[-1].id != "ar-weather-2":  # the port story removed, changed or moved
        assert "ar-port" not in updated[0].get("fr-port", ())  # no stale link
    related = updated[1][0]  # type: ignore[index]
    assert not any(other in gone for pairs in related.values() for other, _ in pairs)


def test_nothing_changed_computes_no_row() -> None:
    state = LinkState({})
    first = _run(BASE, state)
    again = _run(BASE, state)
    assert again[0] == first[0] and again[1][1]["rows"] == 0  # type: ignore[index]


def test_a_large_change_starts_a_new_family() -> None:
    state = LinkState({})
    _run(BASE, state)
    grown = BASE + [
        LinkDoc(f"ar-new-{n}", "ar", f"{WEATHER_AR} {n}", "2024-03-02")
        for n in range(int(len(BASE) * REFREEZE) + 2)
    ]
    _, (_, report) = _run(grown, state)
    assert report["family_continued"] is False  # idf recomputed over the grown collection


def test_state_round_trips_and_damaged_files_are_ignored(tmp_path: Path) -> None:
    state = LinkState({"version": "x"})
    links, _ = _run(BASE, state)
    state.save(tmp_path / STATE_FILE)
    loaded = LinkState({"version": "x"})
    assert loaded.load(tmp_path / STATE_FILE) and loaded.family
    again, (_, report) = _run(BASE, loaded)
    assert again == links and report["rows"] == 0
    assert not LinkState({"version": "y"}).load(tmp_path / STATE_FILE)  # another algorithm
    (tmp_path / STATE_FILE).write_bytes(b"PK\x03\x04 hostile bytes")
    damaged = LinkState({"version": "x"})
    assert not damaged.load(tmp_path / STATE_FILE) and not damaged.family
