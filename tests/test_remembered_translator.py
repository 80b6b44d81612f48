"""Linking's translator remembers each word's translation: exactly what computing it gives."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from index.analysis import tokenize
from search.linking import LexiconTranslate, lead
from search.translate.lexicon import Lexicon
from search.translate.remembered import RememberingTranslator
from search.translate.translator import QueryTranslator, name_form

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _docs(name: str, lang: str) -> list[str]:
    with gzip.open(CORPUS / name / f"docs.{lang}.jsonl.gz", "rt", encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines]


@pytest.fixture(scope="module")
def bundled() -> dict[str, Any]:
    """The bundled FLORES and TICO documents: French leads, the Arabic name vocabulary."""
    french = _docs("flores200-devtest", "fr") + _docs("tico19-test", "fr")
    vocabulary: dict[str, int] = {}
    for text in _docs("flores200-devtest", "ar") + _docs("tico19-test", "ar"):
        for tok in tokenize(text):
            if not tok.stop:
                key = name_form("ar", tok.term, tok.exact)
                vocabulary[key] = vocabulary.get(key, 0) + 1
    return {"leads": [lead(t) for t in french], "vocabulary": vocabulary, "lexicon": Lexicon.load()}


def _translate_all(translate: Any, leads: list[str], vocabulary: dict[str, int]) -> list[Any]:
    """Per lead: its bag and the name look-ups it made (what link features keep)."""
    out = []
    for text in leads:
        translate.probes.clear()
        bag = translate(text, "ar", vocabulary)
        out.append((dict(bag), list(translate.probes)))
    return out


def test_remembered_translations_equal_computed_ones_bit_for_bit(bundled: dict[str, Any]) -> None:
    leads, vocabulary = bundled["leads"], bundled["vocabulary"]
    remembering = LexiconTranslate(bundled["lexicon"])
    plain = LexiconTranslate(bundled["lexicon"])
    plain.translator = QueryTranslator(plain.translator.lexicon)
    plain.translator.probes = plain.probes
    assert isinstance(remembering.translator, RememberingTranslator)
    # twice through the leads: the second pass is all remembered words
    remembered = _translate_all(remembering, leads + leads, vocabulary)
    computed = _translate_all(plain, leads + leads, vocabulary)
    assert remembered == computed  # the same weights (floats compared exactly), same look-ups
    assert remembering.translator.hits > len(leads) * 10  # and it did remember


@pytest.mark.parametrize(
    ("first", "second", "word_first", "word_second"),
    [
        # a capital makes a French word a name: Vienne the city, vienne the verb (same exact form)
        ("Il part pour Vienne.", "Qu'il vienne demain.", "Vienne", "vienne"),
        # an acronym is looked up as written (MERS, the virus), the word as stemmed (mers: seas)
        ("Le MERS se propage.", "Les mers montent.", "MERS", "mers"),
        # a phrase starts at "traite" only with its next words; alone it is another word
        ("La traite des êtres humains.", "La traite recule.", "traite des êtres humains", "traite"),
    ],
)
def test_a_word_remembered_in_one_context_is_not_reused_in_another(
    bundled: dict[str, Any], first: str, second: str, word_first: str, word_second: str
) -> None:
    vocabulary = bundled["vocabulary"]
    remembering = LexiconTranslate(bundled["lexicon"])
    remembering(first, "ar", vocabulary)
    plain = LexiconTranslate(bundled["lexicon"])
    plain.translator = QueryTranslator(plain.translator.lexicon)
    assert dict(remembering(second, "ar", vocabulary)) == dict(plain(second, "ar", vocabulary))
    # the case bites: the shared word translates differently in the two contexts
    assert dict(plain(word_first, "ar", vocabulary)) != dict(plain(word_second, "ar", vocabulary))


def test_another_vocabulary_forgets_what_was_remembered(bundled: dict[str, Any]) -> None:
    translate = LexiconTranslate(bundled["lexicon"])
    text = "Kipping a rencontré Merkel à Berlin."
    with_names = dict(translate(text, "ar", bundled["vocabulary"]))
    without = dict(translate(text, "ar", {}))  # no Arabic word to match names against
    plain = LexiconTranslate(bundled["lexicon"])
    plain.translator = QueryTranslator(plain.translator.lexicon)
    assert without == dict(plain(text, "ar", {}))
    assert with_names == dict(plain(text, "ar", bundled["vocabulary"]))
