"""Reading a corpus folder: text dispatches and JSON Lines, never losing a good document.

Every problem (undecodable bytes, a broken JSON line, a truncated stream, a
duplicate id, a lone surrogate, a file name that is not UTF-8, a line over
the size limit, even a ``MemoryError`` while parsing one line) becomes a
:class:`Problem` naming the file, the line and the reason; the walk goes on.
Decoding falls back from UTF-8 to Windows-1256 (Arabic) and Windows-1252
(French) with a warning, because archives hold files written on old Windows
machines.
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Literal

from index.dates import parse_date
from index.documents import Document, detect_lang, normalize_lang
from index.sanitize import bounded_lines, describe_size, repair_surrogates, safe_name
from index.text import arabic_share

TEXT_SUFFIXES: Final = (".txt", ".md")
JSONL_SUFFIXES: Final = (".jsonl", ".jsonl.gz", ".jsonl.xz")
#: Files of a corpus folder that describe it rather than belong to it.
IGNORED_NAMES: Final = frozenset({"readme.md", "readme.txt", "license", "license.txt", "licence"})
KNOWN_FIELDS: Final = frozenset({"id", "text", "title", "lang", "date", "source", "url"})
MAX_TITLE: Final = 200
#: Largest line of a stream, or text file, read as one document (bytes, after decompression).
#: Far above any news dispatch; small enough that a bomb never reaches the writer.
DEFAULT_MAX_DOCUMENT_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """A file or line that was skipped (``error``) or read with a caveat (``warning``)."""

    path: str
    reason: str
    line: int | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.severity}: {where}: {self.reason}"


@dataclass
class LoadReport:
    """What a walk of the corpus found."""

    documents: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def decode(data: bytes) -> tuple[str, str | None]:
    """Text of ``data`` and the legacy encoding used, if it was not UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    arabic = data.decode("cp1256", errors="replace")
    latin = data.decode("cp1252", errors="replace")
    if arabic_share(arabic) > 0.3 and arabic.count("\ufffd") <= latin.count("\ufffd"):
        return arabic, "windows-1256"
    return latin, "windows-1252"


def corpus_files(root: Path) -> Iterator[Path]:
    """Corpus files under ``root`` in a stable order (hidden files and READMEs left out)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.lower() in IGNORED_NAMES:
            continue
        yield path


def split_text_dispatch(text: str) -> tuple[str | None, str, str]:
    """``(date, title, body)`` of a plain-text dispatch.

    An optional first line ``date …`` gives the date; the first non-empty line
    after it is the title; a first line too long to be a title (a lead paragraph)
    is kept in the body and its first sentence becomes the title.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    date = None
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and lines[0].strip().lower().startswith("date "):
        date = parse_date(lines.pop(0).strip()[5:])
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return date, "", ""
    first = lines[0].strip()
    if len(first) <= MAX_TITLE:
        return date, first, "\n".join(lines[1:]).strip()
    return date, _first_sentence(first), "\n".join(lines).strip()


def _first_sentence(paragraph: str) -> str:
    """The first sentence of a paragraph, cut at a word boundary if over MAX_TITLE."""
    for i, ch in enumerate(paragraph[: MAX_TITLE + 1]):
        if ch in ".!?؟" and i > 20:
            return paragraph[: i + 1]
    if len(paragraph) <= MAX_TITLE:
        return paragraph
    return paragraph[:MAX_TITLE].rsplit(" ", 1)[0] + "…"


class CorpusReader:
    """Walks a corpus folder and yields its documents; problems go to :attr:`report`."""

    def __init__(self, root: Path, max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES) -> None:
        self.root = root
        self.max_document_bytes = max_document_bytes
        self.report = LoadReport()
        self._seen: dict[str, str] = {}
        #: the line being read in the current file, for a report when the file breaks
        self._lineno: int | None = None

    def __iter__(self) -> Iterator[Document]:
        if not self.root.is_dir():
            raise NotADirectoryError(f"corpus folder not found: {self.root}")
        for path in corpus_files(self.root):
            rel, repaired = safe_name(path.relative_to(self.root).as_posix())
            if repaired:
                self._problem(
                    rel,
                    "file name is not valid UTF-8; its undecodable bytes are written %XX "
                    "in the document id",
                    severity="warning",
                )
            yield from self._read_file(path, rel)

    def _read_file(self, path: Path, rel: str) -> Iterator[Document]:
        """The documents of one file; whatever goes wrong in it stays in it."""
        name = path.name.lower()
        self._lineno = None
        try:
            if name.endswith(JSONL_SUFFIXES):
                docs: Iterable[Document] = self._read_jsonl(path, rel)
            elif name.endswith(TEXT_SUFFIXES):
                docs = self._read_text(path, rel)
            else:
                self._problem(
                    rel,
                    "unsupported format (accepted: .txt .md .jsonl .jsonl.gz .jsonl.xz)",
                    severity="warning",
                )
                return
            for doc in docs:
                if doc.id in self._seen:
                    self._problem(
                        doc.path,
                        f"duplicate id {doc.id!r} (first seen in "
                        f"{self._seen[doc.id]}); this copy is skipped",
                    )
                    continue
                self._seen[doc.id] = doc.path
                self.report.documents += 1
                yield doc
        except (Exception, MemoryError) as exc:  # one file must not end the walk
            where = f"at line {self._lineno}" if self._lineno else "while reading"
            self._problem(
                rel,
                f"stopped {where} ({type(exc).__name__}: {exc}); the documents before were kept",
                line=self._lineno,
            )

    def _problem(
        self,
        path: str,
        reason: str,
        line: int | None = None,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        self.report.problems.append(Problem(path, reason, line, severity))

    def _read_text(self, path: Path, rel: str) -> Iterator[Document]:
        limit = self.max_document_bytes
        try:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)  # never more than the limit, even if it grew
                size = os.fstat(handle.fileno()).st_size
        except OSError as exc:
            self._problem(rel, f"unreadable: {exc.strerror or exc}")
            return
        if len(data) > limit:
            self._problem(rel, _oversized(max(size, len(data)), limit))
            return
        if b"\x00" in data[:8192]:
            self._problem(rel, "binary file (NUL bytes), not a text dispatch")
            return
        text, legacy = decode(data)
        if legacy:
            self._problem(rel, f"not UTF-8; decoded as {legacy}", severity="warning")
        date, title, body = split_text_dispatch(text)
        if not (title or body):
            self._problem(rel, "empty file")
            return
        lang = detect_lang(title + "\n" + body)
        yield Document(id=rel, text=body, title=title, lang=lang, date=date, path=rel)

    def _read_jsonl(self, path: Path, rel: str) -> Iterator[Document]:
        lineno = 0
        limit = self.max_document_bytes
        try:
            with _open_stream(path) as stream:
                for lineno, raw, size in bounded_lines(stream, limit):
                    self._lineno = lineno
                    if raw is None:
                        self._problem(rel, _oversized(size, limit), lineno)
                        continue
                    if not raw.strip():
                        continue
                    try:
                        doc = self._parse_line(raw, rel, lineno)
                    except (Exception, MemoryError) as exc:  # this line only
                        del raw
                        self._problem(rel, f"line not read ({type(exc).__name__}: {exc})", lineno)
                        continue
                    if doc is not None:
                        yield doc
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            where = f"after line {lineno}" if lineno else "at the start"
            self._problem(
                rel,
                f"stream broken {where} ({type(exc).__name__}: {exc}); the lines before were kept",
                line=lineno + 1 or None,
            )

    def _parse_line(self, raw: bytes, rel: str, lineno: int) -> Document | None:
        text, legacy = decode(raw)
        if legacy:
            self._problem(rel, f"line not UTF-8; decoded as {legacy}", lineno, "warning")
        try:
            record: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            self._problem(rel, f"invalid JSON ({exc.msg} at column {exc.colno})", lineno)
            return None
        if not isinstance(record, dict):
            self._problem(rel, f"a JSON object is required, got {type(record).__name__}", lineno)
            return None
        record, repaired = repair_surrogates(record)
        if repaired:
            self._problem(
                rel,
                f"{repaired} lone surrogate(s) (\\ud800-\\udfff escapes: not Unicode) "
                "replaced with U+FFFD",
                lineno,
                "warning",
            )
        doc_id = record.get("id")
        body = record.get("text")
        if not isinstance(doc_id, str | int) or isinstance(doc_id, bool) or str(doc_id) == "":
            self._problem(
                rel, f"field 'id' is required (a non-empty string), got {doc_id!r}", lineno
            )
            return None
        if not isinstance(body, str) or not body.strip():
            self._problem(rel, "field 'text' is required (a non-empty string)", lineno)
            return None
        given = record.get("title")
        title = given.strip() if isinstance(given, str) else ""
        # absent or null (FLORES/TICO have none): the first sentence reads as one;
        # an empty string says the document has no title, and none is made up
        if not title and given != "":
            title = _first_sentence(body.strip().split("\n", 1)[0])
        lang = normalize_lang(record.get("lang"))
        if record.get("lang") is not None and lang is None:
            self._problem(
                rel,
                f"unknown lang {record['lang']!r} (accepted: fr, ar); detected from the text",
                lineno,
                "warning",
            )
        date = parse_date(str(record["date"])) if record.get("date") else None
        source = record.get("source")
        url = record.get("url")
        meta = {k: v for k, v in record.items() if k not in KNOWN_FIELDS and v is not None}
        return Document(
            id=str(doc_id),
            text=body.strip(),
            title=title,
            lang=lang or detect_lang(title + "\n" + body),
            date=date,
            source=str(source) if source else None,
            url=str(url) if url else None,
            path=f"{rel}:{lineno}",
            meta=meta,
        )


def _oversized(size: int, limit: int) -> str:
    return (
        f"document of {describe_size(size)} is over the limit of {describe_size(limit)} "
        "(--max-document-bytes, FIHRIS_MAX_DOCUMENT_BYTES); skipped"
    )


def _open_stream(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if name.endswith(".xz"):
        return lzma.open(path, "rb")
    return path.open("rb")
