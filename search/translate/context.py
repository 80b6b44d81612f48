"""Translations chosen in context: candidates weighed by how close they are to the query's meaning.

Why: the lexicon gives a word every sense it has (``protection`` → حماية
"protection" and الحمى "fever", learned from medical sentences); PSQ then
searches all of them by their probabilities, whatever the query is about. The
sentence encoder reads the whole query: the cosine of the query's vector with
each candidate's own vector says which senses fit it (حماية 0.50, الحمى 0.24
for ``protection des enfants sur internet``). A candidate's weight is
multiplied by ``exp(BETA × (cosine − best cosine among the word's
candidates))``: the best fitting sense keeps its weight, one 0.1 below keeps
``exp(-0.1 × BETA)`` of it, and PSQ renormalises.

Why single words and not the query with each candidate in place: a candidate
alone is the same vector in every query, so it is encoded once and cached
(:class:`search.query_vectors.QueryVectors`); contexts would cost one encoder
call per candidate and query (~1 ms each, 20–50 ms for a headline).

Measured through the public search on the tuning halves (``python -m
lab.context_tune``; cross-language cells of FLORES and TICO, lexical and
hybrid rows), see :data:`BETA`. Only the first :data:`MAX_SCORED` candidates
of a word (by weight) are scored; the others get the smallest factor of the
scored ones. Without an encoder nothing is reweighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from search.query_vectors import MEANING, QueryVectors

#: Sharpness of the choice. Tuning halves, mean MRR of the 8 cross-language cells
#: (FLORES and TICO, FR→AR and AR→FR, lexical and hybrid) for BETA 0 / 5 / 10 / 20 / 40:
#: 0.668 / 0.672 / **0.681** / 0.678 / 0.670.
BETA: Final = 10.0
#: Candidates of one word scored by the encoder (the rest, rarer, get the lowest factor).
MAX_SCORED: Final = 6


class ContextChooser:
    """Weighs each word's candidate translations by the query's meaning."""

    def __init__(self, vectors: QueryVectors, beta: float | None = None) -> None:
        self.vectors = vectors
        self.beta = beta

    def factors(self, query: str, words: Sequence[Sequence[str]]) -> list[list[float]]:
        """Per word, per candidate (display forms, best first): the factor of its weight.

        ``query``: the text as typed; the meaning the engine embeds for this
        search (:data:`search.query_vectors.MEANING`) is used when set.
        """
        beta = BETA if self.beta is None else self.beta
        out = [[1.0] * len(cands) for cands in words]
        if beta == 0 or not any(len(cands) > 1 for cands in words):
            return out
        text = MEANING.get() or query
        ambiguous = [cands[:MAX_SCORED] for cands in words if len(cands) > 1]
        shown = list(dict.fromkeys(c for cands in ambiguous for c in cands))
        rows = self.vectors.encode([text, *shown])
        sims = dict(zip(shown, (rows[1:] @ rows[0]).tolist(), strict=True))
        for k, cands in enumerate(words):
            if len(cands) < 2:
                continue
            scored = np.array([sims[c] for c in cands[:MAX_SCORED]])
            factor = np.exp(beta * (scored - scored.max()))
            low = float(factor.min())
            out[k] = [float(f) for f in factor] + [low] * (len(cands) - len(factor))
        return out
