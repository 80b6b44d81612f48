"""The engine's seam to cross-language search (``search.translate``).

Why an adapter: the engine only needs, per query word (or phrase the lexicon
knows as a unit), what to show (:class:`search.models.WordTranslation`), a
Whoosh clause for the target language and the target terms to highlight. The
translation package can change its internals, or be missing altogether (then
:func:`default_cross_language` returns None and search is monolingual).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from whoosh import query as wq

from index import Token
from search.models import Translation, WordTranslation
from search.snippets import Highlighter

#: Title matches of a translation weigh like title matches of the query itself: the
#: title's weight is already in its postings (the schema's field boost), so a query-time
#: boost of 2 counted it twice — measured on FLORES through the engine, FR→AR MRR
#: 0.385 → 0.415 and AR→FR 0.362 → 0.404 when the double count was removed.
TITLE_BOOST = 1.0

#: A translated word weighs like a word of the query's own language. A query word
#: scores twice in a document of its language, in the stemmed field and again in
#: the exact one (``search.compile``: stem AndMaybe exact), while a translation
#: can only be matched as a stemmed term: at 1.0, the numbers and names a query
#: keeps untranslated outweighed every translated word two to one in the target
#: documents. Measured through the engine (``fihris eval clir``, leave-one-out
#: lexicons), MRR at 1.0 → 2.0: FLORES (281 queries) FR→AR 0.472 → 0.485, AR→FR
#: 0.467 → 0.473; TICO (19 queries) FR→AR 0.635 → 0.602, AR→FR 0.662 → 0.688.
TRANSLATION_BOOST = 2.0


@dataclass(frozen=True)
class CrossWord:
    """One translated unit: ``tokens[first:last]`` of the words handed to ``translate``."""

    first: int
    last: int
    translation: WordTranslation
    clause: wq.Query
    highlight: Highlighter


class CrossLanguage(Protocol):
    """What :class:`search.SearchEngine` needs from a translator."""

    def translate(
        self,
        tokens: Sequence[Token],
        text: str,
        target_lang: str,
        vocabulary: Mapping[str, int] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> list[CrossWord]:
        """Translated units of ``tokens`` (offsets into ``text``), untranslated words left out.

        ``exclude`` holds keys (``"ar:بشر"``) of translations the user dropped.
        """
        ...


class NoTranslation:
    """Monolingual search: translates nothing (pass it to disable cross-language search)."""

    def translate(
        self,
        tokens: Sequence[Token],
        text: str,
        target_lang: str,
        vocabulary: Mapping[str, int] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> list[CrossWord]:
        return []


def translation_key(target_lang: str, term: str) -> str:
    """``ar:بشر``; a phrase's spaces become ``_`` so the key is one URL-safe token."""
    return f"{target_lang}:{term.replace(' ', '_')}"


class TranslatorAdapter:
    """Wraps ``search.translate``'s QueryTranslator and PSQTerm.

    The lexicon is loaded on first use (not at import) so an engine that never
    translates pays nothing; ``translator`` may be injected (tests use a tiny
    in-test lexicon).
    """

    def __init__(self, translator: Any = None) -> None:
        self._translator = translator
        self._lock = threading.Lock()
        #: Weighs candidates by the query's meaning (``use_encoder``); None: lexicon weights.
        self.chooser: Any = None
        self._folder: Any = None
        self._table_started = False

    def use_encoder(self, vectors: Any, folder: Any = None) -> None:
        """Choose translations in context with ``vectors`` (a ``QueryVectors``; None: off).

        The table of candidate vectors is read from ``folder`` (or built and kept
        there) in a background thread started by :meth:`prepare` or the first
        translation; until it is ready the lexicon's weights stand. See
        ``search.translate.context``.
        """
        from search.translate.context import ContextChooser

        self.chooser = ContextChooser(vectors) if vectors is not None else None
        self._folder = folder
        self._table_started = False

    def _start_table(self) -> None:
        chooser = self.chooser
        if chooser is None or self._table_started:
            return
        with self._lock:
            if self._table_started:
                return
            self._table_started = True

        def build() -> None:
            chooser.prepare(self._get().lexicon, self._folder)

        threading.Thread(target=build, name="fihris-translation-vectors", daemon=True).start()

    def context_ready(self, timeout: float | None = None) -> bool:
        """Whether translations are chosen in context (waiting up to ``timeout`` s for it)."""
        if self.chooser is None:
            return False
        if timeout is None or timeout > 0:
            self._start_table()
        return bool(self.chooser.ready(timeout))

    def prepare(self) -> None:
        """Load the lexicon (and the translation vectors) in background threads.

        A server calls this at startup. Why: reading the lexicon (its compact table:
        ~0.03 s; the TSV when the table is stale: about a second) and the glossary and
        gazetteer takes time the first cross-language query would otherwise wait for.
        """
        threading.Thread(target=self._warm, name="fihris-lexicon", daemon=True).start()
        self._start_table()

    def _warm(self) -> None:
        """The lexicon, then the gazetteer (the first query's translation needs both)."""
        warm = getattr(self._get(), "warm", None)
        if warm is not None:
            warm()

    def prepare_names(self, vocabulary: Mapping[str, int]) -> None:
        """Index ``vocabulary`` for name matching now (the engine calls it off the query path)."""
        prepare = getattr(self._get(), "prepare_names", None)
        if prepare is not None:
            prepare(vocabulary)

    def loaded(self) -> None:
        """Return once the lexicon is loaded (loading it here if nothing started it)."""
        self._get()

    def ready(self) -> bool:
        """True once the lexicon is loaded."""
        return self._translator is not None

    def _get(self) -> Any:
        if self._translator is None:
            with self._lock:
                if self._translator is None:
                    from search.translate.lexicon import Lexicon
                    from search.translate.translator import QueryTranslator

                    self._translator = QueryTranslator(Lexicon.load())
        return self._translator

    def translate(
        self,
        tokens: Sequence[Token],
        text: str,
        target_lang: str,
        vocabulary: Mapping[str, int] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> list[CrossWord]:
        from search.translate.lexicon import Translation as LexTranslation
        from search.translate.psq import PSQTerm
        from search.translate.translator import WordTranslation as TrWord

        index_of = {(tok.start, tok.end): i for i, tok in enumerate(tokens)}
        units: list[tuple[Any, int, int, list[LexTranslation]]] = []
        for word in self._get().translate(list(tokens), target_lang, vocabulary, text):
            if not word.translated:
                continue
            kept = [
                tr
                for tr in word.translations
                if tr.provenance != "untranslated"
                and translation_key(target_lang, tr.term) not in exclude
            ]
            first = index_of.get((word.source[0].start, word.source[0].end))
            last = index_of.get((word.source[-1].start, word.source[-1].end))
            if kept and first is not None and last is not None:
                units.append((word, first, last, kept))
        self._start_table()  # a no-op once started (or without an encoder)
        if self.chooser is not None and self.chooser.table is not None and units:
            ranked = [sorted(kept, key=lambda tr: -tr.weight) for _, _, _, kept in units]
            factors = self.chooser.factors(text, [[tr.display for tr in r] for r in ranked])
            units = [
                (word, first, last, [_scaled(tr, f) for tr, f in zip(r, fs, strict=True)])
                for (word, first, last, _), r, fs in zip(units, ranked, factors, strict=True)
            ]
        out: list[CrossWord] = []
        for word, first, last, kept in units:
            total = sum(tr.weight for tr in kept) or 1.0
            kept = [
                LexTranslation(tr.term, tr.weight / total, tr.provenance, tr.display) for tr in kept
            ]
            groups = TrWord(word.source, word.source_text, tuple(kept)).psq_groups()
            parts = [
                wq.Or(
                    [
                        PSQTerm("body", group, boost=TRANSLATION_BOOST),
                        PSQTerm("title", group, boost=TITLE_BOOST * TRANSLATION_BOOST),
                    ]
                )
                for group in groups
            ]
            clause = _alternatives(parts, all(" " in tr.term for tr in kept))
            model = WordTranslation(
                word=word.source_text,
                target_lang=target_lang,
                translations=tuple(
                    Translation(
                        term=tr.term,
                        display=tr.display,
                        weight=round(tr.weight, 4),
                        provenance=tr.provenance,
                        key=translation_key(target_lang, tr.term),
                    )
                    for tr in kept
                ),
            )
            terms = frozenset(part for tr in kept for part in tr.term.split(" "))
            out.append(CrossWord(first, last + 1, model, clause, Highlighter(terms=terms)))
        return out


def _scaled(tr: Any, factor: float) -> Any:
    """``tr`` with its weight times ``factor``."""
    from search.translate.lexicon import Translation as LexTranslation

    return LexTranslation(tr.term, tr.weight * factor, tr.provenance, tr.display)


def _alternatives(parts: list[wq.Query], all_phrases: bool) -> wq.Query:
    """One word's clause from its per-position parts (``psq_groups``).

    The translations of a word are alternatives. When every one is a phrase
    (الاتجار بالبشر → traite des êtres humains), each position is required, as
    the words of a phrase are. When single words are among them (الناتج المحلي
    الإجمالي → PIB | produit intérieur brut), the first position holds every
    alternative and the rest of the phrase only adds to the score: a document
    saying "PIB" must match without "intérieur" and "brut".
    """
    if len(parts) == 1:
        return parts[0]
    if all_phrases:
        return wq.And(parts)
    rest = parts[1] if len(parts) == 2 else wq.Or(parts[1:])
    return wq.AndMaybe(parts[0], rest)


def default_cross_language() -> CrossLanguage | None:
    """The lexicon-backed translator, or None when ``search.translate`` is not installed."""
    try:
        import search.translate.lexicon
        import search.translate.psq
        import search.translate.translator  # noqa: F401
    except ImportError:
        return None
    return TranslatorAdapter()
