"""``pmkv reconcile``: files win, on the migration's code path; dry run writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from pmkv.migrate.connect import Target
from pmkv.migrate.errors import MigrateAborted
from pmkv.migrate.kv import KvStore
from pmkv.migrate.reconcile import ReconcileOptions, ReconcilePreview, reconcile
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.store.dual_stats import health, outbox_for
from pmkv.store.outbox import OutboxEntry
from tests.migrate.clirun import cli_env, pmkv
from tests.migrate.conftest import snapshot
from tests.store.test_dual_support import open_dual
from tests.support.gateway import RunningGateway

HP = "healthcare-platform"
RCM = "revenue-cycle-management"
STORY = f"pm:project:{HP}:epic:{RCM}:story:F-RCM-001"
STRAY = f"pm:project:{HP}:epic:{RCM}:story:F-RCM-900"


@dataclass(frozen=True)
class Migrated:
    """The fixture tree migrated onto the session gateway, and what the tests touch."""

    pm: Path
    home: Path
    gateway: RunningGateway
    engine: redis.Redis

    @property
    def target(self) -> Target:
        return Target(self.gateway.url, self.gateway.token)


@pytest.fixture
def migrated(
    store: KvStore,
    pm_copy: Path,
    home: Path,
    gateway: RunningGateway,
    clean_engine: redis.Redis,
) -> Migrated:
    migrate(store, MigrateOptions(pm_copy, home, backup=False))
    return Migrated(pm_copy, home, gateway, clean_engine)


def _diverge(migrated: Migrated) -> None:
    """A file edited by hand, a key lost, a key with no file."""
    path = migrated.pm / HP / RCM / "F-RCM-001.json"
    path.write_text(
        json.dumps({**json.loads(path.read_text("utf-8")), "title": "by hand"}, indent=2), "utf-8"
    )
    migrated.engine.delete(f"pm:project:{HP}:epic:zsdzsd:story:F-ZSDZSD-001")
    migrated.engine.set(STRAY, '{"id":"F-RCM-900"}')


def test_dry_run_lists_the_repairs_and_writes_nothing(migrated: Migrated) -> None:
    _diverge(migrated)
    before = snapshot(migrated.engine)
    result = reconcile(migrated.target, ReconcileOptions(migrated.pm, migrated.home, dry_run=True))
    assert snapshot(migrated.engine) == before
    assert result.exit_code == 3
    assert result.migrate is not None
    written = {e.key: e.action for e in result.migrate.plan.entries if e.write}
    assert written[STORY] == "update"  # pmkv wrote it (ledger), the file changed since
    assert written[f"pm:project:{HP}:epic:zsdzsd:story:F-ZSDZSD-001"] == "create"
    assert result.extras == [STRAY]


def test_repairs_changed_missing_and_extra_keys(migrated: Migrated) -> None:
    _diverge(migrated)
    migrated.engine.set(f"pm:project:{HP}", '{"name":"someone else wrote this"}')
    seen: list[ReconcilePreview] = []

    def confirm(preview: ReconcilePreview) -> bool:
        seen.append(preview)
        return True

    options = ReconcileOptions(migrated.pm, migrated.home, confirm=confirm)
    result = reconcile(migrated.target, options)
    assert result.exit_code == 0
    assert result.equal
    assert result.after is not None
    assert result.after.ok
    assert seen
    assert seen[0].extras == [STRAY]
    assert json.loads(migrated.engine.get(STORY) or b"{}")["title"] == "by hand"
    assert migrated.engine.get(STRAY) is None
    assert result.saved is not None
    assert json.loads(Path(result.saved).read_text("utf-8")) == {STRAY: '{"id":"F-RCM-900"}'}
    assert result.migrate is not None
    assert result.migrate.run_id  # journalled like a migration: `pmkv rollback` can undo it
    again = reconcile(migrated.target, options)
    assert again.changed == 0
    assert again.exit_code == 0


def test_declining_writes_nothing(migrated: Migrated) -> None:
    _diverge(migrated)
    before = snapshot(migrated.engine)
    with pytest.raises(MigrateAborted):
        reconcile(
            migrated.target,
            ReconcileOptions(migrated.pm, migrated.home, confirm=lambda preview: False),
        )
    assert snapshot(migrated.engine) == before


def test_a_key_whose_file_is_invalid_is_kept_and_reported(migrated: Migrated) -> None:
    (migrated.pm / HP / RCM / "F-RCM-001.json").write_text("{ not json", "utf-8")
    result = reconcile(migrated.target, ReconcileOptions(migrated.pm, migrated.home))
    assert migrated.engine.get(STORY) is not None  # the only readable copy is not destroyed
    assert [d.key for d in result.kept] == [STORY]
    assert result.exit_code == 3


def test_shadow_mismatch_then_reconcile_then_healthy(migrated: Migrated) -> None:
    dual = open_dual(
        migrated.pm, migrated.gateway.url, migrated.gateway.token, migrated.home, compare=1.0
    )
    try:
        path = migrated.pm / HP / RCM / "F-RCM-001.json"
        value = json.loads(path.read_text("utf-8"))
        path.write_text(json.dumps({**value, "priority": "low"}, indent=2) + "\n", "utf-8")
        dual.read_story(HP, RCM, "F-RCM-001")
        assert dual.shadow.wait_idle()
    finally:
        dual.close()
    sick = health(migrated.home)
    assert sick.mismatches == 1
    assert sick.last_mismatches[-1]["paths"] == ["/priority"]
    assert not sick.healthy
    result = reconcile(migrated.target, ReconcileOptions(migrated.pm, migrated.home))
    assert result.exit_code == 0
    assert json.loads(migrated.engine.get(STORY) or b"{}")["priority"] == "low"
    well = health(migrated.home)
    assert well.healthy
    assert well.totals["mismatches"] == 1


def test_cli_reconcile_and_status(migrated: Migrated, tmp_path: Path) -> None:
    env = cli_env(migrated.gateway, migrated.home) | {"DUAL_WRITE": "true"}
    _diverge(migrated)
    dry = pmkv("reconcile", str(migrated.pm), "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 3, dry.stderr
    assert f"would delete {STRAY}" in dry.stdout
    asked = pmkv("reconcile", str(migrated.pm), env=env, cwd=tmp_path)
    assert asked.returncode == 2
    assert "--yes" in asked.stderr
    done = pmkv("reconcile", str(migrated.pm), "--yes", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the library logs to its logger and files, never to stderr
    data = json.loads(done.stdout)
    assert data["equal"] is True
    assert data["deleted"] == [STRAY]
    assert STORY in data["written"]
    status = pmkv("status", str(migrated.pm), "--json", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    phases = {p["name"]: p for p in json.loads(status.stdout)["phases"]}
    assert phases["dual-write"]["done"] is True
    assert "fallbacks 0, mismatches 0, outbox 0" in phases["dual-write"]["detail"]
    outbox_for(migrated.home).append(
        [OutboxEntry("write_story", "set", STORY, "story", HP, RCM, "F-RCM-001", "t")]
    )
    owed = pmkv("status", str(migrated.pm), "--json", env=env, cwd=tmp_path)
    found = json.loads(owed.stdout)
    phases = {p["name"]: p for p in found["phases"]}
    assert phases["dual-write"]["done"] is False
    assert "outbox 1" in phases["dual-write"]["detail"]
    assert found["next"].startswith("pmkv reconcile")
