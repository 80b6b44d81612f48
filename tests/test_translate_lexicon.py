"""Lexicon data model, the committed file, the glossary, and the translator.

The lexicon's training (Model 1, the build recipe) is tested in ``test_lab_lexicon_build.py``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from index import ANALYSIS_VERSION, analyze, tokenize
from search.translate.glossary import parse_tsv
from search.translate.lexicon import Lexicon
from search.translate.translator import QueryTranslator, arabic_variants


def _term(text: str) -> str:
    return " ".join(t.term for t in analyze(text))


@pytest.fixture(scope="module")
def committed() -> Lexicon:
    return Lexicon.load()


def test_committed_lexicon_is_keyed_to_current_analysis(committed: Lexicon) -> None:
    assert len(committed) > 5000
    assert committed.analysis_version == ANALYSIS_VERSION, "rebuild: fihris lexicon build"
    assert not committed.stale


@pytest.mark.parametrize(
    ("src", "lang", "expected"),
    [
        ("traite des êtres humains", "fr", "الاتجار بالبشر"),  # a phrase, not "traitement"
        ("الاتجار بالبشر", "ar", "êtres humains"),
        ("enfant", "fr", "طفل"),
        ("parlement", "fr", "برلمان"),
        ("exploitation", "fr", "استغلال"),
        ("commission nationale", "fr", "اللجنة الوطنية"),
        ("gouvernement", "fr", "حكومة"),
        ("juillet", "fr", "يوليوز"),  # Maghreb month name
        ("تموز", "ar", "juillet"),  # Mashriq month name
        ("Kadhafi", "fr", "القذافي"),
    ],
)
def test_committed_seed_translations(
    committed: Lexicon, src: str, lang: str, expected: str
) -> None:
    wanted = set(_term(expected).split())
    got = {part for tr in committed.translations(_term(src), lang) for part in tr.terms}
    assert wanted <= got


def test_weights_sum_to_one_and_provenance_is_known(committed: Lexicon) -> None:
    allowed = {"glossary", "gazetteer", "model1", "freedict", "cognate"}
    for lang, table in committed.entries.items():
        assert lang in {"fr", "ar"}
        for trs in list(table.values())[:2000]:
            assert abs(sum(tr.weight for tr in trs) - 1.0) < 0.01
            for tr in trs:
                assert set(tr.provenance.split("+")) <= allowed


def test_write_is_deterministic(tmp_path: Path) -> None:
    rows = [
        ("fr", "roi", "ملك", 1.0, "glossary", "الملك"),
        ("ar", "ملك", "roi", 1.0, "glossary", "roi"),
    ]
    a = Lexicon.from_rows(rows).write(tmp_path / "a.tsv.gz")
    b = Lexicon.from_rows(list(reversed(rows))).write(tmp_path / "b.tsv.gz")
    assert a.read_bytes() == b.read_bytes()
    loaded = Lexicon.load(a)
    assert loaded.translations("roi", "fr")[0].display == "الملك"
    assert "ملك" in gzip.decompress(a.read_bytes()).decode()


def test_glossary_parser_skips_comments_and_stopword_only_sides() -> None:
    entries = parse_tsv(["# c", "fr\tar\tcategory", "roi\tالملك\tgov", "de\tمن\tx"], "glossary")
    assert [(e.fr_terms, e.ar_terms) for e in entries] == [(("roi",), ("ملك",))]


@pytest.mark.parametrize(
    ("query", "target", "source_text", "must_include"),
    [
        # the Done-when example, both ways
        ("traite des êtres humains", "ar", "traite des êtres humains", {"اتجار", "بشر"}),
        ("الاتجار بالبشر", "fr", "الاتجار بالبشر", {"etre", "humain"}),
        # a name by its exact form: the gazetteer, never the stemmed common word
        ("Rabat", "ar", "Rabat", {"رباط"}),
        # numbers are kept as they are
        ("2030", "ar", "2030", {"2030"}),
    ],
)
def test_translator(
    committed: Lexicon, query: str, target: str, source_text: str, must_include: set[str]
) -> None:
    words = QueryTranslator(committed).translate(tokenize(query), target, None, query)
    assert words[0].source_text == source_text
    assert must_include <= {t for group in words[0].psq_groups() for t, _ in group}


def test_translator_uses_vocabulary_for_unknown_names(committed: Lexicon) -> None:
    words = QueryTranslator(committed).translate(
        tokenize("Zylberstein"), "ar", {"زيلبرستين": 2, "سمن": 9}, "Zylberstein"
    )
    assert [tr.term for tr in words[0].translations] == ["زيلبرستين"]
    assert words[0].translations[0].provenance == "transliteration"


def test_auxiliary_ete_is_not_summer(committed: Lexicon) -> None:
    tr = QueryTranslator(committed)
    aux = tr.translate(tokenize("ils ont été évacués"), "ar", None, "ils ont été évacués")
    assert "ete" not in {tok.exact for w in aux for tok in w.source}
    summer = tr.translate(tokenize("l'été 2024"), "ar", None, "l'été 2024")
    assert "صيف" in {t for g in summer[0].psq_groups() for t, _ in g}


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("il faut dire", ["faut", "dir"]),  # "to say": translated
        ("c'est-à-dire la ville", ["vill"]),  # "that is": a connective, not "to say"
        ("c’est à dire", []),  # typed without hyphens, curly apostrophe
        ("également la ville", ["vill"]),  # a discourse adverb (also), not égal (equal)
    ],
)
def test_french_connectives_are_not_translated(text: str, kept: list[str]) -> None:
    rows = [("fr", key, "x", 1.0, "glossary", "x") for key in ("dir", "vill", "egal")]
    words = QueryTranslator(Lexicon.from_rows(rows)).translate(tokenize(text), "ar", None, text)
    assert [tok.term for w in words for tok in w.source] == kept


def test_arabic_backoff_strips_clitics_and_verb_affixes() -> None:
    rows = [("ar", "اعلن", "annonc", 1.0, "glossary", "annonce")]
    lex = Lexicon.from_rows(rows)
    words = QueryTranslator(lex).translate(tokenize("وسيعلنون"), "fr", None, "وسيعلنون")
    assert [tr.term for tr in words[0].translations] == ["annonc"]
    off = QueryTranslator(lex, backoff=False).translate(tokenize("وسيعلنون"), "fr", None, None)
    assert not off[0].translated


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("رحلته", "رحل"),  # رحلة + ه: the teh marbuta is written ت before the pronoun
        ("سياستها", "سياس"),  # سياسة + ها
        ("حكومتهم", "حكوم"),  # حكومة + هم (a suffix the stemmer keeps)
        ("وزارتنا", "وزار"),  # و + وزارة + نا
        ("كتبت", None),  # a verb ending in ت with no pronoun: no teh marbuta made up
    ],
)
def test_arabic_backoff_restores_teh_marbuta_before_pronouns(word: str, key: str | None) -> None:
    rows = [("ar", k, "x", 1.0, "glossary", "x") for k in ("رحل", "سياس", "حكوم", "وزار", "كتبه")]
    found = QueryTranslator(Lexicon.from_rows(rows)).translate(tokenize(word), "fr", None, word)
    assert found[0].translated == (key is not None)
    if key is not None:
        assert key in arabic_variants(tokenize(word)[0].exact)


def test_name_that_is_a_common_word_needs_a_capital(committed: Lexicon) -> None:
    tr = QueryTranslator(committed)
    wave = tr.translate(tokenize("une onde"), "ar", None, "une onde")  # ONDE is an acronym
    assert wave[0].translations[0].provenance != "gazetteer"
    acronym = tr.translate(tokenize("ONDE"), "ar", None, "ONDE")
    assert acronym[0].translations[0].provenance == "gazetteer"


def test_broken_plurals_share_the_french_key(committed: Lexicon) -> None:
    got = {t.term for t in committed.translations(_term("enfants"), "fr")}
    assert {_term("طفل"), _term("أطفال")} <= got
    assert _term("enfant") in {t.term for t in committed.translations(_term("أطفال"), "ar")}


@pytest.mark.parametrize(
    ("text", "translated"),
    [
        ("لكل", False),  # ل + كل: "for each", a stop word behind a proclitic
        ("بهذه", False),  # ب + هذه
        ("لبعض", False),  # ل + بعض, an untranslatable quantifier
        ("سوف", False),  # the future particle
        ("بيت", True),  # ب is a letter of the word (house): يت is no function word
        ("كتاب", True),  # ك is a letter of the word (book)
        ("سيكون", False),  # كان conjugated: "will be", which the stop list lacks
        ("لديهم", False),  # لدى with a pronoun: "they have"
        ("قامت", False),  # قام بـ, the light verb ("carried out")
        ("قيام", True),  # its noun (the carrying out, the founding) is translated
    ],
)
def test_function_words_are_not_translated(text: str, translated: bool) -> None:
    keys = (
        "كل",
        "هذه",
        "بعض",
        "سوف",
        "بيت",
        "كتاب",
        *(_term(w) for w in ("سيكون", "لديهم", "قامت", "قيام")),
    )
    rows = [("ar", key, "x", 1.0, "glossary", "x") for key in keys]
    words = QueryTranslator(Lexicon.from_rows(rows)).translate(tokenize(text), "fr", None, text)
    assert bool(words) and words[0].translated if translated else not words


@pytest.mark.parametrize(
    ("name", "vocabulary", "term"),
    [
        # French vocabularies hold exact forms: the stemmer would cut Miller to "mill",
        # a two-consonant skeleton no transliteration may match
        ("ميلر", {"miller": 3, "mille": 40}, "mill"),
        ("كيرشنر", {"kirchner": 1}, "kirchn"),  # the index term the stemmer makes of it
        ("أورليانز", {"orleans": 2}, "orlean"),
        # Arabic vocabularies hold stemmed terms: the article is off (القذافي → قذاف)
        ("Kadhafi", {"قذاف": 5}, "قذاف"),
    ],
)
def test_names_meet_the_target_vocabulary_forms(
    name: str, vocabulary: dict[str, int], term: str
) -> None:
    target = "ar" if name.isascii() else "fr"
    empty = Lexicon.from_rows([])  # names only: nothing learned about them
    words = QueryTranslator(empty).translate(tokenize(name), target, vocabulary, name)
    assert term in {tr.term for tr in words[0].translations}


@pytest.mark.parametrize(
    ("name", "vocabulary", "term"),
    [
        # the light stemmer takes ون and ي off foreign names as if they were endings
        ("إديسون", {"edison": 1, "des": 90}, "edison"),
        ("بيري", {"perry": 1, "peur": 3}, "perry"),
        # proclitics come off (و + Pryce), one split at a time
        ("وبرايس", {"pryce": 1}, "pryc"),
    ],
)
def test_arabic_names_are_matched_by_their_whole_form(
    name: str, vocabulary: dict[str, int], term: str
) -> None:
    empty = Lexicon.from_rows([])
    words = QueryTranslator(empty).translate(tokenize(name), "fr", vocabulary, name)
    assert words[0].translations[0].term == term


def test_a_word_only_model1_translates_is_also_matched_as_a_name() -> None:
    # Model 1 saw إديسون in three sentences about Addis Abeba
    rows = [("ar", _term("إديسون"), "addis", 1.0, "model1", "addis")]
    words = QueryTranslator(Lexicon.from_rows(rows)).translate(
        tokenize("إديسون"), "fr", {"edison": 1}, "إديسون"
    )
    assert {"edison", "addis"} == {tr.term for tr in words[0].translations}


@pytest.mark.parametrize(
    ("arabic", "name", "is_name"),
    [
        ("العمر", "omar", False),  # "the age": shares the stem عمر with Omar
        ("الخميس", "khemisset", False),  # Thursday, stem of الخميسات
        ("عمر", "omar", True),  # the name itself
        ("بالمغرب", "maroc", True),  # ب + المغرب: the gazetteer form behind a proclitic
    ],
)
def test_arabic_names_come_from_whole_forms_not_shared_stems(
    committed: Lexicon, arabic: str, name: str, is_name: bool
) -> None:
    words = QueryTranslator(committed).translate(tokenize(arabic), "fr", None, arabic)
    terms = {tr.term for tr in words[0].translations}
    assert (name in terms) == is_name, terms


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("SARS", "سارس"),  # an acronym the stemmer would cut to "sar", Sara's stem
        ("Sara", "سارة"),  # the name itself keeps its lexicon entry
        ("ZORG", "زورغ"),  # an acronym the stemmer leaves alone is looked up as usual
    ],
)
def test_acronyms_are_not_read_through_their_stem(word: str, expected: str) -> None:
    rows = [
        ("fr", "sar", "ساره", 1.0, "gazetteer", "سارة"),
        ("fr", "zorg", "زورغ", 1.0, "glossary", "زورغ"),
    ]
    vocabulary = {"سارس": 3, "ساره": 2}
    words = QueryTranslator(Lexicon.from_rows(rows)).translate(
        tokenize(word), "ar", vocabulary, word
    )
    assert {tr.term for tr in words[0].translations} == {analyze(expected)[0].term}


@pytest.mark.parametrize(
    ("infinitive", "participle"),
    [
        ("produire", "produit"),  # -uire → -uit: the stemmer keeps produir / produit apart
        ("comprendre", "compris"),  # the prendre family, before the -endre rule
        ("vendre", "vendu"),  # -endre → -endu
        ("connaître", "connu"),  # -aître → -u, not naître's né
        ("naître", "né"),
        ("obtenir", "obtenu"),
        ("découvrir", "découvert"),
        ("pouvoir", "pu"),  # an exception the -voir rule would get wrong (pouvu)
        ("annoncer", None),  # regular: annoncer and annoncé already meet on annonc
    ],
)
def test_irregular_participles(infinitive: str, participle: str | None) -> None:
    from search.translate.glossary import past_participle

    assert past_participle(infinitive) == participle


def test_glossary_infinitives_also_reach_their_participles() -> None:
    from search.translate.glossary import with_participles

    entries = with_participles(
        parse_tsv(["produire\tأنتج\teconomy", "annoncer\tأعلن\tpolitics"], "glossary")
    )
    assert {(e.fr, e.ar) for e in entries} == {
        ("produire", "أنتج"),
        ("produit", "أنتج"),  # a dispatch says "a produit", never "produire"
        ("annoncer", "أعلن"),
    }
