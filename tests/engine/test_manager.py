from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
import redis
from filelock import FileLock

from pmkv.engine import manager
from pmkv.engine.config import layout
from pmkv.engine.errors import Busy, DataDirError, PortBusy, StartFailed
from pmkv.engine.process import port_free
from pmkv.engine.status import status
from pmkv.settings import DEFAULT_ENGINE_PORT, Settings


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@contextmanager
def _listening(port: int) -> Iterator[socket.socket | None]:
    """Hold ``port`` with a listening socket (None if someone else already holds it)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        sock.close()
        yield None
        return
    try:
        yield sock
    finally:
        sock.close()


def test_start_status_stop(settings: Settings) -> None:
    info = manager.start(settings)
    assert info.port == settings.engine_port
    assert info.version.startswith("valkey 8.")
    assert not info.already_running
    assert info.data_dir == layout(settings).data_dir
    recorded = json.loads(layout(settings).engine_state.read_text())
    assert (recorded["pid"], recorded["port"]) == (info.pid, info.port)
    assert recorded["version"] == info.version

    seen = status(settings)
    assert seen.running
    assert (seen.pid, seen.port, seen.keys) == (info.pid, info.port, 0)
    assert seen.aof_enabled is True
    assert seen.aof_last_write_status == "ok"
    assert seen.used_memory
    assert seen.used_memory > 0
    assert seen.uptime_seconds is not None

    stopped = manager.stop(settings)
    assert (stopped.pid, stopped.method) == (info.pid, "shutdown")
    assert _gone(info.pid)
    assert not layout(settings).engine_state.exists()
    assert not status(settings).running


def test_engine_config_is_loopback_with_aof(settings: Settings) -> None:
    info = manager.start(settings)
    client = redis.Redis(port=info.port, decode_responses=True)
    try:
        config = client.config_get("*")
    finally:
        client.close()
    assert config["bind"].split() == ["127.0.0.1"]
    assert config["protected-mode"] == "yes"
    assert config["appendonly"] == "yes"
    assert config["appendfsync"] == "everysec"
    assert Path(config["dir"]) == layout(settings).data_dir
    assert Path(config["logfile"]) == layout(settings).engine_log


def test_start_is_idempotent(settings: Settings) -> None:
    first = manager.start(settings)
    second = manager.start(settings)
    assert second.already_running
    assert (second.pid, second.port) == (first.pid, first.port)
    assert len(psutil.Process(first.pid).children()) == 0


def test_a_key_survives_stop_and_start(settings: Settings) -> None:
    info = manager.start(settings)
    client = redis.Redis(port=info.port)
    client.set("pm:story:1", "héllo ✓")
    client.close()
    manager.stop(settings)
    again = manager.start(settings)
    assert again.pid != info.pid
    client = redis.Redis(port=again.port)
    try:
        assert client.get("pm:story:1") == "héllo ✓".encode()
    finally:
        client.close()
    assert status(settings).keys == 1


def test_killed_engine_is_cleaned_up_and_restarted(settings: Settings) -> None:
    info = manager.start(settings)
    os.kill(info.pid, signal.SIGKILL)
    assert _wait(lambda: manager.running(settings) is None)
    seen = status(settings)
    assert not seen.running
    assert not layout(settings).engine_state.exists()
    again = manager.start(settings)
    assert again.pid != info.pid
    assert status(settings).running


def test_killed_engine_note_names_the_pid(settings: Settings) -> None:
    info = manager.start(settings)
    os.kill(info.pid, signal.SIGKILL)
    _wait(lambda: _gone(info.pid))
    seen = status(settings)
    assert not seen.running
    assert any(str(info.pid) in note and "stale" in note for note in seen.notes)


def test_a_reused_pid_is_not_mistaken_for_our_engine(settings: Settings) -> None:
    info = manager.start(settings)
    manager.stop(settings)
    where = layout(settings)
    # A state file whose pid now belongs to another program (this test process).
    fake = json.loads('{"pid": 0}')
    fake.update(
        pid=os.getpid(),
        port=info.port,
        create_time=psutil.Process().create_time(),
        started_at="2026-01-01T00:00:00+00:00",
        log_path=str(where.engine_log),
        command=["valkey-server"],
    )
    where.engine_state.write_text(json.dumps(fake))
    seen = status(settings)
    assert not seen.running
    assert any("another program" in note for note in seen.notes)
    again = manager.start(settings)
    assert again.pid != os.getpid()
    assert not again.already_running


def test_stale_state_whose_port_is_now_taken_says_so(settings: Settings) -> None:
    info = manager.start(settings)
    os.kill(info.pid, signal.SIGKILL)
    # A forked child (AOF rewrite) may hold the listening socket a moment longer.
    assert _wait(lambda: _gone(info.pid) and port_free(info.port))
    with _listening(info.port) as held:
        assert held is not None
        seen = status(settings)
    assert any(f"port {info.port} is now used" in note for note in seen.notes)


def test_explicit_port_in_use_is_an_error_naming_it(settings: Settings) -> None:
    port = settings.engine_port
    assert port is not None
    with _listening(port) as held:
        assert held is not None
        with pytest.raises(PortBusy) as caught:
            manager.start(settings)
    assert str(port) in caught.value.message
    assert caught.value.hint
    assert "PMKV_ENGINE_PORT" in caught.value.hint
    assert "--engine-port" in caught.value.hint
    assert not layout(settings).engine_state.exists()


def test_default_port_in_use_falls_back_to_a_free_one(settings: Settings) -> None:
    unset = replace(settings, engine_port=None)
    with _listening(DEFAULT_ENGINE_PORT):  # busy either way: held by us or by someone else
        info = manager.start(unset)
    assert info.port != DEFAULT_ENGINE_PORT
    assert any(str(DEFAULT_ENGINE_PORT) in note for note in info.notes)
    manager.stop(unset)


def test_unwritable_data_folder_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = Settings(home=blocker / "home", engine_port=1)
    with pytest.raises(DataDirError) as caught:
        manager.start(settings)
    assert str(blocker / "home" / "engine") in caught.value.message
    assert caught.value.hint
    assert "PMKV_HOME" in caught.value.hint


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0500")
def test_read_only_data_folder_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "engine").mkdir(parents=True)
    (home / "engine").chmod(0o500)
    try:
        with pytest.raises(DataDirError, match="not writable"):
            manager.start(Settings(home=home, engine_port=1))
    finally:
        (home / "engine").chmod(0o700)


def test_engine_dying_at_start_shows_its_output(
    settings: Settings, script: Callable[[str, str], Path]
) -> None:
    broken = script(
        "valkey-server",
        'echo "*** FATAL CONFIG FILE ERROR: something very specific 4711"; exit 1',
    )
    with pytest.raises(StartFailed) as caught:
        manager.start(replace(settings, engine_binary=broken))
    assert "something very specific 4711" in caught.value.message
    assert "status 1" in caught.value.message
    assert caught.value.hint
    assert str(layout(settings).engine_log) in caught.value.hint
    assert not layout(settings).engine_state.exists()
    # The lock is free again.
    FileLock(str(layout(settings).engine_lock), timeout=0).acquire()


def test_only_the_latest_start_output_is_shown(
    settings: Settings, script: Callable[[str, str], Path]
) -> None:
    layout(settings).data_dir.mkdir(parents=True)
    layout(settings).engine_log.write_text("an old line from last week\n")
    broken = script("valkey-server", 'echo "fresh failure"; exit 3')
    with pytest.raises(StartFailed) as caught:
        manager.start(replace(settings, engine_binary=broken))
    assert "fresh failure" in caught.value.message
    assert "last week" not in caught.value.message


def test_an_unrecorded_engine_on_the_data_folder_blocks_start_and_stop_ends_it(
    settings: Settings, leftovers: Callable[[Path], list[psutil.Process]]
) -> None:
    info = manager.start(settings)
    layout(settings).engine_state.unlink()  # state lost, engine still running
    with pytest.raises(Busy) as caught:
        manager.start(settings)
    assert str(info.pid) in caught.value.message
    result = manager.stop(settings)
    assert any(str(info.pid) in note for note in result.notes)
    assert _gone(info.pid)
    assert leftovers(settings.home) == []


def test_a_held_lock_makes_start_wait_then_fail(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout(settings).home.mkdir(parents=True)
    monkeypatch.setattr(manager, "LOCK_TIMEOUT", 0.2)
    script = (
        "import sys, time; from filelock import FileLock; "
        f"lock = FileLock({str(layout(settings).engine_lock)!r}); lock.acquire(); "
        "print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Busy, match=r"engine\.lock"):
            manager.start(settings)
    finally:
        holder.kill()
        holder.wait()
    assert not layout(settings).engine_state.exists()


def test_after_stop_no_process_of_ours_remains(
    settings: Settings, leftovers: Callable[[Path], list[psutil.Process]]
) -> None:
    info = manager.start(settings)
    assert [p.pid for p in leftovers(settings.home)] == [info.pid]
    manager.stop(settings)
    assert leftovers(settings.home) == []
    assert manager.stop(settings).pid is None  # stopping twice is fine


def test_ctrl_c_during_start_leaves_no_orphan_and_no_lock(
    settings: Settings, script: Callable[[str, str], Path]
) -> None:
    # An "engine" that never answers: start() waits for it until interrupted.
    slow = script("valkey-server", 'echo "pretending to load"; exec sleep 60')
    env = {
        **os.environ,
        "PMKV_HOME": str(settings.home),
        "PMKV_ENGINE": str(slow),
        "PMKV_ENGINE_PORT": str(settings.engine_port),
    }
    cli = subprocess.Popen(
        [sys.executable, "-m", "pmkv", "redis", "start"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    where = layout(settings)
    try:
        assert _wait(where.engine_state.exists, timeout=20)
        engine_pid = json.loads(where.engine_state.read_text())["pid"]
        assert not _gone(engine_pid)
        cli.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal delivers
        cli.wait(timeout=20)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert _wait(lambda: _gone(engine_pid))
    assert not where.engine_state.exists()
    FileLock(str(where.engine_lock), timeout=0).acquire()


def _wait(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_wrapper_script_that_does_not_exec_is_managed(
    settings: Settings,
    script: Callable[[str, str], Path],
    leftovers: Callable[[Path], list[psutil.Process]],
) -> None:
    from pmkv.engine.binary import wheel_binary

    real = wheel_binary()
    assert real is not None
    wrapper = script("my-engine", f'"{real}" "$@"')  # a child, not exec
    wrapped = replace(settings, engine_binary=wrapper)
    info = manager.start(wrapped)
    assert info.binary == wrapper.resolve()
    seen = status(wrapped)
    assert seen.running
    assert seen.pid == info.pid
    assert manager.start(wrapped).already_running
    assert manager.stop(wrapped).method == "shutdown"
    assert leftovers(settings.home) == []


def test_start_on_another_port_while_running_says_it_keeps_the_old_one(
    settings: Settings,
) -> None:
    info = manager.start(settings)
    assert settings.engine_port is not None
    other = replace(settings, engine_port=settings.engine_port + 1)
    again = manager.start(other)
    assert again.already_running
    assert again.port == info.port
    assert any("stop it first" in note for note in again.notes)


def test_a_frozen_engine_is_reported_and_still_stoppable(settings: Settings) -> None:
    info = manager.start(settings)
    os.kill(info.pid, signal.SIGSTOP)
    try:
        assert any("does not answer" in note for note in manager.start(settings).notes)
        assert not status(settings).running
    finally:
        os.kill(info.pid, signal.SIGCONT)
    assert manager.stop(settings).pid == info.pid
    assert _gone(info.pid)


def test_a_home_pmkv_creates_is_ignored_by_git(settings: Settings, tmp_path: Path) -> None:
    manager.start(settings)
    assert (settings.home / ".gitignore").read_text().splitlines()[-1] == "*"
    existing = tmp_path / "mine"
    existing.mkdir()
    mine = replace(settings, home=existing, engine_port=None)
    manager.prepare_home(layout(mine))
    assert not (existing / ".gitignore").exists()  # not ours to change
