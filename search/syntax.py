"""The syntax tree of a parsed query, and what it asks to highlight.

Why a module of its own: the parser (:mod:`search.query`), the compiler
(:mod:`search.compile`), suggestions and highlighting all read the tree; none
of them needs the others. Plain frozen dataclasses, so a parsed query is
cached and shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass

from index import Token
from search.snippets import Highlighter


@dataclass(frozen=True)
class Word:
    """A bare word (possibly several tokens: ``porte-parole``, ``COVID-19``)."""

    text: str
    tokens: tuple[Token, ...]  # offsets into the whole query string
    title_only: bool = False
    prefix: bool = False  # the last token is a prefix (``humani*``)
    required: bool = False  # ``+word`` or a side of ``AND``


@dataclass(frozen=True)
class Phrase:
    text: str
    tokens: tuple[Token, ...]  # exact forms, stop words kept
    title_only: bool = False
    required: bool = False  # ``+"phrase"`` or a side of ``AND``


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Group:
    op: str  # "and" | "or"
    children: tuple[Node, ...]
    required: bool = False  # ``+( … )`` or a side of ``AND``


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

    def readable(self, conjunction: bool = False) -> str:
        """The query as understood, e.g. ``+traite (Rabat OR Casablanca) lang:fr``."""
        parts = [render(self.root, top=True, conjunction=conjunction)] if self.root.children else []
        parts += [f"lang:{v}" for v in self.filters.langs]
        parts += [f'source:"{v}"' for v in self.filters.sources]
        parts += [f"date:{a or ''}..{b or ''}" for a, b in self.filters.dates]
        return " ".join(p for p in parts if p)


def render(node: Node, top: bool = False, conjunction: bool = False) -> str:
    """The node as it was understood.

    ``conjunction``: juxtaposed words are all required (``match=all``), shown
    joined by ``AND``; otherwise they are shown side by side, ``+`` marking
    the required ones (best match, :mod:`search.matching`).
    """
    if isinstance(node, Not):
        return "-" + render(node.child, conjunction=conjunction)
    plus = "+" if node.required and not conjunction else ""
    if isinstance(node, Word):
        text = (node.text.rstrip("*") + "*") if node.prefix else node.text
        return plus + (f"title:{text}" if node.title_only else text)
    if isinstance(node, Phrase):
        return plus + (f'title:"{node.text}"' if node.title_only else f'"{node.text}"')
    joint = " AND " if node.op == "and" and conjunction else f" {node.op.upper()} "
    if node.op == "and" and not conjunction:
        joint = " "
    inner = joint.join(render(c, conjunction=conjunction) for c in node.children)
    if top or len(node.children) < 2:
        return plus + inner
    return f"{plus}({inner})"


# -- what a query shows ----------------------------------------------------------------
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
