"""Where a piece of a long document body ends: the body is served in pieces.

A 50 MB dispatch marked and serialised at once took seconds and twice its size
in memory; ``SearchEngine.document`` returns at most ``limit`` characters from
``offset``, and the caller asks for the next piece at ``next_offset``.
"""

from __future__ import annotations

from typing import Final

from search.errors import InvalidParameter

#: How far back from the limit a piece may end to end at a space rather than in a word.
MAX_BACKTRACK: Final = 200


def piece_bounds(body: str, offset: int, limit: int | None) -> tuple[int, int]:
    """``(start, end)`` of the piece of ``body`` from ``offset``, at most ``limit`` long.

    The end moves back to just after a space (never more than ``MAX_BACKTRACK``
    characters), so no word is cut in two and its marks stay whole; a piece always
    advances, whatever the text.
    """
    length = len(body)
    if offset < 0 or offset > length:
        raise InvalidParameter(
            f"offset={offset} is outside the document: 0 to {length} (its length in characters)",
            "offset",
        )
    if limit is None or offset + limit >= length:
        return offset, length
    end = offset + limit
    window = max(offset, end - MAX_BACKTRACK)
    space = max(body.rfind(" ", window, end), body.rfind("\n", window, end))
    if space > offset:
        end = space + 1
    return offset, end
