"""SIGKILL mid-run: the re-run completes without duplicates; rollback restores exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from pmkv.migrate.runs import list_runs
from tests.migrate.clirun import cli_env, pmkv
from tests.migrate.conftest import snapshot
from tests.support.gateway import RunningGateway

STORIES = 4000


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pmkv.generate.tree import generate_tree

    out = tmp_path_factory.mktemp("big") / "pm"
    generate_tree(out, projects=2, stories=STORIES, seed=3)
    return out


def kill_mid_run(tree: Path, env: dict[str, str], cwd: Path, client: redis.Redis) -> None:
    """Start a migrate with small batches and SIGKILL it once a few batches are in."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pmkv",
            "migrate",
            str(tree),
            "--batch-size",
            "20",
            "--no-backup",
            "-q",
            "--force",
            "--yes",
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while client.hlen("pmkv:ledger") < 200:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    written = client.hlen("pmkv:ledger")
    assert 200 <= written < STORIES  # really partial


@pytest.mark.slow
def test_sigkill_then_rollback_then_rerun(
    big_tree: Path, home: Path, tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    env = cli_env(gateway, home)
    clean_engine.set("unrelated", "keep")
    clean_engine.set("pm:projects:list", '["someone-elses"]')  # overwritten with --force
    before = snapshot(clean_engine)

    kill_mid_run(big_tree, env, tmp_path, clean_engine)
    assert list_runs(home)[-1].state == "running"  # it never got to finish
    undone = pmkv("rollback", "--yes", "--json", env=env, cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert snapshot(clean_engine) == before

    kill_mid_run(big_tree, env, tmp_path, clean_engine)
    rerun = pmkv(
        "migrate",
        str(big_tree),
        "--no-backup",
        "--force",
        "--yes",
        "--json",
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    data = json.loads(rerun.stdout)
    assert data["verify"]["ok"] is True
    assert data["plan"]["unchanged"] >= 200  # the killed run's writes were kept
    assert data["stories"] == STORIES
    stories = 0
    for key in clean_engine.scan_iter("pm:project:*:stories:list", count=1000):
        ids = json.loads(clean_engine.get(key) or b"")
        assert len(ids) == len(set(ids))
        stories += len(ids)
    assert stories == STORIES
    assert clean_engine.get("unrelated") == b"keep"
