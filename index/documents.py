"""The document model shared by loaders, the index and search."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Final

from index.text import arabic_share

#: Language codes accepted in metadata, mapped to the two the archive serves.
LANG_ALIASES: Final = {
    "fr": "fr",
    "fra": "fr",
    "fre": "fr",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "ar": "ar",
    "ara": "ar",
    "arb": "ar",
    "ary": "ar",  # Moroccan Arabic (Darija): same script, same analysis
    "arq": "ar",
    "arabic": "ar",
    "arabe": "ar",
    "عربي": "ar",
    "العربية": "ar",
}
LANGS: Final = ("fr", "ar")

#: Share of Arabic-script letters above which a text is taken as Arabic.
ARABIC_THRESHOLD: Final = 0.3


def detect_lang(text: str) -> str:
    """``"ar"`` or ``"fr"`` from the share of Arabic-script letters."""
    return "ar" if arabic_share(text) >= ARABIC_THRESHOLD else "fr"


def normalize_lang(value: object) -> str | None:
    """The archive's code for a metadata language value, ``None`` if not understood."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return LANG_ALIASES.get(code)


@dataclass(frozen=True)
class Document:
    """One dispatch: its text and what is known about it.

    ``path`` says where it came from (``file.jsonl:12`` for JSON Lines) so a
    problem can be traced back; ``meta`` keeps every other field of the source.
    """

    id: str
    text: str
    title: str
    lang: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """A digest of the content: ``update`` re-indexes a document when it changes."""
        payload = json.dumps(
            [self.text, self.title, self.lang, self.date, self.source, self.url, self.meta],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
