"""Rollback returns the KV to its exact state before a run: full, partial, repeated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from pmkv.migrate.errors import RollbackError
from pmkv.migrate.journal import JournalEntry, read_journal
from pmkv.migrate.kv import KvStore
from pmkv.migrate.rollback import rollback
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.migrate.runs import journal_files, list_runs, run_dir
from pmkv.migrate.sink import KvSink
from pmkv.store.keyspace import Keyspace
from tests.migrate.conftest import snapshot, write_json

KS = Keyspace.production()
P = "healthcare-platform"


def seed_existing(client: redis.Redis) -> None:
    """Keys present before the run: one the run overwrites (--force), unrelated ones."""
    client.set(KS.story(P, "zsdzsd", "F-ZSDZSD-001"), '{"id":"F-ZSDZSD-001","title":"app"}')
    client.set("unrelated", "keep me")
    client.hset("app:hash", mapping={"a": "1"})


def test_rollback_after_a_full_run_restores_the_exact_state(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    seed_existing(clean_engine)
    before = snapshot(clean_engine)
    result = migrate(store, MigrateOptions(pm_copy, home, force=True))
    assert result.exit_code == 0
    assert snapshot(clean_engine) != before
    undone = rollback(store, home)
    assert undone.run_id == result.run_id
    assert undone.deleted == 62
    assert undone.restored == 1
    assert snapshot(clean_engine) == before
    # idempotent: a second rollback finds every key already in its previous state
    again = rollback(store, home)
    assert again.already == 63
    assert again.restored == again.deleted == 0
    assert snapshot(clean_engine) == before
    assert list_runs(home)[-1].state == "rolled-back"


def test_rollback_of_one_run_of_two_restores_the_first_runs_state(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, MigrateOptions(pm_copy, home))
    after_first = snapshot(clean_engine)
    path = pm_copy / P / "zsdzsd" / "F-ZSDZSD-002.json"
    value = json.loads(path.read_text())
    value["title"] = "second"
    write_json(path, value)
    second = migrate(store, MigrateOptions(pm_copy, home))
    assert second.write.written == 1
    rollback(store, home, second.run_id)
    assert snapshot(clean_engine) == after_first


def test_rollback_refuses_keys_changed_after_the_run(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    result = migrate(store, MigrateOptions(pm_copy, home))
    key = KS.story(P, "zsdzsd", "F-ZSDZSD-001")
    clean_engine.set(key, "edited later")
    with pytest.raises(RollbackError, match="changed after run"):
        rollback(store, home, result.run_id)
    assert clean_engine.get(key) == b"edited later"  # nothing was touched
    forced = rollback(store, home, result.run_id, force=True)
    assert forced.drifted == [key]
    assert clean_engine.dbsize() == 0


class Crash(Exception):
    pass


class CrashingSink(KvSink):
    """Dies after journalling batch ``n`` and before sending it, like a SIGKILL would."""

    def __init__(self, inner: KvSink, n: int) -> None:
        super().__init__(inner.store, inner.journal)
        self.n = n
        self.calls = 0

    def write_batch(self, plan, keys):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == self.n:
            self.journal_plan(plan)  # journalled...
            raise Crash  # ...but never sent
        super().write_batch(plan, keys)


def test_rollback_after_a_partial_run(
    pm_copy: Path,
    home: Path,
    store: KvStore,
    clean_engine: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pmkv.migrate.runner as runner
    import pmkv.migrate.storywork as storywork

    seed_existing(clean_engine)
    before = snapshot(clean_engine)
    real = runner.KvSink
    for module in (runner, storywork):  # the story writes crash (they come first)
        monkeypatch.setattr(module, "KvSink", lambda s, j: CrashingSink(real(s, j), 5))
    with pytest.raises(Crash):
        migrate(store, MigrateOptions(pm_copy, home, force=True, batch_size=10, workers=0))
    meta = list_runs(home)[-1]
    assert meta.state == "failed"
    folder = run_dir(home, meta.run_id)
    journalled = [e for path in journal_files(folder) for e in read_journal(path)]
    assert 0 < len(journalled) < 63
    assert 0 < clean_engine.dbsize() < 60
    undone = rollback(store, home)
    assert undone.already >= 1  # the batch journalled but never sent
    assert snapshot(clean_engine) == before


def test_torn_journal_tail_is_ignored(tmp_path: Path) -> None:
    from pmkv.migrate.journal import Journal

    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.record([JournalEntry("k", None, None, "h")])
    with path.open("ab") as handle:
        handle.write(b'{"batch":1,"entries":[["k2",nu')  # killed mid-append
    assert [e.key for e in read_journal(path)] == ["k"]


def test_no_run_to_roll_back(home: Path, store: KvStore) -> None:
    with pytest.raises(RollbackError, match="no migrate run"):
        rollback(store, home)
