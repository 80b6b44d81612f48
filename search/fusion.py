"""How the words' ranking and the meaning's are fused into one: a linear mix.

Why a linear mix and not reciprocal rank fusion: both were measured through
the public search on the evaluation's tuning halves (``python -m
lab.fusion_tune``, FLORES and TICO, four directions). Ranks throw away how
far ahead the words put a document (a dispatch with every query word in its
title against one with two of them in passing), and the linear mix kept it:
a document's score is its lexical score over the best one (after the fair
French/Arabic merge) plus ``WEIGHT`` times the cosine of its closest passage.
A document absent from one side gets nothing from it; the documents by
meaning are the best :data:`search.dense.DEPTH`.

The weight of a cosine depends on the document's language and on how clearly
meaning singles out one document (:func:`meaning_weights`).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

#: Rank constant of ``rrf`` (not the default method; kept for the tuning tool).
K: Final = 10.0
#: Weight of the cosine against the lexical score over the best (tuning halves only).
WEIGHT: Final = 6.0
#: ``linear`` (lexical score / best + WEIGHT × cosine) or ``rrf`` (Σ w / (K + rank)).
METHOD: Final = "linear"
#: Same-language documents by meaning: their cosine's weight is ``min(WEIGHT, SURE ×
#: gap)`` (:func:`meaning_weights`); 0 gives every document ``WEIGHT``.
SURE: Final = 20.0


def meaning_weights(
    sims: npt.NDArray[np.float32], same: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """Per document by meaning, the weight of its cosine in the mix (:func:`fuse`).

    A document in another language than the query's: :data:`WEIGHT`. One in the
    query's own language: ``min(WEIGHT, SURE × gap)``, ``gap`` being how far the
    closest of them stands ahead of the second (0 with only one): meaning
    reorders what the words found only when it singles a document out.

    Why: with one weight for all, the hybrid ranking lost to words alone on
    news. SaudiNewsNet (5,000 articles, a title → its own article) gave
    0.601 by the linear mix at 6 against 0.752 by words alone on the tuning
    half: the same event is reported by several outlets, the encoder finds
    them all about as close, and 6 × a few hundredths of cosine outweighs the
    words that tell the article apart; TICO (38 documents on one subject)
    lost the same way. Across languages the words go through translation and
    meaning is what carries the query: there it keeps its weight. Tuning
    halves of the three sets, mean of each set's mean MRR (``python -m
    lab.fusion_tune --sure --sets flores,tico,saudi``; these figures from a
    replay of every query's recorded fusion inputs): one weight of 6: 0.718 (same-language
    slope SURE = 10 / 15 / **20** / 25 / 30 / 40: 0.760 / 0.759 / **0.761** /
    0.760 / 0.760 / 0.754, FLORES 0.675 → 0.648, TICO 0.878 → 0.899,
    SaudiNewsNet 0.601 → 0.734); the gap rule across languages too (slopes
    30 / 60 / 120 with 20 same-language) lost 0.01–0.02.
    """
    weights = np.full(len(sims), WEIGHT, dtype=np.float64)
    if SURE and same.any():
        mine = np.sort(np.asarray(sims, dtype=np.float64)[same])[::-1]
        gap = float(mine[0] - mine[1]) if len(mine) > 1 else 0.0
        weights[same] = min(WEIGHT, SURE * gap)
    return weights


def fuse(
    lexical: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
    dense: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]],
    weight: float | npt.NDArray[np.float64] | None = None,
    k: float | None = None,
    method: str | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Fusion of two ``(docnums, scores)``: the union of docnums (ascending), their scores.

    ``rrf``: ``Σ w / (k + rank)``. ``linear``: the lexical score over the best
    one (the engine's per-language merge already divides by it) plus ``w``
    times the cosine. ``weight`` (one, or one per document of ``dense``:
    :func:`meaning_weights`), ``k``, ``method``: default :data:`WEIGHT`,
    :data:`K`, :data:`METHOD` (read at each call: the tuning tool sets them).
    """
    weight = WEIGHT if weight is None else weight
    k = K if k is None else k
    method = METHOD if method is None else method
    docs = _union(lexical[0], dense[0])
    fused = np.zeros(len(docs), dtype=np.float64)
    sides: tuple[tuple[Any, Any, bool], ...] = ((lexical, 1.0, True), (dense, weight, False))
    for (found, scores), w, words in sides:
        if not len(found) or not np.any(w):
            continue
        values = np.asarray(scores, dtype=np.float64)
        if method == "linear":  # words: over the best score; meaning: the cosine as it is
            top = float(values.max()) if words else 1.0
            part = w * values / (top if top > 0 else 1.0)
        else:
            ranks = np.empty(len(found), dtype=np.float64)
            ranks[np.argsort(-values, kind="stable")] = np.arange(1, len(found) + 1)
            part = w / (k + ranks)
        fused[np.searchsorted(docs, found)] += part
    return docs, fused


def _union(words: npt.NDArray[np.int64], meaning: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The sorted union of the words' docnums (sorted, distinct) and the few found by meaning.

    Why not ``np.union1d``: it sorts both again, tens of thousands of docnums
    for a query of common words, to add at most :data:`search.dense.DEPTH`.
    """
    words = np.asarray(words, dtype=np.int64)
    if not len(words):
        return np.unique(np.asarray(meaning, dtype=np.int64))
    meaning = np.unique(np.asarray(meaning, dtype=np.int64))
    at = np.searchsorted(words, meaning)
    known = (at < len(words)) & (words[np.minimum(at, len(words) - 1)] == meaning)
    new = meaning[~known]
    return np.insert(words, np.searchsorted(words, new), new) if len(new) else words
