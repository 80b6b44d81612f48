"""Background re-indexing: one owner for "run an update now" and "every N seconds".

The web app never indexes on a request thread: ``POST /api/reindex`` and the
periodic timer both ask the :class:`Reindexer`, which runs at most one update at
a time in its own thread and remembers how the last run went for ``/api/status``.
Searches keep using the engine, which sees the new generation once it is published.

The schedule is also written to ``schedule.json`` in the index directory (pid,
period, next run), so ``fihris status`` in another process can show the next
run of the server that owns it; the file is removed when the timer stops and
ignored once its process is gone.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index import DEFAULT_MAX_DOCUMENT_BYTES, FihrisError, RunStats, update_index

log = logging.getLogger("fihris.reindex")

UpdateFn = Callable[[Path, Path], RunStats]
SCHEDULE_FILE = "schedule.json"


def _default_update(
    corpus: Path, index_dir: Path, max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
) -> RunStats:
    """Wait a little for a writer in another process (cron) instead of failing at once.

    One writer process (``procs=1``): a large batch would otherwise fork writer
    processes from this multi-threaded server, and a fork copies whatever locks
    the search threads hold at that instant (a child can deadlock on them).
    No ``prepare``: the new generation is published at once and its story links
    are computed by the serving engine in the background, reusing the previous
    generation's per-document results the update carried over (a run in this
    process stays short; ``fihris index update`` from cron writes them first).
    """
    return update_index(
        corpus,
        index_dir,
        wait=30.0,
        procs=1,
        max_document_bytes=max_document_bytes,
    )


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def read_schedule(index_dir: Path) -> dict[str, Any] | None:
    """The schedule a live ``fihris serve --reindex-every`` wrote, or ``None``."""
    try:
        data = json.loads((index_dir / SCHEDULE_FILE).read_text("utf-8"))
        pid = int(data["pid"])
        os.kill(pid, 0)  # signal 0: only "does this process exist"
    except ProcessLookupError:
        return None  # a server that died without cleaning up: no schedule
    except PermissionError:
        pass  # it exists, run by another user
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if isinstance(data, dict) else None


class Reindexer:
    """Runs incremental updates in a background thread, one at a time."""

    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        every: float | None = None,
        update: UpdateFn | None = None,
        max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    ) -> None:
        self.corpus_dir, self.index_dir, self.every = corpus_dir, index_dir, every
        self._update: UpdateFn = update or functools.partial(
            _default_update, max_document_bytes=max_document_bytes
        )
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._next_run: float | None = None
        self._last: dict[str, Any] | None = None
        self._started: float | None = None
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
        self._write_schedule()
        self._timer = threading.Thread(target=self._tick, name="fihris-timer", daemon=True)
        self._timer.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the timer and wait (bounded) for a running update to finish."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout)
            self._timer = None
            with contextlib.suppress(OSError):
                (self.index_dir / SCHEDULE_FILE).unlink()
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
            "running_since": _iso(self._started) if self.running else None,
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
            self._write_schedule()

    def _write_schedule(self) -> None:
        """Best effort: a read-only index directory only loses the CLI's "next run"."""
        data = {"pid": os.getpid(), "every_s": self.every, "next_run": _iso(self._next_run)}
        tmp = self.index_dir / f"{SCHEDULE_FILE}.{os.getpid()}.tmp"
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(data), "utf-8")
            os.replace(tmp, self.index_dir / SCHEDULE_FILE)

    def _run(self) -> None:
        started = self._started = time.time()
        try:
            stats = self._update(self.corpus_dir, self.index_dir)
            # counts only: the failures, with paths and reasons, are in the index's status
            report: dict[str, Any] = {"ok": True, **stats.to_dict()}
            report.pop("problems", None)
        except FihrisError as exc:  # locked, read-only, corpus gone: the old index keeps serving
            log.warning("re-index failed: %s", exc)
            report = {"ok": False, "started": _iso(started), "error": str(exc)}
        except Exception as exc:  # never let the thread die silently
            log.exception("re-index crashed")
            # the status endpoint is public: the type only, the details are in the log
            error = f"internal error ({type(exc).__name__}); see the server log"
            report = {"ok": False, "started": _iso(started), "error": error}
        report["finished"] = _iso(time.time())
        report.setdefault("duration_s", round(time.time() - started, 3))
        self._last = report
        self._started = None
        self.runs += 1
