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
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from whoosh import index as whoosh_index
from whoosh.index import Index

from index.errors import IndexLockedError, IndexMissingError, IndexStorageError

MANIFEST: Final = "fihris.json"
#: Generations kept besides the live one, for searchers still reading them.
KEEP_PREVIOUS: Final = 2


@dataclass(frozen=True)
class Manifest:
    """What a generation is: its number, analysis version and contents."""

    generation: int
    analysis_version: str
    created: str
    kind: str
    documents: int
    by_lang: dict[str, int]

    @classmethod
    def read(cls, gen_dir: Path) -> Manifest:
        data = json.loads((gen_dir / MANIFEST).read_text("utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


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
        """The live Whoosh index and its manifest."""
        gen_dir = self.current_dir()
        try:
            return whoosh_index.open_dir(str(gen_dir)), Manifest.read(gen_dir)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexStorageError(f"cannot open index {gen_dir}: {exc}") from exc

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
