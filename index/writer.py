"""Whoosh's segment writer with a posting pool grouped by term, and its parallel form.

Whoosh's ``SegmentWriter`` turns every posting into a 5-tuple, hands it to
``PostingPool.add`` (a method call, two assertions and a size estimate each),
sorts the millions of tuples at commit and groups them again by term for the
codec. Indexing 5,300 news articles makes 2.2 million postings: the pool and
its sort were a third of the build. :class:`TermPool` keeps each term's
postings together from the start (document numbers only grow, so they arrive
in order) and sorts only the distinct terms; :class:`FihrisWriter` fills it
straight from :meth:`index.fields.AnalyzedText.index_into`.

Memory stays bounded as in Whoosh: past ``limitmb`` the pool writes its terms,
sorted, to a run file in the writer's temporary storage, and the commit merges
the runs. What is written is unchanged: the same codec receives the same
postings (``tests/test_writer.py`` compares the segment files byte for byte).
"""

from __future__ import annotations

import gc
import heapq
import pickle
import sys
from array import array
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any, Final

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from index.codec import TermRow
from index.fields import AnalyzedText

#: A term's postings: document numbers, weights, encoded values (Whoosh's pool items, grouped).
TermPostings = tuple["array[int] | list[int]", "array[float] | list[float]", list[bytes | None]]

#: Estimated bytes of one pooled posting: its two or three list slots, its share of
#: its term's list and table entry, a multi-position value (measured: 110 MB of
#: memory for 2.2 million postings, 102 MB estimated).
POSTING_BYTES: Final = 48
_KEY: Final = itemgetter(0, 1)


class TermPool:
    """Postings grouped by field and term, spilled to sorted runs past a memory limit.

    Offers what Whoosh's writers use of ``PostingPool`` (``add``,
    ``iter_postings``, ``fieldnames``, ``cleanup``) plus :meth:`table`, the
    direct route of the analysed text fields, and :meth:`terms`, the grouped
    route to :meth:`index.codec.FihrisFieldWriter.add_terms`.
    """

    def __init__(self, tempstore: Any, limitmb: float = 128) -> None:
        self._tempstore = tempstore
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        #: field → term text → the flat postings list of ``AnalyzedText.index_into``
        self._text: dict[str, dict[str, list[Any]]] = {}
        #: field name → the field of a ``_text`` table (its boost and value encoding)
        self._fields: dict[str, AnalyzedText] = {}
        #: field → term bytes → postings (everything else, filled by ``add``)
        self._raw: dict[str, dict[bytes, TermPostings]] = {}
        self._runs: list[str] = []
        #: ``(field, term bytes)`` whose postings ``add`` received out of document order
        self._unordered: set[tuple[str, bytes]] = set()
        self.fieldnames: set[str] = set()
        #: ``cleanup`` empties the tables; a writer process about to exit skips it
        self.release = True

    def table(self, fieldname: str, field: AnalyzedText) -> dict[str, list[Any]]:
        """The ``term text → flat postings`` table of one field, for ``field.index_into``.

        ``field.postings`` turns each list back into document numbers, weights
        and values when the pool is written out.
        """
        found = self._text.get(fieldname)
        if found is None:
            found = self._text[fieldname] = {}
            self._fields[fieldname] = field
            self.fieldnames.add(fieldname)
        return found

    def grew(self, postings: int, extra: int = 0) -> None:
        """Account for ``postings`` appended through :meth:`table`; spill past the limit."""
        self._size += postings * POSTING_BYTES + extra
        if self._size > self._limit:
            self._spill()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """One posting ``(fieldname, term bytes, docnum, weight, value)``, as Whoosh's pool."""
        fieldname, tbytes, docnum, weight, value = item
        table = self._raw.get(fieldname)
        if table is None:
            table = self._raw[fieldname] = {}
            self.fieldnames.add(fieldname)
        entry = table.get(tbytes)
        if entry is None:
            table[tbytes] = (array("i", (docnum,)), array("d", (weight,)), [value])
        else:
            if entry[0][-1] >= docnum:
                self._unordered.add((fieldname, tbytes))
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(value)
        self.grew(1, len(value) if value else 0)

    def _in_memory(self) -> Iterator[TermRow]:
        """The pooled terms sorted by field and term (UTF-8 bytes order is text order)."""
        for fieldname in sorted(self._text.keys() | self._raw.keys()):
            field = self._fields.get(fieldname)
            raw = self._raw.get(fieldname)
            if field is not None and not raw:  # the usual case: expanded one term at a time
                table = self._text[fieldname]
                for text in sorted(table):
                    yield fieldname, text.encode("utf-8"), *field.postings(table[text])
                continue
            merged: dict[bytes, TermPostings] = {}
            if field is not None:
                for text, flat in self._text[fieldname].items():
                    merged[text.encode("utf-8")] = field.postings(flat)
            for key, entry in self._raw.get(fieldname, {}).items():
                if (fieldname, key) in self._unordered:
                    entry = _sorted(entry)
                other = merged.get(key)
                merged[key] = entry if other is None else _concat(other, entry)
            for key in sorted(merged):
                yield fieldname, key, *merged[key]

    def _spill(self) -> None:
        """Write the pooled terms to a sorted run file and start afresh."""
        name = f"{random_name()}.terms"
        with self._tempstore.create_file(name).raw_file() as out:
            for row in self._in_memory():
                pickle.dump(row, out, pickle.HIGHEST_PROTOCOL)
        self._runs.append(name)
        self._text.clear()
        self._raw.clear()
        self._unordered.clear()
        self._size = 0

    def _read_run(self, name: str) -> Iterator[TermRow]:
        with self._tempstore.open_file(name).raw_file() as source:
            while True:
                try:
                    yield pickle.load(source)
                except EOFError:
                    break
        self._tempstore.delete_file(name)

    def terms(self) -> Iterator[TermRow]:
        """Every term's postings in field, term and document order, runs merged."""
        if not self._runs:
            yield from self._in_memory()
            return
        # runs were written in time order and document numbers only grow, and
        # heapq.merge keeps the order of its inputs among equal keys
        sources = [self._read_run(name) for name in self._runs] + [self._in_memory()]
        for (fieldname, key), rows in groupby(heapq.merge(*sources, key=_KEY), _KEY):
            parts = [(ids, weights, values) for _, _, ids, weights, values in rows]
            entry = parts[0]
            for part in parts[1:]:
                entry = _concat(entry, part)
            yield fieldname, key, *entry

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """The postings one by one, sorted as ``PostingPool.iter_postings`` gives them."""
        for fieldname, key, ids, weights, values in self.terms():
            for docnum, weight, value in zip(ids, weights, values, strict=True):
                yield fieldname, key, docnum, weight, value

    def cleanup(self) -> None:
        if self.release:
            self._text.clear()
            self._raw.clear()
            self._unordered.clear()
        for name in self._runs:
            if self._tempstore.file_exists(name):
                self._tempstore.delete_file(name)
        self._runs = []


def _concat(first: Any, second: Any) -> TermPostings:
    """Two parts of a term's postings, each in document order, as one in document order.

    Parts come in time order and document numbers only grow, so the join is a
    plain concatenation; the sort is a guard for a caller that numbers out of order.
    """
    joined = (
        array("i", first[0]) + array("i", second[0]),
        array("d", first[1]) + array("d", second[1]),
        list(first[2]) + list(second[2]),
    )
    if first[0][-1] < second[0][0]:
        return joined
    return _sorted(joined)


def _sorted(entry: Any) -> TermPostings:
    """A term's postings sorted by document, as Whoosh's sort of posting tuples leaves them."""
    ids, weights, values = entry
    rows = sorted(zip(ids, weights, values, strict=True), key=lambda r: (r[0], r[1], r[2] or b""))
    return (
        array("i", (r[0] for r in rows)),
        array("d", (r[1] for r in rows)),
        [r[2] for r in rows],
    )


class _GroupedCommit:
    """The commit half shared by both writers: the pool's terms go to the codec whole."""

    pool: TermPool

    def _flush_segment(self) -> None:
        writer: Any = self
        writer.perdocwriter.close()
        lengths = writer.per_document_reader() if writer.codec.length_stats else None
        try:
            fieldwriter = writer.fieldwriter
            if hasattr(fieldwriter, "add_terms"):
                fieldwriter.add_terms(writer.schema, lengths, self.pool.terms())
            else:
                fieldwriter.add_postings(writer.schema, lengths, self.pool.iter_postings())
            fieldwriter.close()
        finally:
            if lengths is not None:
                lengths.close()


class DocumentNotIndexed(Exception):
    """The writer could not index one document; it stays usable for the next ones.

    Raised by :meth:`FihrisWriter.add_document` after it has made the half-added
    document harmless (see there); the build reports the document and goes on.
    """


class FihrisWriter(_GroupedCommit, SegmentWriter):  # type: ignore[misc]
    """``SegmentWriter`` with a :class:`TermPool` and a direct path for analysed text."""

    def __init__(self, ix: Any, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = TermPool(self._tempstorage, limitmb)
        fields = dict(self.schema.items())
        self._direct = {
            name
            for name, field in fields.items()
            if isinstance(field, AnalyzedText) and field.direct()
        }
        #: without spelling or vector fields, every document can take the lean path
        self._lean = not any(f.separate_spelling() or f.vector for f in fields.values())

    def add_document(self, **fields: Any) -> None:
        """As ``SegmentWriter.add_document``; boosts, spelling and vectors take Whoosh's path."""
        if not self._lean or any(name[0] == "_" for name in fields):
            super().add_document(**fields)
            return
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        direct = self._direct
        perdocwriter = self.perdocwriter
        names = sorted(fields)
        self._check_fields(schema, names)
        postings = 0
        perdocwriter.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    if name in direct and type(value) is str:
                        table = pool.table(name, field)
                        length, added = field.index_into(value, docnum, table)
                        postings += added
                    else:
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if field.scorable:
                                length += freq
                            pool.add((name, tbytes, docnum, weight, vbytes))
                perdocwriter.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(name, column, field.to_column_value(value))
        except (Exception, MemoryError) as exc:  # one document fails alone
            perdocwriter.cancel_doc()
            self._discard(docnum)
            raise DocumentNotIndexed(f"{type(exc).__name__}: {exc}") from exc
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        pool.grew(postings)

    def _discard(self, docnum: int) -> None:
        """Use up ``docnum`` as an empty, deleted document.

        Some of its postings may already be in the pool (or spilled to a run
        file) when a later field fails: numbering the next document the same
        would give it those postings. As a deleted document of the new segment
        they match nothing (searches skip deleted documents, as after an update).
        """
        self.perdocwriter.start_doc(docnum)
        self.perdocwriter.finish_doc()
        self.newsegment.delete_document(docnum)
        self._added = True
        self.docnum += 1


class _SubWriter(SubWriterTask):  # type: ignore[misc]
    """Whoosh's writer process, writing its own segment with a :class:`FihrisWriter`.

    The process ends when its segment is written, so the cyclic garbage
    collector is off: the pool's term tables are long-lived and acyclic, and
    each full collection walked all of them again.
    """

    def run(self) -> None:
        gc.disable()
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = FihrisWriter(ix, _lk=False, **self.kwargs)
        # multiprocessing ends a forked process with os._exit: freeing millions
        # of pooled postings one by one after the commit would only delay it
        writer.pool.release = False
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)

    def _process_file(self, filename: str, doc_count: int) -> None:
        """Whoosh's job file loop; a document the writer refuses is named on stderr.

        The parent counts the documents of the new index before publishing it, so
        such a run ends with a clear error (exit 3) rather than a missing document.
        """
        writer = self.writer
        tempstorage = writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            for _ in range(doc_count):
                code, args = pickle.load(f)
                assert code == 0
                try:
                    writer.add_document(**args)
                except DocumentNotIndexed as exc:
                    print(f"fihris: {args.get('path')}: not indexed ({exc})", file=sys.stderr)
        tempstorage.delete_file(filename)


class FihrisMpWriter(_GroupedCommit, MpWriter):  # type: ignore[misc]
    """Whoosh's ``MpWriter``, multi-segment, its processes writing with :class:`FihrisWriter`.

    Each process writes a segment of its own (no merge of the processes'
    runs, which ``TermPool`` does not keep); segments the merge policy folds
    into this writer go through a :class:`TermPool` too.
    """

    def __init__(self, ix: Any, procs: int, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, limitmb=limitmb, **kwargs)
        self.pool = TermPool(self._tempstorage, limitmb)

    def _new_task(self) -> _SubWriter:
        task = _SubWriter(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            True,
        )
        self.tasks.append(task)
        task.start()
        return task
