"""The lexicon's offline training (:mod:`lab`): Model 1 and the build recipe, on inline data.

Rebuilding the real lexicon and comparing it byte for byte with the committed file
takes minutes over ``../shared/data``; it is a release step (``fihris lexicon build
--out /tmp/x.tsv.gz`` then ``cmp``), not a test. The committed file's contents are
tested in ``test_translate_lexicon.py``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from index import analyze
from lab.model1 import SentencePair, train


def test_model1_learns_from_cooccurrence_and_guards_rare_words() -> None:
    pairs = [
        SentencePair(("chat", "noir"), ("قط", "اسود")),
        SentencePair(("chat", "blanc"), ("قط", "ابيض")),
        SentencePair(("chien", "noir"), ("كلب", "اسود")),
        SentencePair(("chat",), ("قط",)),
        SentencePair(("rare", "chien"), ("نادر", "كلب")),
    ]
    model = train(pairs, iterations=8, min_count=2)
    assert max(model.translations("chat"), key=model.translations("chat").get) == "قط"
    assert max(model.translations("noir"), key=model.translations("noir").get) == "اسود"
    # seen once: no translation at all rather than one smeared over its sentence
    assert model.translations("rare") == {}


@pytest.mark.parametrize(
    ("french", "arabic"),
    [
        ("détection", {"كشف"}),  # detection → كشف: the French word's own term
        ("réservoirs", {"خزان"}),  # a gloss of ara-eng: "Reservoir|Tank", plural meets singular
        ("chair", set()),  # English chair (كرسي) is French flesh: short words are left out
        ("gouvernement", set()),  # translated by another source: no cognate row added
    ],
)
def test_cognates_translate_french_words_nothing_else_knows(
    tmp_path: Path, french: str, arabic: set[str]
) -> None:
    from lab.lexicon_build import BuildConfig, Corpus, _cognate_rows, cognate_pairs

    folder = tmp_path / "freedict-fr-en-ar"
    folder.mkdir()
    with gzip.open(folder / "eng-ara.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write("eng\tara\ndetection\tالكشف\nchair\tكرسي\ngovernment\tحكومة\n")
    with gzip.open(folder / "ara-eng.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write("ara\teng\nخزان\tReservoir|Tank\nحكومة\tGovernment\n")
    known = {"fr": {analyze("gouvernement")[0].term}, "ar": set()}
    french_words = {"reservoir": "réservoir"}  # French text never wrote "government"
    pairs = cognate_pairs(tmp_path)
    rows = _cognate_rows(pairs, known, french_words, Corpus([], {}), BuildConfig())
    term = analyze(french)[0].term
    got = {tgt for lang, src, tgt, _, prov, _ in rows if lang == "fr" and src == term}
    assert got == {analyze(a)[0].term for a in arabic}
    assert all(prov == "cognate" for *_, prov, _ in rows)
    # the other way, only towards French words seen in French text
    back = {(src, tgt) for lang, src, tgt, *_ in rows if lang == "ar"}
    assert back == {(analyze("خزان")[0].term, "reservoir")}


def test_translations_into_arabic_are_learned_from_standard_arabic_only() -> None:
    """A dialect sentence teaches Arabic→French (a reader may type بشحال) but
    never French→Arabic: the archive is written in Modern Standard Arabic."""
    from lab.lexicon_build import BuildConfig, _train_direction, analyse_corpus

    sentences = [
        ("Combien coûte le pain ?", "بشحال الخبز؟", True),  # Algerian
        ("Combien coûte le lait ?", "بشحال الحليب؟", True),
        ("Combien coûte le pain ?", "كم ثمن الخبز؟", False),  # Modern Standard Arabic
        ("Combien coûte le riz ?", "كم ثمن الأرز؟", False),
    ]
    corpus = analyse_corpus(sentences)
    combien, bechhal = analyze("combien")[0].term, analyze("بشحال")[0].term
    into_arabic, _ = _train_direction("fr", [], corpus, [], BuildConfig())
    from_arabic, _ = _train_direction("ar", [], corpus, [], BuildConfig())
    assert bechhal not in into_arabic.get(combien, {})
    assert combien in from_arabic.get(bechhal, {})
