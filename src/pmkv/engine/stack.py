"""The local stack: the engine plus the gateway in front of it (``pmkv up`` / ``down``).

The gateway runs as ``python -m pmkv serve`` in the background, recorded in
``<home>/gateway.json``; ``up`` is idempotent and quiet, so ``pmkv migrate`` can call
it whenever no store is configured.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from filelock import FileLock, Timeout

from pmkv.engine import manager, process
from pmkv.engine.config import HOST, Layout, layout
from pmkv.engine.errors import Busy, PortBusy, StartFailed
from pmkv.engine.launch import launch, now_iso
from pmkv.engine.manager import EngineInfo, Progress, StopResult
from pmkv.engine.state import ProcessState, clear_state, load_state
from pmkv.engine.tokens import fingerprint, gateway_token
from pmkv.settings import Settings

GATEWAY_NAMES = ("pmkv",)
GATEWAY_START_TIMEOUT = 30.0
# No proxy: a http_proxy in the environment must not intercept 127.0.0.1.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class StackInfo:
    """The running stack and the variables an app needs to use it."""

    rest_url: str
    token: str
    engine_port: int
    engine_pid: int
    engine_version: str
    gateway_port: int
    gateway_pid: int
    already_running: bool = False
    notes: tuple[str, ...] = ()

    def env(self) -> dict[str, str]:
        return env_values(self.rest_url, self.token)

    def env_lines(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.env().items()]


@dataclass(frozen=True)
class DownResult:
    gateway_pid: int | None
    gateway_method: str | None
    engine: StopResult
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackEnv:
    """The variables for the configured stack, and whether it is up with them."""

    values: dict[str, str]
    running: bool

    def lines(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.values.items()]


def env_values(rest_url: str, token: str) -> dict[str, str]:
    return {
        "UPSTASH_REDIS_REST_URL": rest_url,
        "UPSTASH_REDIS_REST_TOKEN": token,
        "USE_LOCAL_KV": "true",
    }


def rest_url(port: int) -> str:
    return f"http://{HOST}:{port}"


@contextmanager
def _locked(where: Layout) -> Iterator[None]:
    try:
        with FileLock(str(where.stack_lock), timeout=manager.LOCK_TIMEOUT):
            yield
    except Timeout as exc:
        raise Busy(
            f"another pmkv command holds {where.stack_lock} (starting or stopping the stack)",
            hint="wait for it to finish, then run the command again",
        ) from exc


def answers(port: int, timeout: float = 1.0) -> bool:
    """Does ``GET /`` on the gateway port answer 200?"""
    try:
        with _DIRECT.open(f"{rest_url(port)}/", timeout=timeout) as reply:
            return int(reply.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _live_gateway(where: Layout, notes: list[str]) -> ProcessState | None:
    state = load_state(where.gateway_state)
    if state is None:
        clear_state(where.gateway_state)
        return None
    if process.is_ours(state.pid, state.create_time, GATEWAY_NAMES):
        return state
    clear_state(where.gateway_state)
    notes.append(
        f"the gateway recorded in {where.gateway_state} (pid {state.pid}) is gone; "
        "removed the stale state"
    )
    return None


def _orphan_gateway(settings: Settings, where: Layout) -> int | None:
    """A gateway of this stack whose state file is gone (deleted by hand).

    Only a process that is all of these: listening on the gateway port; ``pmkv serve``
    on that port in front of this home's *running* engine (its port read from this
    home's engine state, not from settings); and writing its output to this home's
    gateway log. Anything less certain is left alone: another home's gateway on the
    same ports writes another log.
    """
    engine, _notes = manager.live_state(where)
    pid = process.listener_pid(settings.gateway_port)
    if engine is None or pid is None:
        return None
    argv = process.command_line(pid)
    ours = (
        "pmkv" in argv
        and "serve" in argv
        and _option(argv, "--port") == str(settings.gateway_port)
        and _option(argv, "--engine-url") == f"redis://{HOST}:{engine.port}"
        and process.writes_to(pid, where.gateway_log)
    )
    return pid if ours else None


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def _start_gateway(
    settings: Settings, where: Layout, engine: EngineInfo, token: str, say: Progress
) -> ProcessState:
    port = settings.gateway_port
    if not process.port_free(port, HOST):
        user = process.who_listens(port) or "another program"
        raise PortBusy(
            f"gateway port {port} is already in use by {user}",
            hint="choose another port with PMKV_PORT or `pmkv up --port`",
        )
    argv = [sys.executable, "-m", "pmkv", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--engine-url", engine.url]
    # Tokens go through the environment, not argv: any local user can read a
    # command line (ps), only the owner can read a process's environment.
    secrets_env = {"PMKV_TOKEN": token}
    if settings.readonly_token:
        secrets_env["PMKV_READONLY_TOKEN"] = settings.readonly_token
    log = where.gateway_log
    offset = log.stat().st_size if log.exists() else 0
    say(f"starting the gateway on {rest_url(port)}")

    def record(pid: int, created: float) -> ProcessState:
        return ProcessState(
            pid=pid,
            port=port,
            create_time=created,
            started_at=now_iso(),
            log_path=str(log),
            command=argv,
            engine_port=engine.port,
            token_sha256=_tokens_print(token, settings.readonly_token),
        )

    def ready(state: ProcessState) -> ProcessState:
        _wait_gateway(state.pid, port, where, offset)
        return state

    return launch(argv, log, where.gateway_state, record=record, wait=ready, extra_env=secrets_env)


def _wait_gateway(pid: int, port: int, where: Layout, offset: int) -> None:
    deadline = time.monotonic() + GATEWAY_START_TIMEOUT
    while not answers(port, timeout=0.5):
        if not process.alive(pid):
            code = process.exit_code(pid)
            raise StartFailed(
                "the gateway exited during start"
                + (f" with status {code}" if code is not None else "")
                + process.tail_text(where.gateway_log, offset),
                hint=f"read the full log in {where.gateway_log}",
            )
        if time.monotonic() > deadline:
            raise StartFailed(
                f"the gateway (pid {pid}) did not answer GET {rest_url(port)}/ within "
                f"{GATEWAY_START_TIMEOUT:.0f} s" + process.tail_text(where.gateway_log, offset),
                hint=f"read the full log in {where.gateway_log}",
            )
        time.sleep(0.05)


def _matches(state: ProcessState, settings: Settings, engine: EngineInfo, token: str) -> bool:
    """Is the running gateway the one ``settings`` asks for (port, engine, token)?"""
    return (
        state.port == settings.gateway_port
        and state.engine_port == engine.port
        and state.token_sha256 == _tokens_print(token, settings.readonly_token)
    )


def _tokens_print(token: str, readonly: str | None) -> str:
    """One fingerprint of both tokens: a change to either restarts the gateway."""
    return fingerprint(token) if readonly is None else fingerprint(f"{token}\0{readonly}")


def up(settings: Settings, progress: Progress | None = None) -> StackInfo:
    """Start whatever part of the stack is not running; return how to reach it."""
    say = progress or (lambda _msg: None)
    where = layout(settings)
    manager.prepare_home(where)
    token = gateway_token(settings, where.token_file)
    with _locked(where):
        engine = manager.start(settings, progress)
        notes = list(engine.notes)
        done = False
        try:
            gateway = _live_gateway(where, notes)
            already = gateway is not None and engine.already_running
            reason = None
            if gateway is not None and not _matches(gateway, settings, engine, token):
                reason = "its configuration changed"
            elif gateway is not None and not answers(gateway.port):
                reason = "it does not answer"
            if gateway is not None and reason is not None:
                notes.append(f"restarted the gateway (pid {gateway.pid}): {reason}")
                say(notes[-1])
                process.terminate(gateway.pid)
                clear_state(where.gateway_state)
                gateway, already = None, False
            if gateway is None:
                gateway = _start_gateway(settings, where, engine, token, say)
            done = True
        finally:
            # An engine this call started must not outlive a failed or interrupted `up`.
            if not done and not engine.already_running:
                manager.stop(settings)
    return StackInfo(
        rest_url=rest_url(gateway.port),
        token=token,
        engine_port=engine.port,
        engine_pid=engine.pid,
        engine_version=engine.version,
        gateway_port=gateway.port,
        gateway_pid=gateway.pid,
        already_running=already,
        notes=tuple(notes),
    )


def down(settings: Settings, progress: Progress | None = None) -> DownResult:
    """Stop the gateway (SIGTERM: it drains), then the engine (SHUTDOWN)."""
    say = progress or (lambda _msg: None)
    where = layout(settings)
    if not where.home.exists():
        return DownResult(None, None, StopResult(None, None, None))
    with _locked(where):
        notes: list[str] = []
        gateway = _live_gateway(where, notes)
        pid = method = None
        if gateway is not None:
            say(f"stopping the gateway (pid {gateway.pid}, port {gateway.port})")
            pid, method = gateway.pid, process.terminate(gateway.pid) or "SIGTERM"
        elif (orphan := _orphan_gateway(settings, where)) is not None:
            notes.append(
                f"no gateway state in {where.gateway_state}; found our gateway by its port"
                f" {settings.gateway_port} and command line (pid {orphan})"
            )
            say(f"stopping the gateway (pid {orphan}, port {settings.gateway_port})")
            pid, method = orphan, process.terminate(orphan) or "SIGTERM"
        clear_state(where.gateway_state)
        engine = manager.stop(settings, progress)
    return DownResult(pid, method, engine, tuple(notes))


def gateway_running(settings: Settings) -> int | None:
    """The pid of our background gateway for ``settings.home``, if one runs."""
    where = layout(settings)
    if not where.home.exists():
        return None
    gateway = _live_gateway(where, [])
    return None if gateway is None else gateway.pid


def stack_env(settings: Settings) -> StackEnv:
    """The variables for the stack ``settings`` describes; ``running`` if it is up as such."""
    where = layout(settings)
    token = gateway_token(settings, where.token_file)
    notes: list[str] = []
    gateway = _live_gateway(where, notes) if where.home.exists() else None
    running = (
        gateway is not None
        and gateway.port == settings.gateway_port
        and gateway.token_sha256 == _tokens_print(token, settings.readonly_token)
        and answers(gateway.port)
    )
    return StackEnv(env_values(rest_url(settings.gateway_port), token), running)
