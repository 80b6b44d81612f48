"""Which corpus files an update need not parse again: the bytes the live generation was made from.

Why: an update used to parse every line of every file and fingerprint every
document to find the 1% that changed: a second per 10,000 documents, growing
with the archive like a build while the rest of an update grows with what
changed. Each generation now keeps ``corpus-files.json``: per corpus file read
without any problem, a digest of its bytes and the ids (and paths) of its
documents. An update hashes each file and, when the digest is the recorded one,
takes its documents as unchanged without parsing them.

Why a digest of the bytes and not size + modification time: hashing is ~30 ms
per 30 MB (the parse it saves is ~1 s), and it has no false "unchanged": a file
rewritten within the same second with the same size, or restored with its old
time (``cp -p``, ``rsync -t``, ``touch -r``), is still read. The digest is
taken before the file is parsed, so a file that changes in between is recorded
with the older digest and simply read again next time.

What makes a skip exact (:class:`TrackedReader`): the file's bytes, the reading
code (:data:`READER_VERSION`, a digest of the modules that turn bytes into
documents) and ``max_document_bytes`` are those of the run that recorded it; the
file had no problem then (no warning, no skipped line, no duplicate, every
document indexed), so its documents are exactly its recorded ids; and none of
its ids was already seen in this walk (a duplicate the full read would report:
the file is then read). The table names the generation it was written for: a
table carried along by an update of an older version is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from index.documents import Document
from index.loaders import CorpusReader, Problem
from index.schema import source_file

FILES_FILE: Final = "corpus-files.json"
#: The modules that turn a file's bytes into documents and fields: a change reads every file.
READER_MODULES: Final = ("loaders.py", "documents.py", "dates.py", "sanitize.py", "schema.py")


def _reader_version() -> str:
    digest = hashlib.sha256()
    for name in READER_MODULES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


READER_VERSION: Final = _reader_version()


@dataclass(frozen=True)
class FileRecord:
    """A corpus file as a clean read found it: its bytes' digest and its documents."""

    digest: str
    ids: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


def file_digest(path: Path) -> str | None:
    """A digest of the file's bytes (None: unreadable, the read will report it)."""
    digest = hashlib.blake2b(digest_size=20)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _stamp(generation: int, max_document_bytes: int) -> dict[str, Any]:
    return {
        "generation": generation,
        "reader": READER_VERSION,
        "max_document_bytes": max_document_bytes,
    }


def load_records(gen_dir: Path, max_document_bytes: int) -> dict[str, FileRecord]:
    """The clean files recorded for ``gen_dir`` ({}: none, stale, damaged or unreadable)."""
    try:
        data = json.loads((gen_dir / FILES_FILE).read_text("utf-8"))
        if data["stamp"] != _stamp(int(gen_dir.name[4:10]), max_document_bytes):
            return {}
        return {
            rel: FileRecord(str(digest), tuple(map(str, ids)), tuple(map(str, paths)))
            for rel, (digest, ids, paths) in data["files"].items()
            if len(ids) == len(paths)
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save_records(
    gen_dir: Path,
    generation: int,
    max_document_bytes: int,
    records: Mapping[str, FileRecord],
    problems: Iterable[Problem],
) -> None:
    """Record the files of ``records`` that had no problem (atomically; never in place:
    the file of the previous generation may be hard-linked here)."""
    # a text file may be named like a JSON line's path (``notes:12``): both spellings
    unclean = {name for p in problems for name in (p.path, source_file(p.path))}
    files = {
        rel: [r.digest, list(r.ids), list(r.paths)]
        for rel, r in records.items()
        if rel not in unclean
    }
    payload = {"stamp": _stamp(generation, max_document_bytes), "files": files}
    tmp = gen_dir / f".{FILES_FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        os.replace(tmp, gen_dir / FILES_FILE)
    except OSError:  # only a missed skip next time
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            (gen_dir / FILES_FILE).unlink()


class TrackedReader(CorpusReader):
    """A :class:`CorpusReader` that records each file's digest and documents, and passes
    over the files whose digest is in :attr:`previous` (their ids: :attr:`skipped`)."""

    def __init__(self, root: Path, max_document_bytes: int) -> None:
        super().__init__(root, max_document_bytes)
        #: the clean files of the live generation (set by an update before the walk)
        self.previous: Mapping[str, FileRecord] = {}
        #: ``id → file`` of the live generation: a skipped file's ids must all be there
        self.known: Mapping[str, str] = {}
        #: every file walked, read or passed over, with a digest
        self.records: dict[str, FileRecord] = {}
        #: the ids of the files passed over, unchanged, and how many files they were
        self.skipped: list[str] = []
        self.files_passed_over = 0

    def _read_file(self, path: Path, rel: str) -> Iterator[Document]:
        digest = file_digest(path)
        before = self.previous.get(rel)
        unchanged = digest is not None and before is not None and before.digest == digest
        if unchanged and before is not None and self._pass_over(rel, before):
            return
        ids: list[str] = []
        paths: list[str] = []
        for doc in super()._read_file(path, rel):
            ids.append(doc.id)
            paths.append(doc.path)
            yield doc
        if digest is not None:
            self.records[rel] = FileRecord(digest, tuple(ids), tuple(paths))

    def _pass_over(self, rel: str, record: FileRecord) -> bool:
        """Take ``record``'s documents as read and unchanged, if that is exact."""
        if any(doc_id in self._seen or self.known.get(doc_id) != rel for doc_id in record.ids):
            return False  # a duplicate to report, or not what the index holds: read it
        for doc_id, doc_path in zip(record.ids, record.paths, strict=True):
            self._seen[doc_id] = doc_path
        self.report.documents += len(record.ids)
        self.skipped.extend(record.ids)
        self.files_passed_over += 1
        self.records[rel] = record
        return True
