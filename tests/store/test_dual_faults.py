"""Fault tests with our own engine + gateway: the engine stops while the app writes.

The engine keeps its data in an append-only file, so it comes back on the same port with
what it had; the gateway in front reconnects by itself. While it is down every write
must still succeed on the files and queue its KV change in the outbox; once it is back,
the next write or ``pmkv reconcile`` makes files and KV equal and empties the outbox.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pmkv.migrate.connect import Target
from pmkv.migrate.discover import discover
from pmkv.migrate.kv import KvStore
from pmkv.migrate.reconcile import ReconcileOptions, reconcile
from pmkv.migrate.verify import verify
from pmkv.store.dual import DualStore
from pmkv.store.dual_stats import health
from pmkv.store.files import FileStore
from pmkv.store.keyspace import Keyspace
from tests.store.support import new_story
from tests.store.test_dual_support import open_dual
from tests.support.engine import RunningEngine, run_engine
from tests.support.gateway import RunningGateway, run_gateway

HP = "healthcare-platform"
RCM = "revenue-cycle-management"


@dataclass(frozen=True)
class Stack:
    """Our own durable engine and gateway, a copy of the fixture tree, a pmkv home."""

    engine: RunningEngine
    gateway: RunningGateway
    pm: Path
    home: Path


@pytest.fixture
def stack(fixture_pm: Path, tmp_path: Path) -> Iterator[Stack]:
    pm = tmp_path / "pm"
    shutil.copytree(fixture_pm, pm)
    with (
        run_engine(tmp_path / "engine", durable=True) as engine,
        run_gateway(engine.url, tmp_path / "gateway") as gateway,
    ):
        yield Stack(engine, gateway, pm, tmp_path / "home")


def _differences(stack: Stack) -> list[str]:
    with KvStore(stack.gateway.url, stack.gateway.token) as kv:
        result = verify(kv, discover(stack.pm), Keyspace.production())
    return [f"{d.kind} {d.key}" for d in result.differences]


@contextmanager
def _loaded(stack: Stack) -> Iterator[DualStore]:
    """A DualStore over the stack with the fixture's people and project imported."""
    store = open_dual(
        stack.pm, stack.gateway.url, stack.gateway.token, stack.home, backoff=0.3, timeout=5
    )
    try:
        files = FileStore(stack.pm, lock_path=stack.pm.parent / "src.lock")
        store.write_people(files.read_people())
        store.import_project(files.load_project(HP))
        yield store
    finally:
        store.close()


def _write_while_down(store: DualStore, pm: Path) -> list[str]:
    """Writes of every kind while the engine is down; each must succeed on the files."""
    ids = [store.create_story(HP, RCM, new_story(f"offline {i}"))["id"] for i in range(3)]
    story = store.files.read_story(HP, RCM, "F-RCM-001")
    assert story is not None
    store.write_story(HP, RCM, "F-RCM-001", {**story, "title": "edited offline"})
    store.delete_story(HP, RCM, "F-RCM-002")
    store.move_story(HP, RCM, "F-RCM-003", "test-epic")
    store.delete_epic(HP, "zsdzsd")
    for sid in ids:
        assert (pm / HP / RCM / f"{sid}.json").is_file()
    assert not (pm / HP / "zsdzsd").exists()
    # reads fall back to the files while KV is down
    read = store.read_story(HP, RCM, "F-RCM-001")
    assert read is not None
    assert read["title"] == "edited offline"
    return ids


def test_engine_down_then_back_the_next_write_replays_the_outbox(stack: Stack) -> None:
    with _loaded(stack) as store:
        assert _differences(stack) == []
        stack.engine.stop()
        _write_while_down(store, stack.pm)
        down = health(stack.home)
        assert down.outbox > 0
        assert down.counters["kv_write_failures"] >= 1
        assert down.fallbacks >= 1
        stack.engine.start()
        time.sleep(0.4)  # past the back-off
        store.archive_story(HP, RCM, "F-RCM-004")  # replays the outbox, then writes
        assert health(stack.home).outbox == 0
        assert health(stack.home).counters["replayed"] == down.outbox
        assert _differences(stack) == []


def test_engine_down_then_back_reconcile_makes_them_equal(stack: Stack) -> None:
    with _loaded(stack) as store:
        stack.engine.stop()
        _write_while_down(store, stack.pm)
        owed = health(stack.home).outbox
        assert owed > 0
    stack.engine.start()
    assert _differences(stack)  # KV is behind the files
    target = Target(stack.gateway.url, stack.gateway.token)
    result = reconcile(target, ReconcileOptions(stack.pm, stack.home))
    assert result.equal
    assert result.exit_code == 0
    assert result.drained.replayed == owed
    assert result.migrate is not None
    assert result.migrate.write.written > 0
    assert any("zsdzsd" in key for key in result.extras)  # the deleted epic's keys
    assert _differences(stack) == []
    after = health(stack.home)
    assert after.outbox == 0
    assert after.healthy  # a clean reconcile starts a new window
    assert after.totals["kv_write_failures"] >= 1  # history is kept in the totals


def test_gateway_down_is_a_kv_failure_too(stack: Stack) -> None:
    with _loaded(stack) as store:
        stack.gateway.process.terminate()
        stack.gateway.process.wait(timeout=10)
        created = store.create_story(HP, RCM, new_story("no gateway"))
        assert (stack.pm / HP / RCM / f"{created['id']}.json").is_file()
        assert health(stack.home).outbox > 0
        assert "cannot reach" in store.outbox.read()[0].error
