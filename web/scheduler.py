"""Background re-indexing: one owner for "run an update now" and "every N seconds".

The web app never indexes on a request thread: ``POST /api/reindex`` and the
periodic timer both ask the :class:`Reindexer`, which runs at most one update at
a time in its own thread and remembers how the last run went for ``/api/status``.
Searches keep using the engine, which sees the new generation once it is published.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index import FihrisError, RunStats, update_index

log = logging.getLogger("fihris.reindex")

UpdateFn = Callable[[Path, Path], RunStats]


def _default_update(corpus: Path, index_dir: Path) -> RunStats:
    # wait a little for a writer in another process (cron) instead of failing at once
    return update_index(corpus, index_dir, wait=30.0)


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


class Reindexer:
    """Runs incremental updates in a background thread, one at a time."""

    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        every: float | None = None,
        update: UpdateFn = _default_update,
    ) -> None:
        self.corpus_dir, self.index_dir, self.every = corpus_dir, index_dir, every
        self._update = update
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._next_run: float | None = None
        self._last: dict[str, Any] | None = None
        self.runs = 0

    # -- control -----------------------------------------------------------
    def trigger(self) -> bool:
        """Start an update now; ``False`` when one is already running."""
        with self._lock:
            if self._running is not None and self._running.is_alive():
                return False
            self._running = threading.Thread(target=self._run, name="fihris-reindex", daemon=True)
            self._running.start()
            return True

    def start(self) -> None:
        """Start the periodic timer (a no-op when ``every`` is ``None``)."""
        if self.every is None or self._timer is not None:
            return
        self._stop.clear()
        self._next_run = time.time() + self.every
        self._timer = threading.Thread(target=self._tick, name="fihris-timer", daemon=True)
        self._timer.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the timer and wait (bounded) for a running update to finish."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout)
            self._timer = None
        running = self._running
        if running is not None:
            running.join(timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current update (if any) is over: for tests and shutdown."""
        running = self._running
        if running is not None:
            running.join(timeout)

    # -- status ------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running is not None and self._running.is_alive()

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "every_s": self.every,
            "next_run": _iso(self._next_run) if self.every is not None else None,
            "runs": self.runs,
            "last_run": self._last,
        }

    # -- internals -----------------------------------------------------------
    def _tick(self) -> None:
        assert self.every is not None
        while not self._stop.wait(max(0.0, (self._next_run or 0.0) - time.time())):
            self.trigger()
            self._next_run = time.time() + self.every

    def _run(self) -> None:
        started = time.time()
        try:
            stats = self._update(self.corpus_dir, self.index_dir)
            report: dict[str, Any] = {"ok": True, **stats.to_dict()}
        except FihrisError as exc:  # locked, read-only, corpus gone: the old index keeps serving
            log.warning("re-index failed: %s", exc)
            report = {"ok": False, "started": _iso(started), "error": str(exc)}
        except Exception as exc:  # never let the thread die silently
            log.exception("re-index crashed")
            report = {"ok": False, "started": _iso(started), "error": f"internal error: {exc}"}
        report["finished"] = _iso(time.time())
        report.setdefault("duration_s", round(time.time() - started, 3))
        self._last = report
        self.runs += 1
