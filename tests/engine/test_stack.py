from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from upstash_redis import Redis as Upstash

from pmkv.engine import stack
from pmkv.engine.config import layout
from pmkv.engine.errors import PortBusy, StartFailed
from pmkv.settings import Settings


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _get_root(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "/", timeout=5) as reply:
        return int(reply.status)


def test_up_serves_the_official_client_and_down_leaves_nothing(
    settings: Settings, leftovers: Callable[[Path], list[psutil.Process]]
) -> None:
    info = stack.up(settings)
    assert info.rest_url == f"http://127.0.0.1:{settings.gateway_port}"
    assert info.engine_port == settings.engine_port
    assert _get_root(info.rest_url) == 200
    env = dict(line.split("=", 1) for line in info.env_lines())
    assert env == {
        "UPSTASH_REDIS_REST_URL": info.rest_url,
        "UPSTASH_REDIS_REST_TOKEN": info.token,
        "USE_LOCAL_KV": "true",
    }
    client = Upstash(url=env["UPSTASH_REDIS_REST_URL"], token=env["UPSTASH_REDIS_REST_TOKEN"])
    assert client.set("pm:project:demo", "ünïcode ✓") is True
    assert client.get("pm:project:demo") == "ünïcode ✓"
    # The token is not on any command line (ps shows those to every user).
    assert all(info.token not in arg for arg in psutil.Process(info.gateway_pid).cmdline())

    result = stack.down(settings)
    assert result.gateway_pid == info.gateway_pid
    assert result.engine.pid == info.engine_pid
    assert _gone(info.gateway_pid)
    assert _gone(info.engine_pid)
    assert leftovers(settings.home) == []
    assert not layout(settings).gateway_state.exists()
    assert not layout(settings).engine_state.exists()


def test_up_is_idempotent_and_data_survives_down_up(settings: Settings) -> None:
    first = stack.up(settings)
    again = stack.up(settings)
    assert again.already_running
    assert (again.gateway_pid, again.engine_pid, again.token) == (
        first.gateway_pid,
        first.engine_pid,
        first.token,
    )
    Upstash(url=first.rest_url, token=first.token).set("kept", "yes")
    stack.down(settings)
    later = stack.up(settings)
    assert later.token == first.token  # kept in <home>/token
    assert later.gateway_pid != first.gateway_pid
    assert Upstash(url=later.rest_url, token=later.token).get("kept") == "yes"


def test_a_busy_gateway_port_is_named_and_nothing_is_left(
    settings: Settings, leftovers: Callable[[Path], list[psutil.Process]]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", settings.gateway_port))
        sock.listen()
        with pytest.raises(PortBusy) as caught:
            stack.up(settings)
    assert str(settings.gateway_port) in caught.value.message
    assert caught.value.hint is not None
    assert "PMKV_PORT" in caught.value.hint
    assert "--port" in caught.value.hint
    assert leftovers(settings.home) == []  # the engine this call started is stopped again
    assert not layout(settings).engine_state.exists()


def test_a_gateway_dying_at_start_shows_its_log(settings: Settings) -> None:
    # The gateway refuses equal read-write and read-only tokens, and exits.
    broken = replace(settings, token="same-token-123", readonly_token="same-token-123")
    with pytest.raises(StartFailed) as caught:
        stack.up(broken)
    assert "gateway exited during start" in caught.value.message
    assert "read-only token" in caught.value.message
    assert not layout(settings).gateway_state.exists()


def test_a_killed_gateway_is_restarted_by_up(settings: Settings) -> None:
    first = stack.up(settings)
    os.kill(first.gateway_pid, signal.SIGKILL)
    again = stack.up(settings)
    assert again.gateway_pid != first.gateway_pid
    assert again.engine_pid == first.engine_pid
    assert not again.already_running
    assert any(str(first.gateway_pid) in note for note in again.notes)
    assert _get_root(again.rest_url) == 200


def test_a_new_port_or_token_restarts_only_the_gateway(settings: Settings) -> None:
    first = stack.up(settings)
    moved = replace(settings, token="a-brand-new-token-42")
    again = stack.up(moved)
    assert again.gateway_pid != first.gateway_pid
    assert again.engine_pid == first.engine_pid
    assert again.token == "a-brand-new-token-42"
    assert Upstash(url=again.rest_url, token=again.token).set("k", "v") is True
    assert _gone(first.gateway_pid)


def test_env_reports_whether_the_stack_is_up(settings: Settings) -> None:
    before = stack.stack_env(settings)
    assert not before.running
    assert before.values["UPSTASH_REDIS_REST_URL"] == f"http://127.0.0.1:{settings.gateway_port}"
    info = stack.up(settings)
    during = stack.stack_env(settings)
    assert during.running
    assert during.values == info.env()
    stack.down(settings)
    assert not stack.stack_env(settings).running


def test_ctrl_c_during_up_leaves_no_process(
    settings: Settings, leftovers: Callable[[Path], list[psutil.Process]]
) -> None:
    env = {
        **os.environ,
        "PMKV_HOME": str(settings.home),
        "PMKV_ENGINE_PORT": str(settings.engine_port),
        "PMKV_PORT": str(settings.gateway_port),
    }
    cli = subprocess.Popen(
        [sys.executable, "-m", "pmkv", "up"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gateway_state = layout(settings).gateway_state
    try:
        deadline = time.monotonic() + 30
        while not gateway_state.exists():  # interrupt while the gateway is starting
            assert cli.poll() is None, "up finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        gateway_pid = json.loads(gateway_state.read_text())["pid"]
        cli.send_signal(signal.SIGINT)
        cli.wait(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode != 0
    assert _gone(gateway_pid)
    assert leftovers(settings.home) == []
    assert not gateway_state.exists()
    assert not layout(settings).engine_state.exists()


def test_a_readonly_token_reaches_the_gateway(settings: Settings) -> None:
    first = stack.up(settings)
    Upstash(url=first.rest_url, token=first.token).set("visible", "1")
    with_readonly = replace(settings, readonly_token="reader-token-123")
    again = stack.up(with_readonly)
    assert again.gateway_pid != first.gateway_pid  # restarted to take the new token
    reader = Upstash(url=again.rest_url, token="reader-token-123")
    assert reader.get("visible") == "1"
    with pytest.raises(Exception, match=r"(?i)read|permission|denied|forbidden|token"):
        reader.set("visible", "2")
    assert stack.up(with_readonly).already_running


def test_down_finds_a_gateway_whose_state_file_was_deleted(
    settings: Settings, leftovers: Callable[[Path], list[psutil.Process]]
) -> None:
    # the engine port as the stack chose it, not as configured (None: picked at start)
    settings = replace(settings, engine_port=None)
    info = stack.up(settings)
    layout(settings).gateway_state.unlink()  # e.g. removed by hand
    result = stack.down(settings)
    assert result.gateway_pid == info.gateway_pid
    assert any("found our gateway by its port" in note for note in result.notes)
    assert _gone(info.gateway_pid)
    assert _gone(info.engine_pid)
    assert leftovers(settings.home) == []


def test_another_homes_gateway_on_the_same_port_is_left_alone(
    settings: Settings, tmp_path: Path
) -> None:
    info = stack.up(settings)  # home A, running
    try:
        layout(settings).gateway_state.unlink()
        other = replace(settings, home=tmp_path / "other-home")  # home B: same ports, no stack
        layout(other).home.mkdir(parents=True)
        result = stack.down(other)
        assert result.gateway_pid is None
        assert psutil.pid_exists(info.gateway_pid)  # A's gateway still runs
    finally:
        stack.down(settings)


def test_down_leaves_a_stranger_on_the_gateway_port_alone(settings: Settings) -> None:
    stranger = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(settings.gateway_port), "-b", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", settings.gateway_port)) == 0:
                    break
            assert time.monotonic() < deadline, "the stranger never listened"
            time.sleep(0.05)
        layout(settings).home.mkdir(parents=True, exist_ok=True)
        result = stack.down(settings)
        assert result.gateway_pid is None
        assert stranger.poll() is None  # still running: not ours
    finally:
        stranger.terminate()
        stranger.wait(10)
