"""Whoosh's ``W3Codec`` with a faster writer: same files, rare terms inlined, small blocks raw.

Writing the postings at commit was half of Whoosh's indexing time, and most of
it per term rather than per byte: an Arabic news vocabulary is mostly words
seen once or twice, and ``W3PostingsWriter`` gives each of them its own block
(pickled info + pickled data + a fresh zlib stream) while
``FieldWriter.add_postings`` reads the field-length column once per posting.
This codec changes how the files are written, not what they mean:

- terms with fewer than ``inlinelimit`` postings are stored inside their term
  info, a layout ``W3Codec`` can read (``W3TermInfo.set_inlined`` /
  ``W3Codec.postings_reader``) but cannot write: its ``finish_postings`` calls
  a ``set_inline`` method that does not exist, so ``inlinelimit > 1`` crashes;
- a block is compressed only when its pickle is large enough to gain from it
  (``W3PostingsWriter._write_block`` means to skip tiny ones but overwrites the
  decision); the block header records ``0`` and ``W3LeafMatcher`` reads it raw;
- ``add_postings`` groups a term's postings and writes its blocks whole, with
  the field lengths of the segment read once per field.

Readers are ``W3Codec``'s, unchanged. Whoosh pickles the codec into each
segment of the table of contents (``W3Segment._codec``), so this class lives at
a stable import path; its tuning attributes have class defaults so a segment
pickled by an older version still loads.
"""

from __future__ import annotations

import gc
import zlib
from array import array
from collections.abc import Iterable, Sequence
from hashlib import md5
from itertools import groupby
from operator import itemgetter, sub
from struct import Struct
from typing import Any, Final, cast

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.compat import dumps
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _ENTRY_HEADER
from whoosh.filedb.filetables import _pointer as _POINTER
from whoosh.matching import ListMatcher
from whoosh.system import emptybytes, pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import GrowableArray

#: Terms with fewer postings than this are stored in the term table (no block).
INLINE_LIMIT: Final = 8
#: Pickled blocks shorter than this (bytes) are written uncompressed.
COMPRESS_MIN: Final = 256

#: ``(fieldname, term bytes, docnum, weight, value)``: a posting of the writer's pool.
PoolPosting = tuple[str, bytes, int, float, bytes | None]
#: ``(fieldname, term bytes, docnums, weights, values)``: one term's postings, in document order.
TermRow = tuple[str, bytes, Sequence[int], Sequence[float], Sequence[bytes | None]]
_FIELD_TERM: Final = itemgetter(0, 1)
#: The fixed part of a term info (``W3TermInfo._struct``: flags, weight, doc
#: frequency, min/max length bytes, max weight, first/last document).
_TERMINFO: Final = W3TermInfo._struct


class _LengthBytes(dict[int | None, int]):
    """``length_to_byte`` memoised: field lengths repeat, and it is a Python call each time."""

    def __missing__(self, length: int | None) -> int:
        byte: int = length_to_byte(length)
        self[length] = byte
        return byte


_BYTE_OF: Final = _LengthBytes()


class FihrisCodec(W3Codec):  # type: ignore[misc]
    """``W3Codec`` whose writers inline rare terms and skip compressing small blocks."""

    _compress_min: int = COMPRESS_MIN

    def __init__(
        self,
        blocklimit: int = 128,
        compression: int = 3,
        inlinelimit: int = INLINE_LIMIT,
        compress_min: int = COMPRESS_MIN,
    ) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)
        self._compress_min = compress_min

    def field_writer(self, storage: Any, segment: Any) -> FihrisFieldWriter:
        return FihrisFieldWriter(self, storage, segment)

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        """As ``W3Codec``'s, but an inlined term without values reads as ``None`` values.

        Whoosh never inlines, so its ``ListMatcher`` answers ``""`` (a str) for a
        posting without a value; a merge of segments (``MERGE_SMALL``, after a few
        incremental updates) then fails on ``assert isinstance(vbytes, bytes)``.
        ``None`` is what ``W3LeafMatcher`` answers for the same postings in a block.
        Done on reading, so segments written before this fix merge too.
        """
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(
                ids,
                weights,
                values or (None,) * len(ids),
                format_,
                scorer=scorer,
                term=term,
                terminfo=terminfo,
            )
        return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> FihrisPostingsWriter:
        return FihrisPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
            compress_min=self._compress_min,
        )


class FihrisPostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """``W3PostingsWriter`` with working inlining, raw small blocks and whole-term writes."""

    def __init__(
        self,
        postfile: Any,
        blocklimit: int,
        byteids: bool = False,
        compression: int = 3,
        inlinelimit: int = 1,
        compress_min: int = COMPRESS_MIN,
    ) -> None:
        super().__init__(postfile, blocklimit, byteids, compression, inlinelimit)
        self._compress_min = compress_min

    def finish_postings(self) -> W3TermInfo:
        """As Whoosh's, calling ``set_inlined`` (the method ``W3TermInfo`` has)."""
        terminfo: Any = getattr(self, "_terminfo")  # noqa: B009 (untyped base class)
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            start = self._startoffset
            terminfo.set_extent(start, self._postfile.tell() - start)
        self._terminfo = None
        return terminfo

    def write_term(
        self,
        format_: Any,
        ids: list[int],
        weights: list[float],
        values: list[bytes],
        lengths: list[int | None],
    ) -> W3TermInfo:
        """All postings of one term at once: what ``start_postings``, one
        ``add_posting`` per posting and ``finish_postings`` write, block for block.
        """
        terminfo = W3TermInfo()
        self._format = format_
        self._terminfo = terminfo
        self._blockcount = 0
        count = len(ids)
        if count < self._inlinelimit:
            self._fill(ids, weights, values, lengths)
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            start = self._postfile.tell()
            limit = self._blocklimit
            written = 0
            for i in range(0, count, limit):
                j = i + limit
                self._fill(ids[i:j], weights[i:j], values[i:j], lengths[i:j])
                written += self._write_block(last=j >= count)
            terminfo.set_extent(start, written)
        self._terminfo = None
        self._new_block()
        return terminfo

    def _fill(
        self,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        lengths: Sequence[int | None],
    ) -> None:
        """Set the buffered block as ``add_posting`` would have built it."""
        self._ids = list(ids) if self._byteids else array("I", ids)
        self._weights = array("f", weights)
        # add_posting keeps only non-empty values and lengths
        self._values = list(values) if all(values) else [v for v in values if v]
        known = list(filter(None, lengths))
        self._minlength = min(known) if known else None
        self._maxlength = max(known) if known else 0
        top = max(weights)
        self._maxweight = top if top > 0 else 0

    def _mini_ids(self) -> tuple[int, ...]:
        """As Whoosh's (ids delta-encoded unless they are bytes), subtracting in C."""
        ids = self._ids
        if self._byteids:
            return tuple(ids)
        return (ids[0], *map(sub, ids[1:], ids))

    def _mini_weights(self) -> tuple[float, ...] | float | None:
        """As Whoosh's (``None`` if all 1.0, one number if all equal), counting in C."""
        weights = self._weights
        size = len(weights)
        if weights.count(1.0) == size:
            return None
        if weights.count(weights[0]) == size:
            return float(weights[0])
        return tuple(weights)

    def _write_block(self, last: bool = False) -> int:
        """As Whoosh's, but a pickle shorter than ``compress_min`` stays raw
        (the block header says so and ``W3LeafMatcher`` reads it as such).
        Returns the number of bytes written.
        """
        written = 0
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
            written = len(WHOOSH3_HEADER_MAGIC)
        terminfo: Any = self._terminfo
        terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = dumps(data, 2)
        comp = self._compression if len(databytes) >= self._compress_min else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                _BYTE_OF[self._minlength],
                _BYTE_OF[self._maxlength],
            ),
            2,
        )
        blocklength = len(infobytes) + len(databytes)
        if last:
            blocklength = -blocklength
        block = pack_int(blocklength) + infobytes + databytes
        self._postfile.write(block)
        self._blockcount += 1
        self._new_block()
        return written + len(block)


class _TermTable(OrderedHashWriter):  # type: ignore[misc]
    """``OrderedHashWriter`` with the same bytes and fewer calls per entry.

    One ``write`` per entry and per hash bucket (Whoosh writes each of the
    2 × entries hash slots on its own), positions counted instead of asked
    of the file, the MD5 slot hash read from the digest's bytes (Whoosh
    parses its hex string), and the key offsets kept in a plain list until
    the index array is written. ``_start`` must run before the first entry.
    """

    _pos: int
    _offsets: list[int]

    def _start(self) -> None:
        self._pos = self.dbfile.tell()
        self._offsets = []

    def add(self, key: bytes, value: bytes) -> None:
        lastkey: bytes = getattr(self, "lastkey")  # noqa: B009 (untyped base class)
        if key <= lastkey:
            raise ValueError(f"Keys must increase: {lastkey!r}..{key!r}")
        pos = self._pos
        entry = _ENTRY_HEADER.pack(len(key), len(value)) + key + value
        self.dbfile.write(entry)
        self._pos = pos + len(entry)
        self._offsets.append(pos)
        h = _md5_low32(key) if self.hashtype == 0 else self.hashfn(key)
        self.buckets[h & 255].append((h, pos))
        self.lastkey = key

    def _write_hashes(self) -> None:
        """Whoosh's open-addressing tables, slot for slot, one ``write`` per bucket."""
        dbfile = self.dbfile
        pack = _POINTER.pack
        null = (0, 0)
        for entries in self.buckets:
            numslots = 2 * len(entries)
            self.directory.append((dbfile.tell(), numslots))
            table = [null] * numslots
            for hashval, position in entries:
                slot = (hashval >> 8) % numslots
                while table[slot] != null:
                    slot = (slot + 1) % numslots
                table[slot] = (hashval, position)
            dbfile.write(b"".join([pack(h, at) for h, at in table]))

    def _write_extras(self) -> None:
        """The index array as ``GrowableArray`` would have grown it (offsets only increase)."""
        last = self._offsets[-1] if self._offsets else 0
        code = "H" if last < 1 << 16 else "i" if last < 1 << 31 else "I" if last < 1 << 32 else "q"
        index = GrowableArray("H")
        index.array = array(code, self._offsets)
        self.index = index
        super()._write_extras()


def _md5_low32(key: bytes) -> int:
    """``whoosh.filedb.filetables.md5_hash``: the digest's last four bytes, big-endian."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")


class FihrisFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """``W3FieldWriter`` whose ``add_postings`` writes a term's postings in one call."""

    def __init__(self, codec: FihrisCodec, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        # Same file and layout, one write per entry: swap the term table's class
        # before any entry is added (W3FieldWriter.__init__ wrote only its header).
        self._tindex.__class__ = _TermTable
        self._tindex._start()
        self._lengths: list[int | None] = []
        self._lengths_of: Any = None

    def add_postings(self, schema: Any, lengths: Any, items: Iterable[PoolPosting]) -> None:
        """The postings of Whoosh's pool, sorted by field, term and document.

        Whoosh's version makes four method calls and a column read per
        posting; this one collects each term's postings and writes them whole
        (:meth:`add_terms`). Whoosh's own writers call it: merges and readers
        added to a writer.
        """
        grouped = (
            (fieldname, btext, *zip(*((p[2], p[3], p[4]) for p in group), strict=False))
            for (fieldname, btext), group in groupby(items, _FIELD_TERM)
        )
        self.add_terms(schema, lengths, grouped)

    def add_terms(self, schema: Any, lengths: Any, terms: Iterable[TermRow]) -> None:
        """Every term's postings, sorted by field then term: ``index.writer.TermPool``'s output.

        The cyclic garbage collector is paused meanwhile: nothing written here
        forms a cycle, and each full collection would walk the whole pool
        (millions of postings) and the analysis caches again; it cost a third
        of the commit.
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            self._add_terms(schema, lengths, terms)
        finally:
            if paused:
                gc.enable()

    def _add_terms(self, schema: Any, lengths: Any, terms: Iterable[TermRow]) -> None:
        lastfn: str | None = None
        lasttext = b""
        for fieldname, btext, ids, weights, values in terms:
            if fieldname != lastfn:
                if lastfn is not None:
                    if fieldname < lastfn:
                        raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                self._load_lengths(lengths, fieldname)
                lastfn = fieldname
            elif btext <= lasttext:
                raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {btext!r}")
            lasttext = btext
            if ids[0] == -1:  # Whoosh's marker of a spelling-only word: not a posting
                kept = [p for p in zip(ids, weights, values, strict=False) if p[0] != -1]
                if not kept:
                    continue
                ids, weights, values = zip(*kept, strict=False)
            if None in values:
                values = [emptybytes if v is None else v for v in values]
            self._write_term(btext, ids, weights, cast("Sequence[bytes]", values))
        if lastfn is not None:
            self.finish_field()

    def _load_lengths(self, lengths: Any, fieldname: str) -> None:
        """Read the field's length of every document once (Whoosh reads it per posting)."""
        if lengths is None:
            self._lengths, self._lengths_of = [], lambda docnum: 0
            return
        dfl = lengths.doc_field_length
        self._lengths = [dfl(d, fieldname) for d in range(lengths.doc_count_all())]
        self._lengths_of = lambda docnum: dfl(docnum, fieldname)

    def _write_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
    ) -> None:
        known = self._lengths
        count = len(known)
        if ids[-1] < count:  # ids increase: every length was read up front
            lengths: list[int | None] = list(map(known.__getitem__, ids))
        else:
            lengths = [known[d] if d < count else self._lengths_of(d) for d in ids]
        if len(ids) < self._postwriter._inlinelimit:
            info = (
                _hapax_info(ids[0], weights[0], values[0], lengths[0])
                if len(ids) == 1
                else _inlined_info(ids, weights, values, lengths)
            )
        else:
            terminfo = self._postwriter.write_term(self._format, ids, weights, values, lengths)
            info = terminfo.to_bytes()
        self._btext = btext
        self._tindex.add(pack_ushort(self._fieldid) + btext, info)


def _inlined_info(
    ids: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    lengths: Sequence[int | None],
) -> bytes:
    """``W3TermInfo.to_bytes()`` of a term whose postings are inlined, computed directly.

    Field by field what ``FihrisPostingsWriter.write_term`` (``_fill``,
    ``W3TermInfo.add_block``, ``set_inlined``) would store: weights rounded to
    32-bit floats as in Whoosh's blocks, statistics over the non-zero lengths.
    """
    weights32 = tuple(array("f", weights))
    known = list(filter(None, lengths))
    top = max(weights)
    header = _TERMINFO.pack(
        True,
        sum(weights32),
        len(ids),
        _BYTE_OF[min(known)] if known else 0,
        _BYTE_OF[max(known) if known else 0],
        top if top > 0 else 0,
        ids[0],
        ids[-1],
    )
    kept = tuple(values) if all(values) else tuple(v for v in values if v)
    body: bytes = dumps((tuple(ids), weights32, kept), 2)
    return bytes(header) + body


#: ``(weight, value)`` → the pickle of a one-posting term after its document
#: number: the same for every document (the memo numbering does not depend on it).
_HAPAX_TAILS: dict[tuple[float, bytes], bytes] = {}
_HAPAX_TAILS_SIZE: Final = 100_000
_FLOAT32: Final = Struct("f")
_PICKLE_INT: Final = ((0xFF, b"K", Struct("<B")), (0xFFFF, b"M", Struct("<H")))
_PICKLE_INT4: Final = Struct("<i")


def _hapax_info(docnum: int, weight: float, value: bytes, length: int | None) -> bytes:
    """``_inlined_info`` of a term with one posting (half of a vocabulary), without pickling.

    The pickle of ``((docnum,), (weight32,), (value,))`` is its protocol-2
    header, the document number's opcode and a tail that depends only on the
    weight and the value, kept from the first time they were pickled.
    """
    weight32: float = _FLOAT32.unpack(_FLOAT32.pack(weight))[0]
    header = _TERMINFO.pack(
        True,
        weight32,
        1,
        _BYTE_OF[length] if length else 0,
        _BYTE_OF[length or 0],
        weight if weight > 0 else 0,
        docnum,
        docnum,
    )
    tail = _HAPAX_TAILS.get((weight32, value))
    if tail is None:
        kept = (value,) if value else ()
        tail = dumps(((0,), (weight32,), kept), 2)[4:]  # after PROTO 2 and BININT1 0
        if len(_HAPAX_TAILS) >= _HAPAX_TAILS_SIZE:
            _HAPAX_TAILS.clear()
        _HAPAX_TAILS[(weight32, value)] = tail
    for limit, opcode, packer in _PICKLE_INT:
        if docnum <= limit:
            number = opcode + packer.pack(docnum)
            break
    else:
        number = b"J" + _PICKLE_INT4.pack(docnum)
    return bytes(header) + b"\x80\x02" + number + tail
