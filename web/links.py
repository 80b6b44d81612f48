"""Building the page's links from its current parameters.

Every control on the page (pagination, facets, sort, dropping a translation,
the interface switch, the JSON twin) is a plain link, so the page works without
JavaScript; this class keeps those links consistent and free of default values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from web.services import RawParams

# default values never written into links (shorter URLs, one URL per state)
_DEFAULTS = {"page": "1", "sort": "relevance", "cross": "true", "size": "10", "match": "best"}


def doc_path(doc_id: str, prefix: str = "/doc/") -> str:
    """``/doc/…`` for an id; dot segments are percent-encoded so browsers do not collapse them."""
    segments = [
        quote(s, safe="") if s not in {".", ".."} else s.replace(".", "%2E")
        for s in doc_id.split("/")
    ]
    return prefix + "/".join(segments)


@dataclass(frozen=True)
class Links:
    raw: RawParams
    ui: str | None = None  # written into links when it differs from the server default

    def _pairs(self, raw: RawParams) -> list[tuple[str, str]]:
        values = {
            "q": raw.q,
            "lang": raw.lang,
            "sort": raw.sort,
            "from": raw.date_from,
            "to": raw.date_to,
            "cross": raw.cross,
            "match": raw.match,
            "mode": raw.mode,
            "size": raw.size,
            "page": raw.page,
        }
        pairs = [(k, v) for k, v in values.items() if v and _DEFAULTS.get(k) != v]
        pairs.extend(("exclude", key) for key in raw.exclude)
        if self.ui:
            pairs.append(("ui", self.ui))
        return pairs

    def page(self, **changes: Any) -> str:
        """``/?…`` with ``changes`` applied; any change other than ``page`` goes back to page 1."""
        if "page" not in changes:
            changes["page"] = None
        return "/?" + urlencode(self._pairs(replace(self.raw, **changes)))

    def api(self) -> str:
        return "/api/search?" + urlencode([(k, v) for k, v in self._pairs(self.raw) if k != "ui"])

    def feed(self) -> str:
        """The Atom feed of this search (web.feed): newest first, so no page, size or sort."""
        return "/search.atom?" + urlencode(self._search_pairs("sort"))

    def export(self, fmt: str) -> str:
        """Every hit of this search, up to the cap, as ``csv`` or ``jsonl`` (web.export)."""
        return "/api/export?" + urlencode([("format", fmt), *self._search_pairs()])

    def _search_pairs(self, *dropped: str) -> list[tuple[str, str]]:
        """The search's own parameters: no interface language, no paging."""
        left_out = {"ui", "page", "size", *dropped}
        return [(k, v) for k, v in self._pairs(self.raw) if k not in left_out]

    def ui_switch(self, ui: str) -> str:
        return "/?" + urlencode([*(p for p in self._pairs(self.raw) if p[0] != "ui"), ("ui", ui)])

    def drop(self, key: str) -> str:
        return self.page(exclude=(*self.raw.exclude, key))

    def restore(self, key: str) -> str:
        return self.page(exclude=tuple(k for k in self.raw.exclude if k != key))

    def doc(self, doc_id: str, offset: int | None = None) -> str:
        """A document page, carrying the query so its terms are highlighted there too.

        ``offset``: a piece of a long body other than the first.
        """
        pairs = [(k, v) for k, v in self._pairs(self.raw) if k in {"q", "cross", "ui"}]
        if offset:
            pairs.append(("offset", str(offset)))
        return doc_path(doc_id) + ("?" + urlencode(pairs) if pairs else "")
