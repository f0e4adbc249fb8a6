"""End-to-end with the real @upstash/redis 1.39 and @upstash/ratelimit under Node, default
client configuration (auto-pipelining, base64, read-your-writes) (spec §6.1, §11.13-15).

One Node process (tests/js/checks.mjs) runs every check and reports one JSON line each;
each pytest test below asserts one of those lines. Needs `npm ci --prefix tests/js`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support.gateway import RunningGateway

JS_DIR = Path(__file__).resolve().parents[1] / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.js,
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(
        not (JS_DIR / "node_modules" / "@upstash" / "redis").is_dir(),
        reason="tests/js/node_modules is missing: run `npm ci --prefix tests/js`",
    ),
]

CHECKS = [
    "strings_and_numbers",
    "objects",
    "promise_all_batches",
    "scan_string_cursor",
    "scan_with_type",
    "hashes",
    "lists",
    "sets",
    "sorted_sets",
    "scripts",
    "pipeline",
    "multi",
    "exec_raw",
    "errors",
    "bad_token",
    "readonly_token",
    "read_your_writes",
    "subscribe",
    "psubscribe",
    "ratelimit_sliding_window",
    "ratelimit_other_algorithms",
]


class NodeRun:
    """The outcome of one run of checks.mjs."""

    def __init__(self, prefix: str, completed: subprocess.CompletedProcess[str]) -> None:
        self.prefix = prefix
        self.completed = completed
        self.results: dict[str, dict[str, Any]] = {}
        for line in completed.stdout.splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                self.results[entry["check"]] = entry

    def outcome(self, check: str) -> dict[str, Any]:
        if check not in self.results:
            pytest.fail(
                f"checks.mjs reported nothing for {check!r} (exit {self.completed.returncode}):\n"
                f"{self.completed.stdout[-2000:]}\n{self.completed.stderr[-3000:]}"
            )
        return self.results[check]


@pytest.fixture(scope="module")
def node_run(gateway: RunningGateway) -> NodeRun:
    assert NODE is not None
    prefix = f"pmkvjs-{uuid.uuid4().hex[:10]}-"
    env = {
        **os.environ,
        "UPSTASH_REDIS_REST_URL": gateway.url,
        "UPSTASH_REDIS_REST_TOKEN": gateway.token,
        "PMKV_READONLY_TOKEN": gateway.readonly_token,
        "PMKV_TEST_PREFIX": prefix,
    }
    completed = subprocess.run(
        [NODE, str(JS_DIR / "checks.mjs")],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return NodeRun(prefix, completed)


@pytest.mark.parametrize("check", CHECKS)
def test_official_js_client(node_run: NodeRun, check: str) -> None:
    outcome = node_run.outcome(check)
    assert outcome["ok"], outcome.get("error")


def test_every_js_check_is_listed(node_run: NodeRun) -> None:
    assert set(node_run.results) == set(CHECKS)
    assert node_run.completed.returncode == 0, node_run.completed.stderr[-2000:]


def test_js_subscriptions_are_released(node_run: NodeRun, engine_client: redis.Redis) -> None:
    """After the client aborted its streams, no engine connection stays subscribed."""
    channel = f"{node_run.prefix}chan"
    probe = f"{node_run.prefix}pchan:probe"

    def listeners() -> tuple[int, int]:
        # PUBLISH counts pattern subscribers too; nobody else uses this prefix.
        return int(engine_client.pubsub_numsub(channel)[0][1]), int(
            engine_client.publish(probe, "x")
        )

    deadline = time.monotonic() + 5
    while listeners() != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listeners() == (0, 0)
