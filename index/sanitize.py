"""Hostile input made safe before it reaches the index: bad Unicode, bad names, huge lines.

Why a module of its own: each of these once stopped a whole run with a
traceback. JSON can carry lone surrogates (``"\\ud800"`` is valid JSON but not
valid Unicode, so encoding it to UTF-8 fails deep in the writer); POSIX file
names are bytes, and Python hands undecodable ones over as surrogate escapes;
a stream line has no natural size limit, so one 3 GiB line (a gzip bomb) would
be read into memory whole. Everything here is repaired or measured *before*
a document exists, so one bad document is reported alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import IO, Any, Final

#: A UTF-16 surrogate code point: never valid on its own in a Python str meant for UTF-8.
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
#: What a lone surrogate becomes: the Unicode replacement character.
REPLACEMENT: Final = "\ufffd"
#: Bytes read at a time while skipping through an oversized line.
SKIP_CHUNK: Final = 1 << 20


def repair_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` (a JSON value) with every lone surrogate replaced by U+FFFD, and their count.

    Keys are repaired too: metadata keys end up stored in the index. JSON's
    surrogate *pairs* were already joined by the parser, so what is left is lone.
    """
    if isinstance(value, str):
        fixed, count = _SURROGATE.subn(REPLACEMENT, value)
        return fixed, count
    if isinstance(value, dict):
        total = 0
        out: dict[str, Any] = {}
        for key, item in value.items():
            new_key, n_key = repair_surrogates(key)
            new_item, n_item = repair_surrogates(item)
            out[new_key] = new_item
            total += n_key + n_item
        return (out, total) if total else (value, 0)
    if isinstance(value, list):
        items = [repair_surrogates(item) for item in value]
        total = sum(n for _, n in items)
        return ([item for item, _ in items], total) if total else (value, 0)
    return value, 0


def safe_name(name: str) -> tuple[str, bool]:
    """A corpus-relative path as a valid UTF-8 id, and whether it had to be repaired.

    Undecodable bytes (surrogate escapes from the file system) become ``%XX``
    (upper-case hex), so ``b"\\xff.txt"`` is the stable id ``%FF.txt``: unlike
    U+FFFD, two different bad names stay two different ids. A literal ``%`` is
    left alone, so a file really named ``%FF.txt`` would collide with it; the
    second one is then reported as a duplicate id, never silently merged.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return name, False
    raw = os.fsencode(name)
    decoded = raw.decode("utf-8", errors="surrogateescape")
    fixed = "".join(
        f"%{ord(ch) - 0xDC00:02X}" if "\udc80" <= ch <= "\udcff" else ch for ch in decoded
    )
    # anything still unencodable (a surrogate that was not an escape) is replaced
    return _SURROGATE.sub(REPLACEMENT, fixed), True


def bounded_lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """``(line number, line, size)`` of a byte stream; ``line`` is ``None`` past ``limit`` bytes.

    At most ``limit + 1`` bytes of a line are ever held: an oversized line is
    read through in :data:`SKIP_CHUNK` pieces and only its size is kept, so a
    3 GiB line inflated from a small gzip costs megabytes, not gigabytes.
    ``size`` counts the line's bytes without its newline. Errors of the stream
    (a truncated gzip) propagate to the caller, who knows the file.
    """
    lineno = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if line.endswith(b"\n"):
            yield lineno, line[:-1], len(line) - 1
            continue
        if len(line) <= limit:  # the last line, without a newline
            yield lineno, line, len(line)
            return
        size = len(line)
        del line
        ended = False
        while not ended:
            piece = stream.readline(SKIP_CHUNK)
            if not piece:
                break
            ended = piece.endswith(b"\n")
            size += len(piece) - (1 if ended else 0)
        yield lineno, None, size
        if not ended:
            return


def describe_size(size: int) -> str:
    """A byte count for people: ``3.0 GiB``, ``16 MiB``, ``512 bytes``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"
