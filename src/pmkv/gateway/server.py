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
import os
import signal
import socket
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmkv import tuning
from pmkv.gateway.config import GatewayConfig
from pmkv.gateway.dispatch import Dispatcher
from pmkv.gateway.engine_conn import Engine
from pmkv.gateway.errors import BindError, EngineUnavailable, RequestTimeout
from pmkv.gateway.pool import DedicatedPool
from pmkv.gateway.protocol import HttpConnection
from pmkv.gateway.resp import RespError
from pmkv.gateway.sse import Streams

if TYPE_CHECKING:
    from pmkv.gateway.request import Slot

log = logging.getLogger("pmkv.gateway")

Progress = Callable[[str], None]


class GatewayState:
    """Everything one gateway process shares between its connections."""

    def __init__(self, config: GatewayConfig, shared_aliases: Path | None = None) -> None:
        self.config = config
        self.shared_aliases = shared_aliases
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
            ):
                conn.abort()  # it has not read its responses for that long
            elif conn.idle and now - conn.last_activity > cfg.idle_timeout:
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
        state.dispatcher.aliases.close()


async def _sweep_forever(state: GatewayState) -> None:
    while True:
        await asyncio.sleep(1.0)
        state.sweep()


def bind_error(config: GatewayConfig, exc: OSError) -> BindError:
    busy = exc.errno == errno.EADDRINUSE
    return BindError(
        f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
        hint="another process uses that port; pick one with --port" if busy else "check --host",
    )


async def start_server(
    config: GatewayConfig,
    progress: Progress | None = None,
    *,
    sock: socket.socket | None = None,
    shared_aliases: Path | None = None,
) -> RunningServer:
    """Bind (or serve ``sock``), connect to the engine (failure is reported, not fatal).

    ``sock`` and ``shared_aliases`` are for worker processes sharing one listening
    socket (see :mod:`pmkv.gateway.workers`).
    """
    state = GatewayState(config, shared_aliases)
    loop = asyncio.get_running_loop()
    try:
        if sock is not None:
            server = await loop.create_server(lambda: HttpConnection(state), sock=sock)
        else:
            server = await loop.create_server(
                lambda: HttpConnection(state),
                config.host,
                config.port,
                backlog=2048,
                reuse_address=True,
            )
    except OSError as exc:
        raise bind_error(config, exc) from exc
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


async def _stop_when_orphaned(parent_pid: int, stop: asyncio.Event) -> None:
    while os.getppid() == parent_pid:
        await asyncio.sleep(1.0)
    log.warning("the gateway supervisor is gone; stopping this worker")
    stop.set()


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve(
    config: GatewayConfig,
    progress: Progress | None = None,
    *,
    sock: socket.socket | None = None,
    shared_aliases: Path | None = None,
    parent_pid: int | None = None,
) -> None:
    """Run the gateway until SIGTERM/SIGINT, then drain in-flight requests and return.

    With ``config.workers > 1`` this process supervises that many forked workers. A
    worker (``parent_pid`` set) also stops when its supervisor is gone (SIGKILLed).
    """
    if config.workers > 1 and sock is None:
        from pmkv.gateway.workers import run_workers

        run_workers(config, progress)
        return

    tuning.tune_malloc()

    async def main() -> None:
        running = await start_server(config, progress, sock=sock, shared_aliases=shared_aliases)
        # Per-request objects are freed by reference counting (no cycles on the hot
        # path), so the cyclic collector mostly rescans long-lived startup objects:
        # freeze those and collect less often, which trims pauses from the tail.
        tuning.relax_gc()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if parent_pid is not None:
            orphan_watch = loop.create_task(_stop_when_orphaned(parent_pid, stop))
        await stop.wait()
        if parent_pid is not None:
            orphan_watch.cancel()
        if progress:
            progress("shutting down: draining in-flight requests")
        await running.stop()

    loop = _new_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


__all__ = ["GatewayConfig", "RunningServer", "serve", "start_server"]
