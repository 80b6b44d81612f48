"""Query-side vectors: the encoder behind a small cache of recent texts.

Why: a search may encode the same text twice (its meaning for the hybrid
ranking, and again to choose its translations in context) and a user pages,
filters and re-sorts the same query; candidate translations recur across
queries. Encoding costs ~1 ms per short text (3–10 ms for a query), a cache
hit a dictionary lookup. Bounded in entries: :data:`ENTRIES` texts × 2 KB
(float32, 512 dimensions) ≈ 40 MB at most. Documents are never encoded here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any, Final

import numpy as np

from index.encoder import Encoder, Vectors

#: Texts whose vectors are kept (least recently used dropped first).
ENTRIES: Final = 20_000

#: The text a search embeds for its meaning (its words, operators left out), set by
#: the engine while it compiles the query, so the translations are chosen against
#: the same vector the hybrid ranking uses (one encoding, not two).
MEANING: ContextVar[str | None] = ContextVar("fihris_meaning", default=None)

#: Weight of the French translation's vector added to an Arabic query's by meaning alone,
#: and how many translations of each word it names (:func:`meaning_vector`). Tuning
#: halves, ``mode=semantic`` AR→FR (FLORES, TICO): weight 0 → 0.553, 0.699; 0.5 with one
#: translation a word 0.605, 0.844; 1 with one 0.628, 0.781; **1 with two 0.618, 0.844**
#: (best mean); 2 with one 0.592, 0.750.
BLEND: Final = 1.0
BLEND_TOP: Final = 2


class QueryVectors:
    """``encode(texts)`` with an LRU cache of the texts' vectors (thread-safe)."""

    def __init__(self, encoder: Encoder, entries: int = ENTRIES) -> None:
        self.encoder, self.entries = encoder, entries
        self.name, self.dim = encoder.name, encoder.dim
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self._warm = threading.Lock()
        self._ready = False

    def ready(self) -> None:
        """Return once the encoder has run once (its first call sets it up: seconds).

        The engine waits for it outside a search's time budget, as for the
        lexicon, and ``warm()`` starts it in the background at a server's start.
        """
        if self._ready:
            return
        with self._warm:
            if not self._ready:
                self.encoder.encode(["fihris"])
                self._ready = True

    def clear(self) -> None:
        """Forget every kept vector (the benchmark's first-time queries)."""
        with self._lock:
            self._cache.clear()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)`` unit rows, the cached ones not encoded again."""
        rows: dict[str, Vectors] = {}
        with self._lock:
            for text in texts:
                found = self._cache.get(text)
                if found is not None:
                    self._cache.move_to_end(text)
                    rows[text] = found
        missing = list(dict.fromkeys(t for t in texts if t not in rows))
        if missing:
            encoded = np.asarray(self.encoder.encode(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, encoded, strict=True):
                    rows[text] = vector
                    self._cache[text] = vector
                while len(self._cache) > self.entries:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([rows[t] for t in texts])


def translation_text(translations: Any, lang: str, top: int | None = None) -> str:
    """The ``top`` best ``lang`` translations of each query word, as one line of text."""
    top = BLEND_TOP if top is None else top
    words: list[str] = []
    for word in translations:
        if word.target_lang == lang:
            best = sorted(word.translations, key=lambda t: -t.weight)[:top]
            words += [t.display for t in best]
    return " ".join(words)


def meaning_vector(vectors: Any, text: str, translations: Any, blend: bool) -> Any:
    """The vector a search by meaning compares with the passages.

    ``blend`` (an Arabic query ranked by meaning alone over French dispatches):
    the vector of its best French translations, :data:`BLEND` times, is added
    to its own. Why: the encoder reads Arabic worse than French. By meaning
    alone on FLORES's tuning half, French sentences find their Arabic
    documents (MRR 0.637) better than Arabic sentences do (0.578), and Arabic
    sentences find their French documents at 0.553 against 0.734 from French;
    with the French line, AR→FR by meaning reached 0.618 (FLORES) and 0.844
    (TICO, from 0.699) on the tuning halves, and 0.667 / 0.578 (from 0.661 /
    0.568) on the test halves. Not in ``hybrid``: the words already search
    those translations, and the hybrid AR→FR gain on FLORES's tuning half
    (0.642 → 0.662) turned into a loss on its test half (0.722 → 0.687). A
    French query with its Arabic translation lost everywhere.
    """
    vector = vectors.encode([text])[0]
    other = translation_text(translations, "fr") if blend and BLEND else ""
    if not other:
        return vector
    mixed = vector + BLEND * vectors.encode([other])[0]
    norm = float(np.linalg.norm(mixed))
    return (mixed / norm).astype(np.float32) if norm > 0 else vector
