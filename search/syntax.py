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
