"""With no store configured, ``pmkv migrate`` starts the local stack (the README command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmkv.engine import stack
from pmkv.settings import Settings
from tests.migrate.clirun import cli_env, pmkv
from tests.support.ports import free_port


@pytest.mark.slow
def test_migrate_without_a_store_starts_the_local_stack(pm_copy: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(None, home)
    gateway_port, engine_port = free_port(), free_port()
    env |= {"PMKV_PORT": str(gateway_port), "PMKV_ENGINE_PORT": str(engine_port)}
    settings = Settings(home=home, gateway_port=gateway_port, engine_port=engine_port)
    try:
        run = pmkv("migrate", str(pm_copy), "--json", env=env, cwd=tmp_path, timeout=120)
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        assert data["rest_url"].endswith(f":{gateway_port}")
        assert data["verify"]["ok"] is True
        assert data["plan"]["create"] == 63
        # the app's .env.local convention: with the stack down, a command that finds the
        # URL there reports it unreachable instead of starting a stack of its own
        lines = stack.stack_env(settings).lines()
        (tmp_path / ".env.local").write_text("\n".join(lines) + "\n", encoding="utf-8")
        stack.down(settings)
        again = pmkv("verify", str(pm_copy), env=env, cwd=tmp_path)
        assert again.returncode == 5, again.stderr
        assert f"127.0.0.1:{gateway_port}" in again.stderr
    finally:
        stack.down(settings)
