"""Fixtures of the console tests: the console running over a real store, and a browser.

``console_env`` is parametrized over the file store and the KV store (through the real
session gateway); both hold the real fixture tree, migrated into KV with the migration
library, so the Migration page has a run to show and a verify to make.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pmkv.console.app import create_app
from pmkv.console.options import ConsoleOptions
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.settings import Settings
from pmkv.store.base import BaseStore
from pmkv.store.files import FileStore
from pmkv.store.kv import KVStore
from tests.support.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT = "healthcare-platform"
EPIC = "revenue-cycle-management"
SCREENSHOTS = os.environ.get("PMKV_SCREENSHOTS") == "1"
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@dataclass
class ConsoleEnv:
    kind: str  # "file" | "kv"
    store: BaseStore
    settings: Settings
    pm_dir: Path
    url: str = ""

    @property
    def label(self) -> str:
        return "files" if self.kind == "file" else "KV"


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free loopback port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the console did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def build_env(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, source: Path
) -> ConsoleEnv:
    gateway = request.getfixturevalue("gateway")
    request.getfixturevalue("clean_engine")
    pm_dir = tmp_path / "pm"
    shutil.copytree(source, pm_dir)
    home = tmp_path / "home"
    with KvStore(gateway.url, gateway.token) as kv:
        result = migrate(kv, MigrateOptions(pm_dir=pm_dir, home=home, backup=False))
    assert result.verify is not None
    assert result.verify.ok, "the fixture must migrate cleanly"
    settings = Settings(
        home=home,
        pm_dir=pm_dir,
        rest_url=gateway.url,
        rest_token=gateway.token,
        use_local_kv=kind == "kv",
    )
    store: BaseStore = (
        FileStore(pm_dir, lock_path=tmp_path / "pm.lock")
        if kind == "file"
        else KVStore(gateway.url, gateway.token)
    )
    return ConsoleEnv(kind, store, settings, pm_dir)


@pytest.fixture(params=["file", "kv"])
def console_env(
    request: pytest.FixtureRequest, tmp_path: Path, fixture_pm: Path
) -> Iterator[ConsoleEnv]:
    """The console's data (fixture tree on disk and in KV) over one store, not served."""
    env = build_env(request.param, request, tmp_path, fixture_pm)
    yield env
    env.store.close()


@pytest.fixture
def served(console_env: ConsoleEnv) -> Iterator[ConsoleEnv]:
    """``console_env`` with the console running on a free port."""
    app = create_app(console_env.settings, console_env.store, ConsoleOptions(port=0))
    with serve(app) as url:
        console_env.url = url
        yield console_env


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Debian Chromium through Playwright, with a new empty profile.

    Module-scoped: the sync API keeps an event loop running in this thread while it is
    open, which would break the asyncio tests that run later in the session.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: object, served: ConsoleEnv) -> Iterator[object]:
    from playwright.sync_api import BrowserContext

    assert isinstance(browser_context, BrowserContext)
    tab = browser_context.new_page()
    yield tab
    tab.close()


def screenshot(env: ConsoleEnv, tab: object, name: str) -> None:
    """Save ``docs/img/console-<name>.png`` (KV runs only, with PMKV_SCREENSHOTS=1)."""
    from playwright.sync_api import Page

    if SCREENSHOTS and env.kind == "kv" and isinstance(tab, Page):
        IMG.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(IMG / f"console-{name}.png"), full_page=True)


@pytest.fixture
def files(fixture_pm: Path, tmp_path: Path) -> Iterator[FileStore]:
    """A file store over a writable copy of the fixture tree (for TestClient tests)."""
    root = tmp_path / "pm"
    shutil.copytree(fixture_pm, root)
    store = FileStore(root, lock_path=tmp_path / "pm.lock")
    yield store
    store.close()


@pytest.fixture
def client(files: FileStore, tmp_path: Path) -> Iterator[TestClient]:
    """The console app on ``files`` through Starlette's TestClient (no server)."""
    settings = Settings(pm_dir=files.root, home=tmp_path / "home")
    with TestClient(create_app(settings, files), follow_redirects=False) as c:
        yield c


def csrf_of(client: TestClient, url: str) -> str:
    """The CSRF token of the form on ``url`` (GETting it also sets the cookie)."""
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(url).text)
    assert match is not None
    return match.group(1)
