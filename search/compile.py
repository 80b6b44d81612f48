"""Compilation of a parsed query into the index query the engine evaluates.

Why a tree of Whoosh query objects: it is a well-known, printable structure
(``Term``, ``And``, ``Or``, ``AndMaybe``, ``AndNot``, ``Phrase``) that the
cross-language seam already speaks (its PSQ clauses are Whoosh queries), and
:mod:`search.evaluate` evaluates exactly these node types with its own set
operations, falling back to Whoosh for anything else.

How words are searched: a word matches its stemmed term in title or body,
with a bonus when its exact form matches too (``AndMaybe``); a phrase matches
exact forms word for word; a prefix expands to the most frequent exact forms
it starts (at most :data:`MAX_PREFIX_TERMS` for a whole query, so a query of
many prefixes stays bounded, with a note saying so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from whoosh import query as wq

from index import Token
from search.errors import InvalidQuery
from search.matching import BestMatch
from search.models import Match
from search.snippets import Highlighter
from search.syntax import Group, Node, Not, ParsedQuery, Phrase, Word, highlighter, render

#: Expanded prefix terms in a whole query (each prefix is also capped by the engine,
#: ``search.generation.MAX_EXPANSION``). Each term is two postings lists (title and body
#: exact forms) to read and score: chosen by measurement (README, "Bounded cost").
MAX_PREFIX_TERMS: Final = 150

#: Expands a prefix (exact form) into at most MAX_EXPANSION index terms; True if capped.
PrefixExpander = Callable[[str], tuple[list[str], bool]]
#: Cross-language hook: given a group's plain words, (first, last, extra clause) spans.
WordsExpander = Callable[[Sequence[Token]], list[tuple[int, int, wq.Query]]]


@dataclass
class Compiled:
    """The Whoosh query of a parsed query, and what to highlight in its results.

    ``required``/``optional`` name the query's words as the matching rule used
    them; ``exact_phrase`` is set when the whole query is one quoted phrase
    searched word for word (the engine relaxes it into its words when no
    document has it: :func:`compile_query` with ``relax=True``).
    """

    query: wq.Query
    highlighter: Highlighter
    notes: list[str]
    required: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    exact_phrase: str | None = None
    #: prefixes under an exclusion (``-ba*``): if one was not fully expanded in time,
    #: the exclusion cannot be applied and the engine returns nothing rather than
    #: documents it should have excluded
    excluded_prefixes: list[str] = field(default_factory=list)


class _Compiler:
    def __init__(
        self,
        parsed: ParsedQuery,
        prefixes: PrefixExpander,
        words: WordsExpander | None,
        match: Match = "best",
        relax: bool = False,
    ) -> None:
        self.parsed, self.prefixes, self.expander = parsed, prefixes, words
        self.match, self.relax = match, relax
        self.notes: list[str] = []
        self.budget = MAX_PREFIX_TERMS  # expanded prefix terms left for this query
        self.required: list[str] = []
        self.optional: list[str] = []
        self.exact_phrase: str | None = None
        self.excluding = 0  # depth of exclusions around the node being compiled
        self.excluded_prefixes: list[str] = []

    def group(self, group: Group, top: bool = False) -> wq.Query | None:
        if group.op == "or":
            parts = []
            for child in group.children:
                if isinstance(child, Not):
                    self.notes.append(
                        f"'{render(child)}' ignored: an exclusion cannot be an OR choice"
                    )
                    continue
                if isinstance(child, Word) and _plain(child):
                    # an OR choice is translated too: "port OR ميناء", lang=ar
                    words = self.words(list(child.tokens))
                    part = words[0] if len(words) == 1 else wq.And(words) if words else None
                else:
                    part = self.node(child)
                if part is not None:
                    parts.append(part)
            return None if not parts else parts[0] if len(parts) == 1 else wq.Or(parts)
        conjunction = self.match == "all"
        positive = self.conjunction(group, top) if conjunction else self.best(group, top)
        negatives: list[wq.Query] = []
        for child in group.children:
            if isinstance(child, Not):
                negative = self.negative(child.child)
                if negative is not None:
                    negatives.append(negative)
        if positive is None:
            if negatives and not top:
                self.notes.append("an exclusion alone in parentheses was ignored")
            return None
        if negatives:
            return wq.AndNot(positive, negatives[0] if len(negatives) == 1 else wq.Or(negatives))
        return positive

    def conjunction(self, group: Group, top: bool) -> wq.Query | None:
        """``match=all``: every word, phrase and group required (the strict conjunction)."""
        plain = [c for c in group.children if isinstance(c, Word) and _plain(c)]
        positives = self.words([t for w in plain for t in w.tokens])
        for child in group.children:
            if not isinstance(child, Not) and not (isinstance(child, Word) and _plain(child)):
                part = self.node(child)
                if part is not None:
                    positives.append(part)
        if top:
            self.required += [render(c) for c in group.children if not isinstance(c, Not)]
        if not positives:
            return None
        return positives[0] if len(positives) == 1 else wq.And(positives)

    def best(self, group: Group, top: bool) -> wq.Query | None:
        """Best match (:mod:`search.matching`): clauses, required only when marked."""
        children = [c for c in group.children if not isinstance(c, Not)]
        if top and len(children) == 1 and isinstance(children[0], Phrase) and not self.relax:
            # the whole query is one quoted phrase: an exact phrase search
            phrase = children[0]
            self.exact_phrase = phrase.text
            self.required.append(render(phrase))
            return phrase_clause(phrase)
        clauses: list[wq.Query] = []
        required: list[bool] = []
        bonus: list[wq.Query] = []
        run: list[
            Token
        ] = []  # consecutive plain words (and soft phrases' words): translated together
        run_required: list[bool] = []

        def flush() -> None:
            for first, last, clause in self.word_spans(run):
                clauses.append(clause)
                required.append(any(run_required[first:last]))
            run.clear()
            run_required.clear()

        for child in children:
            shown = render(child)
            if isinstance(child, Word) and _plain(child):
                run.extend(child.tokens)
                run_required.extend([child.required] * len(child.tokens))
            elif isinstance(child, Phrase) and not child.required and not child.title_only:
                # counted by its words; the phrase word for word adds on top
                run.extend(child.tokens)
                run_required.extend([False] * len(child.tokens))
                if len(child.tokens) > 1:
                    bonus.append(phrase_clause(child))
            else:
                flush()
                part = self.node(child)
                if part is None:
                    continue
                clauses.append(part)
                required.append(child.required)
            if top:
                (self.required if child.required else self.optional).append(shown)
        flush()
        if not clauses:
            return None
        if self.match == "best" and len(clauses) == 1 and not bonus:
            return clauses[0]
        return BestMatch(clauses, required, bonus, coordinate=self.match == "best")

    def node(self, node: Node) -> wq.Query | None:
        if isinstance(node, Group):
            return self.group(node)
        if isinstance(node, Phrase):
            return phrase_clause(node)
        if isinstance(node, Word):
            clauses = [self.term(t, node.title_only) for t in node.tokens[:-1] if not t.stop]
            last = node.tokens[-1]
            if node.prefix:
                clauses.append(self.prefix(last.exact, node.title_only))
            elif not last.stop or self.parsed.stop_only:
                clauses.append(self.term(last, node.title_only))
            return None if not clauses else clauses[0] if len(clauses) == 1 else wq.And(clauses)
        return None

    def words(self, tokens: list[Token]) -> list[wq.Query]:
        """One clause per word; spans the expander translates become (own OR translation)."""
        return [clause for _, _, clause in self.word_spans(tokens)]

    def word_spans(self, tokens: list[Token]) -> list[tuple[int, int, wq.Query]]:
        """``(first, last, clause)`` per word or translated span of ``tokens``."""
        stop_only = self.parsed.stop_only
        spans = self.expander(tokens) if self.expander and tokens and not stop_only else []
        covered: dict[int, tuple[int, wq.Query]] = {first: (last, q) for first, last, q in spans}
        out: list[tuple[int, int, wq.Query]] = []
        i = 0
        while i < len(tokens):
            if i in covered:
                last, extra = covered[i]
                own = [self.term(t) for t in tokens[i:last] if not t.stop]
                mine = own[0] if len(own) == 1 else wq.And(own) if own else None
                out.append((i, last, wq.Or([mine, extra]) if mine is not None else extra))
                i = last
                continue
            if stop_only or not tokens[i].stop:
                out.append((i, i + 1, self.term(tokens[i])))
            i += 1
        return out

    def term(self, tok: Token, title_only: bool = False) -> wq.Query:
        """Stemmed term in title/body, plus a bonus when the exact form matches too."""
        exact = _fields(["title_exact"] if title_only else ["title_exact", "body_exact"], tok.exact)
        if tok.stop or self.parsed.stop_only:
            return exact
        stem = _fields(["title"] if title_only else ["title", "body"], tok.term)
        return wq.AndMaybe(stem, exact)

    def prefix(self, prefix: str, title_only: bool) -> wq.Query:
        if self.budget <= 0:
            self.notes.append(f"'{prefix}*' ignored: the query has too many prefixes")
            return wq.NullQuery
        if self.excluding:
            self.excluded_prefixes.append(prefix)
        terms, capped = self.prefixes(prefix)
        if len(terms) > self.budget:
            terms, capped = terms[: self.budget], True
        self.budget -= len(terms)
        if capped:
            self.notes.append(f"'{prefix}*' matches many words: only the {len(terms)} most common")
        if not terms:
            return wq.NullQuery
        fields = ["title_exact"] if title_only else ["title_exact", "body_exact"]
        return wq.Or([wq.Term(f, t) for f in fields for t in terms])

    def negative(self, node: Node) -> wq.Query | None:
        if isinstance(node, Word) and not node.prefix:
            parts = [
                wq.Or(
                    [
                        _fields(["title", "body"], t.term),
                        _fields(["title_exact", "body_exact"], t.exact),
                    ]
                )
                for t in node.tokens
                if not t.stop
            ] or [_fields(["title_exact", "body_exact"], t.exact) for t in node.tokens]
            return parts[0] if len(parts) == 1 else wq.And(parts)
        self.excluding += 1
        try:
            return self.node(node)
        finally:
            self.excluding -= 1


def _plain(word: Word) -> bool:
    return not word.prefix and not word.title_only


def _fields(fields: list[str], text: str) -> wq.Query:
    terms = [wq.Term(f, text) for f in fields]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def phrase_clause(phrase: Phrase) -> wq.Query:
    """Exact forms, word for word (stop words included) in the exact fields."""
    words = [t.exact for t in phrase.tokens]
    fields = ["title_exact"] if phrase.title_only else ["title_exact", "body_exact"]
    if len(words) == 1:
        return _fields(fields, words[0])
    parts = [wq.Phrase(f, words) for f in fields]
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def compile_query(
    parsed: ParsedQuery,
    prefixes: PrefixExpander,
    words: WordsExpander | None = None,
    match: Match = "best",
    relax: bool = False,
) -> Compiled:
    """The Whoosh query (filters excluded: the engine adds them) and the highlighter.

    ``relax``: a query that is one quoted phrase is searched by its words (the
    engine asks for this when no document has the phrase word for word).
    """
    compiler = _Compiler(parsed, prefixes, words, match, relax)
    query = compiler.group(parsed.root, top=True)
    if query is None:
        raise InvalidQuery(
            f"the query '{parsed.text.strip()}' has no word left to search for once common "
            "words and exclusions are set aside",
            "q",
        )
    return Compiled(
        query,
        highlighter(parsed),
        compiler.notes,
        compiler.required,
        compiler.optional,
        compiler.exact_phrase,
        compiler.excluded_prefixes,
    )
