"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from pmkv.cli.main import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(x) for x in command]


def test_redis_service_persists_and_reports_health(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["image"] == "redis:7-alpine"
    command = _command(redis)
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    test = redis["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}
    assert "redis-cli" in " ".join(test)
    assert "ping" in " ".join(test)
    volume, target = redis["volumes"][0].split(":")[:2]
    assert target == "/data"
    assert volume in compose["volumes"]  # a named volume, not a host folder


def test_gateway_service_runs_pmkv_serve_in_front_of_redis(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    assert gateway["build"]["context"] == "."
    assert (REPO / gateway["build"].get("dockerfile", "Dockerfile")).is_file()
    command = _command(gateway)
    assert command[:2] == ["pmkv", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8080"
    assert command[command.index("--engine-url") + 1] == "redis://redis:6379"
    # The token comes from an environment variable, never a literal in the command.
    assert "--token" not in command
    assert re.fullmatch(r"\$\{PMKV_TOKEN(:-[^}]+)?\}", gateway["environment"]["PMKV_TOKEN"])
    assert any(str(port).endswith("8080:8080") for port in gateway["ports"])
    assert gateway["depends_on"]["redis"]["condition"] == "service_healthy"


def test_gateway_command_is_accepted_by_our_cli(compose: dict[str, Any]) -> None:
    """Every flag the compose file passes exists on `pmkv serve`."""
    serve = cli.get_command(click.Context(cli), "serve")
    assert serve is not None
    known = {opt for param in serve.params for opt in getattr(param, "opts", [])}
    flags = [arg for arg in _command(compose["services"]["gateway"])[2:] if arg.startswith("--")]
    assert flags
    assert set(flags) <= known


def _instructions(text: str) -> list[str]:
    """Dockerfile logical lines (continuations joined, comments dropped)."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    return [line.strip() for line in joined.splitlines() if line.strip()]


def test_dockerfile_installs_the_package_and_runs_the_gateway() -> None:
    instructions = _instructions((REPO / "Dockerfile").read_text())
    assert instructions[0].startswith("FROM python:3.1")
    assert any(re.match(r"RUN pip install (\S+ )*\.( |$)", line) for line in instructions)
    assert any(line.startswith("COPY src") for line in instructions)
    assert "EXPOSE 8080" in instructions
    cmds = [line for line in instructions if line.startswith("CMD ")]
    assert len(cmds) == 1
    command = json.loads(cmds[0].removeprefix("CMD "))
    assert command[:2] == ["pmkv", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert any(line.startswith("HEALTHCHECK ") for line in instructions)
    users = [line for line in instructions if line.startswith("USER ")]
    assert users
    assert users[-1] != "USER root"


def test_dockerignore_keeps_what_the_build_copies() -> None:
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    for needed in ("pyproject.toml", "README.md", "src/"):
        assert f"!{needed}" in ignore
