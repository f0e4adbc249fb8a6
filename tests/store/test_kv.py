"""What only the KV store promises: round trips, exact bytes, atomic lists, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.errors import StoreError, StoreUnreachableError
from pmkv.store.files import FileStore
from pmkv.store.interface import StoryQuery, StoryRef
from pmkv.store.keyspace import Keyspace
from pmkv.store.kv import KVStore
from pmkv.store.kvscripts import LIST_ADD, LIST_ECHO, LIST_REMOVE
from tests.store.support import new_story, synthetic_project
from tests.support.gateway import RunningGateway
from tests.support.ports import free_port


@pytest.fixture
def kv(gateway: RunningGateway, clean_engine: redis.Redis) -> Iterator[KVStore]:
    store = KVStore(gateway.url, gateway.token)
    yield store
    store.close()


def _count_requests(store: KVStore) -> list[httpx.Request]:
    """Every HTTP request the official client sends from now on."""
    seen: list[httpx.Request] = []
    store.client._http._client.event_hooks["request"].append(seen.append)
    return seen


def test_whole_project_loads_in_three_round_trips(kv: KVStore) -> None:
    source = synthetic_project("big", epics=15, stories=500)
    kv.import_project(source)
    requests = _count_requests(kv)
    data = kv.load_project("big")
    assert len(requests) <= 3
    assert sum(len(e.stories) for e in data.epics.values()) == 500
    assert list(data.epics) == list(source.epics)
    assert data.epics["epic-03"].stories == source.epics["epic-03"].stories


def test_values_are_byte_identical_to_js_json(
    kv: KVStore, fixture_pm: Path, tmp_path: Path, clean_engine: redis.Redis
) -> None:
    files = FileStore(fixture_pm, lock_path=tmp_path / "lock")
    kv.import_project(files.load_project("healthcare-platform"))
    ks = Keyspace.production()
    for path in sorted((fixture_pm / "healthcare-platform").glob("*/F-*.json")):
        key = ks.story("healthcare-platform", path.parent.name, path.stem)
        stored = clean_engine.get(key)
        assert stored == to_js_json(parse_json(path.read_bytes())).encode("utf-8")
    lists = clean_engine.get(ks.epics_list("healthcare-platform") or "")
    assert lists is not None
    assert sorted(parse_json(lists)) == sorted(files.list_epics("healthcare-platform"))  # type: ignore[type-var]


members = st.text(
    st.characters(codec="utf-8") | st.sampled_from(['"', "\\", "/", "\x00", "\x1f", "\x7f", "\n"]),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(members, max_size=6, unique=True))
def test_lua_list_text_equals_js_json(kv: KVStore, items: list[str]) -> None:
    key = "pm:test:list"
    kv.client.delete(key)
    for item in items:
        assert kv.client.eval(LIST_ADD, [key], [item]) == 1
    if not items:
        assert kv.client.get(key) is None
        return
    assert kv.client.eval(LIST_ADD, [key], [items[0]]) == 0  # already there
    assert kv.client.get(key) == to_js_json(items)
    assert kv.client.eval(LIST_ECHO, [key], []) == to_js_json(items)
    assert kv.client.eval(LIST_REMOVE, [key], [items[-1]]) == 1
    assert kv.client.get(key) == to_js_json(items[:-1])


def test_a_list_key_that_is_not_an_array_of_strings_is_reported(kv: KVStore) -> None:
    kv.write_project("demo", {"name": "Demo"})
    kv.client.set("pm:projects:list", '{"not": "an array"}')
    with pytest.raises(StoreError, match="pm:projects:list"):
        kv.write_project("other", {"name": "Other"})
    kv.client.set("pm:projects:list", '["demo", 3]')
    with pytest.raises(StoreError, match="not a JSON array of strings"):
        kv.write_project("other", {"name": "Other"})


def test_legacy_keyspace(gateway: RunningGateway, clean_engine: redis.Redis) -> None:
    store = KVStore(gateway.url, gateway.token, keyspace=Keyspace.legacy())
    try:
        store.write_project("demo", {"name": "Demo"})
        store.write_epic("demo", "alpha", {"title": "A", "summary": "s", **_stamps()})
        sid = store.create_story("demo", "alpha", new_story("x"))["id"]
        assert store.list_epics("demo") == ["alpha"]
        assert store.load_project("demo").epics["alpha"].story_ids == [sid]
        keys = sorted(k.decode() for k in clean_engine.keys("*"))
        assert keys == [
            "pm:epic:demo:alpha",
            "pm:epic:demo:alpha:stories",
            "pm:project:demo",
            "pm:projects:list",
            f"pm:story:demo:alpha:{sid}",
        ]
        store.delete_project("demo")
        assert clean_engine.keys("*") == [b"pm:projects:list"]
    finally:
        store.close()


def _stamps() -> dict[str, Any]:
    return {"createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"}


def test_production_cascade_leaves_no_keys(kv: KVStore, clean_engine: redis.Redis) -> None:
    kv.import_project(synthetic_project("p1", epics=3, stories=12))
    kv.import_project(synthetic_project("p2", epics=1, stories=2))
    clean_engine.set("pm:project:p1:epic:epic-01:story:F-STRAY-001", "{}")  # not listed
    kv.delete_epic("p1", "epic-01")
    assert clean_engine.keys("pm:project:p1:epic:epic-01*") == []
    kv.delete_project("p1")
    assert sorted(k.decode() for k in clean_engine.keys("pm:project:p1*")) == []
    assert kv.list_projects() == ["p2"]
    assert len(kv.load_project("p2").epics["epic-00"].stories) == 2


def test_unreachable_endpoint_is_named() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    store = KVStore(url, "token")
    with pytest.raises(StoreUnreachableError) as info:
        store.list_projects()
    assert url in info.value.message
    assert info.value.hint
    store.close()


def test_wrong_token_is_reported(gateway: RunningGateway) -> None:
    store = KVStore(gateway.url, "wrong-token")
    with pytest.raises(StoreError) as info:
        store.list_projects()
    assert gateway.url in info.value.message
    store.close()


def test_timeout_bounds_a_stuck_endpoint() -> None:
    import socket
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # accepts connections, never answers
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        store = KVStore(url, "token", timeout=0.3)
        errors: list[BaseException] = []

        def other_thread() -> None:
            try:
                store.read_people()
            except StoreUnreachableError as exc:
                errors.append(exc)

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join(timeout=10)
        with pytest.raises(StoreUnreachableError, match=url):
            store.list_projects()
        store.close()
    assert not worker.is_alive()
    assert len(errors) == 1  # the per-thread client got the same bound


def test_active_ids_trust_no_stale_list(kv: KVStore, gateway: RunningGateway) -> None:
    kv.write_project("demo", {"name": "Demo"})
    kv.write_epic("demo", "alpha", {"title": "A", "summary": "s", **_stamps()})
    first = kv.create_story("demo", "alpha", new_story("a"))["id"]
    requests = _count_requests(kv)
    assert kv.list_active_story_ids("demo", "alpha") == [first]
    assert len(requests) == 2  # the list, then the script
    assert kv.list_active_story_ids("demo", "alpha") == [first]
    assert len(requests) == 3  # remembered list: the script alone
    other = KVStore(gateway.url, gateway.token)  # another writer changes the list
    second = other.create_story("demo", "alpha", new_story("b"))["id"]
    other.delete_story("demo", "alpha", first)
    other.close()
    assert kv.list_active_story_ids("demo", "alpha") == [second]
    assert len(requests) == 5  # stale: the script answered with the new list, asked again


def test_round_trips_per_operation(kv: KVStore) -> None:
    kv.import_project(synthetic_project("p", epics=3, stories=30))
    requests = _count_requests(kv)

    def trips(fn: Any) -> int:
        before = len(requests)
        fn()
        return len(requests) - before

    story = kv.read_story("p", "epic-00", "F-EPAA-001")
    assert story is not None
    assert trips(lambda: kv.create_story("p", "epic-00", new_story("n"))) == 2
    assert trips(lambda: kv.write_story("p", "epic-00", "F-EPAA-001", story)) == 1
    assert trips(lambda: kv.search_stories("p", StoryQuery(text="story"))) == 3
    assert trips(lambda: kv.analytics("p")) == 3
    targets = [StoryRef("epic-01", f"F-EPAB-00{i}") for i in range(1, 6)]
    assert trips(lambda: kv.bulk_update("p", targets, {"status": "done"})) == 2


def test_creations_are_one_request_each(kv: KVStore, clean_engine: redis.Redis) -> None:
    requests = _count_requests(kv)
    kv.create_project("p", {"name": "P"})
    assert len(requests) == 1  # written and listed by one script
    del requests[:]
    kv.create_epic("p", "e", {"title": "E", "summary": "s"})
    assert len(requests) == 2  # read the project, then one script: epic, list, epicIds
    assert parse_json(clean_engine.get("pm:projects:list") or b"") == ["p"]
    project = kv.read_project("p")
    assert project is not None
    assert project["epicIds"] == ["e"]
    assert kv.list_epics("p") == ["e"]


def test_create_epic_appends_by_compare_and_set_when_the_project_text_moved(
    kv: KVStore, clean_engine: redis.Redis
) -> None:
    kv.create_project("p", {"name": "P"})
    key = kv.keyspace.project("p")
    # the same record, not in JSON.stringify's layout: the script's comparison fails
    clean_engine.set(key, (clean_engine.get(key) or b"").replace(b",", b", "))
    kv.create_epic("p", "e", {"title": "E", "summary": "s"})
    project = kv.read_project("p")
    assert project is not None
    assert project["epicIds"] == ["e"]
    assert kv.read_epic("p", "e") is not None
