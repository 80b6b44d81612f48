"""Arrays of a generation's files read in place: an uncompressed ``.npz``, memory-mapped.

Why: what a generation derives from its index at build time (completions, story
links, related dispatches) used to be read whole into Python objects at start, so a
server's memory grew with the collection, most of it never touched by a query. An
uncompressed ``.npz`` (``np.savez``) stores each array as a plain ``.npy`` member of a
zip file; mapping each member where it lies keeps the arrays on disk, and only the
pages a search reads (a binary search touches a few) become resident, shared
with the page cache and dropped by the kernel first under pressure.

The file is checked as it is mapped: every member stored (not compressed), a
``.npy`` header, no Python objects, its data inside the member. Anything else
raises :class:`MappedFileError` naming the file and what is wrong; callers read
the file again the slow way or rebuild it, never crash. The generation's files are
replaced atomically, never written in place, so a mapping never sees a file change.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.lib.format as npy

#: A zip member's local header: signature, versions, flags… then name and extra lengths.
_LOCAL_HEADER: Final = 30
_LOCAL_SIGNATURE: Final = b"PK\x03\x04"


class MappedFileError(ValueError):
    """A derived file that cannot be mapped: damaged, compressed or not what was written."""


def write_npz(path: Path, arrays: Mapping[str, Any]) -> bool:
    """Write ``arrays`` as an uncompressed ``.npz`` at ``path``, atomically; False if it failed.

    Uncompressed so that :func:`map_npz` can map it. Written beside under a
    temporary name then renamed: a reader never sees half a file, and the new
    inode never writes into a file an update hard-linked from the previous
    generation. An unwritable folder is not an error here: the file is derived
    and is computed again when absent.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False


def map_npz(path: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Each array of the uncompressed ``.npz`` at ``path``, read-only, mapped in place.

    Keys are the names given to ``np.savez`` (without ``.npy``). Raises
    :class:`MappedFileError` for a file that is not such an archive, and ``OSError``
    when it cannot be read at all (absent included).
    """
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
            for info in archive.infolist():
                name = info.filename.removesuffix(".npy")
                arrays[name] = _member(path, handle, info, size)
    except (zipfile.BadZipFile, EOFError, struct.error) as exc:
        raise MappedFileError(f"{path}: not a readable archive of arrays ({exc})") from None
    except ValueError as exc:  # numpy's header checks, our own
        if isinstance(exc, MappedFileError):
            raise
        raise MappedFileError(f"{path}: {exc}") from None
    return arrays


def _member(path: Path, handle: Any, info: zipfile.ZipInfo, size: int) -> np.ndarray[Any, Any]:
    """One ``.npy`` member mapped where its data lies inside the archive."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise MappedFileError(f"{path}: {info.filename} is compressed, so it cannot be mapped")
    handle.seek(info.header_offset)
    local = handle.read(_LOCAL_HEADER)
    if len(local) != _LOCAL_HEADER or local[:4] != _LOCAL_SIGNATURE:
        raise MappedFileError(f"{path}: {info.filename}: damaged zip header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    start = info.header_offset + _LOCAL_HEADER + name_length + extra_length
    handle.seek(start)
    version = npy.read_magic(handle)
    if version == (1, 0):
        shape, fortran, dtype = npy.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, fortran, dtype = npy.read_array_header_2_0(handle)
    else:
        raise MappedFileError(f"{path}: {info.filename}: .npy version {version} not read")
    if dtype.hasobject:
        raise MappedFileError(f"{path}: {info.filename} holds Python objects")
    offset = handle.tell()
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if offset + nbytes > min(start + info.file_size, size):
        raise MappedFileError(f"{path}: {info.filename} is truncated")
    if nbytes == 0:
        return np.zeros(shape, dtype)
    order: Literal["F", "C"] = "F" if fortran else "C"
    mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)
    return np.asarray(mapped)  # a plain read-only view: no memmap subclass on every slice
