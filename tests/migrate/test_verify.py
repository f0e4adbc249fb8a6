"""verify: both directions, JSON-pointer differences, list keys, counts, sampling."""

from __future__ import annotations

from pathlib import Path

import redis
from hypothesis import given
from hypothesis import strategies as st

from pmkv.migrate.chunks import ChunkWriter
from pmkv.migrate.diff import json_diff
from pmkv.migrate.discover import discover
from pmkv.migrate.journal import Journal
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.migrate.sink import KvSink
from pmkv.migrate.verify import verify
from pmkv.store.keyspace import Keyspace

KS = Keyspace.production()
P = "healthcare-platform"


def test_verify_finds_every_kind_of_difference(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, MigrateOptions(pm_copy, home))
    inv = discover(pm_copy)
    assert verify(store, inv, KS).ok
    story = KS.story(P, "zsdzsd", "F-ZSDZSD-001")
    clean_engine.set(story, clean_engine.get(story).replace(b'"status":"done"', b'"status":"todo"'))  # type: ignore[union-attr]
    clean_engine.delete(KS.story(P, "zsdzsd", "F-ZSDZSD-002"))
    clean_engine.set(KS.story(P, "zsdzsd", "F-ZSDZSD-777"), "{}")
    clean_engine.set(KS.stories_list(P, "test-epic"), '["F-TESEPI-002","F-TESEPI-001"]')
    result = verify(store, inv, KS)
    assert not result.ok
    found = {d.key: d for d in result.differences}
    assert found[story].kind == "changed"
    assert found[story].paths == ["/status"]
    assert found[story].file == f"{P}/zsdzsd/F-ZSDZSD-001.json"
    assert found[KS.story(P, "zsdzsd", "F-ZSDZSD-002")].kind == "missing"
    assert found[KS.story(P, "zsdzsd", "F-ZSDZSD-777")].kind == "extra"
    assert found[KS.stories_list(P, "test-epic")].paths == ["/0", "/1"]
    (counts,) = result.counts
    assert counts.files["stories"] == 49
    assert counts.kv["stories"] == 49
    assert result.as_dict()["ok"] is False


def test_key_order_difference_is_reported(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, MigrateOptions(pm_copy, home))
    clean_engine.set("pm:people", b'[{"name":"Smrita Singh","id":"person-001"}]')
    result = verify(store, discover(pm_copy), KS)
    diff = next(d for d in result.differences if d.key == "pm:people")
    assert "/0/email" in diff.paths


def test_sample_checks_n_records_plus_every_list(pm_copy: Path, home: Path, store: KvStore) -> None:
    migrate(store, MigrateOptions(pm_copy, home))
    result = verify(store, discover(pm_copy), KS, sample=5, seed=1)
    assert result.ok
    assert result.checked == 5 + 7


def test_same_content_in_another_order_is_a_difference() -> None:
    assert json_diff({"a": 1, "b": 2}, {"b": 2, "a": 1}) == ["/"]
    assert json_diff({"a/b": {"c~": 1}}, {"a/b": {"c~": 2}}) == ["/a~1b/c~0"]
    assert json_diff([1, True], [1, 1]) == ["/1"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values, json_values)
def test_diff_is_empty_exactly_when_values_are_identical(a: object, b: object) -> None:
    import json

    same = json.dumps(a) == json.dumps(b)
    assert (json_diff(a, b) == []) == same  # type: ignore[arg-type]
    assert json_diff(a, a) == []  # type: ignore[arg-type]


def test_the_write_path_reads_back_every_key_it_writes(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    inv = discover(pm_copy)
    values = {r.key: r.text for r in inv.records()}
    sinks: list[KvSink] = []

    def sink() -> KvSink:
        sinks.append(KvSink(store, Journal(home / "journal.jsonl")))
        return sinks[0]

    writer = ChunkWriter(store, sink, KS, force=False, batch_size=7)
    writer.submit(values, {}, set())
    writer.finish()
    assert writer.verified == set(values)  # the engine hashed each stored value back
    # a write the engine does not hold as sent is not counted as proven
    story = next(r.key for r in inv.records() if r.kind == "story")
    clean_engine.delete(story)
    again = ChunkWriter(store, sink, KS, force=False, batch_size=7)
    sinks.clear()
    again.digests[story] = "0" * 40  # as if the text sent were another one
    again.submit({story: values[story]}, {}, set())
    again.finish()
    assert again.verified == set()


def test_keys_proven_by_the_write_path_are_not_compared_again(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    result = migrate(store, MigrateOptions(pm_copy, home))
    assert result.verify is not None
    assert result.verify.ok
    assert result.verify.checked == len(result.plan.entries) - result.plan.counts()["skip"]
    assert result.verify.proven_at_write == result.write.written  # a first run writes all
    assert "read back as written" in Path(result.report_path or "").read_text()
    inv = discover(pm_copy)
    story = KS.story(P, "zsdzsd", "F-ZSDZSD-001")
    clean_engine.set(story, "{}")  # changed after the run proved it
    assert not verify(store, inv, KS).ok  # a later verify compares everything
    proven = verify(store, inv, KS, verified={story})  # what the run's own verify skips
    assert proven.ok
    assert proven.proven_at_write == 1
    assert verify(store, inv, KS).proven_at_write == 0


def test_counts_follow_the_keys_in_kv_not_the_files(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, MigrateOptions(pm_copy, home))
    clean_engine.delete(KS.story(P, "zsdzsd", "F-ZSDZSD-002"), KS.epic(P, "zsdzsd"))
    clean_engine.set(KS.epic("ghost", "e1"), "{}")  # a project with no folder
    clean_engine.set(KS.story("ghost", "e1", "S-1"), "{}")
    result = verify(store, discover(pm_copy), KS)
    counts = {c.project: c for c in result.counts}
    assert counts[P].files == {"epic_folders": 5, "epics": 5, "story_files": 49, "stories": 49}
    assert counts[P].kv == {"epics": 4, "stories": 48}
    assert counts["ghost"].kv == {"epics": 1, "stories": 1}
    assert not counts[P].ok
    assert not counts["ghost"].ok
    extra = sorted(d.key for d in result.differences if d.kind == "extra")
    assert extra == [KS.epic("ghost", "e1"), KS.story("ghost", "e1", "S-1")]
    # one project selected: the other project's keys are out of scope
    only = verify(store, discover(pm_copy, [P]), KS)
    assert [c.project for c in only.counts] == [P]
    assert not any(d.kind == "extra" for d in only.differences)
