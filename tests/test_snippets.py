"""Highlighting: whole words, escaping, offsets, sentence-aware fragments in both scripts."""

from __future__ import annotations

from bisect import bisect_right

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from index import tokenize
from search.marks import Match, key_of
from search.query import highlighter, parse
from search.snippets import _SENTENCE_END, Highlighter, _sentence_groups

Group = tuple[int, int, list[Match]]


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


#: Words that repeat, share stems, carry punctuation, take no word position
#: (a dash, «), voweled and hamza variants, elisions: what makes a scan go wrong.
WORDS = [
    "le", "port", "Port,", "ports.", "l'humain", "humains", "—", "«", "»", "êtres",
    "etres", "traite", "des", "de", "la", "santé", "santé.", "بالبشر", "البشر",
    "الاتجار", "الإتجار", "مَدْرَسَة", "مدرسة", "و", "(الأمم", "المتحدة)", "3,5", "x-y",
]  # fmt: skip
seps = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", " \n "])


@st.composite
def text_and_highlighter(draw: st.DrawFn) -> tuple[str, Highlighter]:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40))
    text = "".join(w + draw(seps) for w in words)
    tokens = tokenize(text)
    if not tokens:
        return text, Highlighter(terms=frozenset({"port"}))
    pick = st.sampled_from(tokens)
    terms = frozenset(t.term for t in draw(st.lists(pick, max_size=3)))
    exacts = frozenset(t.exact for t in draw(st.lists(pick, max_size=2)))
    phrases = []
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(tokens) - 1))
        width = draw(st.integers(1, 4))
        phrases.append(tuple(t.exact for t in tokens[i : i + width]))
    prefixes = tuple(t.exact[:2] for t in draw(st.lists(pick, max_size=1)))
    return text, Highlighter(terms, exacts, tuple(phrases), prefixes)


def matches_by_tokens(marks: Highlighter, text: str) -> list[Match]:
    """The reference: every word of ``tokenize`` walked, phrases tried at every word
    (a later phrase's key wins on a shared word)."""
    tokens = tokenize(text)
    found: dict[int, Match] = {}
    for i, tok in enumerate(tokens):
        key = key_of(tok.term, tok.exact, tok.stop, marks.terms, marks.exacts, marks.prefixes)
        if key is not None:
            found[i] = (tok.start, tok.end, key)
    exacts = [t.exact for t in tokens]
    for phrase in marks.phrases:
        for i in range(len(tokens) - len(phrase) + 1):
            if exacts[i : i + len(phrase)] == list(phrase):
                for k in range(i, i + len(phrase)):
                    found[k] = (tokens[k].start, tokens[k].end, " ".join(phrase))
    return [found[i] for i in sorted(found)]


@settings(max_examples=400, deadline=None)
@given(text_and_highlighter())
def test_fast_scan_marks_what_the_tokens_mark(case: tuple[str, Highlighter]) -> None:
    """The scan of distinct chunks finds exactly the marks a walk over ``tokenize`` finds."""
    text, marks = case
    assert marks.matches(text) == matches_by_tokens(marks, text)


def sentence_groups_by_full_scan(text: str, matches: list[Match]) -> list[Group]:
    """The reference: every sentence end of the text found, matches placed by bisection."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    groups: dict[int, list[Match]] = {}
    for match in sorted(matches):
        groups.setdefault(bisect_right(ends, match[0]), []).append(match)
    out = []
    for k, group in groups.items():
        lo = ends[k - 1] if k else 0
        hi = ends[k] if k < len(ends) else len(text)
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        inside = [m for m in group if lo <= m[0] and m[1] <= hi]
        if inside:
            out.append((lo, hi, inside))
    return out


#: Sentence ends of both scripts, with the quotes and runs of spaces and newlines
#: that make a scan started in the middle of one see a different end.
ENDS = [". ", ".\n \n", "؟ ", "؛\n", "… ", ".» ", "!!  ", "\n\n", ". \u00a0"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(WORDS), st.one_of(seps, st.sampled_from(ENDS))),
        min_size=1,
        max_size=60,
    ),
    st.data(),
    # tiny look-backs exercise the fallback scan from the previous sentence
    st.integers(1, 40),
)
def test_sentences_found_near_matches_are_the_full_scans(
    pieces: list[tuple[str, str]], data: st.DataObject, look_back: int
) -> None:
    text = "".join(word + sep for word, sep in pieces)
    tokens = tokenize(text)
    assume(tokens)
    chosen = data.draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=8, unique=True))
    matches = [(t.start, t.end, t.exact) for t in chosen]
    found = list(_sentence_groups(text, matches, look_back))
    assert found == sentence_groups_by_full_scan(text, matches)


@settings(max_examples=300, deadline=None)
@given(text_and_highlighter())
def test_one_pass_scan_for_many_chunks_marks_the_same(case: tuple[str, Highlighter]) -> None:
    """Past ``_FIND_MOST`` marked chunks (a prefix query's hundreds of forms) the chunks
    are located in one pass over the text instead of one ``find`` each: same marks."""
    from search import marks as marks_module

    text, marks = case
    saved = marks_module._FIND_MOST
    marks_module._FIND_MOST = 0  # every scan takes the one-pass path
    try:
        assert marks.matches(text) == matches_by_tokens(marks, text)
    finally:
        marks_module._FIND_MOST = saved


def _news_texts(count: int) -> list[str]:
    """Distinct texts of both scripts: many distinct chunks for the chunk map to learn."""
    words = ["réforme", "gouvernement", "l'économie", "مجلس", "الوزراء", "بالمغرب", "«vote»"]
    return [
        " ".join(f"{words[(i + k) % len(words)]}{i * 31 + k}," for k in range(40))
        + " réforme الوزراء"
        for i in range(count)
    ]


def test_chunk_map_is_bounded_in_bytes_and_marks_the_same() -> None:
    """Past its bound the chunk map starts afresh; the marks never change."""
    from search import marks as marks_module

    texts = _news_texts(400)
    marks = highlighter(parse("réforme الوزراء"))
    limit = 64 << 10
    saved = marks_module._limit
    marks_module.set_chunk_map_bytes(limit)
    marks_module._chunk_map = marks_module._ChunkMap()
    try:
        fresh = 0
        for text in texts:
            before = marks_module._chunk_map
            assert marks.matches(text) == matches_by_tokens(marks, text)
            fresh += marks_module._chunk_map is not before
            # at most one text's chunks past the bound (a text is learnt whole)
            assert marks_module.chunk_map_bytes() < limit + (16 << 10)
        assert fresh >= 3  # the bound was reached, several times
    finally:
        marks_module.set_chunk_map_bytes(saved)
        marks_module._chunk_map = marks_module._ChunkMap()


def test_chunk_map_estimate_is_near_what_it_holds() -> None:
    """The estimate is within 0.8–2× of the objects the map holds (their sizes summed;
    not tracemalloc, which would count other tests' threads too)."""
    import sys

    from search.marks import _ChunkMap

    learnt = _ChunkMap()
    for text in _news_texts(300):
        learnt.learn(set(text.split()))
    seen: set[int] = set()
    held = 0
    for obj in [learnt.seen, learnt.by_term, learnt.by_exact]:
        todo: list[object] = [obj]
        while todo:
            item = todo.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            held += sys.getsizeof(item)
            if isinstance(item, dict):
                todo += [*item.keys(), *item.values()]
            elif isinstance(item, set):
                todo += list(item)
    assert 0.8 * held <= learnt.nbytes <= 2 * held
