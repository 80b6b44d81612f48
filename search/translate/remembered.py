"""A translator that remembers each word's translation, for linking a whole collection.

Why: story linking translates every French lead of the collection (~100 words
each, 2,858 leads at 10,000 dispatches), and the same words come back lead
after lead; translating a word (lexicon, gazetteer, name look-ups, merging) was
the largest part of linking. What a word's translation depends on is known
exactly (:meth:`RememberingTranslator._key`): its analysed form and script, its
surface (capitals, acronyms, the display of a word kept as it is), the next
words when a phrase may start at it, the target language and the vocabulary
names are matched against. The same key gives the same translations, and the
name look-ups it made are replayed into :attr:`QueryTranslator.probes`, so a
translation remembered is exactly a translation computed
(``tests/test_remembered_translator.py`` compares both on real leads).

Not for queries: a query is translated once.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

from search.translate.lexicon import Lexicon
from search.translate.translator import (
    QueryTranslator,
    WordTranslation,
    source_lang,
    surface_of,
)

#: Words remembered: ~1.7 KB each with their translations (measured with tracemalloc on
#: FLORES leads), so ~50 MB at most; past it, all are forgotten at once.
REMEMBERED_WORDS: Final = 30_000


class RememberingTranslator(QueryTranslator):
    """:class:`QueryTranslator` with each word's translation remembered (see the module)."""

    def __init__(self, lexicon: Lexicon, limit: int = REMEMBERED_WORDS) -> None:
        super().__init__(lexicon)
        self._limit = limit
        self._memo: dict[Hashable, tuple[int, Any, Any]] = {}
        self._vocabulary: Mapping[str, int] | None = None
        self.hits = 0

    def _translate_at(
        self,
        words: Sequence[Any],
        i: int,
        target_lang: str,
        vocabulary: Mapping[str, int] | None,
        text: str | None,
    ) -> tuple[int, WordTranslation]:
        src = source_lang(words[i], target_lang)
        if src is None:  # kept as it is: nothing to remember
            return super()._translate_at(words, i, target_lang, vocabulary, text)
        if vocabulary is not self._vocabulary:  # another vocabulary: other names
            self._memo.clear()
            self._vocabulary = vocabulary
        key = self._key(words, i, src, target_lang, text)
        found = self._memo.get(key)
        if found is not None:
            consumed, translations, probes = found
            if self.probes is not None:
                self.probes.extend(probes)
            span = words[i : i + consumed]
            self.hits += 1
            return consumed, WordTranslation(tuple(span), surface_of(span, text), translations)
        before = len(self.probes) if self.probes is not None else 0
        consumed, result = super()._translate_at(words, i, target_lang, vocabulary, text)
        probes = tuple(self.probes[before:]) if self.probes is not None else ()
        if len(self._memo) >= self._limit:
            self._memo.clear()
        self._memo[key] = (consumed, result.translations, probes)
        return consumed, result

    def _key(
        self, words: Sequence[Any], i: int, src: str, target_lang: str, text: str | None
    ) -> Hashable:
        """Everything :meth:`QueryTranslator._translate_at` reads for the word at ``i``."""
        tok = words[i]
        surface = text[tok.start : tok.end] if text is not None else None
        window = (
            words[i : i + self.phrase_lengths(src)[0]]
            if self.may_start_phrase(tok, src)
            else words[i : i + 1]
        )
        forms = tuple((t.exact, t.term, t.script) for t in window)
        return (target_lang, surface, self.probes is not None, forms)
