"""Backups: create, list, restore with every checksum checked; never overwrite."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from pmkv.migrate.backup import backups_dir, create_backup, list_backups, restore_backup
from pmkv.migrate.errors import BackupError
from tests.migrate.conftest import tree_hash


def test_create_list_restore_round_trip(pm_copy: Path, home: Path, tmp_path: Path) -> None:
    original = tree_hash(pm_copy)
    info = create_backup(pm_copy, home)
    assert tree_hash(pm_copy) == original
    assert info.files == 57
    assert [b.backup_id for b in list_backups(home)] == [info.backup_id]
    manifest = json.loads((backups_dir(home) / f"{info.backup_id}.json").read_text())
    assert len(manifest["manifest"]) == 57
    assert all(len(m["sha256"]) == 64 for m in manifest["manifest"].values())
    result = restore_backup(home, None, tmp_path / "restored")
    assert result.files == 57
    assert tree_hash(tmp_path / "restored") == original


def test_restore_refuses_to_overwrite_unless_told(pm_copy: Path, home: Path) -> None:
    info = create_backup(pm_copy, home)
    (pm_copy / "people.json").write_text("[]\n")
    with pytest.raises(BackupError, match="already exists"):
        restore_backup(home, info.backup_id)
    result = restore_backup(home, info.backup_id, overwrite=True)
    assert result.moved_aside is not None
    # the overwritten folder was moved aside, never deleted
    assert (Path(result.moved_aside) / "people.json").read_text() == "[]\n"
    assert json.loads((pm_copy / "people.json").read_text())[0]["id"] == "person-001"


def test_damaged_archive_is_detected(pm_copy: Path, home: Path, tmp_path: Path) -> None:
    info = create_backup(pm_copy, home)
    archive = backups_dir(home) / info.archive
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(home, info.backup_id, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_file_checksum_mismatch_is_detected(pm_copy: Path, home: Path, tmp_path: Path) -> None:
    info = create_backup(pm_copy, home)
    manifest_path = backups_dir(home) / f"{info.backup_id}.json"
    doc = json.loads(manifest_path.read_text())
    doc["manifest"]["people.json"]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(doc))
    with pytest.raises(BackupError, match=r"checksum mismatch: people\.json"):
        restore_backup(home, info.backup_id, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_file_in_archive_is_detected(pm_copy: Path, home: Path, tmp_path: Path) -> None:
    from pmkv.migrate.backup import _sha256_file

    info = create_backup(pm_copy, home)
    archive = backups_dir(home) / info.archive
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    import io

    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            if member.name != "people.json":
                tar.addfile(member, io.BytesIO(data))
    manifest_path = backups_dir(home) / f"{info.backup_id}.json"
    doc = json.loads(manifest_path.read_text())
    doc["archive_sha256"] = _sha256_file(archive)  # a consistent but incomplete archive
    manifest_path.write_text(json.dumps(doc))
    with pytest.raises(BackupError, match=r"missing: people\.json"):
        restore_backup(home, info.backup_id, tmp_path / "out")


def test_unknown_backup(home: Path) -> None:
    with pytest.raises(BackupError, match="no backup"):
        restore_backup(home, "nope")
