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

Compilation into Whoosh queries is in :mod:`search.engine`; this module knows
nothing of the index, so parsing is cached per query string.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from whoosh import query as wq

from index import Token, tokenize
from search.errors import InvalidQuery
from search.snippets import Highlighter
from search.validate import parse_date_filter

MAX_QUERY_LENGTH: Final = 1000
MAX_WORDS: Final = 64
MIN_PREFIX: Final = 2

OR_WORDS: Final = frozenset({"OR", "ou", "OU", "Ou", "أو", "او"})
AND_WORDS: Final = frozenset({"AND", "et", "ET", "Et", "و"})
FIELDS: Final = {
    "lang": "lang", "langue": "lang", "لغة": "lang", "اللغة": "lang",
    "title": "title", "titre": "title", "عنوان": "title", "العنوان": "title",
    "source": "source", "مصدر": "source", "المصدر": "source",
    "date": "date", "تاريخ": "date", "التاريخ": "date",
}  # fmt: skip
LANG_VALUES: Final = {
    "fr": "fr", "fra": "fr", "french": "fr", "francais": "fr", "français": "fr", "فرنسية": "fr",
    "ar": "ar", "ara": "ar", "arabic": "ar", "arabe": "ar", "عربية": "ar", "العربية": "ar",
    "عربي": "ar",
}  # fmt: skip
OPEN_QUOTES: Final = '"“«„'
CLOSE_QUOTES: Final = '"”»“'
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Co", "Cs"})


# -- the syntax tree ----------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    """A bare word (possibly several tokens: ``porte-parole``, ``COVID-19``)."""

    text: str
    tokens: tuple[Token, ...]  # offsets into the whole query string
    title_only: bool = False
    prefix: bool = False  # the last token is a prefix (``humani*``)


@dataclass(frozen=True)
class Phrase:
    text: str
    tokens: tuple[Token, ...]  # exact forms, stop words kept
    title_only: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Group:
    op: str  # "and" | "or"
    children: tuple[Node, ...]


Node = Word | Phrase | Not | Group


@dataclass(frozen=True)
class Filters:
    """Filters written in the query (the request's ``lang``/``from``/``to`` are separate)."""

    langs: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    dates: tuple[tuple[str | None, str | None], ...] = ()  # inclusive ISO bounds, any precision


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    root: Group
    filters: Filters = Filters()
    notes: tuple[str, ...] = ()
    stop_only: bool = False  # every positive word is a stop word: match their exact forms

    def words(self) -> list[Word | Phrase]:
        """The positive words and phrases (what is highlighted), in query order."""
        out: list[Word | Phrase] = []

        def walk(node: Node) -> None:
            if isinstance(node, Group):
                for child in node.children:
                    walk(child)
            elif isinstance(node, Word | Phrase):
                out.append(node)

        walk(self.root)
        return out

    def readable(self) -> str:
        """The query as understood, e.g. ``traite AND (Rabat OR Casablanca) lang:fr``."""
        parts = [render(self.root, top=True)] if self.root.children else []
        parts += [f"lang:{v}" for v in self.filters.langs]
        parts += [f'source:"{v}"' for v in self.filters.sources]
        parts += [f"date:{a or ''}..{b or ''}" for a, b in self.filters.dates]
        return " ".join(p for p in parts if p)


def render(node: Node, top: bool = False) -> str:
    if isinstance(node, Word):
        text = (node.text.rstrip("*") + "*") if node.prefix else node.text
        return f"title:{text}" if node.title_only else text
    if isinstance(node, Phrase):
        return f'title:"{node.text}"' if node.title_only else f'"{node.text}"'
    if isinstance(node, Not):
        return "-" + render(node.child)
    inner = f" {node.op.upper()} ".join(render(c) for c in node.children)
    return inner if top or len(node.children) < 2 else f"({inner})"


# -- lexing ----------------------------------------------------------------------------
@dataclass
class _Lexeme:
    kind: str  # "(" ")" "op" "word" "phrase" "neg" "field"
    text: str
    start: int = 0


def clean(q: str) -> str:
    """Control, format (bidi overrides, zero-width) and private-use characters → spaces."""
    return "".join(" " if unicodedata.category(ch) in _INVISIBLE_CATEGORIES else ch for ch in q)


def _lex(q: str, notes: list[str], operators: bool = True) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(_Lexeme(ch, ch, i))
            i += 1
        elif ch in OPEN_QUOTES:
            j = i + 1
            while j < n and q[j] not in CLOSE_QUOTES:
                j += 1
            if j >= n:
                notes.append(f"unbalanced quote closed at the end: {q[i:].strip()}")
            out.append(_Lexeme("phrase", q[i + 1 : j], i + 1))
            i = j + 1
        elif ch == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != "-":
            out.append(_Lexeme("neg", "-", i))
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in "()" and q[j] not in OPEN_QUOTES:
                j += 1
            chunk = q[i:j]
            name, colon, value = chunk.partition(":")
            if colon and name.lower() in FIELDS:
                out.append(_Lexeme("field", FIELDS[name.lower()], i))
                if value:
                    out.append(_Lexeme("word", value, i + len(name) + 1))
            elif operators and chunk in OR_WORDS:
                out.append(_Lexeme("op", "or", i))
            elif operators and chunk in AND_WORDS:
                out.append(_Lexeme("op", "and", i))
            else:
                out.append(_Lexeme("word", chunk, i))
            i = j
    return out


# -- parsing ---------------------------------------------------------------------------
class _Parser:
    def __init__(self, q: str, lexemes: list[_Lexeme], notes: list[str]) -> None:
        self.q, self.lex, self.notes, self.i = q, lexemes, notes, 0
        self.langs: list[str] = []
        self.sources: list[str] = []
        self.dates: list[tuple[str | None, str | None]] = []
        self.words = 0

    def peek(self) -> _Lexeme | None:
        return self.lex[self.i] if self.i < len(self.lex) else None

    def sequence(self, depth: int) -> Group:
        units: list[Node] = []
        pending_or = False
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
                if lx.text == "or" and units and starts_operand:
                    pending_or = True
                elif lx.text == "or" or not (units and starts_operand):
                    self.notes.append(f"stray operator '{self.q[lx.start :].split()[0]}' ignored")
            else:
                node = self.unary(depth)
                if node is None:
                    continue
                if pending_or and units:
                    prev = units[-1]
                    left = prev.children if isinstance(prev, Group) and prev.op == "or" else (prev,)
                    units[-1] = Group("or", (*left, node))
                else:
                    units.append(node)
                pending_or = False
        return Group("and", tuple(units))

    def unary(self, depth: int) -> Node | None:
        neg = False
        while (lx := self.peek()) is not None and lx.kind == "neg":
            neg, self.i = True, self.i + 1
        fieldname = None
        if (lx := self.peek()) is not None and lx.kind == "field":
            fieldname, self.i = lx.text, self.i + 1
        lx = self.peek()
        if lx is None or lx.kind in {")", "op"}:
            if fieldname:
                self.notes.append(f"'{fieldname}:' without a value ignored")
            return None
        self.i += 1
        if fieldname in {"lang", "source", "date"}:
            self.filter(fieldname, lx, neg)
            return None
        title = fieldname == "title"
        node: Node | None
        if lx.kind == "(":
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
        return Not(node) if neg else node

    def phrase(self, lx: _Lexeme, title: bool) -> Node | None:
        tokens = _shift(tokenize(lx.text), lx.start)
        if not tokens:
            return None
        self.words += len(tokens)
        return Phrase(lx.text.strip(), tokens, title)

    def word(self, lx: _Lexeme, title: bool) -> Node | None:
        text = lx.text
        prefix = text.endswith("*")
        tokens = _shift(tokenize(text.rstrip("*")), lx.start)
        if not tokens:
            if text.strip():
                self.notes.append(f"'{text}' ignored: no letter or digit")
            return None
        if self.words >= MAX_WORDS:
            self.notes.append(f"'{text}' ignored: at most {MAX_WORDS} words are searched")
            return None
        if prefix and len(tokens[-1].exact) < MIN_PREFIX:
            raise InvalidQuery(
                f"the prefix '{text}' is too short: write at least {MIN_PREFIX} letters before '*'",
                "q",
            )
        self.words += len(tokens)
        return Word(text.rstrip("*") if not prefix else text, tokens, title, prefix)

    def filter(self, name: str, lx: _Lexeme, neg: bool) -> None:
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


def _simplify(group: Group) -> Node:
    return group.children[0] if len(group.children) == 1 else group


def _shift(tokens: list[Token], offset: int) -> tuple[Token, ...]:
    return tuple(dataclasses.replace(t, start=t.start + offset, end=t.end + offset) for t in tokens)


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
    parser = _Parser(text, _lex(text, notes), notes)
    root = parser.sequence(0)
    filters = Filters(tuple(parser.langs), tuple(parser.sources), tuple(parser.dates))
    if not root.children and any(lx.kind == "op" for lx in parser.lex):
        # Only operator words ("ou", "OR"): search them as words rather than refuse.
        notes = [n for n in notes if not n.startswith("stray operator")]
        root = _Parser(text, _lex(text, [], operators=False), notes).sequence(0)
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


# -- compilation into Whoosh queries ---------------------------------------------------
#: Expands a prefix (exact form) into at most MAX_EXPANSION index terms; True if capped.
PrefixExpander = Callable[[str], tuple[list[str], bool]]
#: Cross-language hook: given a group's plain words, (first, last, extra clause) spans.
WordsExpander = Callable[[Sequence[Token]], list[tuple[int, int, wq.Query]]]


@dataclass
class Compiled:
    """The Whoosh query of a parsed query, and what to highlight in its results."""

    query: wq.Query
    highlighter: Highlighter
    notes: list[str]


class _Compiler:
    def __init__(
        self, parsed: ParsedQuery, prefixes: PrefixExpander, words: WordsExpander | None
    ) -> None:
        self.parsed, self.prefixes, self.expander = parsed, prefixes, words
        self.notes: list[str] = []

    def group(self, group: Group, top: bool = False) -> wq.Query | None:
        if group.op == "or":
            parts = []
            for child in group.children:
                if isinstance(child, Not):
                    self.notes.append(
                        f"'{render(child)}' ignored: an exclusion cannot be an OR choice"
                    )
                    continue
                part = self.node(child)
                if part is not None:
                    parts.append(part)
            return None if not parts else parts[0] if len(parts) == 1 else wq.Or(parts)
        plain = [c for c in group.children if isinstance(c, Word) and _plain(c)]
        positives = self.words([t for w in plain for t in w.tokens])
        negatives: list[wq.Query] = []
        for child in group.children:
            if isinstance(child, Not):
                negative = self.negative(child.child)
                if negative is not None:
                    negatives.append(negative)
            elif not (isinstance(child, Word) and _plain(child)):
                part = self.node(child)
                if part is not None:
                    positives.append(part)
        if not positives:
            if negatives and not top:
                self.notes.append("an exclusion alone in parentheses was ignored")
            return None
        positive = positives[0] if len(positives) == 1 else wq.And(positives)
        if negatives:
            return wq.AndNot(positive, negatives[0] if len(negatives) == 1 else wq.Or(negatives))
        return positive

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
        stop_only = self.parsed.stop_only
        spans = self.expander(tokens) if self.expander and tokens and not stop_only else []
        covered: dict[int, tuple[int, wq.Query]] = {first: (last, q) for first, last, q in spans}
        out: list[wq.Query] = []
        i = 0
        while i < len(tokens):
            if i in covered:
                last, extra = covered[i]
                own = [self.term(t) for t in tokens[i:last] if not t.stop]
                mine = own[0] if len(own) == 1 else wq.And(own) if own else None
                out.append(wq.Or([mine, extra]) if mine is not None else extra)
                i = last
                continue
            if stop_only or not tokens[i].stop:
                out.append(self.term(tokens[i]))
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
        terms, capped = self.prefixes(prefix)
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
        return self.node(node)


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
    parsed: ParsedQuery, prefixes: PrefixExpander, words: WordsExpander | None = None
) -> Compiled:
    """The Whoosh query (filters excluded: the engine adds them) and the highlighter."""
    compiler = _Compiler(parsed, prefixes, words)
    query = compiler.group(parsed.root, top=True)
    if query is None:
        raise InvalidQuery(
            f"the query '{parsed.text.strip()}' has no word left to search for once common "
            "words and exclusions are set aside",
            "q",
        )
    return Compiled(query, highlighter(parsed), compiler.notes)


def highlighter(parsed: ParsedQuery) -> Highlighter:
    """What to mark in results: the positive words, phrases and prefixes of the query."""
    terms: set[str] = set()
    exacts: set[str] = set()
    phrases: list[tuple[str, ...]] = []
    prefixes: list[str] = []
    for word in parsed.words():
        if isinstance(word, Phrase):
            forms = tuple(t.exact for t in word.tokens)
            if len(forms) == 1:
                exacts.add(forms[0])
            else:
                phrases.append(forms)
            continue
        tokens = list(word.tokens)
        if word.prefix:
            prefixes.append(tokens.pop().exact)
        for tok in tokens:
            if parsed.stop_only:
                exacts.add(tok.exact)
            elif not tok.stop:
                terms.add(tok.term)
                exacts.add(tok.exact)
    return Highlighter(frozenset(terms), frozenset(exacts), tuple(phrases), tuple(prefixes))


def analysed_terms(parsed: ParsedQuery) -> tuple[str, ...]:
    """The analysed terms shown in ``Interpretation.terms`` (phrases quoted, prefixes starred)."""
    out: list[str] = []
    for word in parsed.words():
        if isinstance(word, Phrase):
            out.append('"' + " ".join(t.exact for t in word.tokens) + '"')
        elif word.prefix:
            out += [t.term for t in word.tokens[:-1] if not t.stop] + [word.tokens[-1].exact + "*"]
        else:
            out += [
                t.exact if parsed.stop_only else t.term
                for t in word.tokens
                if parsed.stop_only or not t.stop
            ]
    return tuple(dict.fromkeys(out))


__all__ = [
    "MAX_QUERY_LENGTH",
    "Compiled",
    "Filters",
    "Group",
    "Not",
    "ParsedQuery",
    "Phrase",
    "Word",
    "analysed_terms",
    "compile_query",
    "highlighter",
    "parse",
]
