"""The query lexer: operator words, field names, quotes and negation in both languages.

Why separate from the parser: the lexer decides what is an operator (``OR``,
``ou``, ``أو``), a field (``titre:``, ``العنوان:``), a phrase (any of the
French, English or Arabic quote marks) or a word; the parser
(:mod:`search.query`) only arranges these lexemes into a tree.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

OR_WORDS: Final = frozenset({"OR", "ou", "OU", "Ou", "أو", "او"})
#: Only the capitalised forms: a lower-case "et" (or a detached و) in a pasted sentence is
#: a common word, not a request that both its neighbours be required.
AND_WORDS: Final = frozenset({"AND", "ET"})
FIELDS: Final = {
    "lang": "lang", "langue": "lang", "لغة": "lang", "اللغة": "lang",
    "title": "title", "titre": "title", "عنوان": "title", "العنوان": "title",
    "source": "source", "مصدر": "source", "المصدر": "source",
    "date": "date", "تاريخ": "date", "التاريخ": "date",
}  # fmt: skip
OPEN_QUOTES: Final = '"“«„'
CLOSE_QUOTES: Final = '"”»“'
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Co", "Cs"})


@dataclass
class Lexeme:
    kind: str  # "(" ")" "op" "word" "phrase" "neg" "plus" "field"
    text: str
    start: int = 0


def clean(q: str) -> str:
    """Control, format (bidi overrides, zero-width) and private-use characters → spaces."""
    return "".join(" " if unicodedata.category(ch) in _INVISIBLE_CATEGORIES else ch for ch in q)


def lex(q: str, notes: list[str], operators: bool = True) -> list[Lexeme]:
    out: list[Lexeme] = []
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(Lexeme(ch, ch, i))
            i += 1
        elif ch in OPEN_QUOTES:
            j = i + 1
            while j < n and q[j] not in CLOSE_QUOTES:
                j += 1
            if j >= n:
                notes.append(f"unbalanced quote closed at the end: {q[i:].strip()}")
            out.append(Lexeme("phrase", q[i + 1 : j], i + 1))
            i = j + 1
        elif ch == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != "-":
            out.append(Lexeme("neg", "-", i))
            i += 1
        elif ch == "+" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != "+":
            out.append(Lexeme("plus", "+", i))
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in "()" and q[j] not in OPEN_QUOTES:
                j += 1
            chunk = q[i:j]
            name, colon, value = chunk.partition(":")
            if colon and name.lower() in FIELDS:
                out.append(Lexeme("field", FIELDS[name.lower()], i))
                if value:
                    out.append(Lexeme("word", value, i + len(name) + 1))
            elif operators and chunk in OR_WORDS:
                out.append(Lexeme("op", "or", i))
            elif operators and chunk in AND_WORDS:
                out.append(Lexeme("op", "and", i))
            else:
                out.append(Lexeme("word", chunk, i))
            i = j
    return out
