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

Why a table computed ahead and not the candidates encoded per query: a
candidate alone is the same vector in every query, but encoding the new ones
of a headline cost 57 ms at the median (p95 126 ms) over 120 FLORES queries.
:class:`CandidateTable` holds every candidate of the lexicon's ambiguous
entries (the first :data:`MAX_SCORED` of each, ~17,600 forms: 9 MB as int8
with a scale per row), encoded once in the background (10–20 s) and kept in
the index folder, keyed by the lexicon's and the encoder's versions. Until it
is there, and for a word with a candidate outside it (a transliterated name),
the lexicon's weights stand. Per query the cost is the query's vector (shared
with the hybrid ranking) and a few dot products.

Why single words and not the query with each candidate in place: contexts
would cost one encoder call per candidate and query (~1 ms each).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from search.query_vectors import MEANING, QueryVectors

log = logging.getLogger(__name__)

#: Sharpness of the choice. Tuning halves, mean MRR of the 8 cross-language cells
#: (FLORES and TICO, FR→AR and AR→FR, lexical and hybrid) for BETA 0 / 5 / 10 / 20 / 40:
#: 0.671 / 0.672 / **0.679** / 0.677 / 0.669 (``python -m lab.context_tune``). A small
#: gain, from TICO's lexical FR→AR (one query of eight); FLORES's four cells alone
#: give 0.572 / 0.573 / 0.571 / 0.567 / 0.560: no loss there, no gain either.
BETA: Final = 10.0
#: Candidates of one word scored (the rest, rarer, get the lowest factor).
MAX_SCORED: Final = 6
#: Forms encoded per encoder call while the table is built.
BATCH: Final = 256


class CandidateTable:
    """Unit vectors (int8 and a scale per row) of the lexicon's candidate translations."""

    def __init__(self, forms: Sequence[str], codes: npt.NDArray[np.int8], scales: Any) -> None:
        self.row = {form: k for k, form in enumerate(forms)}
        self.codes, self.scales = codes, np.asarray(scales, dtype=np.float32)

    def cosines(self, forms: Sequence[str], query: npt.NDArray[np.float32]) -> list[float] | None:
        """The cosine of each form with ``query``; None when one of them is not in the table."""
        rows = [self.row.get(form) for form in forms]
        if any(row is None for row in rows):
            return None
        at = np.asarray(rows, dtype=np.int64)
        values = (self.codes[at].astype(np.float32) @ query) * self.scales[at]
        return [float(v) for v in values]


def candidate_forms(lexicon: Any) -> list[str]:
    """The forms the table holds: the first candidates of every entry with more than one."""
    forms: set[str] = set()
    # one entry at a time: ``entries`` would make the whole lexicon's objects at once
    for _, _, translations in lexicon.groups():
        if len(translations) > 1:
            best = sorted(translations, key=lambda tr: -tr.weight)[:MAX_SCORED]
            forms.update(tr.display for tr in best)
    return sorted(forms)


def table_path(folder: Path, forms: Sequence[str], encoder_name: str) -> Path:
    digest = hashlib.sha256("\n".join([encoder_name, *forms]).encode("utf-8")).hexdigest()
    return folder / f"translation-vectors-{digest[:16]}.npz"


#: Tables built or read in this process, by their file name (engines share them).
_TABLES: dict[str, CandidateTable] = {}
_BUILDING = threading.Lock()


def load_or_build(folder: Path | None, lexicon: Any, vectors: QueryVectors) -> CandidateTable:
    """The table for ``lexicon``: from this process or ``folder`` when built before, else built."""
    forms = candidate_forms(lexicon)
    key = table_path(Path("."), forms, vectors.name).name
    with _BUILDING:  # one build at a time: two engines of one process share it
        table = _TABLES.get(key)
        if table is None:
            table = _TABLES[key] = _load_or_build(folder, forms, vectors)
    return table


def _load_or_build(folder: Path | None, forms: list[str], vectors: QueryVectors) -> CandidateTable:
    path = table_path(folder, forms, vectors.name) if folder is not None else None
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as stored:
                codes, scales = stored["codes"], stored["scales"]
            if codes.shape == (len(forms), vectors.dim) and codes.dtype == np.int8:
                return CandidateTable(forms, codes, scales)
        except (OSError, ValueError, KeyError) as exc:  # damaged: built again
            log.warning("translation vectors %s unreadable (%s): rebuilding", path, exc)
    codes = np.zeros((len(forms), vectors.dim), dtype=np.int8)
    scales = np.zeros(len(forms), dtype=np.float32)
    for start in range(0, len(forms), BATCH):
        rows = vectors.encoder.encode(forms[start : start + BATCH])
        top = np.maximum(np.abs(rows).max(axis=1), 1e-12)
        codes[start : start + len(rows)] = np.round(rows / top[:, None] * 127).astype(np.int8)
        scales[start : start + len(rows)] = top / 127
    if path is not None:
        try:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
            np.savez(temporary, codes=codes, scales=scales)
            os.replace(temporary, path)
        except OSError as exc:  # a read-only folder: kept in memory only
            log.warning("translation vectors not kept in %s: %s", folder, exc)
    return CandidateTable(forms, codes, scales)


class ContextChooser:
    """Weighs each word's candidate translations by the query's meaning."""

    def __init__(self, vectors: QueryVectors, beta: float | None = None) -> None:
        self.vectors = vectors
        self.beta = beta
        self.table: CandidateTable | None = None
        self._done = threading.Event()

    def prepare(self, lexicon: Any, folder: Path | None) -> None:
        """Load or build the candidate table (call in a background thread)."""
        try:
            self.table = load_or_build(folder, lexicon, self.vectors)
        except Exception:  # the encoder failed: lexicon weights, as without one
            log.exception("translations in context are off: the candidate table failed")
        finally:
            self._done.set()

    def ready(self, timeout: float | None = None) -> bool:
        """Whether the table is there (waiting up to ``timeout`` seconds)."""
        return self._done.wait(timeout) and self.table is not None

    def factors(self, query: str, words: Sequence[Sequence[str]]) -> list[list[float]]:
        """Per word, per candidate (display forms, best first): the factor of its weight.

        ``query``: the text as typed; the meaning the engine embeds for this
        search (:data:`search.query_vectors.MEANING`) is used when set.
        """
        beta = BETA if self.beta is None else self.beta
        out = [[1.0] * len(cands) for cands in words]
        table = self.table
        if table is None or beta == 0 or not any(len(cands) > 1 for cands in words):
            return out
        vector = self.vectors.encode([MEANING.get() or query])[0]
        for k, cands in enumerate(words):
            sims = table.cosines(cands[:MAX_SCORED], vector) if len(cands) > 1 else None
            if sims is None:
                continue
            scored = np.asarray(sims)
            factor = np.exp(beta * (scored - scored.max()))
            low = float(factor.min())
            out[k] = [float(f) for f in factor] + [low] * (len(cands) - len(factor))
        return out
