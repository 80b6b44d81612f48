"""A bound on concurrent expensive requests: searches, document renders, exports.

Each of these is CPU-bound Python: with two cores, a third one at once only makes
all of them slower, and each holds its own postings, snippets and JSON in memory
(four worst-case searches took normal ones from 84 ms to 1.6 s and the server
from 0.7 to 3 GB). The gate lets ``limit`` run at once; the others wait their
turn, first come first served, up to ``wait`` seconds, then get a 503 with
``Retry-After`` in the error shape, so a client learns at once that the server is
saturated instead of queueing without end. Cheap requests (``/healthz``,
``/api/status``, static files, the search page without a query) never wait.

Handlers mark themselves with ``opt={COST: "search"}`` or ``"document"``; the
middleware reads that mark from the matched route. A search without a query is
not expensive and passes freely.

The gate is a lock, a counter and a queue of waiters, each woken on its own event
loop (``call_soon_threadsafe``): one app can be served from several loops (the
test client's thread and uvicorn's), and an ``asyncio.Semaphore`` belongs to one.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

from litestar.types import ASGIApp, Receive, Scope, Send

from web.errors import ApiError

#: The ``opt`` key that marks a route handler as expensive ("search" or "document").
COST: Final = "cost"


@dataclass(eq=False)
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    granted: bool = False  # set under the gate's lock when a slot is handed over


@dataclass(eq=False)
class CostGate:
    """At most ``limit`` holders at once; others wait up to ``wait`` seconds, in order.

    Heavy requests (prefix searches, ``word*``: hundreds of terms to read, score
    and mark) hold at most :attr:`heavy_limit` slots, ``limit - 1`` (at least
    one), and a freed slot goes to a waiting normal request before a heavy one: four
    clients sending worst-case prefix queries can then never take every slot, and
    a normal search waits for none of them (README, "Bounded cost").
    """

    limit: int
    wait: float
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _running: int = 0
    _heavy_running: int = 0
    _waiters: deque[_Waiter] = field(default_factory=deque, repr=False)
    _heavy_waiters: deque[_Waiter] = field(default_factory=deque, repr=False)

    @property
    def heavy_limit(self) -> int:
        return max(1, self.limit - 1)

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiters) + len(self._heavy_waiters)

    def _free_for(self, heavy: bool) -> bool:
        if self._running >= self.limit or self._waiters:
            return False
        return not heavy or (self._heavy_running < self.heavy_limit and not self._heavy_waiters)

    async def acquire(self, heavy: bool = False) -> bool:
        """Take a slot, waiting up to ``wait`` seconds; ``False`` if none came free."""
        loop = asyncio.get_running_loop()
        queue = self._heavy_waiters if heavy else self._waiters
        with self._lock:
            if self._free_for(heavy):
                self._running += 1
                self._heavy_running += heavy
                return True
            waiter = _Waiter(loop, loop.create_future())
            queue.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), self.wait)
        except TimeoutError:
            with self._lock:
                if not waiter.granted:
                    queue.remove(waiter)
                    return False
            # handed a slot just as the wait ended: it is ours
        except asyncio.CancelledError:  # the request was cancelled while waiting
            with self._lock:
                granted = waiter.granted
                if not granted:
                    queue.remove(waiter)
            if granted:
                self.release(heavy)
            raise
        return True

    def release(self, heavy: bool = False) -> None:
        """Give a slot back: to the first normal waiter whose loop still runs, else to
        the first heavy one if a heavy slot is free, else to the pool."""
        with self._lock:
            self._heavy_running -= heavy
            if self._hand_over(self._waiters):
                return
            if self._heavy_running < self.heavy_limit and self._hand_over(self._heavy_waiters):
                self._heavy_running += 1
                return
            self._running -= 1

    @staticmethod
    def _hand_over(queue: deque[_Waiter]) -> bool:
        while queue:
            waiter = queue.popleft()
            try:
                waiter.loop.call_soon_threadsafe(_wake, waiter.future)
            except RuntimeError:  # its event loop is closed: nobody is waiting there
                continue
            waiter.granted = True
            return True
        return False

    def retry_after(self) -> int:
        """Seconds a refused client should wait (the header wants a whole number)."""
        return max(1, math.ceil(self.wait))


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _query(scope: Scope) -> str:
    query = scope.get("query_string") or b""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return " ".join(value for name, value in pairs if name == "q").strip()


def cost_of(scope: Scope) -> str | None:
    """What kind of expensive request this is (``"search"``, ``"prefix search"``,
    ``"document"``), or ``None`` for a cheap one."""
    handler: Any = scope.get("route_handler")
    kind = handler.opt.get(COST) if handler is not None else None
    if kind == "search":
        q = _query(scope)
        if not q:
            return None  # the search page or API without a query: the index summary only
        return "prefix search" if "*" in q else kind
    return kind if isinstance(kind, str) else None


def gate_middleware(gate: CostGate) -> Any:
    """Litestar middleware (app level): expensive routes go through ``gate``."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            kind = cost_of(scope)
            if kind is None:
                await app(scope, receive, send)
                return
            heavy = kind == "prefix search"
            if not await gate.acquire(heavy):
                running = (
                    f"prefix searches (word*) run {gate.heavy_limit} at a time"
                    if heavy
                    else f"{gate.limit} searches or document renders are running"
                )
                raise ApiError(
                    503,
                    "busy",
                    f"the server is busy: {running} and none finished within "
                    f"{gate.wait:g} s; retry in {gate.retry_after()} s",
                    headers={"Retry-After": str(gate.retry_after())},
                )
            try:
                await app(scope, receive, send)
            finally:
                gate.release(heavy)

        return handle

    return middleware
