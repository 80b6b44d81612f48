"""Build the lexicon from ``../shared/data``: glossary + gazetteer + FreeDict + Model 1 + cognates.

Why this recipe: each source alone fails differently. The curated glossary is
precise but small; the FreeDict pivot is large but noisy (gouvernement →
السيطرة "control"), so it only enters as a weak prior; Model 1 learns the
vocabulary actually used in aligned news/health/everyday sentences but smears
rare words. Combined per source term, then pruned (top few, small weights
dropped) and renormalised, they give PSQ a short weighted list. French terms
none of them knows get the Arabic of their English cognate, and Arabic terms
the French words whose English cognate glosses them (:func:`cognate_pairs`).

``exclude`` leaves datasets out ("flores", "tico", "tatoeba") so an evaluation
never scores a lexicon learned from its own pairs.

Entry points: :func:`build_lexicon` (in memory) and :func:`main_build` (CLI
``fihris lexicon build [--data DIR] [--out FILE] [--exclude NAME ...]``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from index import analyze
from lab.model1 import SentencePair, train
from search.translate.glossary import Entry, load_entries
from search.translate.lexicon import LEXICON_PATH, Lexicon

DEFAULT_DATA: Final = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS: Final = ("flores", "tico", "tatoeba")
#: Tatoeba's labels of Modern Standard Arabic (the others are spoken varieties).
MSA: Final = frozenset({"ara", "arb"})

Row = tuple[str, str, str, float, str, str]


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """The knobs of the recipe (defaults are the committed lexicon's)."""

    glossary_weight: float = 1.0
    model1_weight: float = 0.8
    freedict_weight: float = 0.25
    glossary_repeat: float = 3.0  # curated pairs count as this many sentences in Model 1
    freedict_count: float = 0.3  # a pivot pair counts as this fraction of a sentence
    #: Model 1's EM iterations, and the exponent of t(src|tgt) in the bidirectional
    #: score (0.5: the geometric mean of the two directions). Measured through the
    #: engine on FLORES with the leave-one-out lexicon (AR→FR / FR→AR MRR): 5
    #: iterations and 0.25 gave 0.481 / 0.514; every setting from 8 to 15
    #: iterations with 0.4 to 0.75 gave 0.489–0.493 / 0.519–0.524, and TICO
    #: stayed at 0.673 / 0.674.
    iterations: int = 10
    min_count: float = 2.0
    top_k: int = 8  # room for a verb's forms (أعلن يعلن أعلنت إعلان) next to learned ones
    min_share: float = 0.04  # drop a translation below this share of its source term
    reverse_share: float = 0.5
    cognate_min_letters: int = 6  # shorter English words are too often false friends
    cognate_top_k: int = 4
    cognate_min_share: float = 0.1


@dataclass(slots=True)
class Corpus:
    """Aligned analysed sentences (fr, ar) and surface counts for display forms.

    ``dialect`` marks the pairs whose Arabic side is a spoken variety (Tatoeba's
    Algerian, Moroccan, Egyptian, Levantine sentences), by index into ``pairs``.
    """

    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]
    surfaces: dict[str, Counter[str]]
    dialect: set[int] = field(default_factory=set)


def _read_tsv(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def parallel_sentences(data_dir: Path, exclude: frozenset[str]) -> Iterator[tuple[str, str, bool]]:
    """(French, Arabic, Arabic side is a dialect) sentences of the datasets not excluded."""
    if "flores" not in exclude:
        path = data_dir / "flores200-devtest-fr-ar" / "sentences.eng-fra-arb-ary.tsv.gz"
        for row in _read_tsv(path):
            yield row["fra"], row["arb"], False
    if "tico" not in exclude:
        path = data_dir / "tico19-test-fr-ar" / "sentences.eng-fra-ara.tsv.gz"
        for row in _read_tsv(path):
            yield row["fra"], row["ara"], False
    if "tatoeba" not in exclude:
        for path in sorted((data_dir / "tatoeba-test-ara-fra").glob("*.tsv")):
            for row in _read_tsv(path):
                if not row["ara_variety"].endswith("_Latn"):
                    yield row["fra"], row["ara"], row["ara_variety"] not in MSA


def analyse_corpus(texts: Iterable[tuple[str, str, bool]]) -> Corpus:
    """Analyse each side; count the surface words behind each term (for display)."""
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    dialect: set[int] = set()
    for fr, ar, spoken in texts:
        sides = []
        for text in (fr, ar):
            tokens = analyze(text)
            for tok in tokens:
                surfaces[tok.term][text[tok.start : tok.end].lower()] += 1
            sides.append(tuple(tok.term for tok in tokens))
        if sides[0] and sides[1]:
            if spoken:
                dialect.add(len(pairs))
            pairs.append((sides[0], sides[1]))
    return Corpus(pairs, surfaces, dialect)


def freedict_pairs(data_dir: Path) -> list[tuple[str, str, float]]:
    """(fr term, ar term, n_paths) from the FreeDict pivot; single-term sides only."""
    path = data_dir / "freedict-fr-en-ar" / "fra-ara.pivot-eng.tsv.gz"
    out = []
    for row in _read_tsv(path):
        fr, ar = analyze(row["fra"]), analyze(row["ara"])
        if len(fr) == 1 and len(ar) == 1 and fr[0].script == "fr" and ar[0].script == "ar":
            out.append((fr[0].term, ar[0].term, float(row["n_paths"] or 1)))
    return out


def cognate_pairs(
    data_dir: Path, min_letters: int = 6
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """French term → Arabic term → FreeDict paths, through English words read as French.

    Also returns a display form per Arabic term (its dictionary spelling, unvoweled).

    Why: French and English share most of their learned vocabulary (détection /
    detection, thérapeutique / therapeutic, réservoir / reservoir), and the
    French chain stems the English spelling to the French word's term. FreeDict's
    English–Arabic dictionaries (87,000 and 52,000 headwords) are far larger than
    its French–English one (8,400), so this reaches the technical words of news
    that the pivot and the aligned sentences miss. Used only for terms nothing
    else translates, and into French only towards French words seen in French
    text (:func:`_cognate_rows`).
    """
    table: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    displays: dict[str, str] = {}

    def french(word: str) -> str | None:
        word = word.strip()
        if len(word) < min_letters or not word.isascii() or not word.isalpha():
            return None
        tokens = analyze(word.lower())
        if len(tokens) == 1 and tokens[0].script == "fr" and not tokens[0].stop:
            return tokens[0].term
        return None

    def arabic(word: str) -> str | None:
        tokens = analyze(word)
        if len(tokens) == 1 and tokens[0].script == "ar" and not tokens[0].stop:
            plain = "".join(ch for ch in word.strip() if not unicodedata.combining(ch))
            displays.setdefault(tokens[0].term, plain)
            return tokens[0].term
        return None

    folder = data_dir / "freedict-fr-en-ar"
    for row in _read_tsv(folder / "eng-ara.tsv.gz"):
        fr = french(row["eng"])
        ar = arabic(row["ara"]) if fr else None
        if fr and ar:
            table[fr][ar] += 1.0
    for row in _read_tsv(folder / "ara-eng.tsv.gz"):
        ar = arabic(row["ara"])
        if ar:
            for gloss in row["eng"].split("|"):
                fr = french(gloss)
                if fr:
                    table[fr][ar] += 1.0
    return {fr: dict(row) for fr, row in table.items()}, displays


def _cognate_rows(
    cognates: tuple[dict[str, dict[str, float]], dict[str, str]],
    known: dict[str, set[str]],
    french_vocabulary: dict[str, str],
    corpus: Corpus,
    cfg: BuildConfig,
) -> list[Row]:
    """Rows for the source terms no other source translates (best few, renormalised).

    FR→AR: every French term of the table. AR→FR: only French terms of
    ``french_vocabulary`` (words seen in French text), because an English gloss
    read as French is often no French word at all (government → ``government``).
    """
    table, displays = cognates
    reverse: dict[str, dict[str, float]] = defaultdict(dict)
    for fr, row in table.items():
        if fr in french_vocabulary:
            for ar, paths in row.items():
                reverse[ar][fr] = paths
    rows: list[Row] = []
    for src, by_source in (("fr", table), ("ar", reverse)):
        for term in sorted(set(by_source) - known[src]):
            candidates = by_source[term]
            total = sum(candidates.values())
            ranked = sorted(candidates.items(), key=lambda kv: (-kv[1], kv[0]))
            ranked = ranked[: cfg.cognate_top_k]
            kept = [(t, n) for t, n in ranked if n / total >= cfg.cognate_min_share] or ranked[:1]
            kept_total = sum(n for _, n in kept)
            for t, n in kept:
                if t in corpus.surfaces:
                    display = display_form(t, corpus.surfaces)
                else:  # a dictionary's spelling (Arabic) or a French headword
                    display = displays.get(t) or french_vocabulary.get(t, t)
                rows.append((src, term, t, round(n / kept_total, 4), "cognate", display))
    return rows


def french_vocabulary(data_dir: Path, corpus: Corpus, entries: Sequence[Entry]) -> dict[str, str]:
    """French terms seen in French text → a surface word for display.

    The text: the aligned sentences, the glossary and FreeDict's French headwords.
    """
    vocabulary = {term: term for fr, _ in corpus.pairs for term in fr}
    for entry in entries:
        for term, exact in zip(entry.fr_terms, entry.fr_exact, strict=True):
            vocabulary.setdefault(term, exact)
    for row in _read_tsv(data_dir / "freedict-fr-en-ar" / "fra-eng.tsv.gz"):
        for tok in analyze(row["fra"]):
            if tok.script == "fr":
                vocabulary.setdefault(tok.term, row["fra"][tok.start : tok.end].lower())
    return vocabulary


def _normalise(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for src, row in table.items():
        total = sum(row.values())
        if total > 0:
            out[src] = {t: w / total for t, w in row.items()}
    return out


def _curated(
    entries: Sequence[Entry], src: str
) -> tuple[dict[str, dict[str, set[str]]], dict[str, str]]:
    """Source key (term or phrase) → target key → provenances, and curated displays."""
    tgt = "ar" if src == "fr" else "fr"
    table: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    displays: dict[str, str] = {}
    for entry in entries:
        key = " ".join(entry.terms(tgt))
        table[" ".join(entry.terms(src))][key].add(entry.source)
        if " " in key:
            displays.setdefault(key, entry.surface(tgt))
    return table, displays


def build_lexicon(
    data_dir: Path = DEFAULT_DATA,
    exclude: frozenset[str] = frozenset(),
    config: BuildConfig | None = None,
) -> Lexicon:
    """Build the lexicon in memory, leaving the datasets named in ``exclude`` out."""
    cfg = config or BuildConfig()
    unknown = set(exclude) - set(DATASETS)
    if unknown:
        raise ValueError(f"unknown datasets to exclude: {sorted(unknown)}")
    entries = load_entries()
    corpus = analyse_corpus(parallel_sentences(data_dir, exclude))
    fd = freedict_pairs(data_dir)
    for entry in entries:  # curated surfaces win display ties
        for lang in ("fr", "ar"):
            for tok in analyze(entry.surface(lang)):
                corpus.surfaces[tok.term][entry.surface(lang)[tok.start : tok.end].lower()] += 2
    models = {src: _train_direction(src, entries, corpus, fd, cfg) for src in ("fr", "ar")}
    rows: list[Row] = []
    for src, tgt in (("fr", "ar"), ("ar", "fr")):
        model = _bidirectional(models[src], models[tgt], cfg.reverse_share)
        rows.extend(_direction_rows(src, entries, corpus, models[src][1], model, cfg))
    known = {lang: {row[1] for row in rows if row[0] == lang} for lang in ("fr", "ar")}
    cognates = cognate_pairs(data_dir, cfg.cognate_min_letters)
    french = french_vocabulary(data_dir, corpus, entries)
    rows.extend(_cognate_rows(cognates, known, french, corpus, cfg))
    meta = {"excluded": ",".join(sorted(exclude)) or "none"}
    return Lexicon.from_rows(rows, meta=meta)


def _train_direction(
    src: str,
    entries: Sequence[Entry],
    corpus: Corpus,
    fd: list[tuple[str, str, float]],
    cfg: BuildConfig,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Model 1 t(tgt|src) for one direction, and the normalised FreeDict table."""
    forward = src == "fr"
    tgt = "ar" if forward else "fr"
    curated, _ = _curated(entries, src)
    freedict: dict[str, dict[str, float]] = defaultdict(dict)
    for fr, ar, n in fd:
        s, t = (fr, ar) if forward else (ar, fr)
        freedict[s][t] = freedict[s].get(t, 0.0) + n
    freedict = _normalise(freedict)
    single_curated = {
        s: {t: 1.0 for t in row if " " not in t} for s, row in curated.items() if " " not in s
    }
    prior = _normalise(
        {
            s: {
                t: single_curated.get(s, {}).get(t, 0.0) + 0.3 * freedict.get(s, {}).get(t, 0.0)
                for t in set(single_curated.get(s, {})) | set(freedict.get(s, {}))
            }
            for s in set(single_curated) | set(freedict)
        }
    )
    # Into Arabic, only Modern Standard Arabic: the archive's language. A dialect
    # sentence would teach combien → بشحال, a word no news dispatch uses; from
    # Arabic, dialect words a reader may type are still learned.
    pairs = [
        SentencePair(*(p if forward else (p[1], p[0])))
        for k, p in enumerate(corpus.pairs)
        if not (forward and k in corpus.dialect)
    ]
    for entry in entries:
        pairs.append(SentencePair(entry.terms(src), entry.terms(tgt), cfg.glossary_repeat))
    for s, row in freedict.items():
        for t, w in row.items():
            pairs.append(SentencePair((s,), (t,), cfg.freedict_count * w))
    model = train(pairs, prior, iterations=cfg.iterations, min_count=cfg.min_count)
    return model.table, freedict


def _bidirectional(
    forward: tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]],
    reverse: tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]],
    reverse_share: float,
) -> dict[str, dict[str, float]]:
    """t(t|s)^(1-r) · t(s|t)^r, renormalised: a translation must be likely both ways.

    Why: a frequent target word (يمكن, حالة) co-occurs with everything, so the
    forward model gives it mass for many unrelated sources; the reverse model
    t(s|t) spreads that word over all those sources and so votes it down.
    """
    fwd, rev = forward[0], reverse[0]
    out: dict[str, dict[str, float]] = {}
    for s, row in fwd.items():
        scored = {
            t: p ** (1 - reverse_share) * max(rev.get(t, {}).get(s, 0.0), 0.005) ** reverse_share
            for t, p in row.items()
        }
        out[s] = scored
    return _normalise(out)


def _direction_rows(
    src: str,
    entries: Sequence[Entry],
    corpus: Corpus,
    freedict: dict[str, dict[str, float]],
    model: dict[str, dict[str, float]],
    cfg: BuildConfig,
) -> list[Row]:
    curated, displays = _curated(entries, src)
    rows: list[Row] = []
    keys = set(curated) | set(model) | set(freedict)
    for s in sorted(keys):
        scores: dict[str, float] = defaultdict(float)
        prov: dict[str, set[str]] = defaultdict(set)
        cur = curated.get(s, {})
        for t, sources in cur.items():
            scores[t] += cfg.glossary_weight / len(cur)
            prov[t].update(sources)
        if " " not in s:
            for t, p in model.get(s, {}).items():
                scores[t] += cfg.model1_weight * p
                prov[t].add("model1")
            for t, p in freedict.get(s, {}).items():
                scores[t] += cfg.freedict_weight * p
                prov[t].add("freedict")
        rows.extend(_prune(src, s, scores, prov, corpus, cfg, displays))
    return rows


def _prune(
    lang: str,
    src: str,
    scores: dict[str, float],
    prov: dict[str, set[str]],
    corpus: Corpus,
    cfg: BuildConfig,
    displays: dict[str, str],
) -> list[Row]:
    """Keep the top few translations above ``min_share``, renormalised to sum 1."""
    total = sum(scores.values())
    if total <= 0:
        return []
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.top_k]
    kept = [(t, w) for t, w in ranked if w / total >= cfg.min_share] or ranked[:1]
    # A source with only FreeDict evidence is never trusted fully.
    kept_total = sum(w for _, w in kept)
    order = ["glossary", "gazetteer", "model1", "freedict"]
    rows = []
    for t, w in kept:
        weight = round(w / kept_total, 4)
        if not math.isfinite(weight) or weight <= 0:
            continue
        provenance = "+".join(p for p in order if p in prov[t])
        display = displays.get(t) or display_form(t, corpus.surfaces)
        rows.append((lang, src, t, weight, provenance, display))
    return rows


def display_form(term: str, surfaces: dict[str, Counter[str]]) -> str:
    """The most frequent surface word behind each term of ``term`` (ties: shortest, sorted)."""
    words = []
    for part in term.split(" "):
        seen = surfaces.get(part)
        if seen:
            words.append(min(seen.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0])
        else:
            words.append(part)
    return " ".join(words)


def main_build(argv: Sequence[str] | None = None) -> int:
    """CLI body of ``fihris lexicon build``: build and write the lexicon file."""
    parser = argparse.ArgumentParser(prog="fihris lexicon build", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    parser.add_argument("--out", type=Path, default=LEXICON_PATH, help="lexicon .tsv.gz")
    parser.add_argument("--exclude", action="append", choices=DATASETS, default=[])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lexicon = build_lexicon(args.data, frozenset(args.exclude))
    path = lexicon.write(args.out)
    took = time.perf_counter() - started
    print(
        f"lexicon {lexicon.version}: {len(lexicon)} source entries → {path} ({took:.1f}s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main_build())
