"""Highlighting: whole words, escaping, offsets, sentence-aware fragments in both scripts."""

from __future__ import annotations

import pytest

from search.query import highlighter, parse
from search.snippets import Highlighter


def marked(html: str) -> list[str]:
    return [part.split("</mark>")[0] for part in html.split("<mark>")[1:]]


@pytest.mark.parametrize(
    ("q", "text", "marks"),
    [
        ("humains", "Les êtres humains et l'humain.", ["humains", "humain"]),  # stemmed match
        # same stem بشر: each whole surface word is marked, never the stem inside it
        ("بالبشر", "مكافحة الاتجار بالبشر والبشرية", ["بالبشر", "والبشرية"]),
        ("البشر", "الاتجار بالبشر", ["بالبشر"]),  # same stem: the whole surface word is marked
        (
            "مسؤولية",
            "أكدت مسئوليتها عن مسؤولية",
            ["مسؤولية"],
        ),  # exact form differs: مسئوليتها unmarked
        ('"êtres humains"', "des êtres humains, des êtres", ["êtres", "humains"]),  # phrase only
        ("huma*", "humains humanité hum", ["humains", "humanité"]),  # prefix on exact forms
        ("l'observatoire", "L’Observatoire national", ["Observatoire"]),  # elision not marked
        ("Tanger", "<b>Tanger</b>", ["Tanger"]),
    ],
)
def test_whole_words_are_marked(q: str, text: str, marks: list[str]) -> None:
    assert marked(highlighter(parse(q)).mark(text)) == marks


def test_html_is_escaped_and_offsets_match_text() -> None:
    text = 'Alerte <script>alert("x")</script> sur le port & le quai. Rien.'
    (fragment,) = highlighter(parse("port quai")).fragments(text)
    assert "<script>" not in fragment.html and "&lt;script&gt;" in fragment.html
    assert "&amp;" in fragment.html
    assert [fragment.text[a:b] for a, b in fragment.matches] == ["port", "quai"]


def test_fragments_prefer_distinct_terms_and_keep_text_order() -> None:
    text = (
        "Le port ouvre. Rien à signaler ici. Le port ferme. "
        "Le port de Tanger et ses conteneurs. Autre phrase sans intérêt!"
    )
    fragments = highlighter(parse("port conteneurs")).fragments(text)
    assert 1 <= len(fragments) <= 3
    assert "conteneurs" in fragments[0].text or "conteneurs" in fragments[-1].text
    starts = [text.index(f.text) for f in fragments]
    assert starts == sorted(starts)
    for fragment in fragments:
        assert fragment.text.strip() == fragment.text


@pytest.mark.parametrize(
    "text",
    [
        "جملة أولى عن الميناء؟ جملة ثانية؛ جملة ثالثة عن الميناء.",
        "Première phrase sur le port… Seconde!\nTroisième sur le port?",
    ],
)
def test_sentence_boundaries_in_both_scripts(text: str) -> None:
    q = "ميناء" if "ميناء" in text or "الميناء" in text else "port"
    fragments = highlighter(parse(q)).fragments(text)
    assert len(fragments) == 2
    for fragment in fragments:
        assert fragment.text[-1] in ".؟?…" or fragment.text.endswith(("port", "الميناء"))


def test_long_sentence_is_windowed_around_the_match() -> None:
    text = ("mot " * 200) + "conteneurs " + ("suite " * 200)
    (fragment,) = highlighter(parse("conteneurs")).fragments(text)
    assert len(fragment.text) <= 260 and "conteneurs" in fragment.text
    assert not fragment.text.startswith(" ")


def test_no_match_falls_back_to_the_start() -> None:
    (fragment,) = highlighter(parse("absent")).fragments("Début du texte. Suite.")
    assert fragment.text.startswith("Début") and fragment.matches == ()


def test_empty_highlighter_marks_nothing() -> None:
    assert Highlighter().mark("a <b>") == "a &lt;b&gt;"
