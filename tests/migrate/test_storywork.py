"""Story workers: chunks of story files read, planned, journalled and written by a
worker (on a thread or in a process pool) give exactly what an all-in-one run gives."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from pmkv.errors import ExitCode
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import SourceChanged
from pmkv.migrate.journal import read_journal
from pmkv.migrate.kv import KvStore
from pmkv.migrate.lists import ExpectedValues, expected_values
from pmkv.migrate.result import MigrateResult
from pmkv.migrate.rollback import rollback
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.migrate.runs import JOURNAL_FILE, journal_files, list_runs, run_dir
from pmkv.migrate.storyload import EpicFiles
from pmkv.migrate.storywork import StoryWorker, WorkSpec
from pmkv.store import records
from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.keyspace import Keyspace
from tests.migrate.conftest import snapshot, story, write_json
from tests.migrate.test_rollback import seed_existing
from tests.support.gateway import RunningGateway

KS = Keyspace.production()
P = "healthcare-platform"
RCM = "revenue-cycle-management"


def pooled(pm: Path, home: Path, chunk: int = 7, **kw: object) -> MigrateOptions:
    """Small chunks, so the first goes to the thread and the others to the pool."""
    return MigrateOptions(pm_dir=pm, home=home, workers=2, story_chunk=chunk, **kw)  # type: ignore[arg-type]


def inline(pm: Path, home: Path, **kw: object) -> MigrateOptions:
    return MigrateOptions(pm_dir=pm, home=home, workers=0, **kw)  # type: ignore[arg-type]


def plan_rows(result: MigrateResult) -> list[tuple[str, str, bool]]:
    return sorted((e.key, e.action, e.write) for e in result.plan.entries)


def anomalies(result: MigrateResult) -> list[dict[str, str | None]]:
    return [a.as_dict() for a in result.inventory.anomalies]


def written(result: MigrateResult) -> list[str]:
    return [e.key for e in result.plan.entries if e.write]


def assert_holds_discovered(client: redis.Redis, pm: Path) -> None:
    """Every record's key holds the text discovery finds reading each file itself (no
    runner: the stories are read in this process and keep their texts)."""
    expected = {r.key: r.text for r in discover(pm).records()}
    assert expected
    assert None not in expected.values()
    assert {k: client.get(k) for k in expected} == {
        k: (text or "").encode("utf-8") for k, text in expected.items()
    }


def restore(client: redis.Redis, state: dict[bytes, object]) -> None:
    """Put the engine back to a :func:`snapshot` (strings and hashes: all a run writes)."""
    client.flushall()
    for key, value in state.items():
        if isinstance(value, bytes):
            client.set(key, value)
        else:
            assert isinstance(value, dict), f"cannot restore {key!r}"
            client.hset(key, mapping=value)


def story_files(pm: Path, project: str, epic: str) -> EpicFiles:
    """An epic's story files as discovery hands them to a worker."""
    folder = pm / project / epic
    names = sorted(p.name for p in folder.iterdir() if records.is_story_file(p.name))
    return EpicFiles(
        str(folder), f"{project}/{epic}/", KS.story_prefix(project, epic), project, epic, names
    )


def test_pool_and_thread_migrate_the_fixture_identically(
    pm_copy: Path, tmp_path: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    pool = migrate(store, pooled(pm_copy, tmp_path / "home-pool"))
    pool_state = snapshot(clean_engine)
    clean_engine.flushall()
    thread = migrate(store, inline(pm_copy, tmp_path / "home-thread"))
    assert pool.exit_code == thread.exit_code == ExitCode.OK
    assert snapshot(clean_engine) == pool_state
    assert_holds_discovered(clean_engine, pm_copy)
    assert plan_rows(pool) == plan_rows(thread)
    assert anomalies(pool) == anomalies(thread)
    assert pool.inventory.story_count() == thread.inventory.story_count() > 7
    for result in (pool, thread):
        assert result.verify is not None
        assert result.verify.ok
        assert result.verify.proven_at_write == len(written(result)) == result.write.written
    # the pool really ran: a story worker process journalled its own chunk
    assert pool.run_id is not None
    folder = run_dir(tmp_path / "home-pool", pool.run_id)
    assert any(p.name.startswith("journal-w") for p in journal_files(folder))


def test_pool_and_thread_report_the_adversarial_tree_identically(
    adversarial: Path, tmp_path: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    pool = migrate(store, pooled(adversarial, tmp_path / "home-pool", chunk=3))
    pool_state = snapshot(clean_engine)
    clean_engine.flushall()
    thread = migrate(store, inline(adversarial, tmp_path / "home-thread"))
    assert pool.exit_code == thread.exit_code == ExitCode.INVALID_SOURCE
    assert anomalies(pool) == anomalies(thread)  # same findings, same (walk) order
    # ... as discovery finds reading every story itself, without a runner
    assert anomalies(pool) == [a.as_dict() for a in discover(adversarial).anomalies]
    codes = {a.code for a in pool.inventory.anomalies}
    assert {"invalid-json", "invalid-record", "id-mismatch"} <= codes
    assert snapshot(clean_engine) == pool_state
    assert_holds_discovered(clean_engine, adversarial)  # the BOM + CRLF story too
    assert plan_rows(pool) == plan_rows(thread)
    # and in the same order: the plan in the keys' order, skipped files by key
    assert [(e.key, e.action) for e in pool.plan.entries] == [
        (e.key, e.action) for e in thread.plan.entries
    ]
    assert list(pool.inventory.skipped) == list(thread.inventory.skipped)
    assert list(pool.inventory.skipped) == sorted(pool.inventory.skipped)
    for key in pool.inventory.skipped:
        assert clean_engine.get(key) is None


def test_pool_and_thread_agree_on_updates_conflicts_and_deleted_stories(
    pm_copy: Path, tmp_path: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    migrate(store, inline(pm_copy, tmp_path / "home-first"))
    # chunks of 3: test-epic and zsdzsd (2 + 4 stories) share the last chunk, in the pool
    zsdzsd = pm_copy / P / "zsdzsd"
    changed = parse_json((zsdzsd / "F-ZSDZSD-002.json").read_bytes())
    assert isinstance(changed, dict)
    write_json(zsdzsd / "F-ZSDZSD-002.json", {**changed, "title": "changed on disk ✓"})
    write_json(zsdzsd / "F-ZSDZSD-098.json", story("F-ZSDZSD-098", "zsdzsd"))  # not listed
    write_json(zsdzsd / "F-ZSDZSD-099.json", story("F-ZSDZSD-099", "zsdzsd", deleted=True))
    conflict = KS.story(P, "test-epic", "F-TESEPI-002")
    clean_engine.set(conflict, '{"id":"F-TESEPI-002","title":"edited in the app"}')
    start = snapshot(clean_engine)
    pool = migrate(store, pooled(pm_copy, tmp_path / "home-pool", chunk=3))
    pool_state = snapshot(clean_engine)
    restore(clean_engine, start)
    assert snapshot(clean_engine) == start
    thread = migrate(store, inline(pm_copy, tmp_path / "home-thread"))
    assert snapshot(clean_engine) == pool_state
    rows = sorted((e.key, e.action, e.write, e.reason) for e in pool.plan.entries)
    assert rows == sorted((e.key, e.action, e.write, e.reason) for e in thread.plan.entries)
    actions = {e.key: e.action for e in pool.plan.entries}
    assert actions[KS.story(P, "zsdzsd", "F-ZSDZSD-002")] == "update"
    assert actions[KS.story(P, "zsdzsd", "F-ZSDZSD-098")] == "create"
    assert actions[KS.story(P, "zsdzsd", "F-ZSDZSD-099")] == "create"
    assert actions[conflict] == "conflict"
    assert anomalies(pool) == anomalies(thread)
    unlisted = {a.file for a in pool.inventory.anomalies if a.code == "story-not-in-storyIds"}
    assert f"{P}/zsdzsd/F-ZSDZSD-098.json" in unlisted
    assert f"{P}/zsdzsd/F-ZSDZSD-099.json" not in unlisted  # soft-deleted: left out on purpose
    assert pool.exit_code == thread.exit_code == ExitCode.DIFFERENCES
    assert pool.verify is not None
    assert thread.verify is not None
    assert [(d.key, d.paths) for d in pool.verify.differences] == [
        (d.key, d.paths) for d in thread.verify.differences
    ]
    assert [d.key for d in pool.verify.differences] == [conflict]
    assert pool.write.written == thread.write.written == len(written(pool))


def test_each_written_key_is_journalled_once_and_rollback_restores_everything(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    seed_existing(clean_engine)
    before = snapshot(clean_engine)
    overwritten = KS.story(P, "zsdzsd", "F-ZSDZSD-001")
    result = migrate(store, pooled(pm_copy, home, chunk=1, force=True))
    assert result.exit_code == ExitCode.OK
    assert overwritten in written(result)
    assert result.run_id is not None
    files = journal_files(run_dir(home, result.run_id))
    assert len(files) > 1
    assert files[0].name == JOURNAL_FILE
    per_file = {path.name: [e.key for e in read_journal(path)] for path in files}
    assert Counter(k for keys in per_file.values() for k in keys) == Counter(written(result))
    workers = [name for name in per_file if name.startswith("journal-w")]
    assert workers  # chunks after the first went to worker processes
    story_keys = {r.key for r in result.inventory.records() if r.kind == "story"}
    for name in workers:  # a worker journals only the stories of its chunks
        assert set(per_file[name]) <= story_keys
    assert not set(per_file[JOURNAL_FILE]) & story_keys
    assert snapshot(clean_engine) != before
    undone = rollback(store, home)
    assert undone.run_id == result.run_id
    assert undone.restored == 1
    assert undone.deleted == len(written(result)) - 1
    assert snapshot(clean_engine) == before


def test_pooled_second_run_and_dry_run_write_nothing(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    clean_engine.set("unrelated", "x")
    seeded = snapshot(clean_engine)
    dry = migrate(store, pooled(pm_copy, home, dry_run=True))
    assert (dry.run_id, dry.verify) == (None, None)
    assert snapshot(clean_engine) == seeded
    assert not home.exists()  # no backup, no run folder, no worker journal
    assert dry.plan.counts()["create"] == len(dry.plan.entries) > 0
    # against no store at all (workers get no URL): the same plan as against an empty KV
    assert plan_rows(migrate(None, pooled(pm_copy, home, dry_run=True))) == plan_rows(dry)
    assert not home.exists()
    real = migrate(store, pooled(pm_copy, home))
    assert real.write.written > 0
    assert sorted(written(dry)) == sorted(written(real))
    assert dry.write.written == real.write.written  # a dry run counts what it would write
    state = snapshot(clean_engine)
    again = migrate(store, pooled(pm_copy, home))
    assert again.write.written == 0
    assert again.plan.counts()["unchanged"] == len(again.plan.entries) == len(real.plan.entries)
    assert snapshot(clean_engine) == state
    assert again.verify is not None
    assert again.verify.ok


def test_expected_values_reread_worker_stories_from_their_files(
    pm_copy: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    result = migrate(store, pooled(pm_copy, home))
    assert result.exit_code == ExitCode.OK
    inv = result.inventory
    stories = [r for r in inv.records() if r.kind == "story"]
    assert stories
    assert all(r.text is None for r in stories)  # the workers kept the texts
    values = expected_values(inv, KS, None)
    assert isinstance(values, ExpectedValues)
    target = next(r for r in stories if r.epic == "zsdzsd")
    assert result.run_id is not None
    by_workers = {
        e.key
        for path in journal_files(run_dir(home, result.run_id))
        if path.name.startswith("journal-w")
        for e in read_journal(path)
    }
    assert target.key in by_workers  # a worker process wrote it
    engine_value = clean_engine.get(target.key)
    assert isinstance(engine_value, bytes)
    assert values[target.key] == engine_value.decode("utf-8")
    assert values[target.key] == to_js_json(parse_json((pm_copy / target.path).read_bytes()))
    (pm_copy / target.path).write_text('{"id": "broken",', encoding="utf-8")
    with pytest.raises(SourceChanged) as caught:
        values[target.key]
    assert target.path in caught.value.message


def test_story_worker_plans_one_epic_without_writing(
    adversarial: Path, gateway: RunningGateway, store: KvStore, clean_engine: redis.Redis
) -> None:
    files = story_files(adversarial, P, RCM)
    # what discovery without workers finds valid in that epic (and reads itself)
    epic = discover(adversarial).projects[P].epics[RCM]
    valid = [name for name in files.names if name[:-5] in epic.stories]
    assert 0 < len(valid) < len(files.names)  # the adversarial epic has broken files
    worker = StoryWorker(WorkSpec(gateway.url, gateway.token, 0, None, False, 500), store)
    try:
        outcome = worker.run([files])
    finally:
        worker.close()
    assert len(outcome.actions) == len(valid)
    assert set(outcome.actions) == {"c"}  # an empty engine: every story is a create
    assert outcome.proven == "0" * len(valid)  # a dry run proves nothing
    expected = [
        hashlib.sha1(
            to_js_json(parse_json((Path(files.folder) / name).read_bytes())).encode("utf-8")
        ).hexdigest()
        for name in valid
    ]
    assert outcome.sha1s == dict(enumerate(expected))
    broken = {i for i, name in enumerate(files.names) if name not in valid}
    assert set(outcome.problems) == broken
    assert all(outcome.problems[i] for i in broken)
    assert clean_engine.dbsize() == 0


MIGRATE_SCRIPT = """
import sys
from pathlib import Path
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
pm, home, url, token = sys.argv[1:5]
with KvStore(url, token) as kv:
    migrate(kv, MigrateOptions(Path(pm), Path(home), backup=False, workers=2, story_chunk=50))
"""


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the forkserver, the resource tracker, the story
    workers the forkserver forked), children first found first."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            ppid = next(ln for ln in status.splitlines() if ln.startswith("PPid:"))
            parents[int(entry.name)] = int(ppid.split()[1])
    found = [pid]
    for parent in found:
        found += [child for child, of in parents.items() if of == parent]
    return found[1:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes via /proc")
def test_story_workers_stop_when_the_migration_is_killed(
    tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    """storywork promises a worker never writes on for a killed run (each worker watches
    the migrating process and exits with it): after SIGKILL of the migrating process,
    nothing it started (workers, forkserver) may outlive it by more than a few seconds."""
    from pmkv.generate.tree import generate_tree

    generate_tree(tmp_path / "big", projects=1, stories=4000, seed=11, workers=0)
    home = tmp_path / "home"
    args = [str(tmp_path / "big"), str(home), gateway.url, gateway.token]
    proc = subprocess.Popen([sys.executable, "-c", MIGRATE_SCRIPT, *args])
    family: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)  # until a story worker process has journalled (and written)
            if any(path.stat().st_size for path in home.glob("runs/*/journal-w*.jsonl")):
                break
        family = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert list_runs(home)[-1].state == "running"  # really killed mid-run
        workers = {int(p.name[len("journal-w") : -len(".jsonl")]) for p in home.glob("runs/*/*-w*")}
        assert workers
        assert workers <= set(family)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in family) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = {pid: "wrote" if pid in workers else "-" for pid in family if alive(pid)}
        assert not left, f"processes of the killed run still alive (pid: wrote stories?): {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in reversed(family):  # started by this test: never leave them running
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_pool_starts_only_for_big_trees(pm_copy: Path, tmp_path: Path) -> None:
    from pmkv.migrate.storyrun import MAX_WORKERS, auto_workers, default_workers, has_story_files

    files = [p for p in pm_copy.glob("*/*/*.json") if p.name != "epic.json"]
    (pm_copy / P / "zsdzsd" / "notes.json").write_text("{}", encoding="utf-8")  # not a story
    assert has_story_files(pm_copy, None, len(files))
    assert not has_story_files(pm_copy, None, len(files) + 1)
    assert not has_story_files(pm_copy, ["no-such-project"], 1)
    assert not has_story_files(tmp_path / "missing", None, 1)  # an estimate never raises
    assert 0 <= default_workers() <= MAX_WORKERS
    assert auto_workers(pm_copy, None) == 0  # ~60 stories: all on the thread


UNGUARDED_SCRIPT = """
import sys
from pathlib import Path
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
pm, home, url, token = sys.argv[1:5]
with KvStore(url, token) as kv:  # no `if __name__ == "__main__":` guard
    migrate(kv, MigrateOptions(Path(pm), Path(home), backup=False, workers=2, story_chunk=50))
"""


def test_a_script_without_a_main_guard_starts_no_second_migration(
    tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    """Each worker imports the caller's main module: a script calling migrate() at its
    top level would run a migration per worker. Those calls are refused, so the one
    real run fails with a clear error and no other run exists."""
    from pmkv.generate.tree import generate_tree

    generate_tree(tmp_path / "pm", projects=1, stories=300, seed=2, workers=0)
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT, encoding="utf-8")
    home = tmp_path / "home"
    args = [str(tmp_path / "pm"), str(home), gateway.url, gateway.token]
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "WorkerFailed" in done.stderr
    assert "called while a story worker process imported the main module" in done.stderr
    assert [meta.state for meta in list_runs(home)] == ["failed"]


def test_a_story_file_broken_during_the_verify_is_a_difference(
    pm_copy: Path, tmp_path: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    """The verify reads a worker's story again only where the KV differs; a file that
    became invalid meanwhile is reported as changed, and the run still completes."""
    key = KS.story(P, "zsdzsd", "F-ZSDZSD-001")
    clean_engine.set(key, '{"id":"F-ZSDZSD-001","title":"edited in the app"}')  # a conflict
    path = pm_copy / P / "zsdzsd" / "F-ZSDZSD-001.json"

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "verify" and path.read_bytes()[:1] == b"{":
            path.write_text("not json", encoding="utf-8")

    home = tmp_path / "home"
    # one chunk, so on the story thread: its records keep no text
    options = MigrateOptions(pm_copy, home, backup=False, workers=1)
    result = migrate(store, options, progress)
    assert result.verify is not None
    changed = [d for d in result.verify.differences if d.key == key]
    assert len(changed) == 1
    assert "changed while it was being migrated" in changed[0].detail
    assert result.exit_code == ExitCode.DIFFERENCES
    assert [meta.state for meta in list_runs(home)] == ["complete"]


def test_where_no_process_can_start_the_thread_takes_every_chunk(
    pm_copy: Path, tmp_path: Path, store: KvStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pmkv.migrate.storyrun as storyrun

    def no_processes(workers: int, spec: WorkSpec) -> None:
        raise OSError("no /dev/shm here")  # what creating the pool's semaphores raises

    monkeypatch.setattr(storyrun, "_start_pool", no_processes)
    home = tmp_path / "home"
    result = migrate(store, pooled(pm_copy, home))
    assert result.exit_code == ExitCode.OK
    assert result.verify is not None
    assert result.verify.ok
    assert result.run_id is not None
    names = [p.name for p in journal_files(run_dir(home, result.run_id))]
    assert names == [JOURNAL_FILE, "journal-stories.jsonl"]  # no worker's journal


def test_the_forkserver_preloads_the_pmkv_modules_this_process_imported() -> None:
    """Workers import the caller's main module: what it imported of pmkv is then already
    in the forkserver's (and every worker's) memory. Never a program's __main__."""
    import sys

    import pmkv.__main__  # noqa: F401  # guarded: importing it runs nothing
    from pmkv.migrate.storyrun import preload_modules

    preload = preload_modules()
    assert preload[0] == "pmkv.migrate.storywork"
    assert "pmkv.migrate.runner" in preload
    assert "pmkv.store.records" in preload
    assert "pmkv.__main__" in sys.modules
    assert not any(name.endswith("__main__") for name in preload)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="niceness is a Unix thing")
def test_story_workers_yield_the_cpu_to_the_gateway_and_the_engine() -> None:
    from pmkv.migrate.storyrun import _start_pool
    from pmkv.migrate.storywork import WORKER_NICENESS

    pool = _start_pool(1, WorkSpec(None, "", 0, None, False, 500))
    try:
        worker = pool.submit(os.nice, 0).result(timeout=120)  # os.nice(0): the niceness
    finally:
        pool.shutdown()
    assert worker == min(os.nice(0) + WORKER_NICENESS, 19)
