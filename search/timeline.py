"""The timeline facet: matching dispatches per month, or per year over a long span.

Why a month number per document: the date column holds Whoosh longs
(microseconds since 0001-01-01); turning all of them into months since
1970-01 once per generation, with numpy's calendar arithmetic, makes the
timeline of any search one ``bincount`` over the matches, like the year facet.

The rule (documented in the README): per month when the matching dated
dispatches span at most :data:`MAX_MONTHS` months (first to last, inclusive),
per year otherwise. Periods with no dispatch between the first and the last
are listed with a count of 0, so the bars of a chart are evenly spaced in time;
when that would make more than :data:`MAX_PERIODS` periods (dates centuries
apart), only the periods with dispatches are listed. Undated dispatches are
not counted. A dispatch dated only by its year is stored as 1 January and so
counts in January of that year in a monthly timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from search.models import Period

#: The longest span, in months, still shown month by month (three years).
MAX_MONTHS: Final = 36
#: Beyond this many periods, empty ones are left out of the list.
MAX_PERIODS: Final = 120
#: Month number of an undated document.
NO_MONTH: Final = -(2**31)
_NO_DATE: Final = 2**64 - 1
_USECS_PER_DAY: Final = 86_400 * 1_000_000
#: Days from 0001-01-01 (Whoosh's origin) to 1970-01-01 (numpy's).
_EPOCH_DAYS: Final = 719_162

Months = npt.NDArray[np.int64]


def month_numbers(dates: Sequence[int] | npt.NDArray[np.uint64]) -> Months:
    """Months since 1970-01 of each document (``NO_MONTH`` when undated), vectorised."""
    raw = np.asarray(dates, dtype=np.uint64)
    dated = raw != np.uint64(_NO_DATE)
    days = (raw[dated] // np.uint64(_USECS_PER_DAY)).astype(np.int64) - _EPOCH_DAYS
    months = np.full(len(raw), NO_MONTH, dtype=np.int64)
    months[dated] = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months


def _month_name(month: int) -> str:
    year, index = divmod(month, 12)
    return f"{1970 + year:04d}-{index + 1:02d}"


def timeline(months: Months, docnums: npt.NDArray[np.int64]) -> tuple[Period, ...]:
    """Counts of ``docnums`` per month or per year (see the module's rule), oldest first."""
    found = months[docnums]
    found = found[found != NO_MONTH]
    if not len(found):
        return ()
    first, last = int(found.min()), int(found.max())
    if last - first + 1 <= MAX_MONTHS:
        counts = np.bincount(found - first, minlength=last - first + 1).tolist()
        return tuple(Period(_month_name(first + i), n) for i, n in enumerate(counts))
    years = found // 12  # floor division: months before 1970 are negative
    low = int(years.min())
    counts = np.bincount(years - low).tolist()
    keep_empty = len(counts) <= MAX_PERIODS
    return tuple(
        Period(f"{1970 + low + i:04d}", n) for i, n in enumerate(counts) if n or keep_empty
    )
