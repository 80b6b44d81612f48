"""IBM Model 1 word-translation probabilities from aligned sentences, with priors.

Why Model 1: it is the simplest model that turns sentence-aligned text into
word-translation probabilities, and in query translation (Darwish & Oard 2003)
its noise is tolerable because PSQ weighs translations instead of trusting
them flat. Three guards keep it from smearing rare words over their sentence:

- a source term seen in fewer than ``min_count`` training pairs gets no
  translations from the model (one sentence cannot tell its words apart);
- a translation needs an expected count of at least ``min_pair_count``;
- dictionary pairs (glossary, FreeDict) enter both as weighted one-line
  "sentences" and as Dirichlet pseudo-counts added at every M-step, so known
  translations pull the alignment towards them.

Pure Python dictionaries: the corpora here are a few thousand sentences and
five EM iterations take seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

NULL = ""  # the empty source word that absorbs target words with no counterpart


@dataclass(frozen=True, slots=True)
class SentencePair:
    """Analysed terms of a source sentence and its translation, with a count (weight)."""

    src: tuple[str, ...]
    tgt: tuple[str, ...]
    count: float = 1.0


@dataclass(slots=True)
class Model1:
    """t(tgt | src) after training; ``src_freq`` counts training pairs per source term."""

    table: dict[str, dict[str, float]] = field(default_factory=dict)
    src_freq: dict[str, float] = field(default_factory=dict)
    expected: dict[str, dict[str, float]] = field(default_factory=dict)

    def translations(self, src: str) -> dict[str, float]:
        """Translation probabilities of ``src`` (empty when unknown)."""
        return self.table.get(src, {})


def train(
    pairs: Sequence[SentencePair],
    prior: Mapping[str, Mapping[str, float]] | None = None,
    *,
    iterations: int = 5,
    prior_strength: float = 2.0,
    min_count: float = 2.0,
    min_pair_count: float = 0.5,
    min_prob: float = 0.01,
) -> Model1:
    """Train t(tgt|src) by EM over ``pairs``.

    ``prior[src][tgt]`` (a distribution per source term) adds
    ``prior_strength × prior`` pseudo-counts at each M-step. Returns only
    entries passing the count guards, sorted for deterministic output.
    """
    prior = prior or {}
    src_freq: dict[str, float] = defaultdict(float)  # fractional: pairs are weighted
    cooc: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        for s in set(pair.src):
            src_freq[s] += pair.count
            cooc[s].update(pair.tgt)
    # Uniform start over co-occurring targets, tilted towards the prior.
    table: dict[str, dict[str, float]] = {}
    for s, targets in cooc.items():
        base = 1.0 / len(targets)
        known = prior.get(s, {})
        table[s] = {t: base + known.get(t, 0.0) for t in targets}
    table[NULL] = {}
    null_targets = {t for pair in pairs for t in pair.tgt}
    table[NULL] = dict.fromkeys(null_targets, 1.0 / max(len(null_targets), 1))

    counts: dict[str, dict[str, float]] = {}
    for _ in range(iterations):
        counts = defaultdict(lambda: defaultdict(float))
        for pair in pairs:
            srcs = (NULL, *pair.src)
            rows = [table[s] for s in srcs]
            for t in pair.tgt:
                probs = [row.get(t, 0.0) for row in rows]
                total = sum(probs)
                if total <= 0.0:
                    continue
                scale = pair.count / total
                for s, p in zip(srcs, probs, strict=True):
                    if p > 0.0:
                        counts[s][t] += p * scale
        for s, row in prior.items():
            if s in table:
                for t, p in row.items():
                    counts[s][t] += prior_strength * p
        table = {}
        for s, row in counts.items():
            total = sum(row.values())
            table[s] = {t: c / total for t, c in row.items()}
        table.setdefault(NULL, {})

    model = Model1(src_freq=src_freq)
    for s in sorted(table):
        if s == NULL or src_freq.get(s, 0.0) < min_count:
            continue
        kept = {
            t: p
            for t, p in table[s].items()
            if p >= min_prob and counts.get(s, {}).get(t, 0.0) >= min_pair_count
        }
        if kept:
            model.table[s] = dict(sorted(kept.items(), key=lambda kv: (-kv[1], kv[0])))
            model.expected[s] = {t: counts[s][t] for t in kept}
    return model
