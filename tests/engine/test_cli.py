"""The engine commands through the real CLI (click's runner, or a subprocess for exit paths)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result
from dotenv import dotenv_values

from pmkv.cli.main import cli
from pmkv.settings import Settings


@pytest.fixture
def env(settings: Settings) -> dict[str, str | None]:
    return {
        "PMKV_HOME": str(settings.home),
        "PMKV_ENGINE_PORT": str(settings.engine_port),
        "PMKV_PORT": str(settings.gateway_port),
        "PMKV_ENGINE": None,
        "PMKV_TOKEN": None,
        "PMKV_READONLY_TOKEN": None,
    }


def run(env: dict[str, str | None], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def test_redis_start_status_json_stop(env: dict[str, str | None], settings: Settings) -> None:
    stopped = run(env, "redis", "status", "--json")
    assert stopped.exit_code == 5
    assert json.loads(stopped.stdout)["running"] is False

    started = run(env, "redis", "start")
    assert started.exit_code == 0
    assert f"127.0.0.1:{settings.engine_port}" in started.stdout
    assert "valkey 8." in started.stdout

    shown = run(env, "redis", "status", "--json")
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert data["running"] is True
    assert data["port"] == settings.engine_port
    assert data["aof_enabled"] is True
    assert data["version"].startswith("valkey 8.")

    table = run(env, "redis", "status")
    assert "valkey 8." in table.stdout
    assert "running" in table.stdout

    assert "engine stopped" in run(env, "redis", "stop").stdout
    assert "not running" in run(env, "redis", "stop").stdout


def test_flush_asks_first_and_reports_the_count(
    env: dict[str, str | None], settings: Settings
) -> None:
    run(env, "redis", "start")
    client = redis.Redis(port=settings.engine_port)
    client.mset({"a": 1, "b": 2, "c": 3})
    declined = run(env, "redis", "flush", stdin="n\n")
    assert declined.exit_code != 0
    assert "3 keys" in declined.stdout  # the question names what would go
    assert client.dbsize() == 3
    accepted = run(env, "redis", "flush", "--yes")
    assert accepted.exit_code == 0
    assert "removed 3 keys" in accepted.stdout
    assert client.dbsize() == 0
    client.close()


def test_logs_prints_the_tail(env: dict[str, str | None]) -> None:
    run(env, "redis", "start")
    out = run(env, "redis", "logs", "-n", "5")
    assert out.exit_code == 0
    assert "Ready to accept connections" in out.stdout
    assert len(out.stdout.splitlines()) <= 5


def test_up_prints_env_lines_and_env_write_merges(
    env: dict[str, str | None], settings: Settings, tmp_path: Path
) -> None:
    up = run(env, "up")
    assert up.exit_code == 0
    lines = dict(line.split("=", 1) for line in up.stdout.splitlines())
    assert lines["UPSTASH_REDIS_REST_URL"] == f"http://127.0.0.1:{settings.gateway_port}"
    assert lines["USE_LOCAL_KV"] == "true"
    token = (settings.home / "token").read_text().strip()
    assert lines["UPSTASH_REDIS_REST_TOKEN"] == token

    printed = run(env, "env")
    assert printed.stdout.splitlines() == up.stdout.splitlines()

    target = tmp_path / ".env.local"
    target.write_text("OPENAI_KEY=keep-me\nUPSTASH_REDIS_REST_URL=https://prod.example\n")
    wrote = run(env, "env", "--write", str(target))
    assert wrote.exit_code == 0
    assert dotenv_values(target) == {"OPENAI_KEY": "keep-me", **lines}

    down = run(env, "down")
    assert "stack stopped" in down.stdout
    assert "nothing was running" in run(env, "down").stdout


def run_process(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m pmkv ARGS`` as a user runs it: errors rendered by main, real exit codes."""
    return subprocess.run(
        [sys.executable, "-m", "pmkv", *args],
        env={**os.environ, "PMKV_HOME": str(settings.home), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_errors_exit_with_their_code_and_hint(settings: Settings) -> None:
    proc = run_process(settings, "redis", "flush", "--yes")
    assert proc.returncode == 5
    assert "no engine of ours is running" in proc.stderr
    assert "pmkv redis start" in proc.stderr


def test_engine_binary_missing_is_a_clear_cli_error(settings: Settings, tmp_path: Path) -> None:
    proc = run_process(settings, "redis", "start", PMKV_ENGINE=str(tmp_path / "missing-valkey"))
    assert proc.returncode == 1
    assert "missing-valkey" in proc.stderr
    assert "does not exist" in proc.stderr
    assert "hint:" in proc.stderr


def test_up_json_and_quiet(env: dict[str, str | None], settings: Settings) -> None:
    shown = run(env, "up", "--json", "-q")
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert data["gateway_port"] == settings.gateway_port
    assert data["engine_port"] == settings.engine_port
    assert data["env"]["USE_LOCAL_KV"] == "true"
    assert data["env"]["UPSTASH_REDIS_REST_TOKEN"] == data["token"]
    status = json.loads(run(env, "env", "--json").stdout)
    assert status == {"running": True, "env": data["env"]}
    run(env, "down")


def test_redis_stop_warns_when_the_gateway_keeps_running(env: dict[str, str | None]) -> None:
    run(env, "up", "-q")
    stopped = CliRunner().invoke(cli, ["redis", "stop"], env=env, catch_exceptions=False)
    assert "engine stopped" in stopped.stdout
    assert "gateway" in stopped.stderr
    assert "pmkv down" in stopped.stderr
    run(env, "down")
