"""Index storage: immutable generations swapped atomically, one writer at a time.

Layout of an index directory::

    CURRENT            name of the live generation (replaced with os.replace)
    gen-000007/        a complete Whoosh index + fihris.json (its manifest)
    gen-000008.partial a generation being written (deleted if a run died)
    status.json        the last run's report
    writer.lock        flock()ed by the one process allowed to write

Whoosh is not crash-safe in place, so nobody writes into a live generation: a
build writes a new one, an update hard-links the live one's files (Whoosh
segment files are immutable) and commits on the copy. Readers follow CURRENT
and keep serving the previous generation until the swap. A kill -9 at any
moment leaves CURRENT pointing at a complete generation.

Hard links make generations share files: damage to one file (a truncated
``.seg``) damages every generation holding it, so older generations are not
backups. Each manifest lists its generation's files with their sizes, and
opening a generation checks them (and each segment's own table of contents)
first: a damaged generation is an :class:`IndexDamagedError` naming the file
and the fix, never a crash. Generations are read without ``mmap``: a file
truncated *after* it was opened then gives short reads (an error the search
layer turns into the same IndexDamagedError) instead of a SIGBUS that kills
the process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import pickle
import shutil
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

from index.errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexMissingError,
    IndexStorageError,
)

MANIFEST: Final = "fihris.json"
#: Generations kept besides the live one, for searchers still reading them.
KEEP_PREVIOUS: Final = 2
#: The fix named by every damage report.
REBUILD_HINT: Final = (
    "rebuild it with 'fihris index build' (or let 'fihris index update' rebuild it); "
    "older generations share its files and are damaged too"
)
#: A compound segment (``.seg``) starts with its directory's offset and length.
_SEG_HEADER: Final = struct.Struct("!qi")
#: Errors that reading a damaged (truncated, overwritten) Whoosh file raises.
READ_ERRORS: Final = (
    EOFError,
    struct.error,
    pickle.UnpicklingError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AssertionError,
    OSError,
)


@dataclass(frozen=True)
class Manifest:
    """What a generation is: its number, analysis version and contents."""

    generation: int
    analysis_version: str
    created: str
    kind: str
    documents: int
    by_lang: dict[str, int]
    #: file name → size in bytes, as published (empty in manifests written before sizes were)
    files: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, gen_dir: Path) -> Manifest:
        data = json.loads((gen_dir / MANIFEST).read_text("utf-8"))
        values = {k: data[k] for k in cls.__dataclass_fields__ if k != "files"}
        files = data.get("files") or {}
        return cls(**values, files={str(k): int(v) for k, v in files.items()})


#: Files the layers above write beside the index (story links and their per-document
#: results): not index files. Each carries its own stamp and is recomputed when stale
#: or unreadable, and may be replaced after publication, so the manifest does not list it.
DERIVED_SUFFIXES: Final = (".json", ".npz")


def _data_files(gen_dir: Path) -> dict[str, int]:
    """Sizes of a generation's index files (manifest, lock and derived files left out)."""
    return {
        item.name: item.stat().st_size
        for item in sorted(gen_dir.iterdir())
        if item.is_file()
        and item.name != MANIFEST
        and not _is_lock(item.name)
        and not item.name.endswith(DERIVED_SUFFIXES)
    }


def _is_lock(name: str) -> bool:
    return name.endswith(".lock") or name.endswith("WRITELOCK")


def check_generation(gen_dir: Path, manifest: Manifest) -> str | None:
    """What is wrong with a generation's files, or ``None`` when they look whole.

    Two checks, both a few ``stat`` calls and 12-byte reads: every file the
    manifest lists must exist with the size it was published with, and every
    compound segment must be as long as its header says (the header gives the
    offset and length of the segment's table of contents, written last). The
    second also covers generations published before manifests listed sizes.
    """
    for name, size in sorted(manifest.files.items()):
        try:
            actual = (gen_dir / name).stat().st_size
        except FileNotFoundError:
            return f"{gen_dir / name} is missing"
        except OSError as exc:
            return f"{gen_dir / name} cannot be read ({exc.strerror or exc})"
        if actual != size:
            return f"{gen_dir / name} is {actual} bytes long where {size} were written"
    try:
        segments = sorted(p for p in gen_dir.iterdir() if p.name.endswith(".seg"))
    except OSError as exc:
        return f"{gen_dir} cannot be listed ({exc.strerror or exc})"
    for seg in segments:
        try:
            with seg.open("rb") as handle:
                header = handle.read(_SEG_HEADER.size)
                actual = os.fstat(handle.fileno()).st_size
        except OSError as exc:
            return f"{seg} cannot be read ({exc.strerror or exc})"
        if len(header) < _SEG_HEADER.size:
            return f"{seg} is {actual} bytes long, too short for a segment"
        offset, length = _SEG_HEADER.unpack(header)
        if offset + length != actual:
            return f"{seg} is {actual} bytes long where its header says {offset + length}"
    return None


def damaged(gen_dir: Path, problem: str) -> IndexDamagedError:
    """The error of a damaged generation: what is wrong, and the fix."""
    return IndexDamagedError(
        f"the index generation {gen_dir} is damaged: {problem}; {REBUILD_HINT}"
    )


def open_generation(gen_dir: Path, check: bool = True) -> Index:
    """A generation's Whoosh index, read without mmap; checked first unless ``check`` is False.

    Without mmap a file truncated while open fails with a read error, not a
    SIGBUS. ``check=False`` is for a ``.partial`` generation being written
    (it has no manifest yet; its files were checked as the live generation).
    """
    if check:
        try:
            manifest = Manifest.read(gen_dir)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise damaged(gen_dir, f"its manifest {MANIFEST} cannot be read ({exc})") from exc
        problem = check_generation(gen_dir, manifest)
        if problem is not None:
            raise damaged(gen_dir, problem)
    storage = FileStorage(str(gen_dir), supports_mmap=False)
    try:
        return storage.open_index()
    except READ_ERRORS as exc:
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise IndexStorageError(f"cannot open index {gen_dir}: {exc}") from exc
        raise damaged(gen_dir, f"{type(exc).__name__}: {exc}") from exc


class IndexStore:
    """The index directory: which generation is live, and the writer lock."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading ---------------------------------------------------------
    def current_name(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text("ascii").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise IndexStorageError(f"cannot read {self.root / 'CURRENT'}: {exc}") from exc
        return name or None

    def current_dir(self) -> Path:
        name = self.current_name()
        if name is None or not (self.root / name).is_dir():
            raise IndexMissingError(f"no index at {self.root}: build one with 'fihris index build'")
        return self.root / name

    def open(self) -> tuple[Index, Manifest]:
        """The live Whoosh index and its manifest; ``IndexDamagedError`` if its files are not."""
        gen_dir = self.current_dir()
        try:
            manifest = Manifest.read(gen_dir)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexStorageError(f"cannot open index {gen_dir}: {exc}") from exc
        return open_generation(gen_dir), manifest

    def check(self) -> str | None:
        """What is wrong with the live generation's files (``None``: whole, or no index)."""
        try:
            gen_dir = self.current_dir()
            manifest = Manifest.read(gen_dir)
        except (IndexMissingError, OSError, ValueError, KeyError, TypeError):
            return None
        return check_generation(gen_dir, manifest)

    def manifest(self) -> Manifest | None:
        try:
            return Manifest.read(self.current_dir())
        except (IndexMissingError, OSError, ValueError, KeyError):
            return None

    def read_status(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.root / "status.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data

    # -- writing (call with the lock held) -------------------------------
    @contextlib.contextmanager
    def lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the writer lock; wait up to ``wait`` seconds for another writer."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = (self.root / "writer.lock").open("a")
        except OSError as exc:
            raise IndexStorageError(f"cannot write to index directory {self.root}: {exc}") from exc
        deadline = time.monotonic() + wait
        with handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexLockedError(
                            f"another fihris process is writing the index {self.root}; "
                            "try again when it has finished (or pass --wait SECONDS)"
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def next_number(self) -> int:
        numbers = [int(p.name[4:10]) for p in self.root.glob("gen-*") if p.name[4:10].isdigit()]
        return max(numbers, default=0) + 1

    def new_generation(self, base: Path | None = None) -> Path:
        """A fresh ``.partial`` directory, holding hard links to ``base``'s files if given."""
        self.discard_partials()
        partial = self.root / f"gen-{self.next_number():06d}.partial"
        try:
            partial.mkdir(parents=True)
            if base is not None:
                for item in base.iterdir():
                    if item.is_file() and item.name != MANIFEST and not item.name.endswith(".lock"):
                        try:
                            os.link(item, partial / item.name)
                        except OSError:
                            shutil.copy2(item, partial / item.name)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise IndexStorageError(f"cannot write to index directory {self.root}: {exc}") from exc
        return partial

    def publish(self, partial: Path, manifest: Manifest) -> Path:
        """Write the manifest, make the generation durable and swap it in atomically."""
        final = partial.with_name(partial.name.removesuffix(".partial"))
        try:
            manifest = dataclasses.replace(manifest, files=_data_files(partial))
            (partial / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2), "utf-8")
            for item in partial.iterdir():
                _fsync(item)
            _fsync(partial)
            os.rename(partial, final)
            tmp = self.root / "CURRENT.tmp"
            tmp.write_text(final.name + "\n", "ascii")
            _fsync(tmp)
            os.replace(tmp, self.root / "CURRENT")
            _fsync(self.root)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise IndexStorageError(f"cannot publish index in {self.root}: {exc}") from exc
        self.collect_garbage()
        return final

    def write_status(self, status: dict[str, Any]) -> None:
        tmp = self.root / "status.json.tmp"
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(status, indent=2, ensure_ascii=False), "utf-8")
            os.replace(tmp, self.root / "status.json")

    def discard_partials(self) -> None:
        """Remove generations left half-written by a run that died."""
        for partial in self.root.glob("gen-*.partial"):
            shutil.rmtree(partial, ignore_errors=True)

    def collect_garbage(self) -> None:
        live = self.current_name()
        done = sorted(p for p in self.root.glob("gen-*") if not p.name.endswith(".partial"))
        old = [p for p in done if p.name != live]
        for gen_dir in old[: max(0, len(old) - KEEP_PREVIOUS)]:
            shutil.rmtree(gen_dir, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
