"""The console runs over whichever store the router picks, and says which."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pmkv.console.app import create_app
from pmkv.migrate.runs import list_runs
from pmkv.settings import Settings
from pmkv.store.kv import KVStore
from tests.console.conftest import build_env
from tests.support.ports import free_port


@pytest.mark.parametrize(
    ("flags", "label"),
    [({}, "files"), ({"use_local_kv": True}, "KV"), ({"dual_write": True}, "dual-write")],
)
def test_the_router_picks_the_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fixture_pm: Path,
    flags: dict[str, bool],
    label: str,
) -> None:
    # the fixture tree on disk and migrated into KV; the router, not the test, picks
    console_env = build_env("file", request, tmp_path, fixture_pm)
    console_env.store.close()
    settings = Settings(
        home=console_env.settings.home,
        pm_dir=console_env.pm_dir,
        rest_url=console_env.settings.rest_url,
        rest_token=console_env.settings.rest_token,
        **flags,
    )
    with TestClient(create_app(settings)) as client:
        page = client.get("/p/healthcare-platform/e/revenue-cycle-management")
        assert page.status_code == 200
        assert f"<strong>{label}</strong>" in page.text
        assert 'value="F-RCM-001"' in page.text
        keys = client.get("/migration/keys")
        assert keys.status_code == 200
        assert "pm:project:healthcare-platform:epic:revenue-cycle-management:story:F-RCM-001" in (
            keys.text
        )
        assert client.get("/migration/key?k=secret:thing").status_code == 400
        [run] = list_runs(settings.home)
        report = client.get(f"/migration/runs/{run.run_id}")
        assert report.status_code == 200
        assert "<h1>Migration run" in report.text  # report.md, rendered
        assert "<table>" in report.text
        assert client.get("/migration/runs/nope").status_code == 404


def test_an_unreachable_kv_is_a_503_with_a_hint(tmp_path: Path) -> None:
    store = KVStore(f"http://127.0.0.1:{free_port()}", "token")
    with TestClient(create_app(Settings(home=tmp_path), store)) as client:
        page = client.get("/")
    store.close()
    assert page.status_code == 503
    assert "cannot reach" in page.text
    assert "pmkv up" in page.text


def test_pmkv_console_serves_over_the_files_it_is_given(fixture_pm: Path, tmp_path: Path) -> None:
    pm = tmp_path / "pm"
    shutil.copytree(fixture_pm, pm)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmkv", "console", "--port", str(port), str(pm)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    body = reply.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "<strong>files</strong>" in body
        assert str(pm) in body
        assert "Healthcare Workflow Platform" in body
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in out.decode()
