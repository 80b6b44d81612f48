"""Related dispatches: each document's closest others, in either language.

The similarity is the one translations are linked by (:mod:`search.linking`):
cosine of tf-idf vectors of the leads, within a language; across, a French lead
translated into Arabic terms by the lexicon against the Arabic leads (and the same
score read backwards for an Arabic document's French neighbours). Unlike a link,
a related dispatch needs no mutual best match and no date window: a reader
following a story wants its earlier and later dispatches.

Why numpy postings and not :class:`search.linking.TermSpace`'s dictionaries: every
document is compared with every other here, not a few hundred French ones with their
candidates; one ``bincount`` over the postings of a vector's terms scores the whole
collection at once (30,000 documents: seconds, in the background, once per generation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from search.linking import LinkDoc, TermSpace, Translate, lead

#: Related dispatches kept per document.
RELATED: Final = 5
#: The least cosine of a related dispatch (below, two leads share little but common words).
RELATED_MIN: Final = 0.1
#: Neighbours kept per language before merging.
_PER_SIDE: Final = RELATED + 3

Related = dict[str, tuple[tuple[str, float], ...]]


class _Postings:
    """The unit vectors of one language's documents as term → (documents, weights) arrays."""

    def __init__(self, vectors: Sequence[Mapping[str, float]]) -> None:
        ids: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for n, vec in enumerate(vectors):
            for term, weight in vec.items():
                cols.append(ids.setdefault(term, len(ids)))
                rows.append(n)
                vals.append(weight)
        order = np.argsort(np.asarray(cols, np.int64), kind="stable")
        self.docs = np.asarray(rows, np.int32)[order]
        self.weights = np.asarray(vals, np.float64)[order]
        counts = np.bincount(np.asarray(cols, np.int64), minlength=len(ids))
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.ids = ids
        self.size = len(vectors)

    def scores(self, vec: Mapping[str, float]) -> npt.NDArray[np.float64]:
        """Cosine of ``vec`` (unit length) with every document."""
        docs, weights = [], []
        for term, weight in vec.items():
            t = self.ids.get(term)
            if t is not None:
                lo, hi = int(self.offsets[t]), int(self.offsets[t + 1])
                docs.append(self.docs[lo:hi])
                weights.append(self.weights[lo:hi] * weight)
        if not docs:
            return np.zeros(self.size)
        summed = np.bincount(np.concatenate(docs), np.concatenate(weights), minlength=self.size)
        return summed.astype(np.float64, copy=False)


def _best(scores: npt.NDArray[np.float64], skip: int, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (index, score) at or above :data:`RELATED_MIN`, ``skip`` left out."""
    if skip >= 0:
        scores = scores.copy()
        scores[skip] = 0.0
    top = np.argpartition(-scores, k)[:k] if len(scores) > k else np.arange(len(scores))
    return [
        (int(n), float(scores[n]))
        for n in top[np.argsort(-scores[top], kind="stable")]
        if scores[n] >= RELATED_MIN
    ]


def compute_related(
    docs: Sequence[LinkDoc],
    translate: Translate | None,
    frequencies: Mapping[str, int] | None = None,
    k: int = RELATED,
) -> Related:
    """Each document's ``k`` closest others (id, cosine), best first, either language.

    ``frequencies``: document frequencies of the collection's terms (both
    scripts); by default counted over ``docs``.
    """
    langs = {lang: [d for d in docs if d.lang == lang] for lang in ("fr", "ar")}
    spaces: dict[str, TermSpace] = {}
    postings: dict[str, _Postings] = {}
    for lang, members in langs.items():
        freq = (frequencies, len(members)) if frequencies is not None else None
        spaces[lang] = TermSpace(members, freq)
        postings[lang] = _Postings(spaces[lang].vectors)
    found: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for lang, members in langs.items():
        for n, doc in enumerate(members):
            for m, score in _best(postings[lang].scores(spaces[lang].vectors[n]), n, _PER_SIDE):
                found[doc.id].append((score, members[m].id))
    french, arabic = langs["fr"], langs["ar"]
    if translate is not None and french and arabic:
        space = spaces["ar"]
        for doc in french:
            vec = space.vector(translate(lead(doc.text), "ar", space.own))
            for m, score in _best(postings["ar"].scores(vec), -1, _PER_SIDE):
                found[doc.id].append((score, arabic[m].id))
                found[arabic[m].id].append((score, doc.id))
    out: Related = {}
    for doc_id, pairs in found.items():
        best: dict[str, float] = {}
        for score, other in pairs:
            best[other] = max(score, best.get(other, 0.0))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        out[doc_id] = tuple((other, round(score, 4)) for other, score in ranked)
    return out
