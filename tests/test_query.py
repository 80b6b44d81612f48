"""The query language: parsing, leniency decisions and user errors (no index needed)."""

from __future__ import annotations

import pytest

from search.errors import InvalidParameter, InvalidQuery
from search.query import parse
from search.validate import parse_date_filter, validate_request


@pytest.mark.parametrize(
    ("q", "readable", "conjunction"),
    [
        # best match (the default): juxtaposed words side by side, none required
        ("port Tanger", "port Tanger", "port AND Tanger"),
        ("a1 b2 OR c3", "a1 (b2 OR c3)", "a1 AND (b2 OR c3)"),  # OR binds tighter
        ("Rabat ou Casablanca", "(Rabat OR Casablanca)", "(Rabat OR Casablanca)"),  # French OR
        ("الرباط أو طنجة", "(الرباط OR طنجة)", "(الرباط OR طنجة)"),  # Arabic operator word
        # an explicit AND makes both of its sides required
        ("port AND Tanger", "+port +Tanger", "port AND Tanger"),
        ("port ET Tanger record", "+port +Tanger record", "port AND Tanger AND record"),
        # lower-case "et" in a sentence is a common word, not an operator
        ("port et Tanger", "port et Tanger", "port AND et AND Tanger"),
        ("+port Tanger", "+port Tanger", "port AND Tanger"),
        ('+"Tanger Med" port', '+"Tanger Med" port', '"Tanger Med" AND port'),
        ("C++ port", "C++ port", "C++ AND port"),  # a + inside a word is not an operator
        ('"êtres humains" traite', '"êtres humains" traite', '"êtres humains" AND traite'),
        ("« êtres humains »", '"êtres humains"', '"êtres humains"'),  # guillemets are quotes
        ("port -Tanger", "port -Tanger", "port AND -Tanger"),
        ('port -"Tanger Med"', 'port -"Tanger Med"', 'port AND -"Tanger Med"'),
        ("(port OR mina) record", "(port OR mina) record", "(port OR mina) AND record"),
        ("humai*", "humai*", "humai*"),
        ("titre:port", "title:port", "title:port"),  # French field name
        ("عنوان:ميناء", "title:ميناء", "title:ميناء"),  # Arabic field name
        ("foo:bar", "foo:bar", "foo:bar"),  # unknown field: plain text
    ],
)
def test_readable_interpretation(q: str, readable: str, conjunction: str) -> None:
    assert parse(q).readable() == readable
    assert parse(q).readable(conjunction=True) == conjunction


@pytest.mark.parametrize(
    ("q", "note"),
    [
        ('"traite des', "unbalanced quote"),
        ("(port OR", "unclosed '('"),
        ("(port OR", "stray operator 'OR'"),
        ("port)", "unmatched ')'"),
        ("OR port", "stray operator"),
        ("port\u202e", "invisible"),  # bidi override removed
        ("les des", "only common words"),  # stop words only: matched as written
        ("traite des humains", "common words ignored"),
        ("-lang:fr port", "exclusion filters are not supported"),
        # a field name in a pasted headline: a date filter needs a digit
        ("التاريخ: الماجنا كارتا", "searched as words"),
    ],
)
def test_leniency_is_noted(q: str, note: str) -> None:
    assert any(note in n for n in parse(q).notes), parse(q).notes


def test_only_operator_words_are_searched_as_words() -> None:
    parsed = parse("ou")
    assert parsed.stop_only and parsed.readable() == "ou"


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("", "no word"),
        ("?!…؟", "no word"),  # punctuation only
        ("*" * 50, "no word"),  # nothing but wildcards
        ("-port", "only excludes"),
        ('-"Tanger Med" -port', "only excludes"),
        ("h*", "too short"),  # one-letter prefix would expand to everything
        ("lang:xx port", "lang:xx"),
        ("date:2024-13 port", "date:2024-13"),
        ("date:2025..2024 port", "empty range"),
        ("lang:fr", "no word"),  # filters alone
        ("x" * 1001, "1001"),
    ],
)
def test_user_errors(q: str, fragment: str) -> None:
    with pytest.raises(InvalidQuery) as err:
        parse(q)
    assert fragment in err.value.message
    assert err.value.parameter == "q"


def test_filters_in_three_languages() -> None:
    parsed = parse("port langue:francais source:MAP تاريخ:2024-07")
    assert parsed.filters.langs == ("fr",)
    assert parsed.filters.sources == ("map",)
    assert parsed.filters.dates == (("2024-07", "2024-07"),)


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        ("2024", ("2024", "2024")),
        ("2024-7", ("2024-07", "2024-07")),
        ("2024-01..2024-06", ("2024-01", "2024-06")),
        ("2024..", ("2024", None)),
        (">2024-03", ("2024-04", None)),  # strictly after March
        (">2024-12", ("2025-01", None)),  # year rollover
        ("<2024", (None, "2023")),
        ("<2024-01", (None, "2023-12")),
        (">=2024-03", ("2024-03", None)),
        ("<=2024-03-31", (None, "2024-03-31")),
        ("٢٠٢٤", ("2024", "2024")),  # Arabic-Indic digits
    ],
)
def test_date_filters(value: str, bounds: tuple[str | None, str | None]) -> None:
    assert parse_date_filter(value) == bounds


def test_word_cap_is_lenient() -> None:
    parsed = parse(" ".join(f"w{i}x" for i in range(80)))
    assert len(parsed.words()) == 64
    assert any("at most 64 words" in n for n in parsed.notes)


def test_validate_request_defaults_and_conversions() -> None:
    req = validate_request("port", "AR", "2", "", "date", "2024", "2024-07-26", "off")
    assert (req.lang, req.page, req.size, req.sort) == ("ar", 2, 10, "date")
    assert (req.date_from, req.date_to, req.cross) == ("2024", "2024-07-26", False)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "value"),
    [
        ({"size": "500"}, "size", "'500'"),
        ({"size": "0"}, "size", "'0'"),
        ({"size": "ten"}, "size", "'ten'"),
        ({"page": "0"}, "page", "'0'"),
        ({"page": "1001"}, "page", "'1001'"),  # capped at 1000 pages
        ({"page": "99999999999999999999"}, "page", "99999999999999999999"),
        ({"lang": "en"}, "lang", "'en'"),
        ({"sort": "score"}, "sort", "'score'"),
        ({"date_from": "2024-13"}, "from", "'2024-13'"),
        ({"date_to": "hier"}, "to", "'hier'"),
        ({"date_from": "2025", "date_to": "2024-07"}, "from", "'2025'"),  # from after to
        ({"cross": "maybe"}, "cross", "'maybe'"),
        ({"q": "x" * 1001}, "q", "1001"),
    ],
)
def test_validation_errors_name_the_value(
    kwargs: dict[str, str], parameter: str, value: str
) -> None:
    args = {"q": "port", **kwargs}
    with pytest.raises(InvalidParameter) as err:
        validate_request(**args)
    assert err.value.parameter == parameter
    assert value in err.value.message


def test_from_equal_to_at_different_precision_is_fine() -> None:
    assert validate_request("x", date_from="2024-07", date_to="2024").date_to == "2024"
