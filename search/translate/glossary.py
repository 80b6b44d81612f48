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


#: Irregular past participles by infinitive ending, longest ending first: (ending,
#: participle ending). The French stemmer keeps them apart from their infinitive
#: (produire → ``produir``, produit → ``produit``), so a glossary written with
#: infinitives would never meet "a produit", "a été pris" in a dispatch.
_PARTICIPLES: Final = (
    ("prendre", "pris"),
    ("mettre", "mis"),
    ("cevoir", "çu"),
    ("aître", "u"),
    ("mourir", "mort"),
    ("suivre", "suivi"),
    ("vivre", "vécu"),
    ("battre", "battu"),
    ("crire", "crit"),
    ("uire", "uit"),
    ("eindre", "eint"),
    ("aindre", "aint"),
    ("oindre", "oint"),
    ("enir", "enu"),
    ("ouvrir", "ouvert"),
    ("offrir", "offert"),
    ("souffrir", "souffert"),
    ("courir", "couru"),
    ("endre", "endu"),
    ("ondre", "ondu"),
    ("erdre", "erdu"),
    ("voir", "vu"),
    ("croire", "cru"),
)
#: Infinitives the endings above would get wrong (pouvoir → pu, devoir → dû).
_OWN_PARTICIPLES: Final[dict[str, str | None]] = {
    "naître": "né",
    "dire": "dit",
    "interdire": "interdit",
    "prédire": "prédit",
    "pouvoir": "pu",
    "devoir": "dû",
    "savoir": "su",
    "vouloir": "voulu",
    "valoir": "valu",
    "avoir": None,  # eu: a function word, never a glossary translation
    "émouvoir": "ému",
    "promouvoir": "promu",
}


def past_participle(infinitive: str) -> str | None:
    """The past participle of an irregular French infinitive, None for the others."""
    if infinitive in _OWN_PARTICIPLES:
        return _OWN_PARTICIPLES[infinitive]
    for ending, participle in _PARTICIPLES:
        if infinitive.endswith(ending):
            return infinitive[: len(infinitive) - len(ending)] + participle
    return None


def with_participles(entries: list[Entry]) -> list[Entry]:
    """``entries`` plus, for each single irregular infinitive, the same pair with its participle."""
    out = list(entries)
    for entry in entries:
        if entry.source != "glossary" or " " in entry.fr or len(entry.fr_terms) != 1:
            continue
        participle = past_participle(entry.fr)
        if not participle:
            continue
        tokens = analyze(participle, "fr")
        if len(tokens) == 1 and tokens[0].term != entry.fr_terms[0]:
            line = f"{participle}\t{entry.ar}\t{entry.category}"
            out.extend(parse_tsv([line], "glossary"))
    return out


def load_entries(glossary: Path = GLOSSARY_PATH, gazetteer: Path = GAZETTEER_PATH) -> list[Entry]:
    """Glossary entries (with the participles of irregular verbs), then gazetteer entries."""
    entries: list[Entry] = []
    files: tuple[tuple[Path, Source], ...] = ((glossary, "glossary"), (gazetteer, "gazetteer"))
    for path, source in files:
        with path.open(encoding="utf-8") as handle:
            parsed = parse_tsv(list(handle), source)
        entries.extend(with_participles(parsed) if source == "glossary" else parsed)
    return entries
