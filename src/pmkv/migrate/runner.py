"""``migrate``: back up, discover, plan, write (journalled), verify, report.

The dry run takes the very same path with a :class:`RecordingSink` and no journal, run
folder or backup: it reads the KV (when one is given) and changes nothing anywhere.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import count, repeat
from operator import itemgetter
from pathlib import Path

from pmkv import tuning
from pmkv.migrate import runs
from pmkv.migrate.backup import BackupInfo, create_backup
from pmkv.migrate.chunks import ChunkWriter
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import MigrateAborted, MigrateError
from pmkv.migrate.journal import Journal
from pmkv.migrate.kv import KvStore
from pmkv.migrate.lists import expected_values
from pmkv.migrate.plan import Plan, PlanEntry, build_plan, read_current
from pmkv.migrate.report import render_markdown
from pmkv.migrate.result import MigrateResult
from pmkv.migrate.sink import DEFAULT_BATCH, KvSink, RecordingSink, Sink
from pmkv.migrate.storyrun import CHUNK, StoryRunner, auto_workers
from pmkv.migrate.storywork import WorkSpec
from pmkv.migrate.verify import verify
from pmkv.store.keyspace import Keyspace

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class MigrateOptions:
    pm_dir: Path
    home: Path
    projects: list[str] | None = None
    dry_run: bool = False
    force: bool = False
    backup: bool = True
    batch_size: int = DEFAULT_BATCH
    keyspace: Keyspace = field(default_factory=Keyspace.production)
    # asked with the plan before anything is written; False aborts (nothing written)
    confirm: Callable[[Plan], bool] | None = None
    verify: bool = True
    # story worker processes (None: storyrun.auto_workers; 0: none, stories read here)
    workers: int | None = None
    story_chunk: int = CHUNK


def migrate(
    store: KvStore | None, options: MigrateOptions, progress: Progress | None = None
) -> MigrateResult:
    """Run one migration; ``store`` None only for a dry run against nothing (all creates)."""
    with tuning.relaxed_gc():  # a run allocates an object or more per story, none cyclic
        return _migrate(store, options, progress)


def _migrate(
    store: KvStore | None, options: MigrateOptions, progress: Progress | None
) -> MigrateResult:
    if store is None and not options.dry_run:
        raise ValueError("a real migration needs a store")
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a story worker is importing the caller's main module, which calls migrate()
        # at its top level: running it here would start a migration per worker
        raise MigrateError(
            "migrate() was called while a story worker process imported the main module",
            hint="call migrate() under `if __name__ == '__main__':` in your script,"
            " or pass MigrateOptions(workers=0)",
        )
    ks = options.keyspace
    timings: dict[str, float] = {}
    started = last = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        timings[name] = now - last
        last = now

    backup: BackupInfo | None = None
    if options.backup and not options.dry_run:
        backup = create_backup(options.pm_dir, options.home, progress)
        lap("backup")
    selected = sorted(set(options.projects)) if options.projects else None
    run: list[tuple[runs.RunMeta, Journal]] = []  # created with the first write
    run_lock = threading.Lock()  # the writer thread and the story runner both open it

    def open_run(store: KvStore) -> tuple[runs.RunMeta, Journal]:
        with run_lock:
            if not run:
                meta = runs.RunMeta(
                    runs.new_run_id(), str(options.pm_dir.resolve()), store.url, selected
                )
                journal = Journal(runs.write_meta(options.home, meta) / runs.JOURNAL_FILE)
                run.append((meta, journal))
            return run[0]

    def mark_failed() -> None:
        for meta, journal in run:
            journal.close()
            runs.write_meta(options.home, replace(meta, state="failed", finished_at=runs.now_iso()))

    def make_sink() -> Sink:
        if options.dry_run or store is None:
            return RecordingSink()
        return KvSink(store, open_run(store)[1])

    def story_spec() -> WorkSpec:
        if store is None:
            return WorkSpec(None, "", 0, None, options.force, options.batch_size)
        folder = None
        if not options.dry_run:
            folder = runs.run_dir(options.home, open_run(store)[0].run_id)
        return WorkSpec(
            store.url, store.token, store.retries, folder, options.force, options.batch_size
        )

    writer = ChunkWriter(
        store,
        make_sink,
        ks,
        force=options.force,
        batch_size=options.batch_size,
        progress=progress,
    )
    # Stream (write while reading) unless forced overwrites must be confirmed first:
    # then the stories are read here, planned with the rest, and written after the yes.
    stream = not (options.force and options.confirm is not None and not options.dry_run)
    # Big trees: story workers read and write the stories (see storyrun). Otherwise this
    # process reads them while its writer thread writes what is read (measured at 10,000
    # stories: 0.61 s, against 0.75-0.95 s through a story thread or workers).
    workers = options.workers
    if workers is None and stream:
        workers = auto_workers(options.pm_dir, options.projects)
    stories = (
        StoryRunner(
            story_spec,
            store,
            workers=workers,
            chunk=options.story_chunk,
            on_outcome=writer.stories_done,
        )
        if stream and workers
        else None
    )
    try:
        inv = discover(
            options.pm_dir,
            options.projects,
            keyspace=ks,
            progress=progress,
            on_records=writer.records_ready if stream else None,
            stories=stories,
        )
        if stories is not None:
            stories.close()
        lap("discover")
        pl_key = ks.projects_list()
        current_pl = store.get_many([pl_key])[0] if store and inv.selected else None
        values = expected_values(inv, ks, current_pl)
        done = writer.submitted.keys() | writer.story_keys
        rest = {k: values[k] for k in values if k not in done}
        rest_records = [r for r in inv.records() if r.key in rest]  # one pass of the tree
        list_keys = rest.keys() - {r.key for r in rest_records}
        if not stream:
            before, ledger = read_current(store, rest)
            preview = build_plan(
                rest, before, ledger, inv.skipped, list_keys=list_keys, force=options.force
            )
            lap("plan")
            if options.confirm is not None and not options.confirm(preview):
                raise MigrateAborted("nothing was written", hint="re-run when ready")
        # hashes discovery already made from the bytes (the non-streamed path)
        writer.digests.update((r.key, r.sha1) for r in rest_records if r.sha1)
        known = {r.key: r.sha256 for r in rest_records if r.sha256}
        writer.submit(rest, inv.skipped, list_keys, known)
        plan, stats = writer.finish()
        # chunks land in whatever order the writers finish: report in the keys' order
        # (records in walk order, then the lists; skipped files last, by key)
        plan.entries[:] = _in_order(plan.entries, values)
    except BaseException:
        if stories is not None:
            stories.close(cancel=True)
        writer.finish_quietly()
        mark_failed()  # the journals are complete up to the failure: rollback works
        raise
    if not run and store is not None and not options.dry_run:
        make_sink()  # nothing to write: still a run, with its report (and an empty journal)
    for _meta, journal in run:
        journal.close()
    if any(values[k] != v for k, v in writer.submitted.items()):
        raise RuntimeError("streamed values differ from the inventory (a bug in pmkv)")
    lap("write")
    run_meta = run[0][0] if run else None
    result_verify = None
    if store is not None and not options.dry_run and options.verify:
        try:
            result_verify = verify(
                store,
                inv,
                ks,
                expected=values,
                digests=writer.digests,
                verified=writer.verified,
                progress=progress,
            )
        except BaseException:  # written, not verified: the run did not complete
            mark_failed()
            raise
        lap("verify")
    timings["total"] = time.perf_counter() - started
    result = MigrateResult(
        run_meta.run_id if run_meta else None,
        options.dry_run,
        str(options.pm_dir),
        store.url if store else None,
        inv,
        plan,
        stats,
        result_verify,
        backup,
        timings,
    )
    if run_meta is not None:
        folder = runs.run_dir(options.home, run_meta.run_id)
        result.report_path = str(folder / runs.REPORT_FILE)
        (folder / runs.REPORT_FILE).write_text(render_markdown(result), encoding="utf-8")
        (folder / runs.RESULT_FILE).write_text(
            json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        runs.write_meta(
            options.home,
            replace(
                run_meta, state="complete", finished_at=runs.now_iso(), keys_written=stats.written
            ),
        )
    return result


def _in_order(entries: list[PlanEntry], keys: Iterable[str]) -> list[PlanEntry]:
    """``entries`` in the order of ``keys``, those of other keys last in their order
    (a stable sort, keyed in C: a plan can hold 100,000s of entries)."""
    rank = dict(zip(keys, count()))
    ranks = list(map(rank.get, map(itemgetter(0), entries), repeat(len(rank))))
    return list(map(entries.__getitem__, sorted(range(len(ranks)), key=ranks.__getitem__)))
