"""Fixtures for the migration toolkit: a store on the session gateway, trees to migrate."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pmkv.migrate.kv import KvStore
from tests.support.gateway import RunningGateway


@pytest.fixture
def store(gateway: RunningGateway, clean_engine: redis.Redis) -> Iterator[KvStore]:
    """The official client on the real gateway, over a flushed engine."""
    with KvStore(gateway.url, gateway.token) as kv:
        yield kv


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def pm_copy(fixture_pm: Path, tmp_path: Path) -> Path:
    """A writable copy of the real fixture tree (archive renames it)."""
    target = tmp_path / "pm"
    shutil.copytree(fixture_pm, target)
    return target


def tree_hash(root: Path) -> str:
    """One digest of every path and byte under ``root`` (to prove nothing changed)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def snapshot(client: redis.Redis) -> dict[bytes, object]:
    """Every key's type and value, straight from the engine."""
    out: dict[bytes, object] = {}
    for key in client.keys("*"):
        kind = client.type(key)
        if kind == b"string":
            out[key] = client.get(key)
        elif kind == b"hash":
            out[key] = client.hgetall(key)
        else:
            out[key] = (kind, client.dump(key))
    return out


def write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def story(sid: str, epic: str, **extra: object) -> dict[str, object]:
    return {
        "id": sid,
        "epicId": epic,
        "title": f"Story {sid}",
        "status": "todo",
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2025-01-02T00:00:00.123Z",
        **extra,
    }


@pytest.fixture
def adversarial(pm_copy: Path) -> Path:
    """The fixture tree plus one instance of every anomaly discovery must report."""
    project = pm_copy / "healthcare-platform"
    rcm = project / "revenue-cycle-management"
    epic = json.loads((rcm / "epic.json").read_text())
    epic["storyIds"] = [*epic["storyIds"], "F-RCM-099", "F-RCM-001"]  # no file; repeat
    write_json(rcm / "epic.json", epic)
    (rcm / "F-RCM-026.json").write_text('{\n  "id": "F-RCM-026",\n  "title": oops\n}\n')
    write_json(rcm / "F-RCM-027.json", story("F-RCM-027", "revenue-cycle-management", status="wip"))
    write_json(rcm / "F-RCM-028.json", story("F-RCM-029", "revenue-cycle-management"))
    write_json(rcm / "F-RCM-030.json", story("F-RCM-030", "revenue-cycle-management"))
    write_json(rcm / "STORY-123.json", story("STORY-123", "revenue-cycle-management"))
    (rcm / "notes.txt").write_text("not data\n")
    (rcm / ".DS_Store").write_bytes(b"\0\1")
    # a valid story saved with a BOM and CRLF line ends, listed in storyIds
    test_epic = project / "test-epic"
    raw = (test_epic / "F-TESEPI-001.json").read_text(encoding="utf-8")
    (test_epic / "F-TESEPI-001.json").write_bytes(
        b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode("utf-8")
    )
    # the same story id in two epics of one project
    write_json(test_epic / "F-RCM-001.json", story("F-RCM-001", "test-epic"))
    write_json(project / "orphan-epic" / "F-ORP-001.json", story("F-ORP-001", "orphan-epic"))
    write_json(project / "people.json", [])
    write_json(pm_copy / "lost-project" / "some-epic" / "epic.json", {"title": "x"})
    write_json(pm_copy / "stray.json", {"a": 1})
    return pm_copy
