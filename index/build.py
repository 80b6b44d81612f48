"""Building and incrementally updating the index of a corpus folder.

``build_index`` writes a whole new generation; ``update_index`` copies the live
one (hard links) and applies only what changed: new ids added, changed
fingerprints re-indexed, vanished ids deleted. A document is deleted only when
its file was read cleanly (or is gone): a truncated or unreadable file never
makes the documents it used to hold disappear.

One bad document fails alone: its fields are prepared (and checked to encode
as UTF-8) before the writer sees it, and a writer that fails half-way through
a document consumes its number as a deleted document (``index.writer``), so
the report names it and the run goes on. A run that cannot finish at all
records why, with the file and line it was at, in ``status.json`` before
raising :class:`IndexRunError` (exit 3): ``fihris status`` and ``/api/status``
show it, and the previous generation stays live.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from whoosh import index as whoosh_index
from whoosh.writing import IndexWriter

from index.analysis import ANALYSIS_VERSION
from index.codec import FihrisCodec
from index.columns import column_texts
from index.corpus_files import TrackedReader, load_records, save_records
from index.documents import Document
from index.errors import (
    CorpusError,
    FihrisError,
    IndexLockedError,
    IndexRunError,
    IndexStorageError,
)
from index.loaders import DEFAULT_MAX_DOCUMENT_BYTES, Problem
from index.schema import document_fields, make_schema, source_file
from index.store import IndexStore, Manifest, open_generation
from index.writer import DocumentNotIndexed, FihrisMpWriter, FihrisWriter

#: Memory (MB) of Whoosh's posting pool per writer: large enough to avoid spills.
WRITER_LIMIT_MB: Final = 512
#: Below this many documents a single process is faster than forking writers.
PARALLEL_THRESHOLD: Final = 2000

Progress = Callable[[int], None]
#: ``prepare(generation_dir, base_dir)``: derived data written into a new generation
#: before it is published (story links, by the layer above); returns a report. The
#: index layer knows nothing of it; ``base_dir`` is the generation an update started from.
Prepare = Callable[[Path, Path | None], dict[str, Any]]


@dataclass
class RunStats:
    """The report of one build or update run (also saved as ``status.json``)."""

    kind: str
    corpus: str
    started: str
    duration_s: float = 0.0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    #: corpus files not parsed: their bytes are those the live generation was made from
    files_passed_over: int = 0
    failed: int = 0
    warnings: int = 0
    documents: int = 0
    by_lang: dict[str, int] = field(default_factory=dict)
    generation: int | None = None
    rebuilt_because: str | None = None
    #: why the run stopped before publishing (``None``: it finished)
    error: str | None = None
    #: what ``prepare`` reported (story links: computed or reused, seconds)
    derived: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def docs_per_s(self) -> float:
        return (self.added + self.updated) / self.duration_s if self.duration_s else 0.0

    def summary(self) -> str:
        return (
            f"{self.kind}: {self.documents} documents ({_langs(self.by_lang)}); "
            f"added {self.added}, "
            f"updated {self.updated}, deleted {self.deleted}, unchanged {self.unchanged}, "
            f"failed {self.failed}, warnings {self.warnings} in {self.duration_s:.1f} s "
            f"({self.docs_per_s:,.0f} docs/s)"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["docs_per_s"] = round(self.docs_per_s, 1)
        return data


def _langs(by_lang: dict[str, int]) -> str:
    return ", ".join(f"{lang} {n}" for lang, n in sorted(by_lang.items())) or "empty"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _die_with_parent() -> None:
    """In a forked writer process: be killed when the indexing process dies.

    A ``kill -9`` of ``fihris index build`` must not leave orphan writers filling
    a ``.partial`` directory that the next run is trying to delete (Linux only;
    elsewhere the next run still discards the partial directory it can).
    """
    parent = _PARENT_PID
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_PARENT_PID = os.getpid()


def _remember_parent() -> None:
    global _PARENT_PID
    _PARENT_PID = os.getpid()


os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent)


def _writer(ix: whoosh_index.Index, expected: int, procs: int | None) -> IndexWriter:
    """One writer, or one per core with a segment each, writing with :class:`FihrisCodec`."""
    procs = procs if procs is not None else min(2, os.cpu_count() or 1)
    if procs > 1 and expected >= PARALLEL_THRESHOLD:
        return FihrisMpWriter(
            ix, procs=procs, limitmb=WRITER_LIMIT_MB // procs, codec=FihrisCodec()
        )
    return FihrisWriter(ix, limitmb=WRITER_LIMIT_MB, codec=FihrisCodec())


def _reader(corpus: Path, max_document_bytes: int) -> TrackedReader:
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus} (pass --corpus DIR)")
    return TrackedReader(corpus, max_document_bytes)


def _where(doc: Document) -> tuple[str, int | None]:
    """``(file, line)`` of a document's path (``a.jsonl:12`` → ``("a.jsonl", 12)``)."""
    file = source_file(doc.path)
    tail = doc.path[len(file) + 1 :]
    return file, int(tail) if tail.isdigit() else None


def _prepare(doc: Document, report: list[Problem]) -> dict[str, Any] | None:
    """The writer's fields of ``doc``, or ``None`` (reported) if they cannot be made.

    Checked before the writer sees them: a string that does not encode as UTF-8
    would otherwise fail inside the writer, half-way through the document.
    """
    try:
        fields = document_fields(doc)
        for value in fields.values():
            if isinstance(value, str):
                value.encode("utf-8")
    except (Exception, MemoryError) as exc:  # this document only
        file, line = _where(doc)
        report.append(Problem(file, f"not indexed ({type(exc).__name__}: {exc})", line))
        return None
    return fields


def _add(writer: IndexWriter, doc: Document, fields: dict[str, Any], report: list[Problem]) -> bool:
    """Add one document; ``False`` (reported) if the writer refused it and stayed usable."""
    try:
        writer.add_document(**fields)
    except DocumentNotIndexed as exc:
        file, line = _where(doc)
        report.append(Problem(file, f"not indexed ({exc})", line))
        return False
    return True


def _record_failure(
    store: IndexStore,
    stats: RunStats,
    problems: list[Problem],
    t0: float,
    exc: BaseException,
    doc: Document | None,
) -> IndexRunError | None:
    """Save the failed run's report (with the file and line it was at); the error to raise.

    ``None`` when ``exc`` is already a clear error of ours (storage, damage):
    it is recorded and re-raised as it is.
    """
    reason = str(exc) if isinstance(exc, FihrisError) else f"{type(exc).__name__}: {exc}"
    stats.error = reason
    failure = Problem(str(store.root), reason)
    if doc is not None:
        file, line = _where(doc)
        failure = Problem(file, f"the run stopped at this document: {reason}", line)
    _finish(store, stats, [*problems, failure], t0)
    if isinstance(exc, FihrisError):
        return None
    where = f" at {failure.path}:{failure.line}" if failure.line else f" at {failure.path}"
    return IndexRunError(
        f"the {stats.kind} could not finish{where if doc is not None else ''} "
        f"({reason}); the previous index stays live"
    )


def _finish(store: IndexStore, stats: RunStats, problems: Iterable[Problem], t0: float) -> None:
    for problem in problems:
        entry = asdict(problem)
        stats.problems.append(entry)
        if problem.severity == "error":
            stats.failed += 1
        else:
            stats.warnings += 1
    stats.duration_s = round(time.perf_counter() - t0, 3)
    store.write_status(stats.to_dict())


def _count_docs(path: Path, check: bool = True) -> tuple[int, dict[str, int]]:
    ix = open_generation(path, check)
    with ix.reader() as reader:
        langs = column_texts(reader, "lang")
        by_lang: dict[str, int] = {}
        for docnum in reader.all_doc_ids():
            lang = langs[docnum]
            by_lang[lang] = by_lang.get(lang, 0) + 1
        return reader.doc_count(), by_lang


def _publish(
    store: IndexStore,
    partial: Path,
    stats: RunStats,
    expected: int,
    reader: TrackedReader,
    prepare: Prepare | None = None,
    base: Path | None = None,
) -> None:
    """Swap ``partial`` in, if it holds the ``expected`` number of documents.

    A writer process that dies (out of memory, a full disk) loses its segment
    without an error: Whoosh's parallel writer commits what the others
    wrote. Counting first keeps the previous generation live instead. The
    files read cleanly are recorded for the next update (:mod:`index.corpus_files`).
    """
    stats.documents, stats.by_lang = _count_docs(partial, check=False)
    if stats.documents != expected:
        raise IndexStorageError(
            f"the new index holds {stats.documents} documents where {expected} were written "
            "(a writer process failed; its error is above); the previous index stays live"
        )
    number = int(partial.name[4:10])
    save_records(partial, number, reader.max_document_bytes, reader.records, reader.report.problems)
    if prepare is not None:
        t0 = time.perf_counter()
        stats.derived = {**prepare(partial, base), "seconds": round(time.perf_counter() - t0, 2)}
    manifest = Manifest(
        number, ANALYSIS_VERSION, _now(), stats.kind, stats.documents, stats.by_lang
    )
    store.publish(partial, manifest)
    stats.generation = number


def build_index(
    corpus: Path,
    index_dir: Path,
    *,
    procs: int | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
    expected: int | None = None,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    prepare: Prepare | None = None,
) -> RunStats:
    """Index every document of ``corpus`` into a new generation and swap it in."""
    store = IndexStore(index_dir)
    stats = RunStats("build", str(corpus), _now())
    t0 = time.perf_counter()
    reader = _reader(corpus, max_document_bytes)
    problems = reader.report.problems
    with store.lock(wait):
        doc: Document | None = None
        try:
            partial = store.new_generation()
            try:
                ix = whoosh_index.create_in(str(partial), make_schema())
                hint = expected if expected is not None else _estimate(corpus)
                writer = _writer(ix, hint, procs)
                try:
                    for doc in reader:
                        fields = _prepare(doc, problems)
                        if fields is None or not _add(writer, doc, fields, problems):
                            continue
                        stats.added += 1
                        if progress:
                            progress(stats.added)
                    doc = None
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                _publish(store, partial, stats, stats.added, reader, prepare)
            except OSError as exc:
                raise IndexStorageError(f"cannot write index in {index_dir}: {exc}") from exc
            finally:
                store.discard_partials()
        except (Exception, MemoryError) as exc:  # recorded, then raised
            error = _record_failure(store, stats, problems, t0, exc, doc)
            if error is None:
                raise
            raise error from exc
        _finish(store, stats, problems, t0)
    return stats


def _estimate(corpus: Path) -> int:
    """A cheap guess of the corpus size: enough to choose one writer or several."""
    size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    return size // 1500


def update_index(
    corpus: Path,
    index_dir: Path,
    *,
    procs: int | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    prepare: Prepare | None = None,
) -> RunStats:
    """Apply the corpus's changes to the index; rebuild if there is none or its analysis is old.

    A damaged live generation is rebuilt too, into fresh files: hard-linking
    its files into the next generation would carry the damage along.
    """
    store = IndexStore(index_dir)
    manifest = store.manifest()
    reason = None
    if manifest is None:
        reason = "no index yet"
    elif manifest.analysis_version != ANALYSIS_VERSION:
        reason = f"analysis changed ({manifest.analysis_version} → {ANALYSIS_VERSION})"
    else:
        damage = store.check()
        if damage is not None:
            reason = f"the index was damaged ({damage})"
    if reason is not None:
        stats = build_index(
            corpus,
            index_dir,
            procs=procs,
            progress=progress,
            wait=wait,
            max_document_bytes=max_document_bytes,
            prepare=prepare,
        )
        stats.kind = "update"
        stats.rebuilt_because = reason
        store.write_status(stats.to_dict())
        return stats
    stats = RunStats("update", str(corpus), _now())
    t0 = time.perf_counter()
    reader = _reader(corpus, max_document_bytes)
    problems = reader.report.problems
    with store.lock(wait):
        try:
            _update(store, reader, stats, progress, procs, prepare)
        except IndexLockedError:
            raise
        except (Exception, MemoryError) as exc:  # recorded, then raised
            error = _record_failure(store, stats, problems, t0, exc, None)
            if error is None:
                raise
            raise error from exc
        _finish(store, stats, problems, t0)
    return stats


def _update(
    store: IndexStore,
    reader: TrackedReader,
    stats: RunStats,
    progress: Progress | None,
    procs: int | None,
    prepare: Prepare | None = None,
) -> None:
    """The body of an incremental update, with the lock held.

    Files whose bytes are those the live generation recorded are not parsed:
    their documents count as seen and unchanged (:mod:`index.corpus_files`).
    """
    base = store.current_dir()
    known = _known_documents(base)
    reader.previous = load_records(base, reader.max_document_bytes)
    reader.known = {doc_id: file for doc_id, (_, file) in known.items()}
    changes: list[tuple[Document, dict[str, Any]]] = []
    seen: set[str] = set()
    problems = reader.report.problems
    for doc in reader:
        seen.add(doc.id)
        fields = _prepare(doc, problems)
        if fields is None:
            continue  # reported; an older version, if any, stays
        old = known.get(doc.id)
        if old is None or old[0] != fields["fingerprint"]:
            changes.append((doc, fields))
        else:
            stats.unchanged += 1
        if progress:
            progress(len(seen))
    seen.update(reader.skipped)
    stats.unchanged += len(reader.skipped)
    stats.files_passed_over = reader.files_passed_over
    broken_files = {source_file(p.path) for p in reader.report.errors}
    gone = [
        doc_id
        for doc_id, (_, file) in known.items()
        if doc_id not in seen and file not in broken_files
    ]
    if changes or gone:
        _apply(store, base, changes, gone, known, stats, procs, reader, prepare)
    else:
        store.discard_partials()  # what a killed run left behind
        stats.documents, stats.by_lang = _count_docs(base)
        stats.generation = int(base.name[4:10])


def _known_documents(gen_dir: Path) -> dict[str, tuple[str, str]]:
    """``id → (fingerprint, file)`` of the live documents, read from columns only."""
    ix = open_generation(gen_dir)
    with ix.reader() as reader:
        ids = column_texts(reader, "id")
        prints = column_texts(reader, "fingerprint")
        files = column_texts(reader, "file")
        return {ids[n]: (prints[n], files[n]) for n in reader.all_doc_ids()}


def _apply(
    store: IndexStore,
    base: Path,
    changes: list[tuple[Document, dict[str, Any]]],
    gone: list[str],
    known: dict[str, tuple[str, str]],
    stats: RunStats,
    procs: int | None,
    reader: TrackedReader,
    prepare: Prepare | None = None,
) -> None:
    problems = reader.report.problems
    partial = store.new_generation(base)
    try:
        ix = open_generation(partial, check=False)
        writer = _writer(ix, len(changes), procs)
        try:
            for doc_id in gone:
                writer.delete_by_term("id", doc_id)
                stats.deleted += 1
            for doc, fields in changes:
                if doc.id in known:
                    writer.delete_by_term("id", doc.id)
                if not _add(writer, doc, fields, problems):
                    if doc.id in known:
                        stats.deleted += 1  # its old version is gone with it (reported)
                    continue
                if doc.id in known:
                    stats.updated += 1
                else:
                    stats.added += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        expected = len(known) - stats.deleted + stats.added
        _publish(store, partial, stats, expected, reader, prepare, base)
    except OSError as exc:
        raise IndexStorageError(f"cannot write index in {store.root}: {exc}") from exc
    finally:
        store.discard_partials()
