"""The fast indexing path gives exactly the postings of Whoosh's own analyzer path.

``index.fields.AnalyzedText.index`` bypasses the analyzer chain for speed; if it
ever disagreed with the chain, queries (which go through the chain) would miss
indexed words or phrases would match at wrong positions. Each row compares the
two paths on one tricky text; a property test does the same on arbitrary text.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT
from whoosh.formats import Positions

from index.analysis import exact_analyzer, term_analyzer
from index.fields import AnalyzedText, encode_positions

TEXTS = [
    "La traite des êtres humains, selon l’Observatoire national de la criminalité.",
    "مكافحة الاتجار بالبشر في المغرب",
    "مُكَافَحَة الاتِّجار بالبَشَر",  # harakat inside words
    "Rabat،الرباط et الاتجارFrance",  # script changes inside a run
    "l'enfant, qu’il, jusqu’à aujourd’hui",  # elisions with every apostrophe
    "le le le la la",  # stop words only: positions still counted in the exact field
    "porte-parole COVID-19 2023-2030 3,5 %",  # hyphens and numbers
    "exploi\u00adtation",  # soft hyphen joins the word
    "e\u0301te\u0301 \ufefbجئين",  # decomposed accents, lam-alef ligature
    "Enfant enfant ENFANT enfants",  # repeated term: one posting, several positions
    "",  # nothing to index
]


def _chain(form: str, text: str) -> list[tuple[bytes, int, float, bytes]]:
    analyzer = term_analyzer() if form == "term" else exact_analyzer()
    # the stemmed fields keep frequencies, the exact fields positions (phrases)
    return sorted(TEXT(analyzer=analyzer, phrase=form == "exact").index(text))


def _fast(form: str, text: str) -> list[tuple[bytes, int, float, bytes]]:
    return sorted(AnalyzedText(form).index(text))  # type: ignore[arg-type]


@pytest.mark.parametrize("form", ["term", "exact"])
@pytest.mark.parametrize("text", TEXTS)
def test_fast_path_gives_the_chain_postings(form: str, text: str) -> None:
    assert _fast(form, text) == _chain(form, text)


def test_the_paired_field_does_not_reuse_another_texts_analysis() -> None:
    # body then body_exact share one analysis of the same text; a different text
    # in between must not be served from that one-entry cache
    assert _fast("term", "traite") != _fast("term", "enfants")
    assert _fast("exact", "enfants") == _chain("exact", "enfants")


@pytest.mark.parametrize("positions", [[0], [7], [70000], [1, 2, 3], [0, 5, 900, 901]])
def test_encode_positions_is_whoosh_encoding(positions: list[int]) -> None:
    assert encode_positions(positions) == Positions().encode(positions)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_fast_path_agrees_on_arbitrary_text(text: str) -> None:
    for form in ("term", "exact"):
        assert _fast(form, text) == _chain(form, text)
