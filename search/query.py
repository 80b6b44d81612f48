"""The Fihris query language: a small lenient parser producing a syntax tree.

Why not ``whoosh.qparser``: it silently turns malformed input into surprising
queries and its syntax is English-only. This parser accepts the French and
Arabic operator and field names, repairs what can be repaired (unbalanced
quotes and parentheses, stray operators) and records every such decision in
``notes`` so the user sees how the query was read. Only a query with nothing
searchable (no word, only exclusions, a one-letter prefix, a bad filter value)
is a user error (:class:`InvalidQuery`).

Grammar (juxtaposition is AND; OR binds tighter, as in web search engines, so
``a b OR c`` is ``a AND (b OR c)``)::

    query  := unit*            unit := or_seq
    or_seq := unary (OR unary)*
    unary  := '-'? (field ':')? atom
    atom   := '(' query ')' | '"' phrase '"' | word | word '*'

The tree is in :mod:`search.syntax` (re-exported here); compilation into
index queries is in :mod:`search.compile`. This module knows nothing of the
index, so parsing is cached per query string.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Final

from index import Token, tokenize
from search.errors import InvalidQuery
from search.lexer import Lexeme, clean, lex
from search.syntax import (
    Filters,
    Group,
    Node,
    Not,
    ParsedQuery,
    Phrase,
    Word,
    analysed_terms,
    highlighter,
    render,
)
from search.validate import parse_date_filter

MAX_QUERY_LENGTH: Final = 1000
MAX_WORDS: Final = 64
#: Parentheses nested deeper than this are refused: every level is a recursion of the
#: parser, the compiler and the evaluator, and no real query needs more.
MAX_DEPTH: Final = 16
MIN_PREFIX: Final = 2

LANG_VALUES: Final = {
    "fr": "fr", "fra": "fr", "french": "fr", "francais": "fr", "français": "fr", "فرنسية": "fr",
    "ar": "ar", "ara": "ar", "arabic": "ar", "arabe": "ar", "عربية": "ar", "العربية": "ar",
    "عربي": "ar",
}  # fmt: skip


# -- parsing ---------------------------------------------------------------------------
class _Parser:
    def __init__(self, q: str, lexemes: list[Lexeme], notes: list[str]) -> None:
        self.q, self.lex, self.notes, self.i = q, lexemes, notes, 0
        self.langs: list[str] = []
        self.sources: list[str] = []
        self.dates: list[tuple[str | None, str | None]] = []
        self.words = 0
        self.dropped: list[str] = []  # words beyond MAX_WORDS (one note for all of them)

    def peek(self) -> Lexeme | None:
        return self.lex[self.i] if self.i < len(self.lex) else None

    def sequence(self, depth: int) -> Group:
        units: list[Node] = []
        pending_or = pending_and = False
        while (lx := self.peek()) is not None:
            if lx.kind == ")":
                if depth:
                    break
                self.notes.append("unmatched ')' ignored")
                self.i += 1
            elif lx.kind == "op":
                self.i += 1
                nxt = self.peek()
                starts_operand = nxt is not None and nxt.kind not in {")", "op"}
                if units and starts_operand:
                    if lx.text == "or":
                        pending_or = True
                    else:  # AND: both sides are required (the left one now)
                        pending_and = True
                        units[-1] = _required(units[-1])
                else:
                    self.notes.append(f"stray operator '{self.q[lx.start :].split()[0]}' ignored")
            else:
                node = self.unary(depth)
                if node is None:
                    continue
                if pending_and:
                    node = _required(node)
                if pending_or and units:
                    prev = units[-1]
                    left = prev.children if isinstance(prev, Group) and prev.op == "or" else (prev,)
                    units[-1] = Group("or", (*left, node))
                else:
                    units.append(node)
                pending_or = pending_and = False
        return Group("and", tuple(units))

    def unary(self, depth: int) -> Node | None:
        neg = plus = False
        while (lx := self.peek()) is not None and lx.kind in {"neg", "plus"}:
            neg, plus, self.i = neg or lx.kind == "neg", plus or lx.kind == "plus", self.i + 1
        fieldname = None
        if (lx := self.peek()) is not None and lx.kind == "field":
            fieldname, self.i = lx.text, self.i + 1
        lx = self.peek()
        if lx is None or lx.kind in {")", "op"}:
            if fieldname:
                self.notes.append(f"'{fieldname}:' without a value ignored")
            return None
        self.i += 1
        if fieldname == "date" and lx.kind == "word" and not any(c.isdigit() for c in lx.text):
            # "التاريخ: الماجنا كارتا…" pasted from a headline: words, not a date filter
            self.notes.append(f"'date:{lx.text}' has no digit: searched as words")
            fieldname = None
        if fieldname in {"lang", "source", "date"}:
            self.filter(fieldname, lx, neg)
            return None
        title = fieldname == "title"
        node: Node | None
        if lx.kind == "(":
            if depth >= MAX_DEPTH:
                raise InvalidQuery(
                    f"parentheses are nested more than {MAX_DEPTH} levels deep: simplify the query",
                    "q",
                )
            node = self.sequence(depth + 1)
            if self.peek() is None:
                self.notes.append("unclosed '(' closed at the end")
            else:
                self.i += 1
            if title:
                self.notes.append("title: applies to a word or a quoted phrase; ignored before '('")
            node = _simplify(node) if node.children else None
        elif lx.kind == "phrase":
            node = self.phrase(lx, title)
        else:
            node = self.word(lx, title)
        if node is None:
            return None
        if neg:
            return Not(node)
        return _required(node) if plus else node

    def phrase(self, lx: Lexeme, title: bool) -> Node | None:
        tokens = _shift(tokenize(lx.text), lx.start)
        if not tokens:
            return None
        self.words += len(tokens)
        return Phrase(lx.text.strip(), tokens, title)

    def word(self, lx: Lexeme, title: bool) -> Node | None:
        text = lx.text
        prefix = text.endswith("*")
        tokens = _shift(tokenize(text.rstrip("*")), lx.start)
        if not tokens:
            if text.strip():
                self.notes.append(f"'{text}' ignored: no letter or digit")
            return None
        if self.words >= MAX_WORDS:
            self.dropped.append(text)
            return None
        if prefix and len(tokens[-1].exact) < MIN_PREFIX:
            raise InvalidQuery(
                f"the prefix '{text}' is too short: write at least {MIN_PREFIX} letters before '*'",
                "q",
            )
        self.words += len(tokens)
        return Word(text.rstrip("*") if not prefix else text, tokens, title, prefix)

    def filter(self, name: str, lx: Lexeme, neg: bool) -> None:
        value = lx.text.strip()
        if lx.kind == "(":
            raise InvalidQuery(f"'{name}:' needs a value, not a parenthesis", "q")
        if neg:
            self.notes.append(f"'-{name}:{value}': exclusion filters are not supported; ignored")
            return
        if name == "lang":
            lang = LANG_VALUES.get(value.lower())
            if lang is None:
                raise InvalidQuery(
                    f"lang:{value} is not a language; accepted: lang:fr, lang:ar", "q"
                )
            self.langs.append(lang)
        elif name == "source":
            self.sources.append(value.lower())
        else:
            self.dates.append(parse_date_filter(value))


def _required(node: Node) -> Node:
    """``node`` marked required (an exclusion is already absolute: unchanged)."""
    return node if isinstance(node, Not) else dataclasses.replace(node, required=True)


def _simplify(group: Group) -> Node:
    return group.children[0] if len(group.children) == 1 else group


def _shift(tokens: list[Token], offset: int) -> tuple[Token, ...]:
    return tuple(t.shifted(offset) for t in tokens)


@lru_cache(maxsize=2048)
def parse(q: str) -> ParsedQuery:
    """Parse a query string (cached: the same query costs one dictionary lookup)."""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidQuery(
            f"the query is {len(q)} characters long; at most {MAX_QUERY_LENGTH} are accepted", "q"
        )
    notes: list[str] = []
    text = clean(q)
    if text != q:
        notes.append("invisible control or formatting characters removed")
    parser = _Parser(text, lex(text, notes), notes)
    root = parser.sequence(0)
    if parser.dropped:
        shown = ", ".join(f"'{w}'" for w in parser.dropped[:3])
        more = "…" if len(parser.dropped) > 3 else ""
        notes.append(
            f"{len(parser.dropped)} words ignored ({shown}{more}): "
            f"at most {MAX_WORDS} words are searched"
        )
    filters = Filters(tuple(parser.langs), tuple(parser.sources), tuple(parser.dates))
    if not root.children and any(lx.kind == "op" for lx in parser.lex):
        # Only operator words ("ou", "OR"): search them as words rather than refuse.
        notes = [n for n in notes if not n.startswith("stray operator")]
        root = _Parser(text, lex(text, [], operators=False), notes).sequence(0)
    if not root.children:
        if filters != Filters():
            raise InvalidQuery(
                f"the query '{q.strip()}' has filters but no word to search for; add a word", "q"
            )
        raise InvalidQuery(
            f"the query '{q.strip()}' contains no word to search for "
            "(letters or digits, in French or Arabic)",
            "q",
        )
    if not _has_positive(root):
        raise InvalidQuery(
            f"the query '{q.strip()}' only excludes words: add at least one word to search for "
            "(e.g. 'port -Tanger')",
            "q",
        )
    parsed = ParsedQuery(text, root, filters, tuple(notes))
    words = parsed.words()
    plain = [t for w in words if isinstance(w, Word) and not w.prefix for t in w.tokens]
    others = [w for w in words if not isinstance(w, Word) or w.prefix]
    if plain and not others and all(t.stop for t in plain):
        note = "only common words (stop words): matched as written"
        return dataclasses.replace(parsed, notes=(*parsed.notes, note), stop_only=True)
    stops = sorted({t.exact for t in plain if t.stop})
    if stops:
        note = "common words ignored outside quotes: " + ", ".join(stops)
        parsed = dataclasses.replace(parsed, notes=(*parsed.notes, note))
    return parsed


def _has_positive(node: Node) -> bool:
    if isinstance(node, Not):
        return False
    if isinstance(node, Group):
        return any(_has_positive(c) for c in node.children)
    return True


__all__ = [
    "MAX_QUERY_LENGTH",
    "Filters",
    "Group",
    "Node",
    "Not",
    "ParsedQuery",
    "Phrase",
    "Word",
    "analysed_terms",
    "clean",
    "highlighter",
    "parse",
    "render",
]
