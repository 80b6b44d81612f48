"""Linked translations: declared pairs, date windows, mutual best match, per-generation cache."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from index import IndexStore, build_index
from search.linking import (
    THRESHOLD,
    LinkDoc,
    compute_links,
    dates_compatible,
    day_range,
    declared_links,
    lexicon_translate,
)
from search.links import LINKS_FILE, GenerationLinks, links_for

ROOT = Path(__file__).resolve().parents[1]
FR_SEED, AR_SEED = "000_e39b19ec1737aeb7.txt", "001_67a435615c650090.txt"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2024-07-26", "2024-07-27", True),
        ("2024-07-26", "2024-07-29", True),  # three days: the edge of the window
        ("2024-07-26", "2024-07-30", False),
        ("2024-07", "2024-07-30", True),  # a month covers its last day
        ("2024-06", "2024-07-04", False),  # June ends on the 30th, four days before
        ("2024-12-31", "2025-01-02", True),  # across a year boundary
        ("2024", "2024-12-31", True),
        (None, "2024-07-26", True),  # undated: no constraint (the Arabic seed has no date)
        ("2024-13-45", "2024-07-26", True),  # unreadable counts as undated
    ],
)
def test_dates_compatible(a: str | None, b: str | None, expected: bool) -> None:
    assert dates_compatible(a, b) is expected
    assert dates_compatible(b, a) is expected  # symmetric


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2024-12", (date(2024, 12, 1), date(2024, 12, 31))),  # the month after is next year's
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),  # a leap year's February
        ("2024-07-26T23:48", (date(2024, 7, 26), date(2024, 7, 26))),  # a time is ignored
        ("", None),
    ],
)
def test_day_range(iso: str, expected: tuple[date, date] | None) -> None:
    assert day_range(iso) == expected


def test_declared_pairs_link_only_across_languages() -> None:
    docs = [
        LinkDoc("a-fr", "fr", "x", pair_id="p1"),
        LinkDoc("a-ar", "ar", "y", pair_id="p1"),
        LinkDoc("b-fr", "fr", "z", pair_id="p2"),  # alone: no link
        LinkDoc("c-fr", "fr", "z", pair_id="p3"),
        LinkDoc("c-fr2", "fr", "z", pair_id="p3"),  # same language: never linked together
    ]
    assert declared_links(docs) == {"a-fr": {"a-ar"}, "a-ar": {"a-fr"}}


def word_for_word(table: Mapping[str, str]) -> object:
    """A toy translator: each French word's analysed term through ``table``."""
    from index import analyze

    def translate(text: str, target: str, vocabulary: Mapping[str, int]) -> dict[str, float]:
        bag: dict[str, float] = {}
        for tok in analyze(text):
            bag[table.get(tok.term, tok.term)] = bag.get(table.get(tok.term, tok.term), 0.0) + 1
        return bag

    return translate


TOY = {"port": "ميناء", "tang": "طنج", "record": "قياسيا", "conteneur": "حاو", "bat": "يسجل"}
PORT_FR = "Le port de Tanger bat un record de conteneurs."
PORT_AR = "ميناء طنجة يسجل رقما قياسيا من الحاويات."
MINE_AR = "منجم الفوسفاط يسجل إنتاجا جديدا في خريبكة."  # shares one word: يسجل


@pytest.mark.parametrize(
    ("docs", "expected"),
    [
        # the same story, undated on one side: linked both ways
        (
            [LinkDoc("fr", "fr", PORT_FR, "2024-01-01"), LinkDoc("ar", "ar", PORT_AR)],
            {"fr": ("ar",), "ar": ("fr",)},
        ),
        # dates a year apart: not the same story, however similar the words
        (
            [
                LinkDoc("fr", "fr", PORT_FR, "2024-01-01"),
                LinkDoc("ar", "ar", PORT_AR, "2025-01-01"),
            ],
            {},
        ),
        # a different story sharing one word (يسجل) is not linked: its cosine is under the
        # threshold (the Arabic port story, a year later, is out of the date window)
        (
            [
                LinkDoc("fr", "fr", PORT_FR, "2024-01-01"),
                LinkDoc("ar-later", "ar", PORT_AR, "2025-01-01"),
                LinkDoc("ar", "ar", MINE_AR),
            ],
            {},
        ),
        # declared pairs win and their documents are not linked again by similarity
        (
            [
                LinkDoc("fr", "fr", PORT_FR, pair_id="p"),
                LinkDoc("ar", "ar", MINE_AR, pair_id="p"),
                LinkDoc("ar2", "ar", PORT_AR),
            ],
            {"fr": ("ar",), "ar": ("fr",)},
        ),
    ],
)
def test_compute_links(docs: list[LinkDoc], expected: dict[str, tuple[str, ...]]) -> None:
    assert compute_links(docs, word_for_word(TOY)) == expected  # type: ignore[arg-type]


def test_mutual_best_keeps_one_version_per_language() -> None:
    # two Arabic versions of the port story: only the better one is linked
    docs = [
        LinkDoc("fr", "fr", PORT_FR),
        LinkDoc("ar-full", "ar", PORT_AR),
        LinkDoc("ar-short", "ar", "ميناء طنجة."),
    ]
    assert compute_links(docs, word_for_word(TOY))["fr"] == ("ar-full",)  # type: ignore[arg-type]


def test_the_seed_dispatches_are_linked_with_the_real_lexicon() -> None:
    from search.translate.lexicon import Lexicon

    fr = (ROOT / "corpus" / FR_SEED).read_text("utf-8")
    ar = (ROOT / "corpus" / AR_SEED).read_text("utf-8")
    docs = [LinkDoc("fr", "fr", fr, "2024-07-26"), LinkDoc("ar", "ar", ar)]
    assert compute_links(docs, lexicon_translate(Lexicon.load())) == {
        "fr": ("ar",),
        "ar": ("fr",),
    }


# -- per generation ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("links") / "corpus"
    corpus.mkdir()
    for name in (FR_SEED, AR_SEED):
        (corpus / name).write_bytes((ROOT / "corpus" / name).read_bytes())
    build_index(corpus, corpus.parent / "index")
    return corpus.parent / "index"


def test_generation_links_are_persisted_and_reused(seed_index: Path) -> None:
    index, _ = IndexStore(seed_index).open()
    links = links_for(index)
    assert links is not None and links.wait(120)
    assert links.of(FR_SEED) == (AR_SEED,) and links.of(AR_SEED) == (FR_SEED,)
    saved = json.loads((links.gen_dir / LINKS_FILE).read_text("utf-8"))
    assert saved["links"][FR_SEED] == [AR_SEED] and saved["stamp"]["threshold"] == THRESHOLD
    # a second reader (a restarted server) reads the file: a translator that would
    # link nothing proves the links did not come from a new computation
    again = GenerationLinks(links.gen_dir, index, translate=lambda *_: {})
    saved["stamp"]["lexicon"] = "injected"
    (links.gen_dir / LINKS_FILE).write_text(json.dumps(saved), "utf-8")
    assert again.wait(120) and again.of(FR_SEED) == (AR_SEED,)


def test_a_file_of_another_generation_is_ignored(seed_index: Path) -> None:
    # an update hard-links the previous generation's files: a stale stamp means recompute
    index, _ = IndexStore(seed_index).open()
    gen_dir = IndexStore(seed_index).current_dir()
    stale = {"stamp": {"generation": -1}, "links": {FR_SEED: ["nonexistent"]}}
    (gen_dir / LINKS_FILE).write_text(json.dumps(stale), "utf-8")
    fresh = GenerationLinks(gen_dir, index)
    assert fresh.wait(120) and fresh.of(FR_SEED) == (AR_SEED,)


@pytest.mark.parametrize("removed", [False, True])
def test_a_generation_that_cannot_be_linked_gives_no_links_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, removed: bool
) -> None:
    # removed: an old generation deleted while linked (or an evaluation's throw-away index):
    # a line in the log, no traceback; still there but unreadable: an error with its trace
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / FR_SEED).write_bytes((ROOT / "corpus" / FR_SEED).read_bytes())
    build_index(corpus, tmp_path / "index")
    index, _ = IndexStore(tmp_path / "index").open()
    gen_dir = IndexStore(tmp_path / "index").current_dir()
    if removed:
        shutil.rmtree(gen_dir)
    else:
        for part in gen_dir.glob("*.toc"):
            part.unlink()  # the generation's table of contents: Whoosh cannot read it
    links = GenerationLinks(gen_dir, index, translate=lambda *_: {})
    with caplog.at_level(logging.INFO, logger="search.links"):
        assert links.wait(60)
    assert links.of(FR_SEED) == () and links.report == {"source": "failed"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    if removed:
        assert not errors and any("was removed" in r.getMessage() for r in caplog.records)
    else:
        assert errors and errors[0].exc_info is not None


@pytest.mark.parametrize(
    ("french_date", "arabic_date", "linked"),
    [
        ("2024-07-26", "2024-07-29", True),  # inside the window (3 days)
        ("2024-07-26", "2024-08-01", False),  # outside: never a link, however similar
        ("2024-07-26", None, True),  # an undated Arabic document is always a candidate
        (None, "2015-01-01", True),  # an undated French one too
        ("2024-07", "2024-06-28", True),  # a month's window starts 3 days before the 1st
        ("2024-07", "2024-06-27", False),
    ],
)
def test_links_within_the_date_window(
    french_date: str | None, arabic_date: str | None, linked: bool
) -> None:
    docs = [LinkDoc("fr", "fr", PORT_FR, french_date), LinkDoc("ar", "ar", PORT_AR, arabic_date)]
    found = compute_links(docs, word_for_word(TOY))  # type: ignore[arg-type]
    assert (found.get("fr") == ("ar",)) is linked
