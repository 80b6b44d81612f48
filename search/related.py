"""Related dispatches: each document's closest others, in either language.

The similarity is the one translations are linked by (:mod:`search.linking`):
cosine of tf-idf vectors of the leads, within a language; across, a French lead
translated into Arabic terms by the lexicon against the Arabic leads (the same
cosine read from either side). Unlike a link, a related dispatch needs no mutual
best match and no date window: a reader following a story wants its earlier and
later dispatches. Computed with the links, in one pass over the collection
(:mod:`search.link_graph`), and updated with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.link_graph import RELATED, RELATED_MIN
from search.linking import LinkDoc, Translate, similarity_graph

__all__ = ["RELATED", "RELATED_MIN", "Related", "compute_related", "related_of_graph"]

Related = dict[str, tuple[tuple[str, float], ...]]


def related_of_graph(graph: Any, k: int = RELATED) -> Related:
    """The related dispatches of a :class:`search.link_graph.Graph`, cosines to 4 decimals."""
    return {
        doc: tuple((other, round(score, 4)) for other, score in pairs[:k])
        for doc, pairs in sorted(graph.related.items())
        if pairs
    }


def compute_related(
    docs: Sequence[LinkDoc],
    translate: Translate | None,
    frequencies: Mapping[str, int] | None = None,
    k: int = RELATED,
) -> Related:
    """Each document's ``k`` closest others (id, cosine), best first, either language.

    ``frequencies``: document frequencies of the collection's terms (both
    scripts); by default counted over the leads of ``docs``.
    """
    graph, _ = similarity_graph(docs, translate, frequencies=frequencies)
    return related_of_graph(graph, k)
