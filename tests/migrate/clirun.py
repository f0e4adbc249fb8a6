"""Run the real ``pmkv`` CLI in a subprocess against the test gateway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.gateway import RunningGateway


def cli_env(gateway: RunningGateway | None, home: Path, url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPSTASH_", "KV_REST"))}
    env["PMKV_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    if gateway is not None or url is not None:
        env["UPSTASH_REDIS_REST_URL"] = url or (gateway.url if gateway else "")
        env["UPSTASH_REDIS_REST_TOKEN"] = gateway.token if gateway else "token"
    return env


def pmkv(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmkv", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
