"""KVStore.load_project with remembered lists: one round trip when nothing changed,
and never stale when another writer changed the project in between."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from pmkv.store.files import FileStore
from pmkv.store.interface import ProjectData, Record
from pmkv.store.kv import KVStore
from tests.store.support import new_story
from tests.support.gateway import RunningGateway

_names = itertools.count()


def _unique(stem: str) -> str:
    return f"{stem}-{next(_names)}"


@pytest.fixture
def kv_pair(
    gateway: RunningGateway, clean_engine: redis.Redis
) -> Iterator[tuple[KVStore, KVStore]]:
    """Two independent stores on one gateway: a reader and another writer."""
    reader = KVStore(gateway.url, gateway.token)
    writer = KVStore(gateway.url, gateway.token)
    yield reader, writer
    reader.close()
    writer.close()


def _fixture_project(fixture_pm: Path, tmp_path: Path, name: str) -> ProjectData:
    """The real fixture's healthcare-platform project under a new name."""
    files = FileStore(fixture_pm, lock_path=tmp_path / "lock")
    data = files.load_project("healthcare-platform")
    data.name = name
    return data


def _round_trips(store: KVStore) -> list[httpx.Request]:
    """The HTTP requests the store's client sends from now on (one per round trip)."""
    seen: list[httpx.Request] = []
    store.client._http._client.event_hooks["request"].append(seen.append)
    return seen


def _shape(data: ProjectData) -> dict[str, tuple[list[str], dict[str, Record]]]:
    """What a load must get right: epics in order, their story ids and stories."""
    return {name: (e.story_ids, e.stories) for name, e in data.epics.items()}


def _fresh_load(gateway: RunningGateway, project: str) -> ProjectData:
    fresh = KVStore(gateway.url, gateway.token)
    try:
        return fresh.load_project(project)
    finally:
        fresh.close()


def test_unchanged_project_reloads_in_one_round_trip(
    kv_pair: tuple[KVStore, KVStore], fixture_pm: Path, tmp_path: Path
) -> None:
    reader, _ = kv_pair
    project = _unique("cache-same")
    reader.import_project(_fixture_project(fixture_pm, tmp_path, project))
    first = reader.load_project(project)
    assert sum(len(e.stories) for e in first.epics.values()) > 0
    requests = _round_trips(reader)
    again = reader.load_project(project)
    assert len(requests) == 1
    assert again == first


def test_reload_sees_another_writers_changes(
    kv_pair: tuple[KVStore, KVStore],
    gateway: RunningGateway,
    fixture_pm: Path,
    tmp_path: Path,
) -> None:
    reader, writer = kv_pair
    project = _unique("cache-stale")
    source = _fixture_project(fixture_pm, tmp_path, project)
    reader.import_project(source)
    reader.load_project(project)  # the reader now remembers every list
    epic = next(name for name, e in source.epics.items() if e.record is not None)
    active = writer.list_active_story_ids(project, epic)
    assert active, "the fixture epic needs an active story to soft-delete"
    epic_record = source.epics[epic].record
    assert epic_record is not None
    new_epic = _unique("cache-epic")

    changes: dict[str, Callable[[], object]] = {
        "create a story": lambda: writer.create_story(project, epic, new_story("cache test")),
        "soft-delete a story": lambda: writer.delete_story(project, epic, active[0]),
        "create an epic": lambda: writer.write_epic(
            project, new_epic, {**epic_record, "storyIds": []}
        ),
        "delete an epic": lambda: writer.delete_epic(project, epic),
    }
    for what, change in changes.items():
        change()
        requests = _round_trips(reader)
        loaded = reader.load_project(project)
        trips = len(requests)
        expected = _fresh_load(gateway, project)
        assert loaded.record == expected.record, what
        assert list(loaded.epics) == list(expected.epics), what
        assert _shape(loaded) == _shape(expected), what
        assert loaded == expected, what
        assert trips <= 3, f"{what}: {trips} round trips"
    assert new_epic in loaded.epics
    assert epic not in loaded.epics
