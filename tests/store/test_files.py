"""What only the file store promises: the app's file format, listing rules, atomicity."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pmkv.store.codec import parse_json, to_pretty_json
from pmkv.store.files import FileStore, atomic_create, atomic_write, default_lock_path
from tests.store.support import new_story


def _epic() -> dict[str, object]:
    stamp = "2025-01-01T00:00:00Z"
    return {"title": "E", "summary": "s", "createdAt": stamp, "updatedAt": stamp}


def test_files_are_the_apps_format_and_nothing_else_is_left(tmp_path: Path) -> None:
    root = tmp_path / "pm"
    store = FileStore(root, lock_path=tmp_path / "lock")
    store.write_project("demo", {"name": "Démo", "x": 1.5})
    store.write_epic("demo", "alpha", _epic())
    ids = [store.create_story("demo", "alpha", new_story(t))["id"] for t in "ab"]
    store.delete_story("demo", "alpha", ids[0])
    store.write_epic("demo", "beta", _epic())
    store.move_story("demo", "alpha", ids[1], "beta")
    store.write_epic("demo", "gone", _epic())
    store.delete_epic("demo", "gone")
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    assert files == sorted(
        [
            "demo",
            "demo/alpha",
            "demo/alpha/epic.json",
            f"demo/alpha/{ids[0]}.json",
            "demo/beta",
            "demo/beta/epic.json",
            f"demo/beta/{ids[1]}.json",
            "demo/project.json",
        ]
    )
    for path in root.rglob("*.json"):
        text = path.read_text("utf-8")
        assert text == to_pretty_json(parse_json(text)), path
        assert text.endswith("}\n")
    assert "Démo" in (root / "demo" / "project.json").read_text("utf-8")


def test_listing_rules(tmp_path: Path, fixture_pm: Path) -> None:
    root = tmp_path / "pm"
    store = FileStore(root, lock_path=tmp_path / "lock")
    store.write_project("demo", {"name": "Demo"})
    store.write_epic("demo", "alpha", _epic())
    folder = root / "demo" / "alpha"
    for name in ["notes.txt", ".DS_Store", "STORY-123.json", "F-AB-001.json.bak", "x.json"]:
        (folder / name).write_text("{}")
    (root / "no-project-json").mkdir()
    (root / "demo" / "no-epic-json").mkdir()
    (root / ".hidden").mkdir()
    (root / ".hidden" / "project.json").write_text("{}")
    assert store.list_projects() == ["demo"]
    assert store.list_epics("demo") == ["alpha"]
    assert store.list_story_ids("demo", "alpha") == ["STORY-123"]
    fixture = FileStore(fixture_pm, lock_path=tmp_path / "fixture.lock")
    assert len(fixture.list_story_ids("healthcare-platform", "revenue-cycle-management")) == 42


def test_atomic_primitives(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    assert atomic_create(target, "1\n")
    assert not atomic_create(target, "2\n")
    assert target.read_text() == "1\n"
    atomic_write(target, "3\n")
    assert target.read_text() == "3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]  # no temp files left


def test_default_lock_lives_outside_the_tree(tmp_path: Path) -> None:
    root = tmp_path / "pm"
    lock = default_lock_path(root)
    assert root not in lock.parents
    assert lock == default_lock_path(tmp_path / "x" / ".." / "pm")  # same folder, same lock
    assert lock != default_lock_path(tmp_path / "other")


def test_atomic_create_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)  # e.g. some network and container mounts
    target = tmp_path / "a.json"
    assert atomic_create(target, "1\n")
    assert not atomic_create(target, "2\n")
    assert target.read_text() == "1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
