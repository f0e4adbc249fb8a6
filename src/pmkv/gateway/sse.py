"""Server-sent events: /subscribe/<channel>, /psubscribe/<pattern>, /monitor.

Each stream gets its own engine connection (a subscribed connection can do nothing
else), released when the client goes away, the engine drops, or the gateway stops.
Payloads are written raw, never base64: the JS client's streaming branch does not
decode them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pmkv.gateway import response
from pmkv.gateway.auth import FULL
from pmkv.gateway.engine_conn import open_connection
from pmkv.gateway.errors import BadRequest, EngineUnavailable
from pmkv.gateway.resp import RespError, pack

if TYPE_CHECKING:
    from pmkv.gateway.protocol import HttpConnection
    from pmkv.gateway.request import Slot
    from pmkv.gateway.server import GatewayState

KEEPALIVE = response.chunk(b": keepalive\n\n")
# A subscriber whose socket holds this much unread output is dropped.
MAX_BUFFERED = 8 * 1024 * 1024


def event_line(reply: Any) -> bytes:
    """``["message", "ch", "hi"]`` → ``data: message,ch,hi`` + blank line."""
    if isinstance(reply, list):
        parts = [bytes(p) if isinstance(p, bytes) else str(p).encode() for p in reply]
        return b"data: " + b",".join(parts) + b"\n\n"
    if isinstance(reply, RespError):
        return b"data: " + reply.message.encode("utf-8", "replace") + b"\n\n"
    if isinstance(reply, bytes):
        return b"data: " + bytes(reply) + b"\n\n"
    return b"data: " + str(reply).encode() + b"\n\n"


class Streams:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.active = 0
        self.stopping: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def stop(self) -> None:
        if not self.stopping.done():
            self.stopping.set_result(None)

    async def run(self, slot: Slot, kind: bytes, target: bytes, access: int) -> None:
        http = slot.conn
        if kind == b"monitor":
            if access != FULL:
                slot.error(
                    BadRequest(
                        "NOPERM this user has no permissions to run the "
                        "'monitor' command or its subcommand"
                    )
                )
                return
            command = [b"MONITOR"]
        elif not target:
            slot.error(BadRequest(f"ERR /{kind.decode()} needs a channel: /{kind.decode()}/<name>"))
            return
        else:
            command = [kind.upper(), target]
        while not slot.is_head:  # earlier pipelined responses go out first (rare)
            if http.closed:
                return
            await asyncio.sleep(0.005)
        try:
            engine = await open_connection(
                self.state.engine.address, self.state.config.connect_timeout
            )
        except EngineUnavailable as exc:
            slot.error(exc)
            return
        if http.closed:  # the client left while the engine connection opened
            engine.close()
            return
        loop = asyncio.get_running_loop()
        engine_lost: asyncio.Future[None] = loop.create_future()
        first = [True]

        def on_push(reply: Any) -> None:
            transport = http.transport
            if transport is None:
                return
            if transport.get_write_buffer_size() > MAX_BUFFERED:
                http.abort()  # a subscriber that stopped reading: drop it, not the gateway
                return
            if kind == b"monitor" and first[0] and reply == b"OK":
                http.write_raw(response.chunk(b'data: "OK"\n\n'))
            else:
                http.write_raw(response.chunk(event_line(reply)))
            first[0] = False

        def on_lost(_: object) -> None:
            if not engine_lost.done():
                engine_lost.set_result(None)

        engine.on_push = on_push
        engine.on_lost = on_lost
        http.slots.popleft()
        http.streaming = True
        http.write_raw(response.stream_head())
        engine.send(pack(command), 0, None)
        self.active += 1
        try:
            await self._pump(http, engine_lost)
        finally:
            self.active -= 1
            engine.close()
            if not http.closed:
                http.write_raw(response.LAST_CHUNK)
                http.close()

    async def _pump(self, http: HttpConnection, engine_lost: asyncio.Future[None]) -> None:
        """Send keepalive comments until the client, the engine or the gateway stops."""
        cfg = self.state.config
        loop = asyncio.get_running_loop()
        ends = {http.lost, engine_lost, self.stopping}
        while True:
            done, _ = await asyncio.wait(
                ends, timeout=cfg.sse_keepalive, return_when=asyncio.FIRST_COMPLETED
            )
            if done or http.closed or http.transport is None:
                return
            paused = http.write_paused_since
            if http.transport.get_write_buffer_size() > MAX_BUFFERED or (
                paused is not None and loop.time() - paused > cfg.write_timeout
            ):
                http.abort()  # a subscriber that stopped reading
                return
            http.write_raw(KEEPALIVE)
