"""Archive: refused while files and KV differ; allowed after a passing verify; undo."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from pmkv.migrate.archive import archive, archive_path, unarchive
from pmkv.migrate.errors import ArchiveError, VerifyFailed
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.store.keyspace import Keyspace
from tests.migrate.conftest import tree_hash

KS = Keyspace.production()


def test_archive_only_after_a_passing_verify(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    with pytest.raises(VerifyFailed, match="differ"):
        archive(pm_copy, store, KS)  # nothing migrated yet
    migrate(store, MigrateOptions(pm_copy, home))
    key = KS.story("healthcare-platform", "zsdzsd", "F-ZSDZSD-001")
    good = clean_engine.get(key)
    clean_engine.set(key, b'{"id":"F-ZSDZSD-001"}')
    with pytest.raises(VerifyFailed):
        archive(pm_copy, store, KS)
    clean_engine.set(key, good or b"")
    clean_engine.set("pm:project:healthcare-platform:epic:ghost", "{}")
    with pytest.raises(VerifyFailed):  # a key without a file also blocks
        archive(pm_copy, store, KS)
    clean_engine.delete("pm:project:healthcare-platform:epic:ghost")
    digest = tree_hash(pm_copy)
    dry = archive(pm_copy, store, KS, dry_run=True)
    assert not dry.done
    assert pm_copy.is_dir()
    done = archive(pm_copy, store, KS)
    assert done.done
    assert not pm_copy.exists()
    assert tree_hash(archive_path(pm_copy)) == digest
    undone = unarchive(pm_copy)
    assert undone.undo
    assert tree_hash(pm_copy) == digest
    assert not archive_path(pm_copy).exists()


def test_archive_refuses_an_existing_backup_folder(
    pm_copy: Path, home: Path, store: KvStore
) -> None:
    migrate(store, MigrateOptions(pm_copy, home))
    archive_path(pm_copy).mkdir()
    with pytest.raises(ArchiveError, match="already exists"):
        archive(pm_copy, store, KS)


def test_archive_refuses_invalid_source_records(
    adversarial: Path, home: Path, store: KvStore
) -> None:
    migrate(store, MigrateOptions(adversarial, home))
    with pytest.raises(ArchiveError, match="invalid"):
        archive(adversarial, store, KS)


def test_undo_refuses_to_overwrite(pm_copy: Path) -> None:
    with pytest.raises(ArchiveError, match="no"):
        unarchive(pm_copy)
    archive_path(pm_copy).mkdir()
    with pytest.raises(ArchiveError, match="exists"):
        unarchive(pm_copy)
