"""Picklable store recipes (child processes rebuild the store from them) and workers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmkv.store.base import BaseStore
from pmkv.store.files import FileStore
from pmkv.store.interface import EpicData, ProjectData, Record
from pmkv.store.kv import KVStore


@dataclass(frozen=True)
class StoreSpec:
    """How to open one store; pickled into spawned processes.

    To add a store to the contract suite (e.g. the future DualStore), add a ``kind``
    here and one entry to ``STORE_KINDS`` in ``conftest.py``.
    """

    kind: str
    root: str | None = None
    lock_path: str | None = None
    url: str | None = None
    token: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def open(self) -> BaseStore:
        if self.kind == "file":
            assert self.root
            assert self.lock_path
            return FileStore(Path(self.root), lock_path=Path(self.lock_path), **self.options)
        if self.kind == "kv":
            assert self.url
            assert self.token
            return KVStore(self.url, self.token, **self.options)
        raise ValueError(f"unknown store kind {self.kind!r}")


def new_story(title: str) -> Record:
    return {
        "title": title,
        "summary": "made by a concurrent writer",
        "status": "todo",
        "priority": "medium",
        "createdAt": "2025-01-01T00:00:00.000Z",
        "updatedAt": "2025-01-01T00:00:00.000Z",
    }


def create_stories(
    spec: StoreSpec, project: str, epic: str, titles: list[str], start_at: float = 0.0
) -> list[str]:
    """Worker: create one story per title (from ``start_at``, a time.time()); its ids."""
    store = spec.open()
    time.sleep(max(0.0, start_at - time.time()))
    try:
        return [str(store.create_story(project, epic, new_story(t))["id"]) for t in titles]
    finally:
        store.close()


def synthetic_project(name: str, epics: int = 15, stories: int = 500) -> ProjectData:
    """A valid project of ``epics`` epics sharing ``stories`` stories (deterministic)."""
    data = ProjectData(name, {"name": name.title(), "epicIds": [], "metadata": {}}, {})
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for e in range(epics):
        epic_name = f"epic-{e:02d}"
        acronym = "EP" + letters[e // 26] + letters[e % 26]
        count = stories // epics + (1 if e < stories % epics else 0)
        ids = [f"F-{acronym}-{i + 1:03d}" for i in range(count)]
        record = {
            "title": f"Epic {e}",
            "summary": "synthetic",
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-01T00:00:00Z",
            "storyIds": ids,
        }
        story_records = {
            sid: {
                "id": sid,
                "epicId": epic_name,
                "title": f"Story {sid} ünïcode",
                "summary": "As a user I want things.",
                "description": "## Details\n" + "Lorem ipsum dolor sit amet. " * 40,
                "acceptanceCriteria": ["works", "is fast"],
                "status": ("todo", "in_progress", "blocked", "done")[i % 4],
                "priority": ("low", "medium", "high", "critical")[i % 4],
                "manager": f"person-{i % 7:03d}",
                "createdAt": "2025-01-01T00:00:00.000Z",
                "updatedAt": "2025-01-02T00:00:00.000Z",
                "tags": ["synthetic", f"t{i % 5}"],
                "estimate": {"storyPoints": i % 8, "confidence": "medium"},
                "files": [],
                "metadata": {"createdBy": "bench", "lastEditedBy": "bench", "custom": {}},
                "deleted": False,
                "archived": False,
            }
            for i, sid in enumerate(ids)
        }
        data.epics[epic_name] = EpicData(epic_name, record, ids, story_records)
    return data


# An edit of a record: (path to a nested object, field, value, delete?). A path that does
# not lead to an object (an earlier edit replaced it) makes the edit do nothing.
Edit = tuple[tuple[Any, ...], str, Any, bool]


def edited(record: dict[str, Any], edits: list[Edit]) -> dict[str, Any]:
    """A deep copy of ``record`` with ``edits`` applied in order (for fuzzing records)."""
    out: dict[str, Any] = json.loads(json.dumps(record))
    for place, key, value, delete in edits:
        target: Any = out
        for step in place:
            if isinstance(target, dict) and isinstance(step, str):
                target = target.get(step)
            elif isinstance(target, list) and isinstance(step, int) and len(target) > step:
                target = target[step]
            else:
                target = None
        if isinstance(target, dict):
            if delete:
                target.pop(key, None)
            else:
                target[key] = value
    return out
