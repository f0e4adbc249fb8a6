"""DualStore behaviour on real files and the real gateway + engine.

What is checked: both sides get every write (KV exactly as ``pmkv migrate`` would write
it, so the migration's verify passes), reads prefer KV, fallbacks are counted and logged,
the shadow comparison reports a file edited behind the tool's back, and a refused KV
write lands in the outbox while the caller's write succeeds.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from pmkv.migrate.discover import discover
from pmkv.migrate.kv import KvStore
from pmkv.migrate.ledger import LEDGER_KEY, text_hash
from pmkv.migrate.verify import verify
from pmkv.store.dual import DualStore
from pmkv.store.dual_stats import DualStats, health
from pmkv.store.errors import InvalidRecordError, StoreError
from pmkv.store.files import FileStore
from pmkv.store.interface import StoryRef
from pmkv.store.keyspace import Keyspace
from pmkv.store.outbox import Outbox, OutboxEntry
from pmkv.store.shadow import ShadowComparer
from tests.store.support import new_story
from tests.store.test_dual_support import open_dual
from tests.support.gateway import RunningGateway

HP = "healthcare-platform"
RCM = "revenue-cycle-management"
STORY_KEY = f"pm:project:{HP}:epic:{RCM}:story:F-RCM-001"


@pytest.fixture
def pm(fixture_pm: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pm"
    shutil.copytree(fixture_pm, copy)
    return copy


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _load(dual: DualStore, source: Path) -> None:
    """Write the fixture through the DualStore (files already hold it: KV gets a copy)."""
    files = FileStore(source, lock_path=source.parent / "src.lock")
    dual.write_people(files.read_people())
    for project in files.list_projects():
        dual.import_project(files.load_project(project))


@pytest.fixture
def dual(
    pm: Path, home: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> Iterator[DualStore]:
    store = open_dual(pm, gateway.url, gateway.token, home, compare=1.0)
    _load(store, pm)
    yield store
    store.close()


def _verify(pm: Path, gateway: RunningGateway) -> list[Any]:
    with KvStore(gateway.url, gateway.token) as kv:
        result = verify(kv, discover(pm), Keyspace.production())
    return result.differences


def test_every_operation_reaches_both_sides_as_a_migration_would(
    dual: DualStore, pm: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    assert _verify(pm, gateway) == []
    new = dual.create_story(HP, RCM, new_story("dual one"))
    dual.write_story(
        HP, RCM, "F-RCM-002", {**dual.files.read_story(HP, RCM, "F-RCM-002"), "title": "t"}
    )  # type: ignore[dict-item]
    dual.delete_story(HP, RCM, "F-RCM-003")
    dual.archive_story(HP, RCM, "F-RCM-004")
    dual.move_story(HP, RCM, "F-RCM-005", "test-epic", position=0)
    dual.reorder_stories(HP, "zsdzsd", ["F-ZSDZSD-002", "F-ZSDZSD-001"])
    dual.bulk_update(HP, [StoryRef(RCM, "F-RCM-006")], {"status": "blocked"})
    dual.write_epic(HP, "new-epic", {**dual.files.read_epic(HP, "zsdzsd"), "storyIds": []})  # type: ignore[dict-item]
    dual.delete_epic(HP, "appointment-scheduling")
    dual.write_project("second", {"name": "Second"})
    assert _verify(pm, gateway) == []
    # the KV holds the file's exact record, and the ledger says pmkv wrote it
    text = clean_engine.get(f"pm:project:{HP}:epic:{RCM}:story:{new['id']}")
    assert text is not None
    assert json.loads(text) == dual.files.read_story(HP, RCM, new["id"])
    ledger = clean_engine.hget(LEDGER_KEY, f"pm:project:{HP}:epic:{RCM}:story:{new['id']}")
    assert ledger == text_hash(text.decode()).encode()
    assert not clean_engine.keys(f"pm:project:{HP}:epic:appointment-scheduling*")
    assert not dual.outbox.pending()
    dual.delete_project("second")
    assert clean_engine.get("pm:project:second") is None
    assert _verify(pm, gateway) == []


def test_reads_prefer_kv(dual: DualStore, clean_engine: redis.Redis) -> None:
    record = json.loads(clean_engine.get(STORY_KEY) or b"{}")
    clean_engine.set(STORY_KEY, json.dumps({**record, "title": "only in KV"}))
    story = dual.read_story(HP, RCM, "F-RCM-001")
    assert story is not None
    assert story["title"] == "only in KV"


def test_missing_kv_record_falls_back_to_files_and_is_counted(
    dual: DualStore, home: Path, pm: Path, clean_engine: redis.Redis
) -> None:
    assert health(home).fallbacks == 0
    clean_engine.delete(STORY_KEY)
    story = dual.read_story(HP, RCM, "F-RCM-001")
    assert story == json.loads((pm / HP / RCM / "F-RCM-001.json").read_text("utf-8"))
    assert dual.read_story(HP, RCM, "F-RCM-999") is None  # absent on both: no fallback
    found = health(home)
    assert found.fallbacks == 1
    assert not found.healthy
    assert found.last_fallbacks[-1]["op"] == "read_story"
    assert found.last_fallbacks[-1]["reason"] == "missing-in-kv"
    assert found.last_fallbacks[-1]["args"] == [HP, RCM, "F-RCM-001"]
    # load_project fills the one missing record from the files and counts it
    data = dual.load_project(HP)
    assert data.epics[RCM].stories["F-RCM-001"] == story
    assert health(home).fallbacks == 2


def test_shadow_comparison_reports_a_file_edited_behind_the_tools_back(
    dual: DualStore, home: Path, pm: Path
) -> None:
    path = pm / HP / RCM / "F-RCM-001.json"
    value = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({**value, "title": "edited by hand"}, indent=2), "utf-8")
    dual.read_story(HP, RCM, "F-RCM-001")
    dual.read_story(HP, RCM, "F-RCM-002")  # equal on both sides: compared, not reported
    assert dual.shadow.wait_idle()
    dual.stats.flush()
    found = health(home)
    assert found.mismatches == 1
    assert found.counters["compared"] >= 2
    line = found.last_mismatches[-1]
    assert line["op"] == "read_story"
    assert line["paths"] == ["/title"]
    assert line["files"]["title"] == "edited by hand"


def test_shadow_lists_compare_membership_not_order(dual: DualStore, home: Path) -> None:
    dual.reorder_stories(HP, "zsdzsd", ["F-ZSDZSD-002", "F-ZSDZSD-001"])
    dual.load_project(HP)
    dual.list_story_ids(HP, "zsdzsd")
    assert dual.shadow.wait_idle()
    assert health(home).mismatches == 0


def test_invalid_write_fails_and_touches_nothing(
    dual: DualStore, clean_engine: redis.Redis
) -> None:
    before = clean_engine.get(STORY_KEY)
    with pytest.raises(InvalidRecordError):
        dual.write_story(HP, RCM, "F-RCM-001", {"title": ""})
    assert clean_engine.get(STORY_KEY) == before
    assert not dual.outbox.pending()


def test_file_failure_fails_the_call_and_kv_gets_nothing(
    dual: DualStore, pm: Path, clean_engine: redis.Redis
) -> None:
    (pm / HP / "blocked").write_text("a file where the epic folder would go")
    epic = {**(dual.files.read_epic(HP, "zsdzsd") or {}), "storyIds": []}
    with pytest.raises(StoreError, match="cannot write"):
        dual.write_epic(HP, "blocked", epic)
    assert clean_engine.get(f"pm:project:{HP}:epic:blocked") is None
    assert not dual.outbox.pending()


def test_refused_kv_write_goes_to_the_outbox_and_the_caller_succeeds(
    pm: Path, home: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    store = open_dual(pm, gateway.url, "wrong-token", home)
    try:
        created = store.create_story(HP, RCM, new_story("while KV refuses"))
        assert (pm / HP / RCM / f"{created['id']}.json").is_file()
        entries = store.outbox.read()
        keys = {e.key for e in entries}
        assert f"pm:project:{HP}:epic:{RCM}:story:{created['id']}" in keys
        assert {e.action for e in entries} == {"set", "rebuild"}
        assert all(e.error for e in entries)
        assert health(home).counters["kv_write_failures"] == 1
        assert health(home).outbox == len(entries)
    finally:
        store.close()
    # the right token: the next write replays the outbox first
    fixed = open_dual(pm, gateway.url, gateway.token, home)
    try:
        _load(fixed, pm)
        assert not fixed.outbox.pending()
        assert health(home).counters["replayed"] == len(entries)
        assert clean_engine.get(f"pm:project:{HP}:epic:{RCM}:story:{created['id']}")
    finally:
        fixed.close()


# ---- the outbox file and the shadow queue, without a store ---------------------------

_names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_entries = st.builds(
    OutboxEntry,
    op=_names,
    action=st.sampled_from(["set", "del", "rebuild", "purge"]),
    key=_names,
    kind=st.sampled_from(["story", "epic", "stories_list", "project"]),
    project=st.none() | _names,
    epic=st.none() | _names,
    story=st.none() | _names,
    time=_names,
    error=_names,
    value=st.none() | st.text(max_size=40),
)


@given(_entries)
def test_outbox_entry_round_trips(entry: OutboxEntry) -> None:
    assert OutboxEntry.from_json(json.loads(entry.to_line())) == entry


def test_outbox_is_durable_and_ignores_a_torn_tail(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "dual" / "outbox.jsonl")
    assert not box.pending()
    one = OutboxEntry("write_story", "set", "k1", "story", "p", "e", "F-AB-001", "t")
    two = OutboxEntry("delete_epic", "purge", "k2", "epic", "p", "e", None, "t")
    box.append([one, two])
    with open(box.path, "ab") as fh:
        fh.write(b'{"op": "torn')  # a crash mid-append
    assert box.read() == [one, two]
    box.replace([two])
    assert box.read() == [two]
    box.replace([])
    assert not box.path.exists()


def test_a_full_shadow_queue_drops_and_counts(tmp_path: Path) -> None:
    gate = threading.Event()

    def slow_files(op: str, args: tuple[Any, ...]) -> Any:
        gate.wait(10)
        return {"a": 1}

    stats = DualStats(tmp_path)
    shadow = ShadowComparer(1.0, lambda op, args: {"a": 1}, slow_files, stats, queue_size=2, seed=0)
    for _ in range(10):
        shadow.offer("read_story", ("p", "e", "s"), {"a": 1})
    gate.set()
    shadow.close()
    found = health(tmp_path)
    assert found.counters["dropped"] >= 7
    assert found.counters["compared"] + found.counters["dropped"] == 10
    assert found.mismatches == 0


def test_an_unreadable_outbox_does_not_block_writes(dual: DualStore, pm: Path) -> None:
    dual.outbox.path.parent.mkdir(parents=True, exist_ok=True)
    dual.outbox.path.write_text("garbage\n{}\n", "utf-8")
    created = dual.create_story(HP, RCM, new_story("outbox is broken"))
    assert (pm / HP / RCM / f"{created['id']}.json").is_file()
    assert dual.outbox.pending()  # still owed and visible; the new change queued behind it
    assert created["id"] in dual.outbox.path.read_text("utf-8")


def test_the_router_opens_a_dual_store_for_dual_write(
    pm: Path, home: Path, gateway: RunningGateway
) -> None:
    from pmkv.settings import Settings
    from pmkv.store import router
    from pmkv.store.errors import NotAvailableError

    settings = Settings(
        home=home, pm_dir=pm, dual_write=True, rest_url=gateway.url, rest_token=gateway.token
    )
    opened = router.open_store(settings)
    try:
        assert isinstance(opened, DualStore)
        assert opened.read_project(HP) is not None
    finally:
        opened.close()
    with pytest.raises(NotAvailableError, match="UPSTASH_REDIS_REST_URL"):
        router.open_store(Settings(home=home, pm_dir=pm, dual_write=True))
