"""The French⇄Arabic lexicon: weighted term translations, versioned data in the repository.

Why a flat TSV (gzip) and not a pickle: it is diffable, reviewable and
deterministic, so a rebuild that changes nothing changes no byte, and a
reviewer can grep why ``trait`` maps to ``اتجار``. The header records the
analysis version the terms were keyed with: if the index rules change, the
lexicon is stale (``Lexicon.stale``) and ``fihris lexicon build`` re-keys it.

Rows: ``src_lang, src_term, tgt_term, weight, provenance, tgt_display``.
Per (src_lang, src_term) the weights sum to 1. A ``src_term`` or
``tgt_term`` containing spaces is a phrase (consecutive analysed terms).
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from index import ANALYSIS_VERSION

LEXICON_PATH: Final = Path(__file__).parent / "data" / "lexicon.tsv.gz"
FORMAT: Final = "fihris-lexicon/1"
LANGS: Final = ("fr", "ar")


@dataclass(frozen=True, slots=True)
class Translation:
    """One weighted translation of a source term (or phrase) into the other language."""

    term: str
    weight: float
    provenance: str
    display: str

    @property
    def terms(self) -> tuple[str, ...]:
        """The target terms (several for a phrase translation)."""
        return tuple(self.term.split(" "))


def other_lang(lang: str) -> str:
    """ "fr" ⇄ "ar"."""
    return "ar" if lang == "fr" else "fr"


@dataclass(slots=True)
class Lexicon:
    """Translation table per source language, with phrase keys and a content version."""

    entries: dict[str, dict[str, tuple[Translation, ...]]] = field(default_factory=dict)
    analysis_version: str = ANALYSIS_VERSION
    meta: dict[str, str] = field(default_factory=dict)
    _lengths: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def translations(self, term: str, src_lang: str) -> list[Translation]:
        """Translations of an analysed ``term`` (or space-joined phrase), best first."""
        return list(self.entries.get(src_lang, {}).get(term, ()))

    def phrase_lengths(self, src_lang: str) -> list[int]:
        """Lengths (in terms) of the phrase keys of ``src_lang``, longest first.

        Cached: the translator asks once per query word, and scanning the ~50,000
        keys took 1.5 ms each time — most of a query's translation budget. The
        entries are never changed after construction.
        """
        cached = self._lengths.get(src_lang)
        if cached is None:
            keys = self.entries.get(src_lang, {})
            cached = sorted({key.count(" ") + 1 for key in keys if " " in key}, reverse=True)
            self._lengths[src_lang] = cached
        return list(cached)

    def __len__(self) -> int:
        return sum(len(table) for table in self.entries.values())

    @property
    def stale(self) -> bool:
        """True when the index analysis changed since the lexicon was keyed."""
        return self.analysis_version != ANALYSIS_VERSION

    @property
    def version(self) -> str:
        """A short digest of the content: changes whenever any row changes."""
        return hashlib.sha256(self.rows_text().encode("utf-8")).hexdigest()[:12]

    def rows(self) -> Iterable[tuple[str, str, str, float, str, str]]:
        """All rows in a stable order (language, source term, weight desc, target)."""
        for lang in sorted(self.entries):
            table = self.entries[lang]
            for src in sorted(table):
                for tr in table[src]:
                    yield lang, src, tr.term, tr.weight, tr.provenance, tr.display

    def rows_text(self) -> str:
        """The body of the TSV file (no header)."""
        out = io.StringIO()
        for lang, src, tgt, weight, prov, display in self.rows():
            out.write(f"{lang}\t{src}\t{tgt}\t{weight:.4f}\t{prov}\t{display}\n")
        return out.getvalue()

    def write(self, path: Path = LEXICON_PATH) -> Path:
        """Write the gzip TSV deterministically (no timestamp in the gzip header)."""
        header = [f"# {FORMAT} analysis={self.analysis_version} version={self.version}"]
        header += [f"# {key}={value}" for key, value in sorted(self.meta.items())]
        header.append("src_lang\tsrc_term\ttgt_term\tweight\tprovenance\ttgt_display")
        payload = ("\n".join(header) + "\n" + self.rows_text()).encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as handle,
        ):
            handle.write(payload)
        return path

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, str, str, float, str, str]],
        analysis_version: str = ANALYSIS_VERSION,
        meta: dict[str, str] | None = None,
    ) -> Lexicon:
        """Group rows by (language, source term); order each group by weight."""
        grouped: dict[str, dict[str, list[Translation]]] = defaultdict(lambda: defaultdict(list))
        for lang, src, tgt, weight, prov, display in rows:
            grouped[lang][src].append(Translation(tgt, float(weight), prov, display))
        entries = {
            lang: {
                src: tuple(sorted(trs, key=lambda tr: (-tr.weight, tr.term)))
                for src, trs in table.items()
            }
            for lang, table in grouped.items()
        }
        return cls(entries, analysis_version, dict(meta or {}))

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Read a lexicon file; the committed default is cached (one parse per process)."""
        if path is None:
            return _load_default()
        return _read(path)


def _read(path: Path) -> Lexicon:
    rows: list[tuple[str, str, str, float, str, str]] = []
    analysis, meta = "", {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("#"):
                for part in line[1:].split():
                    key, _, value = part.partition("=")
                    if key == "analysis":
                        analysis = value
                    elif value and key != "version":
                        meta[key] = value
                continue
            if line.startswith("src_lang\t") or not line:
                continue
            lang, src, tgt, weight, prov, display = line.split("\t")
            rows.append((lang, src, tgt, float(weight), prov, display))
    return Lexicon.from_rows(rows, analysis, meta)


@lru_cache(maxsize=1)
def _load_default() -> Lexicon:
    return _read(LEXICON_PATH)
