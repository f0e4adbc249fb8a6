"""Starting, running and stopping the gateway.

``start_server(config)`` runs it inside an existing event loop (for tests and
embedding); ``serve(config)`` is the blocking entry point of ``pmkv serve``: uvloop,
SIGTERM/SIGINT handling, graceful drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pmkv.gateway.config import GatewayConfig
from pmkv.gateway.dispatch import Dispatcher
from pmkv.gateway.engine_conn import Engine
from pmkv.gateway.errors import BindError, EngineUnavailable, RequestTimeout
from pmkv.gateway.pool import DedicatedPool
from pmkv.gateway.protocol import HttpConnection
from pmkv.gateway.resp import RespError
from pmkv.gateway.sse import Streams

if TYPE_CHECKING:
    from pmkv.gateway.protocol import Slot

log = logging.getLogger("pmkv.gateway")

Progress = Callable[[str], None]


class GatewayState:
    """Everything one gateway process shares between its connections."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        address = config.engine()
        self.engine = Engine(address, config.connect_timeout)
        self.multi_pool = DedicatedPool(address, config.multi_pool_size, config.connect_timeout)
        self.connections: set[HttpConnection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.streams = Streams(self)
        self.dispatcher = Dispatcher(self)
        self.started = time.time()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("request task failed", exc_info=task.exception())

    def health_body(self) -> bytes:
        engine = "up" if self.engine.up else "down"
        return b'{"status":"ok","service":"pmkv-gateway","engine":"%s"}' % engine.encode()

    async def healthz(self, slot: Slot) -> None:
        """Ping the engine (reconnecting if needed) and report its state."""
        info: dict[str, object] = {"address": self.engine.address.describe()}
        began = time.perf_counter()
        try:
            (reply,) = await asyncio.wait_for(self.engine.call([b"PING"]), 5.0)
            if isinstance(reply, RespError):
                raise EngineUnavailable(f"ERR engine answered PING with {reply.message}")
        except (TimeoutError, EngineUnavailable) as exc:
            message = exc.message if isinstance(exc, EngineUnavailable) else "ERR engine timed out"
            info["up"] = False
            failed = {"status": "unavailable", "error": message, "engine": info}
            slot.send(503, json.dumps(failed).encode())
            return
        info["up"] = True
        info["latency_ms"] = round((time.perf_counter() - began) * 1000, 3)
        body: dict[str, object] = {
            "status": "ok",
            "engine": info,
            "connections": len(self.connections),
            "streams": self.streams.active,
            "uptime_s": round(time.time() - self.started, 1),
        }
        slot.send(200, json.dumps(body).encode())

    def sweep(self) -> None:
        """Close idle keep-alive connections and clients too slow to send or read."""
        cfg = self.config
        now = asyncio.get_running_loop().time()
        for conn in list(self.connections):
            if conn.streaming:
                continue
            if (
                conn.request_started is not None
                and now - conn.request_started > cfg.request_timeout
            ):
                conn.fail(RequestTimeout("ERR request not received in time"))
            elif (
                conn.write_paused_since is not None
                and now - conn.write_paused_since > cfg.write_timeout
            ) or (conn.idle and now - conn.last_activity > cfg.idle_timeout):
                conn.close()


@dataclass
class RunningServer:
    """A started gateway; ``await stop()`` drains it."""

    state: GatewayState
    server: asyncio.Server
    sweeper: asyncio.Task[None]

    @property
    def port(self) -> int:
        sock = self.server.sockets[0]
        return int(sock.getsockname()[1])

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting, let in-flight requests finish (up to ``grace`` s), close."""
        state = self.state
        grace = state.config.shutdown_grace if grace is None else grace
        self.server.close()
        state.streams.stop()
        deadline = asyncio.get_running_loop().time() + grace
        while asyncio.get_running_loop().time() < deadline:
            for conn in list(state.connections):
                if conn.idle:
                    conn.close()
            if not state.connections and not state.tasks:
                break
            await asyncio.sleep(0.02)
        for conn in list(state.connections):
            conn.close()
        self.sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.sweeper
        state.engine.close()
        state.multi_pool.close()


async def _sweep_forever(state: GatewayState) -> None:
    while True:
        await asyncio.sleep(1.0)
        state.sweep()


async def start_server(config: GatewayConfig, progress: Progress | None = None) -> RunningServer:
    """Bind, connect to the engine (a failure is reported, not fatal), start serving."""
    state = GatewayState(config)
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(
            lambda: HttpConnection(state),
            config.host,
            config.port,
            backlog=2048,
            reuse_address=True,
        )
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        raise BindError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
            hint="another process uses that port; pick one with --port" if busy else "check --host",
        ) from exc
    try:
        await state.engine.connect()
    except EngineUnavailable as exc:
        log.warning("%s (requests answer 503 until it is back)", exc.message)
        if progress:
            progress(f"engine not reachable yet: {exc.message}")
    sweeper = loop.create_task(_sweep_forever(state))
    running = RunningServer(state, server, sweeper)
    if progress:
        progress(
            f"listening on http://{config.host}:{running.port} "
            f"(engine {state.engine.address.describe()})"
        )
    return running


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve(config: GatewayConfig, progress: Progress | None = None) -> None:
    """Run the gateway until SIGTERM/SIGINT, then drain in-flight requests and return."""

    async def main() -> None:
        running = await start_server(config, progress)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        if progress:
            progress("shutting down: draining in-flight requests")
        await running.stop()

    loop = _new_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


__all__ = ["GatewayConfig", "RunningServer", "serve", "start_server"]
