"""The HTTP/1.1 side: one :class:`HttpConnection` (asyncio.Protocol) per client socket.

Why not an ASGI framework: the protocol spec's prototypes measured uvicorn + a plain
ASGI app at ~21k req/s against ~55k for httptools on a bare uvloop Protocol (about
2.5x), and the target is to beat webdis (C). So we parse with httptools directly and
answer from callbacks, without a task per request.

Responses go out in request order (HTTP pipelining): every request gets a
:class:`Slot`; a slot's bytes are written once every earlier slot has been written.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, cast

import httptools

from pmkv.gateway import response
from pmkv.gateway.errors import GatewayError, HeadersTooLarge, PayloadTooLarge
from pmkv.gateway.request import (
    H_AUTH,
    H_ENCODING,
    H_FORMAT,
    H_LENGTH,
    H_OTHER,
    HEADER_KINDS,
    Request,
    Slot,
)

if TYPE_CHECKING:
    from pmkv.gateway.server import GatewayState

log = logging.getLogger("pmkv.gateway")

# Requests of one connection handed to the engine but not yet written back. Beyond it,
# or while the client is not reading (pause_writing), further pipelined requests wait
# unparsed-for-the-engine in ``_deferred`` and the socket is not read: a client that
# never reads cannot make the gateway hold more than this many responses.
MAX_INFLIGHT = 32


class _Abort(Exception):
    """Raised inside a parser callback to stop parsing with an error response."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(error.message)
        self.error = error


class HttpConnection(asyncio.Protocol):
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        cfg = state.config
        self._max_body = cfg.max_body
        self._max_header = cfg.max_header_bytes
        self._header_len = 0
        self._in_headers = True
        self._max_url = cfg.max_url_bytes
        self._handle = state.dispatcher.handle
        self._loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.slots: deque[Slot] = deque()
        self.closed = False
        # Set when the connection is handed to a server-sent-events stream.
        self.streaming = False
        self.lost: asyncio.Future[None] = self._loop.create_future()
        self.last_activity = self._loop.time()
        self.request_started: float | None = None
        self.write_paused_since: float | None = None
        self._deferred: deque[tuple[Request, Slot]] = deque()
        self._draining = False
        self._pause_writes = False
        self._reading = True
        self._reset()

    def _reset(self) -> None:
        self._url = b""
        self._auth: bytes | None = None
        self._enc: bytes | None = None
        self._fmt: bytes | None = None
        self._body: list[bytes] = []
        self._body_len = 0

    # --- asyncio.Protocol -------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self.closed or self.streaming:
            return  # a stream only writes; anything the client sends is ignored
        if self._in_headers:
            # Counted once per read rather than per header: httptools buffers a header
            # whole before on_header, so only the raw byte count bounds memory. A header
            # block that ends in this read counts up to its blank line; the request line
            # (the URL has its own, larger limit) is subtracted after parsing.
            end = data.find(b"\r\n\r\n")
            self._header_len += len(data) if end < 0 else end
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            ctx = exc.__context__
            if isinstance(ctx, _Abort):
                self.fail(ctx.error)
            else:
                log.error("request handling failed", exc_info=ctx)
                self.fail(GatewayError("ERR internal gateway error"), status=500)
        except httptools.HttpParserUpgrade:
            # The request itself was answered as plain HTTP/1.1 (on_message_complete
            # ran); what follows would be another protocol, so close after answering.
            if self.slots:
                self.slots[-1].keep_alive = False
                self.streaming = True  # ignore the rest of the input
            elif self.request_started is None:
                self.close()
            else:
                self.fail(GatewayError("ERR protocol upgrades are not supported"))
        except httptools.HttpParserError as exc:
            self.fail(GatewayError(f"ERR malformed HTTP request: {exc}"))
        else:
            if self._in_headers and self._header_len - len(self._url) > self._max_header:
                self.fail(HeadersTooLarge("ERR request headers too large"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        self.slots.clear()
        self.state.connections.discard(self)
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self) -> None:
        # The client reads slower than we answer: stop reading its requests.
        self.write_paused_since = self._loop.time()
        self._pause_writes = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.write_paused_since = None
        self._pause_writes = False
        if self._deferred:
            self._drain_deferred()
        self._update_reading()

    # --- httptools callbacks ----------------------------------------------------
    def on_message_begin(self) -> None:
        # Timed from its first byte, also when it arrived behind a previous request.
        self.request_started = self._loop.time()
        self._reset()

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self._max_url:
            raise _Abort(HeadersTooLarge("ERR request URL too long"))

    def on_header(self, name: bytes, value: bytes) -> None:
        # A dict hit on the name as sent spares a .lower() for the usual spellings.
        kind = HEADER_KINDS.get(name)
        if kind is None:
            kind = HEADER_KINDS.get(name.lower(), H_OTHER)
        if kind == H_OTHER:
            return
        if kind == H_AUTH:
            self._auth = value
        elif kind == H_ENCODING:
            self._enc = value
        elif kind == H_FORMAT:
            self._fmt = value
        elif kind == H_LENGTH:
            if value.strip().isdigit() and int(value) > self._max_body:
                raise _Abort(PayloadTooLarge("ERR max request size exceeded"))
        elif value.lower() == b"100-continue" and not self.slots and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_headers_complete(self) -> None:
        too_big = self._header_len - len(self._url) > self._max_header
        self._in_headers = False
        self._header_len = 0
        if too_big:
            raise _Abort(HeadersTooLarge("ERR request headers too large"))

    def on_body(self, body: bytes) -> None:
        self._body_len += len(body)
        if self._body_len > self._max_body:
            raise _Abort(PayloadTooLarge("ERR max request size exceeded"))
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self.parser
        method = parser.get_method()
        slot = Slot(self, parser.should_keep_alive(), method == b"HEAD")
        self.slots.append(slot)
        self.request_started = None
        self._in_headers = True  # whatever arrives next starts another header block
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        req = Request(method, self._url, self._auth, self._enc, self._fmt, body)
        if self._deferred or self._pause_writes or len(self.slots) > MAX_INFLIGHT:
            self._deferred.append((req, slot))
            self._update_reading()
        else:
            self._handle(req, slot)

    # --- output -----------------------------------------------------------------
    def complete(self, slot: Slot, data: bytes) -> None:
        """``slot``'s response is ready; write it and any ready ones behind it."""
        if self.closed:
            return
        slot.data = data
        slots = self.slots
        if slots[0] is not slot:
            return
        out: list[bytes] = []
        close = False
        while slots:
            ready = slots[0].data
            if ready is None:
                break
            done = slots.popleft()
            out.append(ready)
            if not done.keep_alive:
                close = True
                break
        assert self.transport is not None
        self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        self.last_activity = self._loop.time()
        if close:
            self.close()
        elif self._deferred:
            self._drain_deferred()

    def _drain_deferred(self) -> None:
        """Hand waiting pipelined requests to the dispatcher while there is room."""
        if self._draining:
            return  # a handler answered synchronously inside this loop
        self._draining = True
        try:
            deferred = self._deferred
            while (
                deferred
                and not self._pause_writes
                and not self.closed
                and len(self.slots) - len(deferred) < MAX_INFLIGHT
            ):
                req, slot = deferred.popleft()
                self._handle(req, slot)
        finally:
            self._draining = False
        self._update_reading()

    def fail(self, error: GatewayError, status: int | None = None) -> None:
        """Answer ``error`` after the pending responses, then close the connection."""
        if self.closed:
            return
        slot = Slot(self, keep_alive=False, head=False)
        self.slots.append(slot)
        self.streaming = True  # ignore whatever else the client sends
        slot.send(status or error.http_status, response.error_body(error.message))

    def write_raw(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()
        self.closed = True

    def abort(self) -> None:
        """Drop the connection now, unsent output included (a client that stopped reading)."""
        if self.transport is not None and not self.closed:
            self.transport.abort()
        self.closed = True

    @property
    def idle(self) -> bool:
        return not self.slots and self.request_started is None and not self.streaming

    def _update_reading(self) -> None:
        want = not (self._pause_writes or self._deferred)
        if want == self._reading or self.transport is None or self.closed:
            return
        self._reading = want
        if want:
            self.transport.resume_reading()
        else:
            self.transport.pause_reading()
