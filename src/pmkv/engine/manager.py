"""The engine's lifecycle: start (idempotent), stop (graceful), and stale-state cleanup.

One engine per data folder: a file lock serialises start/stop/flush, the state file
records the engine we started, and a scan for engines working in the data folder
catches one whose state file was lost.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from filelock import FileLock, Timeout

from pmkv.engine import process, resp
from pmkv.engine.binary import find_binary
from pmkv.engine.config import ENGINE_NAMES, Layout, default_port, engine_argv, layout
from pmkv.engine.errors import Busy, DataDirError, PortBusy, StartFailed
from pmkv.engine.launch import launch, now_iso
from pmkv.engine.state import ProcessState, clear_state, load_state
from pmkv.settings import Settings

Progress = Callable[[str], None]
START_TIMEOUT = 15.0  # seconds until the first answer (PING or LOADING)
LOAD_TIMEOUT = 300.0  # seconds to finish loading a large AOF once it answers LOADING
LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class EngineInfo:
    """A running engine of ours."""

    pid: int
    port: int
    version: str
    binary: Path
    binary_source: str
    data_dir: Path
    log_path: Path
    started_at: str
    already_running: bool = False
    notes: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class StopResult:
    """What ``stop`` did: ``method`` is how the engine ended (None: nothing was running)."""

    pid: int | None
    port: int | None
    method: str | None
    notes: tuple[str, ...] = ()


def _info(state: ProcessState, *, already: bool, notes: list[str]) -> EngineInfo:
    return EngineInfo(
        pid=state.pid,
        port=state.port,
        version=state.version,
        binary=Path(state.binary),
        binary_source=state.binary_source,
        data_dir=Path(state.data_dir),
        log_path=Path(state.log_path),
        started_at=state.started_at,
        already_running=already,
        notes=tuple(notes),
    )


@contextmanager
def locked(where: Layout) -> Iterator[None]:
    """Hold ``<home>/engine.lock`` (flock: the kernel drops it if we die, so never stale)."""
    lock = FileLock(str(where.engine_lock), timeout=LOCK_TIMEOUT)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise Busy(
            f"another pmkv command holds {where.engine_lock} (starting or stopping the "
            f"engine for {where.home})",
            hint="wait for it to finish, then run the command again",
        ) from exc


def prepare_home(where: Layout) -> None:
    """Create the data folder and prove we can write in it.

    A home folder pmkv creates gets a ``.gitignore`` of ``*``, so engine data and the
    token never end up in the app's repository.
    """
    try:
        if not where.home.exists():
            where.home.mkdir(parents=True)
            (where.home / ".gitignore").write_text("# created by pmkv\n*\n", encoding="utf-8")
        where.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=where.data_dir):
            pass
    except OSError as exc:
        raise DataDirError(
            f"the data folder {where.data_dir} is not writable: {exc.strerror or exc}",
            hint="set PMKV_HOME to a folder you can write to, or fix its permissions",
        ) from exc


def live_state(where: Layout) -> tuple[ProcessState | None, list[str]]:
    """The engine recorded in ``engine.json`` if it still runs; clean stale state.

    Stale means: the pid is dead, or it now belongs to another program. The returned
    notes say what was cleaned, for the caller to show.
    """
    notes: list[str] = []
    path = where.engine_state
    state = load_state(path)
    if state is None:
        if path.exists():
            clear_state(path)
            notes.append(f"removed an unreadable state file {path}")
        return None, notes
    names = (*ENGINE_NAMES, Path(state.binary).name) if state.binary else ENGINE_NAMES
    if process.is_ours(state.pid, state.create_time, names):
        return state, notes
    clear_state(path)
    reason = f"the engine recorded in {path} (pid {state.pid}, port {state.port}) is gone"
    if process.alive(state.pid):
        reason = f"pid {state.pid} recorded in {path} now belongs to another program"
    if not process.port_free(state.port, settle=0.0):
        user = process.who_listens(state.port) or "another program"
        reason += f"; port {state.port} is now used by {user}"
    notes.append(f"{reason}; removed the stale state")
    return None, notes


def serves(pid: int, port: int) -> bool:
    """Is the server answering on ``port`` our process ``pid`` (or, for a wrapper
    script that did not ``exec``, its child)?"""
    server = resp.server_pid(port)
    return server is not None and process.within(pid, server)


def running(settings: Settings) -> EngineInfo | None:
    """The managed engine if it runs (cleaning stale state), without starting one."""
    where = layout(settings)
    state, notes = live_state(where)
    return None if state is None else _info(state, already=True, notes=notes)


def _choose_port(settings: Settings, notes: list[str]) -> int:
    wanted = default_port(settings)
    if process.port_free(wanted, settle=1.0):
        return wanted
    user = process.who_listens(wanted) or "another program"
    if settings.engine_port is not None:
        raise PortBusy(
            f"engine port {wanted} is already in use by {user}",
            hint="choose another port with PMKV_ENGINE_PORT or --engine-port, or leave it "
            "unset to use any free port",
        )
    port = process.any_free_port()
    notes.append(f"port {wanted} is in use by {user}; the engine uses port {port}")
    return port


def _wait_ready(pid: int, port: int, log: Path, offset: int, started: float) -> str:
    """Wait until the engine answers PING; return its version. Raise with its log if not."""
    deadline = started + START_TIMEOUT
    while True:
        if not process.alive(pid):
            code = process.exit_code(pid)
            raise StartFailed(
                "the engine exited during start"
                + (f" with status {code}" if code is not None else "")
                + process.tail_text(log, offset),
                hint=f"read the full log in {log}",
            )
        state = resp.probe(port)
        if state == "ready" and serves(pid, port):
            data = resp.info(port)
            name = str(data.get("server_name") or "redis")
            version = data.get(f"{name}_version") or data.get("redis_version") or "?"
            return f"{name} {version}"
        if state == "loading":
            deadline = max(deadline, started + LOAD_TIMEOUT)
        if time.monotonic() > deadline:
            raise StartFailed(
                f"the engine (pid {pid}) did not answer on 127.0.0.1:{port} within "
                f"{START_TIMEOUT:.0f} s" + process.tail_text(log, offset),
                hint=f"read the full log in {log}",
            )
        time.sleep(0.03)


def start(settings: Settings, progress: Progress | None = None) -> EngineInfo:
    """Start the engine for ``settings.home`` (or return the one already running)."""
    say = progress or (lambda _msg: None)
    where = layout(settings)
    prepare_home(where)
    with locked(where):
        state, notes = live_state(where)
        if state is not None:
            if settings.engine_port is not None and settings.engine_port != state.port:
                notes.append(
                    f"the engine already runs on port {state.port}, not {settings.engine_port}; "
                    "stop it first to change its port"
                )
            if not serves(state.pid, state.port):
                notes.append(
                    f"the engine (pid {state.pid}) runs but does not answer on port "
                    f"{state.port}; see `pmkv redis logs`, or restart it"
                )
            return _info(state, already=True, notes=notes)
        strays = process.engines_in(where.data_dir, ENGINE_NAMES)
        if strays:
            raise Busy(
                f"an engine (pid {', '.join(map(str, strays))}) already works in "
                f"{where.data_dir}, but {where.engine_state} does not record it",
                hint="stop it with `pmkv redis stop`, then start again",
            )
        binary = find_binary(settings.engine_binary)
        port = _choose_port(settings, notes)
        argv = engine_argv(binary.path, port, where)
        for note in notes:
            say(note)
        say(f"starting {binary.path} ({binary.source}) on 127.0.0.1:{port}")
        offset = where.engine_log.stat().st_size if where.engine_log.exists() else 0
        started = time.monotonic()

        def record(pid: int, created: float) -> ProcessState:
            return ProcessState(
                pid=pid,
                port=port,
                create_time=created,
                started_at=now_iso(),
                log_path=str(where.engine_log),
                command=argv,
                binary=str(binary.path),
                binary_source=binary.source,
                data_dir=str(where.data_dir),
            )

        def ready(state: ProcessState) -> ProcessState:
            version = _wait_ready(state.pid, port, where.engine_log, offset, started)
            return replace(state, version=version)

        state = launch(
            argv,
            where.engine_log,
            where.engine_state,
            record=record,
            wait=ready,
            cwd=where.data_dir,
        )
        say(f"engine {state.version} ready on 127.0.0.1:{port} (pid {state.pid})")
        return _info(state, already=False, notes=notes)


def _end(state: ProcessState) -> str:
    """Stop one engine: SHUTDOWN (fsyncs the AOF), then SIGTERM, then SIGKILL."""
    if (
        serves(state.pid, state.port)
        and resp.shutdown(state.port)
        and process.wait_gone(state.pid, 15.0)
    ):
        return "shutdown"
    # SIGTERM is also a graceful shutdown for valkey/redis; SIGKILL is the last resort.
    return process.terminate(state.pid, grace=10.0) or "shutdown"


def stop(settings: Settings, progress: Progress | None = None) -> StopResult:
    """Stop the engine for ``settings.home``; a no-op (``method=None``) if none runs."""
    say = progress or (lambda _msg: None)
    where = layout(settings)
    if not where.home.exists():
        return StopResult(None, None, None)
    with locked(where):
        state, notes = live_state(where)
        result = StopResult(None, None, None, tuple(notes))
        if state is not None:
            say(f"stopping the engine (pid {state.pid}, port {state.port})")
            method = _end(state)
            result = StopResult(state.pid, state.port, method, tuple(notes))
        for stray in process.engines_in(where.data_dir, ENGINE_NAMES):
            say(f"stopping an unrecorded engine in {where.data_dir} (pid {stray})")
            process.terminate(stray)
            notes.append(f"stopped an engine (pid {stray}) that {where.engine_state} missed")
            result = replace(result, notes=tuple(notes), method=result.method or "SIGTERM")
        clear_state(where.engine_state)
        return result
