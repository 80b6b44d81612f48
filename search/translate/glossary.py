"""The curated glossary and gazetteer: hand-written French⇄Arabic pairs, analysed.

Why analysed at load time: the lexicon is keyed to the index's own terms
(``index.analyze``), so a glossary written in readable surface forms stays
correct when the analysis rules change — rebuilding the lexicon re-keys it.
Multi-word entries are kept as phrases (tuples of terms): the translator
matches them before single words, which is how "traite des êtres humains"
reaches الاتجار بالبشر instead of "traitement" → علاج.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from index import analyze

DATA_DIR: Final = Path(__file__).parent / "data"
GLOSSARY_PATH: Final = DATA_DIR / "glossary.tsv"
GAZETTEER_PATH: Final = DATA_DIR / "gazetteer.tsv"

Source = Literal["glossary", "gazetteer"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One curated pair: surface forms, their analysed terms, category and file."""

    fr: str
    ar: str
    category: str
    source: Source
    fr_terms: tuple[str, ...]
    ar_terms: tuple[str, ...]
    fr_exact: tuple[str, ...]
    ar_exact: tuple[str, ...]

    def terms(self, lang: str) -> tuple[str, ...]:
        """The analysed terms of the side in ``lang`` ("fr" or "ar")."""
        return self.fr_terms if lang == "fr" else self.ar_terms

    def exact(self, lang: str) -> tuple[str, ...]:
        """The folded unstemmed forms of the side in ``lang`` (for name lookups)."""
        return self.fr_exact if lang == "fr" else self.ar_exact

    def surface(self, lang: str) -> str:
        """The written form of the side in ``lang``."""
        return self.fr if lang == "fr" else self.ar


def parse_tsv(lines: Iterator[str] | list[str], source: Source) -> list[Entry]:
    """Parse ``fr<TAB>ar<TAB>category`` lines; ``#`` comments and the header are skipped.

    Entries whose side analyses to nothing (only stop words) are dropped: they
    could never be looked up.
    """
    entries: list[Entry] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 2 or fields[:2] == ["fr", "ar"]:
            continue
        fr, ar = fields[0].strip(), fields[1].strip()
        category = fields[2].strip() if len(fields) > 2 else ""
        fr_tokens, ar_tokens = analyze(fr, "fr"), analyze(ar, "ar")
        if not fr_tokens or not ar_tokens:
            continue
        entries.append(
            Entry(
                fr=fr,
                ar=ar,
                category=category,
                source=source,
                fr_terms=tuple(t.term for t in fr_tokens),
                ar_terms=tuple(t.term for t in ar_tokens),
                fr_exact=tuple(t.exact for t in fr_tokens),
                ar_exact=tuple(t.exact for t in ar_tokens),
            )
        )
    return entries


def load_entries(glossary: Path = GLOSSARY_PATH, gazetteer: Path = GAZETTEER_PATH) -> list[Entry]:
    """Glossary entries followed by gazetteer entries."""
    entries: list[Entry] = []
    files: tuple[tuple[Path, Source], ...] = ((glossary, "glossary"), (gazetteer, "gazetteer"))
    for path, source in files:
        with path.open(encoding="utf-8") as handle:
            entries.extend(parse_tsv(list(handle), source))
    return entries
