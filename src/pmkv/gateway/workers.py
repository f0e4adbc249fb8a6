"""``--workers N``: several gateway processes on one listening socket.

The parent binds the socket (so a busy port fails once, clearly), forks the workers
(before any event loop exists), restarts a worker that dies, and forwards SIGTERM /
SIGINT so every worker drains its in-flight requests. The workers accept from the same
socket, so a busy worker simply accepts fewer connections. Each has its own engine
connection; the Lua SHA aliases are shared through an append-only file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path
from types import FrameType

from pmkv.gateway import response
from pmkv.gateway.config import GatewayConfig
from pmkv.gateway.errors import GatewayError
from pmkv.gateway.server import Progress, bind_error, serve

log = logging.getLogger("pmkv.gateway")

# A worker that dies this soon after starting counts as a crash loop.
_QUICK_DEATH_S = 2.0
_MAX_QUICK_DEATHS = 3


def bind(config: GatewayConfig) -> socket.socket:
    """The listening socket, for every worker to share."""
    try:
        info = socket.getaddrinfo(config.host, config.port, type=socket.SOCK_STREAM)
        family = info[0][0]
        sock = socket.create_server(
            (config.host, config.port), family=family, backlog=2048, reuse_port=False
        )
    except OSError as exc:
        raise bind_error(config, exc) from exc
    sock.set_inheritable(True)
    return sock


def _worker(config: GatewayConfig, sock: socket.socket, aliases: Path, parent: int) -> int:
    response.reseed()  # sync tokens must differ between workers
    try:
        serve(config, sock=sock, shared_aliases=aliases, parent_pid=parent)
    except Exception:
        log.exception("gateway worker %d failed", os.getpid())
        return 1
    return 0


def run_workers(config: GatewayConfig, progress: Progress | None = None) -> None:
    """Serve with ``config.workers`` processes until SIGTERM/SIGINT."""
    sock = bind(config)
    shared_dir = Path(tempfile.mkdtemp(prefix="pmkv-gateway-"))
    aliases = shared_dir / "script-aliases"
    children: dict[int, float] = {}
    stopping = False
    supervisor = os.getpid()

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the supervisor's code
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                code = _worker(config, sock, aliases, supervisor)
            finally:
                os._exit(code)
        children[pid] = time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    try:
        for _ in range(config.workers):
            spawn()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if progress:
            progress(
                f"listening on http://{config.host}:{sock.getsockname()[1]} "
                f"({config.workers} workers, engine {config.engine().describe()})"
            )
        quick_deaths = 0
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = children.pop(pid, time.monotonic())
            if stopping:
                continue
            code = os.waitstatus_to_exitcode(status)
            log.warning("gateway worker %d exited with %d; starting another", pid, code)
            quick_deaths = quick_deaths + 1 if time.monotonic() - started < _QUICK_DEATH_S else 0
            if quick_deaths > _MAX_QUICK_DEATHS:
                stop(signal.SIGTERM, None)
                raise GatewayError(
                    "gateway workers keep exiting right after they start",
                    hint="run with --workers 1 --log-level info to see why",
                )
            spawn()
        if progress:
            progress("all workers stopped")
    finally:
        sock.close()
        shutil.rmtree(shared_dir, ignore_errors=True)
