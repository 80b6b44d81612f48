"""Embedding a published generation's documents, in the background, resumable.

Why after publishing: the lexical generation is searchable at once; its
passage vectors (:mod:`index.semantic`) follow, at tens of documents per second
per core. ``fihris index build``/``update`` call :func:`embed_generation` after
the swap and return when it is done; the server's generation does it in a
background thread (searches meanwhile rank by words, with the vectors found so
far). Two processes run at once (one per core, each held to one BLAS thread:
letting OpenBLAS spread two processes over both cores made them ten times
slower). One embedder per generation at a time (``embed.lock``); a second one
waits for it or leaves. What a killed run wrote stays: the next run embeds only
the fingerprints that no chunk holds, and copies those an older generation's
folder holds (the unchanged documents of an update).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from index.encoder import Encoder, load_encoder
from index.errors import IndexStorageError
from index.passages import passages
from index.semantic import (
    Chunk,
    chunk_files,
    done_fingerprints,
    layer_dir,
    read_chunk,
    write_chunk,
    write_progress,
)
from index.store import open_generation

#: Documents per chunk: a chunk is the most a kill -9 can lose (a few seconds of work).
CHUNK_DOCS: Final = 32

Report = Callable[[int, int], None]


@dataclass(frozen=True)
class Outcome:
    """What a run did: documents embedded, copied from older generations, and the total."""

    embedded: int
    reused: int
    documents: int
    total: int
    busy: bool = False


def _documents(gen_dir: Path) -> list[tuple[str, str, str]]:
    """``(fingerprint, title, body)`` of every live document, one per fingerprint."""
    ix = open_generation(gen_dir)
    docs: dict[str, tuple[str, str, str]] = {}
    with ix.reader() as reader:
        for _, stored in reader.iter_docs():
            fp = str(stored.get("fingerprint") or "")
            if fp and fp not in docs:
                docs[fp] = (fp, str(stored.get("title") or ""), str(stored.get("body") or ""))
    ix.close()
    return list(docs.values())


def _counts(gen_dir: Path) -> dict[str, int]:
    """Documents per fingerprint (identical contents share one)."""
    ix = open_generation(gen_dir)
    found: dict[str, int] = {}
    with ix.reader() as reader:
        column = reader.column_reader("fingerprint")
        for n in reader.all_doc_ids():
            value = column[n]
            fp = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            found[fp] = found.get(fp, 0) + 1
    ix.close()
    return found


@contextlib.contextmanager
def _locked(layer: Path, wait: bool) -> Iterator[bool]:
    with (layer / "embed.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def embed_generation(
    gen_dir: Path,
    encoder: Encoder,
    *,
    procs: int | None = None,
    report: Report | None = None,
    wait: bool = True,
) -> Outcome:
    """Give every document of ``gen_dir`` its passage vectors; returns when all have them.

    ``wait=False``: when another process is embedding this generation, return
    at once (``busy``) instead of waiting for it.
    """
    layer = layer_dir(gen_dir, encoder.name)
    try:
        return _embed(gen_dir, layer, encoder, procs, report, wait)
    except OSError as exc:  # read-only index, full disk: words still search the live index
        raise IndexStorageError(
            f"cannot write the semantic layer in {layer}: {exc.strerror or exc}; "
            "the index is live and searched by words; run the command again once it is writable"
        ) from exc


def _embed(
    gen_dir: Path,
    layer: Path,
    encoder: Encoder,
    procs: int | None,
    report: Report | None,
    wait: bool,
) -> Outcome:
    layer.mkdir(exist_ok=True)
    counts = _counts(gen_dir)
    total = sum(counts.values())
    with _locked(layer, wait) as mine:
        if not mine:
            return Outcome(0, 0, 0, total, busy=True)
        done = done_fingerprints(layer) & counts.keys()
        todo = set(counts) - done
        reused = _reuse(gen_dir, encoder.name, layer, todo) if todo else set()
        todo -= reused
        finished = sum(counts[f] for f in done | reused)
        write_progress(layer, encoder.name, finished, total)
        if report:
            report(finished, total)
        docs = [d for d in _documents(gen_dir) if d[0] in todo] if todo else []
        batches = [docs[i : i + CHUNK_DOCS] for i in range(0, len(docs), CHUNK_DOCS)]
        serial = len(chunk_files(layer))
        for chunk in _embedded(batches, encoder, procs):
            serial += 1
            write_chunk(layer, f"chunk-{serial:06d}-{os.getpid()}", chunk)
            finished += sum(counts[str(f)] for f in chunk.fingerprints)
            write_progress(layer, encoder.name, finished, total)
            if report:
                report(finished, total)
    return Outcome(len(docs), len(reused), finished, total)


def _reuse(gen_dir: Path, name: str, layer: Path, todo: set[str]) -> set[str]:
    """Copy the vectors of ``todo`` fingerprints that older generations' folders hold."""
    found: set[str] = set()
    others = sorted(
        (p for p in gen_dir.parent.glob("gen-*") if p != gen_dir and p.is_dir()), reverse=True
    )
    serial = len(chunk_files(layer))
    for other in others:
        for path in chunk_files(layer_dir(other, name)):
            wanted = todo - found
            if not wanted:
                return found
            heads = read_chunk(path, fingerprints_only=True)
            if heads is None:
                continue
            prints = {str(f) for f in heads.fingerprints}
            if not wanted & prints:
                continue
            serial += 1
            target = layer / f"chunk-{serial:06d}-{os.getpid()}.npz"
            if prints <= wanted:  # the whole chunk: share its file (chunks are never rewritten)
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copyfile(path, target)
                found.update(prints)
                continue
            chunk = read_chunk(path)
            part = chunk.select(wanted) if chunk is not None else None
            if part is None:
                continue
            write_chunk(layer, f"chunk-{serial:06d}-{os.getpid()}", part)
            found.update(str(f) for f in part.fingerprints)
    return found


def _embedded(
    batches: list[list[tuple[str, str, str]]], encoder: Encoder, procs: int | None
) -> Iterator[Chunk]:
    procs = procs if procs is not None else min(2, os.cpu_count() or 1)
    if procs <= 1 or len(batches) <= 1:
        for batch in batches:
            yield embed_batch(batch, encoder)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server
    with context.Pool(procs, initializer=_worker_start) as pool:
        yield from pool.imap(_worker_embed, batches)


def embed_batch(batch: list[tuple[str, str, str]], encoder: Encoder) -> Chunk:
    """The passages of some documents, embedded in one call (the encoder batches them)."""
    spans: list[list[tuple[int, int]]] = []
    texts: list[str] = []
    for _, title, body in batch:
        parts = passages(title, body)
        spans.append([(p.start, p.end) for p in parts])
        texts.extend(p.text for p in parts)
    return Chunk.of([fp for fp, _, _ in batch], spans, encoder.encode(texts))


_WORKER: dict[str, Any] = {}


def _worker_start() -> None:
    """In a spawned embedding process: die with the parent; load the encoder once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    found = load_encoder()
    if found is None:
        raise RuntimeError("the sentence encoder cannot be loaded in an embedding process")
    _WORKER["encoder"] = found


def _worker_embed(batch: list[tuple[str, str, str]]) -> Chunk:
    encoder: Encoder = _WORKER["encoder"]
    return embed_batch(batch, encoder)
