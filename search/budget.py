"""One time budget per search request, shared by every stage that can take long.

Why one object instead of a deadline for the evaluator alone: the work around
evaluation (prefix expansion, translation, the proximity re-scoring, facets,
snippets, the did-you-mean search) could take seconds on its own, outside any
limit, and the response then said nothing. Each stage asks :meth:`Budget.expired`
before (and, for the loops, during) its work; past the deadline it degrades
instead of running (snippets omitted, suggestion skipped, prefixes not expanded)
and calls :meth:`Budget.cut`, so the response carries one note per cut stage
and ``partial: true``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

#: Seconds one search may take, every stage included (``FIHRIS_TIME_LIMIT``).
DEFAULT_TIME_LIMIT_S: Final = 2.0

#: What each stage gives up when the time is out, as the note shown to the user says it.
DEGRADED: Final = {
    "expansion": "some prefixes were not expanded (or only partly)",
    "translation": "some words were not translated",
    "exclusion": "an excluded prefix (-word*) was not expanded in time, so no result is "
    "shown rather than results it should have excluded",
    "evaluation": "results are partial",
    "proximity": "results were not re-ranked by the nearness of the words",
    "meaning": "results were ranked by their words alone, not by meaning",
    "facets": "facets were not counted",
    "snippets": "snippets were left out of some results",
    "suggestion": "no spelling suggestion was looked for",
}


class Budget:
    """A request's deadline and the stages it cut short. One thread uses it at a time."""

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self.limit_s = limit_s
        self._clock = clock
        self.deadline = clock() + limit_s
        self.cut_stages: list[str] = []

    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self._clock() > self.deadline

    def cut(self, stage: str) -> None:
        """Record that ``stage`` (a key of :data:`DEGRADED`) did less than usual."""
        if stage not in self.cut_stages:
            self.cut_stages.append(stage)

    def check(self, stage: str) -> bool:
        """True (and ``stage`` recorded as cut) when the time is out: skip the stage."""
        if self.expired():
            self.cut(stage)
            return True
        return False

    @property
    def partial(self) -> bool:
        return bool(self.cut_stages)

    def notes(self) -> list[str]:
        """One note per cut stage, in the order they were cut."""
        return [
            f"the search was stopped after {self.limit_s:g} s ({stage}): {DEGRADED[stage]}"
            for stage in self.cut_stages
        ]
