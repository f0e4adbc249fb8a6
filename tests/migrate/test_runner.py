"""migrate end to end on the real gateway: identity, idempotence, dry run, conflicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from pmkv.errors import ExitCode
from pmkv.migrate import runs
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import StoreRejected
from pmkv.migrate.kv import KvStore
from pmkv.migrate.ledger import LEDGER_KEY
from pmkv.migrate.lists import expected_values
from pmkv.migrate.plan import Plan, build_plan
from pmkv.migrate.rollback import rollback
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.migrate.sink import RecordingSink
from pmkv.store.codec import content_hash, parse_json, to_js_json
from pmkv.store.keyspace import Keyspace
from tests.migrate.conftest import snapshot, tree_hash, write_json

KS = Keyspace.production()
P = "healthcare-platform"


def opts(pm: Path, home: Path, **kw: object) -> MigrateOptions:
    return MigrateOptions(pm_dir=pm, home=home, **kw)  # type: ignore[arg-type]


def test_fixture_migrates_byte_identical_and_leaves_pm_untouched(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    before = tree_hash(pm_copy)
    result = migrate(store, opts(pm_copy, home))
    assert result.exit_code == ExitCode.OK
    assert result.verify is not None
    assert result.verify.ok
    assert tree_hash(pm_copy) == before
    inv = discover(pm_copy)
    for record in inv.records():
        raw = clean_engine.get(record.key)
        assert raw is not None
        assert raw.decode("utf-8") == to_js_json(parse_json((pm_copy / record.path).read_bytes()))
        ledger = clean_engine.hget(LEDGER_KEY, record.key)
        assert ledger is not None
        assert ledger.decode() == content_hash(parse_json(raw))
    assert json.loads(clean_engine.get("pm:projects:list") or b"") == [P]
    epics = json.loads(clean_engine.get(KS.epics_list(P)) or b"")
    assert epics == sorted(epics)
    assert len(epics) == 5
    stories = json.loads(clean_engine.get(KS.stories_list(P, "revenue-cycle-management")) or b"")
    assert stories[0] == "F-RCM-001"
    assert len(stories) == 42
    # only pm: keys plus the ledger
    assert {k for k in clean_engine.keys("*") if not k.startswith(b"pm:")} == {LEDGER_KEY.encode()}
    report = Path(result.report_path or "")
    assert report.is_file()
    assert "PASSED" in report.read_text()


def test_second_run_writes_nothing(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, opts(pm_copy, home))
    state = snapshot(clean_engine)
    again = migrate(store, opts(pm_copy, home))
    assert again.write.written == 0
    counts = again.plan.counts()
    assert counts["unchanged"] == len(again.plan.entries)
    assert counts["create"] == 0
    assert snapshot(clean_engine) == state


def test_dry_run_changes_nothing_and_plans_exactly(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    clean_engine.set("unrelated", "x")
    result = migrate(store, opts(pm_copy, home, dry_run=True))
    assert snapshot(clean_engine) == {b"unrelated": b"x"}
    assert not home.exists()  # no backup, no run folder
    assert result.run_id is None
    assert result.verify is None
    assert result.plan.counts()["create"] == len(result.plan.entries) == 63
    real = migrate(store, opts(pm_copy, home))
    # the dry run planned exactly what the real run then wrote
    assert [e.key for e in result.plan.entries if e.write] == real.plan.to_write()


def first_run_plan(pm: Path) -> Plan:
    """The plan of a first run, with every value (a migration's merged plan holds the
    texts of the keys this process wrote, not those the story workers wrote)."""
    values = dict(expected_values(discover(pm), KS, None))
    absent: dict[str, str | None] = dict.fromkeys(values)
    return build_plan(values, absent, absent, {}, list_keys=set())


def test_recording_sink_records_every_command(pm_copy: Path, home: Path) -> None:
    from pmkv.migrate.sink import apply_plan

    result = migrate(None, opts(pm_copy, home, dry_run=True))
    plan = first_run_plan(pm_copy)
    values = plan.values
    assert sorted(plan.to_write()) == sorted(result.plan.to_write())
    sink = RecordingSink()
    stats = apply_plan(plan, sink, batch_size=10)
    msets = [c for c in sink.commands if c[0] == "MSET"]
    ledgers = [c for c in sink.commands if c[0] == "HSET"]
    written = {k: v for c in msets for k, v in zip(c[1::2], c[2::2], strict=True)}
    assert sum(len(c) // 2 for c in msets) == stats.written == 63
    assert sink.batches == len(msets) == len(ledgers) == 7
    assert written == values
    assert {k: h for c in ledgers for k, h in zip(c[2::2], c[3::2], strict=True)} == {
        k: content_hash(parse_json(v)) for k, v in written.items()
    }


def test_conflicts_refused_without_force_then_overwritten_with_it(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    key = KS.story(P, "zsdzsd", "F-ZSDZSD-001")
    clean_engine.set(key, '{"id":"F-ZSDZSD-001","title":"edited in the app"}')
    refused = migrate(store, opts(pm_copy, home))
    assert [e.key for e in refused.plan.conflicts] == [key]
    assert clean_engine.get(key) == b'{"id":"F-ZSDZSD-001","title":"edited in the app"}'
    assert refused.exit_code == ExitCode.DIFFERENCES
    assert refused.verify is not None
    diff = next(d for d in refused.verify.differences if d.key == key)
    assert "/title" in diff.paths
    assert "/epicId" in diff.paths
    forced = migrate(store, opts(pm_copy, home, force=True))
    assert forced.exit_code == ExitCode.OK
    assert forced.write.written == 1
    assert (
        clean_engine.get(key)
        == to_js_json(
            parse_json((pm_copy / P / "zsdzsd" / "F-ZSDZSD-001.json").read_bytes())
        ).encode()
    )


def test_a_file_changed_after_our_run_is_a_plain_update(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, opts(pm_copy, home))
    path = pm_copy / P / "zsdzsd" / "F-ZSDZSD-002.json"
    value = json.loads(path.read_text())
    value["title"] = "changed on disk ✓"
    write_json(path, value)
    result = migrate(store, opts(pm_copy, home))
    assert result.plan.counts()["update"] == 1
    assert result.plan.counts()["conflict"] == 0
    assert result.exit_code == ExitCode.OK
    assert (
        json.loads(clean_engine.get(KS.story(P, "zsdzsd", "F-ZSDZSD-002")) or b"")["title"]
        == "changed on disk ✓"
    )


def test_adversarial_tree_migrates_valid_records_and_exits_4(
    adversarial: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    result = migrate(store, opts(adversarial, home))
    assert result.exit_code == ExitCode.INVALID_SOURCE
    assert result.verify is not None
    assert result.verify.ok
    for key in result.inventory.skipped:
        assert clean_engine.get(key) is None
    assert result.plan.counts()["skip"] == len(result.inventory.skipped) >= 4
    assert clean_engine.get(KS.story(P, "revenue-cycle-management", "F-RCM-030")) is not None
    assert json.loads(clean_engine.get("pm:projects:list") or b"") == [P]
    text = Path(result.report_path or "").read_text()
    assert "F-RCM-026.json" in text
    assert "rename the file to <id>.json" in text


def test_project_selection_merges_the_projects_list(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    clean_engine.set("pm:projects:list", '["other"]')
    result = migrate(store, opts(pm_copy, home, projects=[P]))
    assert result.exit_code == ExitCode.OK, result.as_dict()
    assert json.loads(clean_engine.get("pm:projects:list") or b"") == ["other", P]
    assert result.plan.counts()["conflict"] == 0


def test_generated_tree(tmp_path: Path, home: Path, store: KvStore) -> None:
    from pmkv.generate.tree import generate_tree

    generated = generate_tree(tmp_path / "gen", projects=2, stories=600, seed=7)
    result = migrate(store, opts(tmp_path / "gen", home, batch_size=100))
    assert result.exit_code == ExitCode.OK, result.as_dict()["anomalies"]
    assert result.inventory.story_count() == generated.stories
    assert result.write.batches >= 6


def test_batches_respect_a_byte_limit(pm_copy: Path, home: Path) -> None:
    from pmkv.migrate.sink import apply_plan

    plan = first_run_plan(pm_copy)
    sink = RecordingSink()
    apply_plan(plan, sink, batch_size=500, max_bytes=5_000)
    msets = [c for c in sink.commands if c[0] == "MSET"]
    assert sum(len(c) // 2 for c in msets) == 63
    assert sink.batches == len(msets) > 5  # the fixture holds ~50 KB of values
    for command in msets:
        size = sum(len(part) for part in command[1:])
        assert size <= 5_000 or len(command) == 3


def test_legacy_keyspace_is_a_named_alternative(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    legacy = Keyspace.legacy()
    result = migrate(store, opts(pm_copy, home, keyspace=legacy))
    assert result.exit_code == ExitCode.OK, result.as_dict()["verify"]
    keys = {k.decode() for k in clean_engine.keys("pm:*")}
    assert "pm:people:global" in keys
    assert "pm:people" not in keys
    assert f"pm:epic:{P}:zsdzsd" in keys
    assert f"pm:epic:{P}:zsdzsd:stories" in keys
    assert not any(k.startswith(f"pm:project:{P}:") for k in keys)  # never mixed


def test_batches_count_utf8_bytes_not_characters() -> None:
    from pmkv.migrate.plan import Plan, PlanEntry
    from pmkv.migrate.sink import apply_plan

    values = {f"pm:k{i}": '"' + "漢" * 100 + '"' for i in range(10)}  # 302 bytes, 102 chars
    plan = Plan(
        [PlanEntry(k, "create", True) for k in values],
        values,
        dict.fromkeys(values),
        dict.fromkeys(values),
        hashes=dict.fromkeys(values, "h"),
    )
    sink = RecordingSink()
    apply_plan(plan, sink, batch_size=500, max_bytes=1_000)
    msets = [c for c in sink.commands if c[0] == "MSET"]
    assert [len(c) // 2 for c in msets] == [3, 3, 3, 1]  # by characters it would be 1 batch
    # sizes a story worker knew from the bytes it read are taken as given
    plan.sizes = dict.fromkeys(values, 10)
    sink = RecordingSink()
    apply_plan(plan, sink, batch_size=4, max_bytes=1_000)
    assert [len(c) // 2 for c in sink.commands if c[0] == "MSET"] == [4, 4, 2]


def test_a_story_too_big_for_the_store_fails_with_a_clear_error(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    """A request over the gateway's body limit (10 MiB) is answered with an error object,
    which the official client cannot read as a pipeline's results: the run fails with
    a StoreRejected that says so (not an AttributeError), marked failed, and rolls back."""
    path = pm_copy / P / "zsdzsd" / "F-ZSDZSD-001.json"
    value = json.loads(path.read_text(encoding="utf-8"))
    value["description"] = "x" * (11 * 1024 * 1024)
    path.write_text(json.dumps(value), encoding="utf-8")
    before = snapshot(clean_engine)
    with pytest.raises(StoreRejected, match="answered with an error instead of results"):
        migrate(store, MigrateOptions(pm_copy, home, backup=False, workers=0))
    (meta,) = runs.list_runs(home)
    assert meta.state == "failed"
    rollback(store, home, meta.run_id)
    assert snapshot(clean_engine) == before
