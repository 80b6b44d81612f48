"""Completions (search/complete.py) over a real index: what a user typing gets.

The index is the web tests' (the two seed dispatches, the port dispatches in
both languages); the engine builds its completions in the background, as the
server does, and the tests wait for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search import SearchEngine
from search.complete import MAX_WORDS, Table, fold, mine


@pytest.fixture(scope="module")
def engine(index_dir: Path) -> Iterator[SearchEngine]:
    found = SearchEngine(index_dir)
    assert found.completions_ready(timeout=60)
    yield found
    found.close()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("trai", "traite des êtres humains"),  # a phrase, in its surface form
        ("etre", "êtres humains"),  # typed without the accent
        ("ÊTRES", "êtres humains"),  # capitals and accent
        ("traite ", "traite des êtres humains"),  # a finished word: its phrases
        ("الاتج", "الاتجار بالبشر"),  # Arabic prefix
        ("الإتج", "الاتجار بالبشر"),  # hamza seat typed: normalised away
        ("الاتجار ب", "الاتجار بالبشر"),  # the second word begun
        ("طنج", "طنجة المتوسط"),  # ة kept in the surface form, folded in the key
        ("Tanger", "Tanger Med"),  # a name keeps its capitals
        ("lutte contre la trai", "lutte contre la traite des êtres humains"),  # last word
        # a title
        ("Le port de Tanger Med bat", "Le port de Tanger Med bat un record de trafic (0)"),
    ],
)
def test_completion_found(engine: SearchEngine, typed: str, expected: str) -> None:
    found = engine.complete(typed)
    assert expected in found, found
    assert len(found) <= 8


@pytest.mark.parametrize(
    "typed",
    [
        "zzqx",  # nothing starts like this
        "...",  # punctuation only: no word
        "ـــ",  # tatweel only: no letter
    ],
)
def test_nothing_to_complete(engine: SearchEngine, typed: str) -> None:
    assert engine.complete(typed) == []


def test_most_frequent_first(engine: SearchEngine) -> None:
    """ "port" occurs in every port dispatch: it comes before a word seen twice."""
    found = engine.complete("po")
    assert found[0].lower() == "port", found


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Êtres", "etres"),
        ("l’Observatoire", "observatoire"),  # elision
        ("الأطفال", "الاطفال"),  # hamza seat
        ("القاهرة", "القاهره"),  # teh marbuta
        ("traite ", "traite "),  # a finished word keeps its space
        ("porte-parole", "porte parole"),
    ],
)
def test_fold_is_the_index_exact_form(text: str, key: str) -> None:
    assert fold(text) == key


def test_every_prefix_of_a_word_finds_it() -> None:
    """Folding acts letter by letter: each prefix typed reaches the word."""
    completions = mine([("", "Les êtres humains et la traite. Les êtres humains.")] * 2)
    for word in ("êtres humains", "traite"):
        for n in range(1, len(word) + 1):
            found = completions.complete(word[:n], 50)
            assert any(s.lower() == word.lower() for s in found), word[:n]


def test_phrases_stop_at_punctuation_and_stop_words() -> None:
    completions = mine([("", "Rabat, Casablanca et Tanger. Rabat, Casablanca et Tanger.")])
    assert "Rabat" in completions.complete("rab")
    assert not any("," in s for s in completions.complete("rab", 50))
    assert "Casablanca et" not in completions.complete("casa", 50)  # ends with a stop word
    assert all(len(s.split()) <= MAX_WORDS for s in completions.complete("c", 50))


def test_table_ranks_within_a_prefix() -> None:
    table = Table([("ab", "AB", 3), ("abc", "ABC", 1), ("abd", "ABD", 2), ("b", "B", 0)])
    assert table.starting("ab", 2) == ["ABC", "ABD"]
    assert table.starting("b", 5) == ["B"]
    assert table.starting("c", 5) == []
    assert table.nbytes > 0


def test_counting_is_bounded_and_keeps_the_frequent_in_both_scripts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the bound the rarest are forgotten; a large Arabic archive leaves French alone."""
    import search.complete as complete

    monkeypatch.setattr(complete, "MAX_COUNTED", 50)
    letters = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"

    def word(n: int) -> str:  # a distinct Arabic "word" per n, letters only
        return "".join(letters[d] for d in (n // 729, n // 27 % 27, n % 27)) + "ون"

    noise = [("", ". ".join(word(n * 30 + i) for i in range(30))) for n in range(40)]
    story = [("", "الاتجار بالبشر جريمة. vaccin contre la grippe.")] * 5
    completions = mine(noise[:20] + story + noise[20:])
    # (the phrase always goes on with the same word: its longer form is kept)
    assert "الاتجار بالبشر جريمة" in completions.complete("الاتج")
    assert "vaccin contre la grippe" in completions.complete("vacc")
    assert completions.phrases.size <= 2 * 50  # nothing rare was kept
