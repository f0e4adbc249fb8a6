"""Background processes we own: spawn detached, recognise, wait for, terminate.

psutil does the process inspection; what it cannot know is which process is *ours*,
so a process is recognised by pid + creation time (pid reuse safe) + a name check.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from pmkv.engine.errors import StartFailed

# Popen objects of children started by this interpreter, kept so they are reaped
# (no zombies, no "still running" warnings) when a later call in the same process
# stops them, as tests and `pmkv up` followed by `down` in one process do.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_EXIT_CODES: dict[int, int] = {}  # reaped children: pid -> exit status


def spawn(
    argv: Sequence[str],
    log_path: Path,
    *,
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> tuple[int, float]:
    """Start ``argv`` detached from our terminal, output appended to ``log_path``.

    ``start_new_session`` puts it in its own session, so Ctrl-C in the terminal that
    ran ``pmkv up`` does not reach it. The child inherits our environment plus
    ``extra_env``. Returns (pid, psutil create_time).
    """
    try:
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env={**os.environ, **extra_env} if extra_env else None,
                start_new_session=True,
                close_fds=True,
            )
    except OSError as exc:
        raise StartFailed(
            f"cannot run {argv[0]}: {exc.strerror or exc}",
            hint="check that the file is an executable for this machine",
        ) from exc
    _CHILDREN[proc.pid] = proc
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        created = 0.0  # already gone; the caller's wait loop reports it with the log
    return proc.pid, created


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone; our own zombies are reaped)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        code = child.poll()
        if code is not None:
            _CHILDREN.pop(pid, None)
            _EXIT_CODES[pid] = code
            return False
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def exit_code(pid: int) -> int | None:
    """The exit status of a child of ours that has ended, if we know it."""
    child = _CHILDREN.get(pid)
    return child.poll() if child is not None else _EXIT_CODES.get(pid)


def is_ours(pid: int, create_time: float, names: Sequence[str]) -> bool:
    """Is ``pid`` the very process we recorded (same creation time, expected name)?"""
    if pid <= 0 or not alive(pid):
        return False
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) > 1.0:
            return False
        seen = " ".join([proc.name(), *proc.cmdline()]).lower()
    except psutil.Error:
        return False
    return any(name.lower() in seen for name in names)


def within(root: int, pid: int) -> bool:
    """Is ``pid`` the process ``root`` or one of its descendants (a wrapper's child)?"""
    if pid == root:
        return True
    try:
        return any(child.pid == pid for child in psutil.Process(root).children(recursive=True))
    except psutil.Error:
        return False


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def terminate(pid: int, *, grace: float = 10.0) -> str | None:
    """SIGTERM, then SIGKILL if it has not exited after ``grace`` seconds.

    Returns the signal that ended it ("SIGTERM"/"SIGKILL"), None if it was not running.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not alive(pid):
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if wait_gone(pid, wait):
            return sig.name
    return "SIGKILL"


def port_free(port: int, host: str = "127.0.0.1", *, settle: float = 3.0) -> bool:
    """Can a server bind ``host:port``? (SO_REUSEADDR, as the engine and gateway use.)

    A port whose owner was just killed can stay unbindable for a moment while the
    kernel tears the dead process's sockets down (its listener may even still take
    connections). Unless a live process is seen listening there, wait up to
    ``settle`` seconds for it rather than call it busy.
    """
    deadline = time.monotonic() + settle
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
                return True
            except OSError:
                pass
        if time.monotonic() > deadline or who_listens(port) is not None:
            return False
        time.sleep(0.05)


def any_free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def listener_pid(port: int) -> int | None:
    """The pid listening on TCP ``port``, when the OS lets us see it."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None


def who_listens(port: int) -> str | None:
    """'pid 123 (redis-server)' for the listener on ``port``, when the OS lets us see it."""
    pid = listener_pid(port)
    if pid is None:
        return None
    try:
        return f"pid {pid} ({psutil.Process(pid).name()})"
    except psutil.Error:
        return f"pid {pid}"


def writes_to(pid: int, path: Path) -> bool:
    """Does ``pid`` hold ``path`` open (e.g. as its stdout)? False when we cannot tell."""
    try:
        target = path.resolve()
        return any(Path(f.path).resolve() == target for f in psutil.Process(pid).open_files())
    except (psutil.Error, OSError):
        return False


def command_line(pid: int) -> list[str]:
    """``pid``'s argv ([] when it is gone or not ours to read)."""
    try:
        return list(psutil.Process(pid).cmdline())
    except psutil.Error:
        return []


def log_tail(path: Path, lines: int = 20, *, offset: int = 0) -> list[str]:
    """The last ``lines`` lines of a log file after byte ``offset`` (empty if none)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            tail = deque(handle, maxlen=lines)
    except OSError:
        return []
    return [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in tail]


def tail_text(path: Path, offset: int, lines: int = 20) -> str:
    """'; its last log lines:\n...' for an error message (what a process wrote since ``offset``)."""
    tail = log_tail(path, lines, offset=offset)
    if not tail:
        return " (its log is empty)"
    return "; its last log lines:\n" + "\n".join(tail)


def engines_in(data_dir: Path, names: Sequence[str]) -> list[int]:
    """Pids of engine processes whose working directory is ``data_dir``.

    valkey/redis ``chdir`` into their ``dir``, so this finds an engine on our data
    folder even when its state file was lost.
    """
    target = os.path.realpath(data_dir)
    found: list[int] = []
    for proc in psutil.process_iter(["pid", "name"]):
        name = (proc.info.get("name") or "").lower()
        if not any(n in name for n in names):
            continue
        try:
            if os.path.realpath(proc.cwd()) == target and alive(proc.pid):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found
