"""uvicorn's h11 protocol with read deadlines: a request's headers, then its body, must arrive in time or the
connection is answered 408 and closed (a slow client cannot hold a connection open byte by byte)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

from composer.faces.serve.guards import CSP, SECURITY_HEADERS
from composer.faces.serve.settings import ServeSettings

MAX_HEADER_BYTES = 16 * 1024  # h11 refuses (400) request headers larger than this


class GuardedH11Protocol(H11Protocol):
    """H11Protocol plus two deadlines, each fixed when its phase starts (more bytes never extend it): the
    headers within `header_seconds` of the connection opening (or of the first byte of the next request on
    a kept-alive connection), then the whole body within `body_seconds`. uvicorn's own keep-alive timer
    covers the idle time between requests."""

    header_seconds = 10.0
    body_seconds = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        self.timed_out: str | None = None  # the phase that ran out, for tests and logs

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None)
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the deadline of the phase the client is in: sending headers, sending the body, or neither."""
        state = self.conn.their_state
        if self.transport is None or self.transport.is_closing():
            self._arm(None)
        elif state is h11.SEND_BODY:
            self._arm("body")
        elif state is h11.IDLE and self.timeout_keep_alive_task is None:
            self._arm("headers")
        else:  # the request is complete (the app is answering), or uvicorn's keep-alive timer is waiting
            self._arm(None)

    def _arm(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.header_seconds if phase == "headers" else self.body_seconds
            self._deadline = self.loop.call_later(seconds, self._expire, phase, seconds)

    def _expire(self, phase: str, seconds: float) -> None:
        """Answer 408 unless this request's response has begun, then close; the app, if it was reading the body,
        sees a disconnect."""
        self._deadline, self._phase, self.timed_out = None, None, phase
        if self.transport.is_closing():
            return
        if phase == "headers" or self.cycle is None or not self.cycle.response_started:
            what = "request headers" if phase == "headers" else "request body"
            body = json.dumps({"detail": f"the {what} did not arrive within {seconds:g} s"}).encode()
            headers = "".join(f"{name}: {value}\r\n" for name, value in
                              {**SECURITY_HEADERS, "content-security-policy": CSP}.items()).encode()
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                                 b"connection: close\r\n%scontent-length: %d\r\n\r\n%s" % (headers, len(body), body))
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # as connection_lost would: the app's receive() returns a disconnect
            self.cycle.message_event.set()
        self.transport.close()


def guarded_protocol(settings: ServeSettings) -> type[GuardedH11Protocol]:
    """GuardedH11Protocol with this server's deadlines (uvicorn builds one protocol object per connection)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,),
                {"header_seconds": settings.header_seconds, "body_seconds": settings.body_seconds})


def server_config(app: Any, settings: ServeSettings, host: str, port: int, log_level: str = "info") -> Config:
    """The uvicorn configuration `composer serve` runs with: deadlines, header size and keep-alive limits."""
    return Config(app, host=host, port=port, log_level=log_level, http=guarded_protocol(settings),
                  timeout_keep_alive=settings.keep_alive_seconds, h11_max_incomplete_event_size=MAX_HEADER_BYTES,
                  timeout_graceful_shutdown=10, server_header=False, proxy_headers=False, lifespan="on")
