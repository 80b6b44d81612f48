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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from index import ANALYSIS_VERSION
from search.translate.lexicon_table import LexiconTable, Row, TableHeader

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


class Lexicon:
    """Translation table per source language, with phrase keys and a content version.

    Held as a :class:`LexiconTable` (typed arrays, ~3 MB for the committed
    lexicon instead of ~60 MB of Python objects); :meth:`translations` makes
    the :class:`Translation` objects of the rows it returns. Never changed after
    construction.
    """

    __slots__ = ("_table", "_version", "analysis_version", "meta")

    def __init__(
        self,
        table: LexiconTable,
        analysis_version: str = ANALYSIS_VERSION,
        meta: dict[str, str] | None = None,
        version: str | None = None,
    ) -> None:
        self._table = table
        self.analysis_version = analysis_version
        self.meta = dict(meta or {})
        self._version = version

    def translations(self, term: str, src_lang: str) -> list[Translation]:
        """Translations of an analysed ``term`` (or space-joined phrase), best first."""
        return [Translation(*row) for row in self._table.find(term, src_lang)]

    def keys(self, src_lang: str) -> Iterator[str]:
        """The source terms and phrases of ``src_lang``, in order (no translation made)."""
        return self._table.keys(src_lang)

    def phrase_lengths(self, src_lang: str) -> list[int]:
        """Lengths (in terms) of the phrase keys of ``src_lang``, longest first.

        Computed once with the table: the translator asks once per query word.
        """
        return list(self._table.phrase_lengths.get(src_lang, ()))

    def groups(self) -> Iterator[tuple[str, str, list[Translation]]]:
        """Every (language, source term, translations), one at a time, in order.

        What to walk the whole lexicon with: :attr:`entries` makes every object at once.
        """
        for lang in self._table.langs():
            for key, rows in self._table.items(lang):
                yield lang, key, [Translation(*row) for row in rows]

    @property
    def entries(self) -> dict[str, dict[str, tuple[Translation, ...]]]:
        """Every entry as Python objects (for tools and tests: ~60 MB for the committed one)."""
        return {
            lang: {
                key: tuple(Translation(*row) for row in rows)
                for key, rows in self._table.items(lang)
            }
            for lang in self._table.langs()
        }

    @property
    def nbytes(self) -> int:
        """Bytes the table holds."""
        return self._table.nbytes

    def __len__(self) -> int:
        return len(self._table)

    @property
    def stale(self) -> bool:
        """True when the index analysis changed since the lexicon was keyed."""
        return self.analysis_version != ANALYSIS_VERSION

    @property
    def version(self) -> str:
        """A short digest of the content: changes whenever any row changes."""
        if self._version is None:
            self._version = hashlib.sha256(self.rows_text().encode("utf-8")).hexdigest()[:12]
        return self._version

    def rows(self) -> Iterable[tuple[str, str, str, float, str, str]]:
        """All rows in a stable order (language, source term, weight desc, target)."""
        for lang in self._table.langs():
            for src, rows in self._table.items(lang):
                for tgt, weight, prov, display in rows:
                    yield lang, src, tgt, weight, prov, display

    def rows_text(self) -> str:
        """The body of the TSV file (no header)."""
        out = io.StringIO()
        for lang, src, tgt, weight, prov, display in self.rows():
            out.write(f"{lang}\t{src}\t{tgt}\t{weight:.4f}\t{prov}\t{display}\n")
        return out.getvalue()

    def write(self, path: Path = LEXICON_PATH) -> Path:
        """Write the gzip TSV deterministically (no timestamp in the gzip header).

        The compact table is written beside it (:func:`table_path`), derived from
        the TSV as written (weights rounded as a reader sees them) and keyed by
        the TSV file's digest.
        """
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
        derive_table(path)
        return path

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, str, str, float, str, str]],
        analysis_version: str = ANALYSIS_VERSION,
        meta: dict[str, str] | None = None,
    ) -> Lexicon:
        """Group rows by (language, source term); order each group by weight."""
        grouped: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
        for lang, src, tgt, weight, prov, display in rows:
            grouped[lang][src].append((tgt, float(weight), prov, display))
        table = LexiconTable.build(
            (lang, src, sorted(grouped[lang][src], key=lambda row: (-row[1], row[0])))
            for lang in sorted(grouped)
            for src in sorted(grouped[lang])
        )
        return cls(table, analysis_version, dict(meta or {}))

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Read a lexicon file; the committed default is cached (one read per process).

        The compact table beside the file is read when it was derived from this
        very file (same SHA-256); otherwise the TSV is parsed (slower, and its
        transient objects stay in the process's memory).
        """
        if path is None:
            return _load_default()
        return _read(path)


def table_path(path: Path) -> Path:
    """The compact table beside the TSV ``path``: ``lexicon.tsv.gz`` → ``lexicon.table.gz``."""
    stem = path.name.removesuffix(".gz").removesuffix(".tsv")
    return path.with_name(f"{stem}.table.gz")


def derive_table(path: Path = LEXICON_PATH) -> Path:
    """Write the compact table of the TSV ``path`` beside it (parsing the TSV as a reader does)."""
    parsed = _read_tsv(path)
    header = TableHeader(_digest(path), parsed.analysis_version, parsed.version, parsed.meta)
    return parsed._table.write(table_path(path), header)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_table(path: Path) -> Lexicon | None:
    """The lexicon of ``path`` from its compact table; None when missing, damaged or stale."""
    found = LexiconTable.read(table_path(path))
    if found is None:
        return None
    table, header = found
    try:
        if header.source_sha256 != _digest(path):
            return None
    except OSError:
        return None
    return Lexicon(table, header.analysis_version, header.meta, header.version)


def _read(path: Path) -> Lexicon:
    return read_table(path) or _read_tsv(path)


def _read_tsv(path: Path) -> Lexicon:
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
