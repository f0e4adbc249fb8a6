"""Picklable store recipes (child processes rebuild the store from them) and workers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmkv.store.base import BaseStore
from pmkv.store.files import FileStore
from pmkv.store.interface import Record
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
