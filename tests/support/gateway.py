"""The real pmkv gateway, run as a subprocess (``python -m pmkv serve``) for tests."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.engine import stop_process
from tests.support.ports import free_port

TEST_TOKEN = "test-token-0123456789"
TEST_READONLY_TOKEN = "test-readonly-token-9876543210"


@dataclass
class RunningGateway:
    port: int
    token: str
    readonly_token: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def run_gateway(
    engine_url: str, log_dir: Path, *extra_args: str, token: str = TEST_TOKEN
) -> Iterator[RunningGateway]:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"gateway-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pmkv",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--engine-url",
                engine_url,
                "--token",
                token,
                "--readonly-token",
                TEST_READONLY_TOKEN,
                *extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"gateway exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield RunningGateway(port, token, TEST_READONLY_TOKEN, proc, log_path)
    finally:
        stop_process(proc)
