"""How the app is served: uvicorn with an h11 protocol that guards the connection itself.

Some rules of HTTP/1.1 can only be kept where the connection lives, below the
ASGI app (which sees requests, never sockets):

- **Header timeout.** uvicorn closes an idle kept-alive connection after
  ``timeout_keep_alive``, but a connection that never sends a whole request head
  (nothing at all, or a head trickled byte by byte) stays open for ever: each one
  holds a socket and a buffer. Here a timer runs whenever the connection waits
  for a head, from its opening and again after every response; a head not
  complete in ``header_timeout`` seconds closes it (with a 408 in the error shape
  when part of a head had arrived, silently when nothing had).
- **Content-Length with Transfer-Encoding.** h11 frames such a request by
  Transfer-Encoding alone, as RFC 9112 §6.1 allows, but the RFC then requires
  the connection to be closed after the response: the two headers disagreeing is
  how requests are smuggled past a proxy. The app refuses the request (400,
  ``web.security``); the protocol closes the connection whatever the app answered.
- **Head size.** h11 refuses a head still incomplete past
  ``h11_max_incomplete_event_size`` bytes (a bare 400, then close); it is set just
  above what the app accepts (URL + headers), so the app's own 414/431 in the error
  shape are what a client normally sees.

The protocol is h11, explicitly: uvicorn's "auto" would switch to httptools if
it were installed, with other parsing rules and without these guards.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, ClassVar, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from web.settings import Settings

CLOSE = (b"connection", b"close")
#: Room for the request line's method, version and the CRLFs around the URL and headers.
HEAD_SLACK = 1024


def ambiguous_framing(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when a request announces both a Content-Length and a Transfer-Encoding."""
    names = {name.lower() for name, _ in headers}
    return b"content-length" in names and b"transfer-encoding" in names


def _timeout_response() -> bytes:
    body = json.dumps(
        {
            "error": {
                "code": "request_timeout",
                "message": "the request head did not arrive in time; the connection is closed",
                "parameter": None,
            }
        }
    ).encode()
    head = (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n" % len(body)
    )
    return head + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head timeout and a close after CL+TE."""

    header_timeout: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    # -- the head timer -----------------------------------------------------------------
    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return  # a request is being served: not waiting for a head any more
        partial, _ = self.conn.trailing_data
        if partial:
            self.transport.write(_timeout_response())
        self.transport.close()

    # -- uvicorn's hooks ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle and self.cycle is not None:  # a new request head arrived
            self._disarm_head_timer()
            if ambiguous_framing(self.headers):
                # RFC 9112 §6.1: close after responding, and say so in the response
                self.cycle.keep_alive = False
                self.cycle.default_headers = [*self.cycle.default_headers, CLOSE]

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # kept alive: the next head has the same deadline


def protocol_class(settings: Settings) -> type[GuardedH11Protocol]:
    """The protocol class for these settings (uvicorn builds one instance per connection)."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": settings.header_timeout, "__doc__": GuardedH11Protocol.__doc__},
    )


def uvicorn_config(app: Any, settings: Settings, log_level: str = "info") -> uvicorn.Config:
    """The one uvicorn configuration: ``fihris serve``, the tests and the benchmark use it."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol_class(settings),
        h11_max_incomplete_event_size=settings.max_url_length
        + settings.max_header_size
        + HEAD_SLACK,
        timeout_keep_alive=max(1, round(settings.keep_alive)),
        log_level=log_level,
    )


#: Seconds a thread holds the GIL while another waits for it (CPython's default: 5 ms).
#: A normal search gives the GIL up at every file read and numpy call and must then
#: win it back from a long prefix search running beside it, waiting up to the whole
#: interval each time (the "convoy effect"): at 1 ms, normal searches beside four
#: clients of worst-case prefix queries kept their p95 closer to idle (README,
#: "Bounded cost").
SWITCH_INTERVAL_S: Final = 0.001


def serve(app: Any, settings: Settings, log_level: str = "info") -> None:
    """Run the app until interrupted (what ``fihris serve`` does)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    uvicorn.Server(uvicorn_config(app, settings, log_level)).run()
