"""The one result model: the page, the JSON API and ``fihris search --json`` all render it.

Frozen dataclasses, so a result can be cached and shared between threads and
``dataclasses.asdict`` gives the JSON shape directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Sort = Literal["relevance", "date"]
#: How the words of a query combine (``search.matching`` owns the rule):
#: ``best`` every word counts, none is required unless marked ``+`` (the default);
#: ``all`` every word is required (a conjunction); ``any`` plain OR, no coordination.
Match = Literal["best", "all", "any"]
MATCHES: tuple[Match, ...] = ("best", "all", "any")
#: Which rankings a search uses (``search.dense`` owns the fusion): ``hybrid`` words and
#: meaning fused (the default when the sentence encoder is there), ``lexical`` words only,
#: ``semantic`` meaning only (filters and required words still apply).
Mode = Literal["hybrid", "lexical", "semantic"]
MODES: tuple[Mode, ...] = ("hybrid", "lexical", "semantic")
MAX_SIZE = 100
MAX_PAGE = 1000


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked. Validation happens in :func:`search.validate_request`."""

    q: str
    lang: str | None = None  # filter: "fr" | "ar"
    page: int = 1
    size: int = 10
    sort: Sort = "relevance"
    date_from: str | None = None  # ISO date of any precision: 2024, 2024-07, 2024-07-26
    date_to: str | None = None
    cross: bool = True  # cross-language search (French ⇄ Arabic)
    exclude_translations: tuple[str, ...] = ()  # translations the user dropped ("ar:بشر")
    #: False: hits without snippets and without ``via_translation`` (both need a scan of
    #: each body); for exports and evaluations, which read neither
    snippets: bool = True
    match: Match = "best"
    mode: Mode | None = None  # None: hybrid when the encoder is there, else lexical


@dataclass(frozen=True)
class Fragment:
    """A snippet: ``html`` is escaped text with ``<mark>``.

    ``matches`` are [start, end) offsets of the marked words in ``text``.
    """

    html: str
    text: str
    matches: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Hit:
    id: str
    lang: str
    dir: Literal["ltr", "rtl"]
    title: str
    date: str | None
    score: float
    snippets: tuple[Fragment, ...]
    source: str | None = None
    url: str | None = None
    translations: tuple[str, ...] = ()  # ids of the same story in the other language
    via_translation: bool = False  # found only through the translated query
    close_in_meaning: bool = False  # found by meaning alone: the snippet is its closest passage


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class Period:
    """One bar of the timeline: ``2024-07`` (a month) or ``2024`` (a year)."""

    period: str
    count: int


@dataclass(frozen=True)
class Facets:
    lang: tuple[FacetValue, ...] = ()
    year: tuple[FacetValue, ...] = ()
    #: matching dispatches per month, or per year over a long span (search.timeline)
    timeline: tuple[Period, ...] = ()


@dataclass(frozen=True)
class Translation:
    """One target-language term a query word was translated into."""

    term: str
    display: str
    weight: float
    provenance: str
    key: str  # what `exclude_translations` names to drop it, e.g. "ar:بشر"


@dataclass(frozen=True)
class WordTranslation:
    word: str
    target_lang: str
    translations: tuple[Translation, ...]


@dataclass(frozen=True)
class Interpretation:
    """How the query was understood, shown to the user so ranking is never a mystery."""

    query: str  # the parsed query, readable
    match: Match = "best"  # how the words combined (search.matching)
    required: tuple[str, ...] = ()  # words and phrases every hit has
    optional: tuple[str, ...] = ()  # words and phrases that count when present
    terms: tuple[str, ...] = ()  # analysed query terms
    filters: dict[str, str] = field(default_factory=dict)
    translations: tuple[WordTranslation, ...] = ()
    notes: tuple[str, ...] = ()  # leniency decisions: "unbalanced quote closed", …
    mode: Mode = "lexical"  # the rankings used (what was asked, or lexical when it could not)


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    total: int
    page: int
    size: int
    took_ms: float
    hits: tuple[Hit, ...]
    facets: Facets
    suggestion: str | None
    interpretation: Interpretation
    #: True when the time limit cut some work short (``interpretation.notes`` say which)
    partial: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class RelatedDoc:
    """A dispatch close to the one shown (``search.related``), for following a story."""

    id: str
    lang: str
    dir: Literal["ltr", "rtl"]
    title: str
    date: str | None
    score: float  # cosine of the two leads' vectors (across languages: after translation)


@dataclass(frozen=True)
class DocumentView:
    """A whole document for ``/doc/{id}``: body as escaped HTML with query terms marked."""

    id: str
    lang: str
    dir: Literal["ltr", "rtl"]
    title: str
    title_html: str
    date: str | None
    source: str | None
    url: str | None
    path: str
    text: str
    html: str
    translations: tuple[str, ...] = ()
    # the body may come in pieces (SearchEngine.document's limit): where this one sits
    length: int = 0  # characters in the whole body
    offset: int = 0  # where this piece starts in it
    next_offset: int | None = None  # where the next piece starts; None: this is the end
    truncated: bool = False  # True when ``text`` is not the whole body
    # the same story in the other language, marked with the query's translations (its
    # first piece only); None when the dispatch has no linked version
    counterpart: DocumentView | None = None
    related: tuple[RelatedDoc, ...] = ()  # closest other dispatches, best first
