"""``export``: the KV back into a new pm/ folder, verified, never over an existing one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from pmkv.migrate.connect import Target
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import ExportError
from pmkv.migrate.export import export, partial_path
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.store.errors import StoreError
from pmkv.store.files import FileStore
from pmkv.store.keyspace import Keyspace
from pmkv.store.kv import KVStore
from tests.migrate.clirun import cli_env, pmkv
from tests.support.gateway import RunningGateway

KS = Keyspace.production()
PROJECT = "healthcare-platform"


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.json"))
        if p.is_file()
    }


@pytest.fixture
def migrated(store: KvStore, fixture_pm: Path, home: Path) -> Path:
    result = migrate(store, MigrateOptions(fixture_pm, home, backup=False))
    assert result.verify is not None
    assert result.verify.ok
    return fixture_pm


def test_export_gives_back_the_migrated_files(
    migrated: Path, gateway: RunningGateway, tmp_path: Path
) -> None:
    out = tmp_path / "pm-from-kv"
    result = export(Target(gateway.url, gateway.token), out, KS)
    assert result.verify is not None
    assert result.verify.ok, result.verify
    assert result.exit_code == 0
    assert result.projects == {PROJECT: {"epics": 5, "stories": 49}}
    assert result.people == len(json.loads((migrated / "people.json").read_text()))
    source, exported = _files(migrated), _files(out)
    assert set(exported) == set(source)
    for name, data in source.items():
        # the app's file format ends with a newline; some of the app's old files do not
        assert exported[name].rstrip(b"\n") == data.rstrip(b"\n"), name
        assert exported[name].endswith(b"}\n") or exported[name].endswith(b"]\n")
    assert not partial_path(out).exists()


def test_kv_only_writes_come_back_as_files(
    migrated: Path, gateway: RunningGateway, tmp_path: Path
) -> None:
    kv = KVStore(gateway.url, gateway.token)
    try:
        epic = kv.list_epics(PROJECT)[0]
        created = kv.create_story(
            PROJECT,
            epic,
            {"title": "Written after the switch to KV only", "status": "todo"},
        )
        first = kv.list_story_ids(PROJECT, epic)[0]
        changed = {**(kv.read_story(PROJECT, epic, first) or {}), "status": "done"}
        kv.write_story(PROJECT, epic, first, changed)
    finally:
        kv.close()
    out = tmp_path / "out"
    result = export(Target(gateway.url, gateway.token), out, KS)
    assert result.verify is not None
    assert result.verify.ok
    story_file = out / PROJECT / epic / f"{created['id']}.json"
    assert json.loads(story_file.read_text())["title"] == "Written after the switch to KV only"
    assert json.loads((out / PROJECT / epic / f"{first}.json").read_text())["status"] == "done"
    assert discover(out).errors == []


def test_a_listed_story_missing_in_kv_is_reported_and_verify_fails(
    migrated: Path, gateway: RunningGateway, clean_engine: redis.Redis, tmp_path: Path
) -> None:
    epic = "appointment-scheduling"
    key = KS.story(PROJECT, epic, "F-ASD-001")
    assert clean_engine.delete(key) == 1
    out = tmp_path / "out"
    result = export(Target(gateway.url, gateway.token), out, KS)
    assert result.missing == {key: "listed, but absent"}
    assert not (out / PROJECT / epic / "F-ASD-001.json").exists()
    assert result.verify is not None
    assert not result.verify.ok
    assert result.exit_code == 3


def test_export_never_writes_into_an_existing_folder(
    migrated: Path, gateway: RunningGateway, tmp_path: Path
) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="already exists"):
        export(Target(gateway.url, gateway.token), out, KS)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_dry_run_counts_and_writes_nothing(
    migrated: Path, gateway: RunningGateway, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = export(Target(gateway.url, gateway.token), out, KS, dry_run=True)
    assert result.projects == {PROJECT: {"epics": 5, "stories": 49}}
    assert result.verify is None
    assert not out.exists()
    assert not partial_path(out).exists()


def test_an_interrupted_export_is_replaced(
    migrated: Path, gateway: RunningGateway, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    partial = partial_path(out)
    (partial / "half-written").mkdir(parents=True)
    result = export(Target(gateway.url, gateway.token), out, KS)
    assert result.verify is not None
    assert result.verify.ok
    assert not partial.exists()
    assert not (out / "half-written").exists()


def test_an_empty_kv_is_refused_not_exported_as_an_empty_folder(
    store: KvStore, gateway: RunningGateway, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="lists no project"):
        export(Target(gateway.url, gateway.token), tmp_path / "out", KS)
    assert not (tmp_path / "out").exists()


def test_a_write_failure_is_an_export_error_and_leaves_no_target(
    migrated: Path, gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: FileStore, data: object) -> None:
        raise StoreError("cannot write: No space left on device")

    monkeypatch.setattr(FileStore, "import_project", full)
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="cannot write the export") as info:
        export(Target(gateway.url, gateway.token), out, KS)
    assert "partial" in (info.value.hint or "")
    assert not out.exists()  # the empty claim is removed; the partial folder is ours


def test_an_interrupted_write_gives_the_name_back(
    migrated: Path, gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: FileStore, data: object) -> None:
        raise KeyboardInterrupt

    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(FileStore, "import_project", interrupted)
        with pytest.raises(KeyboardInterrupt):
            export(Target(gateway.url, gateway.token), out, KS)
    assert not out.exists()
    result = export(Target(gateway.url, gateway.token), out, KS)  # the retry works
    assert result.verify is not None
    assert result.verify.ok


def test_a_kv_name_that_cannot_be_a_folder_is_an_export_error(
    migrated: Path, gateway: RunningGateway, clean_engine: redis.Redis, tmp_path: Path
) -> None:
    clean_engine.set(KS.projects_list(), json.dumps([PROJECT, "bad\\name"]))
    with pytest.raises(ExportError, match="cannot be used as a key"):
        export(Target(gateway.url, gateway.token), tmp_path / "out", KS)


def test_unknown_project_is_refused_with_the_known_ones(
    migrated: Path, gateway: RunningGateway, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="no-such-project") as info:
        export(Target(gateway.url, gateway.token), tmp_path / "o", KS, projects=["no-such-project"])
    assert PROJECT in (info.value.hint or "")


def test_cli_export_json_and_refusal(
    migrated: Path, gateway: RunningGateway, home: Path, tmp_path: Path
) -> None:
    env = cli_env(gateway, home)
    done = pmkv("export", "pm-from-kv", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["verify"]["ok"] is True
    assert data["projects"][PROJECT]["stories"] == 49
    again = pmkv("export", "pm-from-kv", env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr
