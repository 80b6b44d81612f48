"""The scale benchmark's synthetic archive grows in time, as a real one does."""

from __future__ import annotations

from datetime import date

import pytest

from bench import data, scale_data

pytestmark = pytest.mark.skipif(not data.snn_available(), reason="SaudiNewsNet absent")


def _day(doc: dict[str, object]) -> date:
    return date.fromisoformat(str(doc["date"])[:10])


def test_each_pass_over_the_sources_is_dated_one_span_later() -> None:
    first = list(scale_data.generate(2000, start=0))
    # 43,000 documents on: the same sources again, in the next period
    period = round(30_100 / scale_data.ARABIC_SHARE)
    later = list(scale_data.generate(2000, start=period))
    assert max(map(_day, first)) < min(map(_day, later))
    # a copy of the same source document is 22 days (the sources' span) later
    assert (_day(later[0]) - _day(first[0])).days == 22
    assert later[0]["id"] == f"{first[0]['id']}~r1"


def test_documents_are_fixed_by_their_number() -> None:
    # the 1% an update adds (start=size) must be the same documents in every run
    a = list(scale_data.generate(50, start=100_000))
    b = list(scale_data.generate(50, start=100_000))
    assert a == b
    assert all(doc["date"] for doc in a)
