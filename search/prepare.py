"""A search's query compiled for the evaluator: its words, their translations, its prefixes.

Why one function: the search, the spelling suggestion's counts and the
document page's marks all compile a query the same way, each word OR its
translation (PSQ) when cross-language search is on, prefixes expanded, and
within the request's time budget (translation and expansion stop at its
deadline: the words stay searched in their own language, prefixes expand to
what was found). The text embedded for the query's meaning is set while the
translations are chosen, so they are chosen against the same vector the
hybrid ranking uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from whoosh import query as wq

from index import Token
from search.budget import Budget
from search.compile import Compiled, compile_query
from search.crosslang import CrossLanguage
from search.generation import Generation
from search.models import Match
from search.models import WordTranslation as WordTranslationModel
from search.query_vectors import MEANING
from search.snippets import Highlighter

Prepared = tuple[
    wq.Query, Highlighter, Highlighter, list[WordTranslationModel], list[str], Compiled
]


def prepare(
    gen: Generation,
    cross_language: CrossLanguage | None,
    parsed: Any,
    text: str,
    cross: bool,
    lang: str | None,
    exclude: frozenset[str],
    match: Match = "best",
    relax: bool = False,
    budget: Budget | None = None,
) -> Prepared:
    """The query, own and translated marks, translations shown, notes, and the compiled form."""
    translations: list[WordTranslationModel] = []
    translated = Highlighter()
    targets = [
        t
        for t in ("ar", "fr")
        if lang in (None, t) and (not parsed.filters.langs or t in parsed.filters.langs)
    ]
    expander = None
    if cross and cross_language is not None and targets:
        engine_cross = cross_language

        def expander(tokens: Sequence[Token]) -> list[tuple[int, int, wq.Query]]:
            nonlocal translated
            spans = []
            for target in targets:
                if budget is not None and budget.check("translation"):
                    break
                for word in engine_cross.translate(
                    tokens, text, target, gen.vocabulary(target), exclude
                ):
                    translations.append(word.translation)
                    translated = translated.merged(word.highlight)
                    spans.append((word.first, word.last, word.clause))
            return spans

    cut: set[str] = set()  # prefixes the deadline stopped before they were fully expanded

    def prefixes(prefix: str) -> tuple[list[str], bool]:
        terms, capped, stopped = gen.expand(prefix, budget)
        if stopped:
            cut.add(prefix)
        return terms, capped

    token = MEANING.set(meaning_text(parsed, text))  # what the translations are chosen against
    try:
        compiled = compile_query(parsed, prefixes, expander, match, relax)
    finally:
        MEANING.reset(token)
    query = compiled.query
    if budget is not None and cut.intersection(compiled.excluded_prefixes):
        # "-ba*" half expanded would let through documents it must exclude: nothing
        # is shown rather than a wrong result (as the evaluator does for a cut AndNot)
        budget.cut("exclusion")
        query = wq.NullQuery
    return (
        query,
        compiled.highlighter,
        translated,
        translations,
        compiled.notes,
        compiled,
    )


def meaning_text(parsed: Any, q: str) -> str:
    """What a search embeds for its meaning: its words and phrases, without operators or filters."""
    return " ".join(w.text for w in parsed.words()) or q
