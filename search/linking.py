"""Which documents are the same story in the other language (French ⇄ Arabic).

Two ways, in this order of trust:

1. **Declared pairs**: a corpus that knows its translations says so with a
   ``pair_id`` in the metadata (FLORES-200, TICO-19): documents of different
   languages sharing one are linked, whatever their text.
2. **Similarity**: otherwise a French document is translated into Arabic terms
   with the lexicon (the query translator run over its lead: phrases, names,
   numbers kept as they are) and compared
   by cosine with the Arabic documents' tf-idf vectors (:mod:`search.link_graph`,
   numpy sparse products; idf frozen per generation family, :mod:`search.link_state`).
   Two documents are linked when each is the other's best match (ties: smaller id),
   the cosine reaches :data:`THRESHOLD`, and their dates (when both have one)
   are at most :data:`MAX_DAYS` apart.

Why mutual best match: a story has at most one version per language in a news
archive, and requiring the match in both directions removes most false links
between documents of the same topic (two dispatches about the same trial).
Why only the lead (:data:`LEAD_TOKENS`): translating whole documents costs ~10 ms
each; the headline and first paragraphs carry the names, places and numbers that
identify a story.

The threshold was chosen on the FLORES/TICO pairs, pair ids hidden, the lexicon
built without the evaluated dataset (``fihris eval clir`` reports it). At 0.25,
FLORES: precision 1.000 / recall 0.915 when every document has its counterpart,
0.977 / 0.894 when a third of the French and a third of the Arabic documents have
none; TICO: 0.944 / 0.895 and 1.000 / 0.857 (in the sweep, 0.20 gave FLORES-open
recall 0.94 at precision 0.978, 0.30 recall 0.85 at 0.988). Worst case measured:
the 300 FLORES/TICO French documents, undated and without their counterparts,
against 30,100 SaudiNewsNet articles: 14 got a (necessarily wrong) link — dates,
when the archive has them, remove most such candidates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Protocol

from index import tokenize

#: Minimum cosine of a similarity link (chosen on FLORES/TICO, see the module doc).
THRESHOLD: Final = 0.25
#: Two dated versions of one story are published at most this many days apart.
MAX_DAYS: Final = 3
#: Tokens of a document's text translated and compared (headline and lead).
LEAD_TOKENS: Final = 300
#: Characters tokenised to find the lead (300 words of news take ~2,000).
LEAD_CHARS: Final = 6000
#: Terms kept per vector: the distinctive ones; the rest add cost, not evidence.
TOP_TERMS: Final = 60
#: Lexicon look-ups remembered while linking (a few hundred bytes each).
REMEMBERED: Final = 200_000
#: Bump when the algorithm changes: a persisted link file of another version is ignored.
VERSION: Final = "2"

#: Document frequency of each term in a collection, and the collection's size.
Frequencies = tuple[Mapping[str, int], int]
#: ``translate(text, target_lang, target_vocabulary)`` → weighted target terms.
Translate = Callable[[str, str, Mapping[str, int]], Mapping[str, float]]


@dataclass(frozen=True, slots=True)
class LinkDoc:
    """What linking needs of a document."""

    id: str
    lang: str
    text: str
    date: str | None = None  # ISO date of any precision
    pair_id: str | None = None
    #: the document's content fingerprint in the index (None: not from an index)
    fingerprint: str | None = None
    #: carried from the previous computation, text not read (``text`` is ""):
    #: :func:`search.link_features.text_key` of its text, and its document number
    key: bytes | None = None
    ref: int | None = None


def declared_links(docs: Iterable[LinkDoc]) -> dict[str, set[str]]:
    """Documents of different languages sharing a ``pair_id``."""
    groups: dict[str, list[LinkDoc]] = defaultdict(list)
    for doc in docs:
        if doc.pair_id:
            groups[doc.pair_id].append(doc)
    links: dict[str, set[str]] = defaultdict(set)
    for members in groups.values():
        for a in members:
            for b in members:
                if a.lang != b.lang:
                    links[a.id].add(b.id)
    return dict(links)


def lead(text: str) -> str:
    """The first :data:`LEAD_TOKENS` words of ``text``.

    Only a prefix is tokenised (:data:`LEAD_CHARS`): tokenising whole long
    articles to keep their first words was most of the linking time.
    """
    head = text[:LEAD_CHARS]
    tokens = tokenize(head)
    return head if len(tokens) <= LEAD_TOKENS else head[: tokens[LEAD_TOKENS].start]


def lead_terms(text: str) -> Counter[str]:
    """Term frequencies of the lead's indexed words (stop words dropped)."""
    head = text[:LEAD_CHARS]
    return Counter(tok.term for tok in tokenize(head)[:LEAD_TOKENS] if not tok.stop)


def day_range(iso: str | None) -> tuple[date, date] | None:
    """First and last day an ISO date of any precision covers (None: undated or unreadable)."""
    if not iso:
        return None
    try:
        parts = [int(p) for p in iso[:10].split("-")]
        if len(parts) >= 3:
            day = date(parts[0], parts[1], parts[2])
            return day, day
        if len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return first, following - timedelta(days=1)
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    except ValueError:
        return None


def dates_compatible(a: str | None, b: str | None, max_days: int = MAX_DAYS) -> bool:
    """True unless both documents are dated and their dates are further apart than ``max_days``."""
    return ranges_compatible(day_range(a), day_range(b), max_days)


def ranges_compatible(
    ra: tuple[date, date] | None, rb: tuple[date, date] | None, max_days: int = MAX_DAYS
) -> bool:
    """:func:`dates_compatible` of dates already read (linking compares each pair)."""
    if ra is None or rb is None:
        return True
    gap = max((rb[0] - ra[1]).days, (ra[0] - rb[1]).days, 0)
    return gap <= max_days


def weigh(
    counts: Mapping[str, float], frequency: Callable[[str], int], size: int
) -> dict[str, float]:
    """Sublinear tf × idf of the terms the collection knows, top terms, unit length.

    ``frequency(term)``: the term's document frequency (0: unknown, left out);
    ``size``: the number of documents of the language it is counted in.
    """
    weights = {}
    for term, c in counts.items():
        df = frequency(term) if c > 0 else 0
        if df:
            weights[term] = (1.0 + math.log(c) if c >= 1 else c) * math.log(1 + size / df)
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {term: w / norm for term, w in top}


class Features(Protocol):
    """Where linking gets each document's lead terms and translation (see link_features)."""

    def counts(self, doc: LinkDoc) -> Counter[str]: ...

    def begin(self, own: Counter[str]) -> None: ...

    def translated(self, doc: LinkDoc, own: Mapping[str, int]) -> Mapping[str, float]: ...


class _Computed:
    """:class:`Features` computed afresh for every document."""

    def __init__(self, translate: Translate | None) -> None:
        self.translate = translate
        self.translating = translate is not None

    def counts(self, doc: LinkDoc) -> Counter[str]:
        return lead_terms(doc.text)

    def begin(self, own: Counter[str]) -> None:
        pass

    def translated(self, doc: LinkDoc, own: Mapping[str, int]) -> Mapping[str, float]:
        assert self.translate is not None
        return self.translate(lead(doc.text), "ar", own)


def similarity_graph(
    docs: Sequence[LinkDoc],
    translate: Translate | None,
    threshold: float = THRESHOLD,
    frequencies: Mapping[str, int] | None = None,
    features: Features | None = None,
    state: Any = None,
) -> tuple[Any, dict[str, Any]]:
    """Every document's best match across languages and related dispatches
    (:mod:`search.link_graph`), continuing ``state`` (:class:`search.link_state.LinkState`).

    ``frequencies``: document frequencies of the collection's terms (by default
    counted over the leads); ``features``: per-document results reused from a
    previous computation (the same results, faster).
    """
    from search.link_state import LinkState, link_collection

    source: Any = features if features is not None else _Computed(translate)
    if translate is None:
        source = _Computed(None) if features is None else source
        source.translating = False
    elif not hasattr(source, "translating"):
        source.translating = True
    return link_collection(docs, source, frequencies, state or LinkState({}), threshold)


def compute_links(
    docs: Sequence[LinkDoc],
    translate: Translate | None,
    threshold: float = THRESHOLD,
    frequencies: Mapping[str, int] | None = None,
    features: Features | None = None,
) -> dict[str, tuple[str, ...]]:
    """Every document's linked versions: declared pairs, then similarity for the others."""
    graph = None
    if translate is not None:
        graph, _ = similarity_graph(docs, translate, threshold, frequencies, features)
    return links_of(docs, graph)


def links_of(docs: Sequence[LinkDoc], graph: Any) -> dict[str, tuple[str, ...]]:
    """Declared pairs and the mutual best matches of ``graph`` (None: declared only)."""
    links: dict[str, set[str]] = defaultdict(set)
    for doc_id, others in declared_links(docs).items():
        links[doc_id] |= others
    if graph is not None:
        for a, b, _ in graph.links():
            links[a].add(b)
            links[b].add(a)
    return {doc_id: tuple(sorted(others)) for doc_id, others in links.items() if others}


class LexiconTranslate:
    """A :data:`Translate` backed by ``search.translate``'s query translator.

    The target vocabulary lets it match names by transliteration (Rabat → رباط).
    ``probes`` collects the names each call looked up in the vocabulary and what
    was found (cleared by the caller), so a translation can be reused while these
    answers stand (:mod:`search.link_features`).
    """

    def __init__(self, lexicon: Any) -> None:
        from search.translate.remembered import RememberingTranslator

        # each word's translation remembered too: the same words recur lead after lead
        self.translator = RememberingTranslator(_Remembered(lexicon))  # type: ignore[arg-type]
        self.probes: list[Any] = []  # (forms, candidates found) per name looked up
        self.translator.probes = self.probes

    def __call__(
        self, text: str, target_lang: str, vocabulary: Mapping[str, int]
    ) -> dict[str, float]:
        bag: dict[str, float] = defaultdict(float)
        for word in self.translator.translate(tokenize(text), target_lang, vocabulary, text):
            for tr in word.translations:
                for part in tr.terms:
                    bag[part] += tr.weight
        return bag


class _Remembered:
    """A lexicon whose look-ups are remembered, for linking a whole collection.

    Why: translating 3,000 French leads asks ~1.5 million look-ups, two thirds of
    them phrases of 2 to 4 words that are no key (the translator tries the longest
    phrase first at every word), each a binary search over the key bytes: half of
    the translating time. The set of keys answers those at once, and the found
    ones are remembered (bounded by :data:`REMEMBERED`: then forgotten at once).
    Same answers as the lexicon.
    """

    def __init__(self, lexicon: Any) -> None:
        self._lexicon = lexicon
        self._keys: dict[str, frozenset[str]] = {}
        self._found: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._lengths: dict[str, list[int]] = {}

    def translations(self, term: str, src_lang: str) -> list[Any]:
        keys = self._keys.get(src_lang)
        if keys is None:
            listed = getattr(self._lexicon, "keys", None)  # a lexicon that cannot list: none
            keys = self._keys[src_lang] = frozenset(listed(src_lang)) if listed else frozenset()
        if keys and term not in keys:
            return []
        key = (term, src_lang)
        found = self._found.get(key)
        if found is None:
            if len(self._found) >= REMEMBERED:
                self._found.clear()
            found = self._found[key] = tuple(self._lexicon.translations(term, src_lang))
        return list(found)  # a fresh list: the translator may extend or filter it

    def phrase_lengths(self, src_lang: str) -> list[int]:
        found = self._lengths.get(src_lang)
        if found is None:
            found = self._lengths[src_lang] = self._lexicon.phrase_lengths(src_lang)
        return list(found)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lexicon, name)


def lexicon_translate(lexicon: Any) -> LexiconTranslate:
    """The linking translator of ``lexicon`` (see :class:`LexiconTranslate`)."""
    return LexiconTranslate(lexicon)
