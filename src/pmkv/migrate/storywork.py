"""One chunk of story files, start to finish: read, check, plan, journal, write.

Stories are nearly all of a tree. During a migration, discovery only lists their files
and hands them over in chunks; a :class:`StoryWorker` reads each chunk, plans it against
the KV (the same :func:`~pmkv.migrate.plan.build_plan` as every other key), and hands the
plan to the same sinks: a dry run records, a real run journals the previous values
(fsync'ed, in this worker's own journal file of the run) and then writes, with the
engine's read-back of every value in the same request.

A worker runs in a process of its own when the tree is big enough to pay for one (see
:mod:`pmkv.migrate.storyrun`), else on a thread of the migrating process: the same code.
Only small results travel back, by position -- a character per story for its plan
action and one for its write-time proof, problems and digests where needed -- never
the texts or even the keys (the main process knows them from the file names). Two
earlier designs parsed in helper processes and sent the texts back; pickling them cost
more than the parallel parsing saved. Writing from the worker itself is what pays.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from pmkv import tuning
from pmkv.migrate.journal import Journal
from pmkv.migrate.kv import KvStore
from pmkv.migrate.plan import Action, build_plan, read_current
from pmkv.migrate.sink import KvSink, RecordingSink, Sink, WriteStats, apply_plan
from pmkv.migrate.storyload import EpicFiles, Problem, read_stories

JOURNAL_PREFIX = "journal"  # each worker journals to journal-<name>.jsonl in the run folder


@dataclass(frozen=True)
class WorkSpec:
    """What a worker needs to know about the run (it crosses to worker processes)."""

    url: str | None  # None: no store at all (a dry run against nothing)
    token: str
    retries: int
    run_folder: Path | None  # None: a dry run (nothing is journalled or written)
    force: bool
    batch_size: int
    name: str = "stories"  # this worker's journal is journal-<name>.jsonl

    @property
    def journal(self) -> Path | None:
        if self.run_folder is None:
            return None
        return self.run_folder / f"{JOURNAL_PREFIX}-{self.name}.jsonl"


# one character per planned story in a ChunkOutcome (a string pickles as one object):
# its plan action and whether the plan writes it, as build_plan decided
ACTION_CODES: dict[tuple[Action, bool], str] = {
    ("create", True): "c",
    ("update", True): "u",
    ("unchanged", False): "=",
    ("conflict", False): "x",
    ("conflict", True): "X",  # --force
}
CODE_ACTIONS: dict[str, tuple[Action, bool]] = {code: a for a, code in ACTION_CODES.items()}


class ChunkOutcome(NamedTuple):
    """What comes back of a chunk: small, by position, never a text.

    Stories are numbered in the order of the chunk's files (``i``); the valid ones, which
    the plan covers, in that order among themselves (``v``).
    """

    problems: dict[int, tuple[Problem, ...]]  # i -> why the file is not migrated
    deleted: frozenset[int]  # i of soft-deleted stories
    actions: str  # per v: ACTION_CODES
    reasons: dict[int, str]  # v -> the plan's reason, where it gives one
    proven: str  # per v: "1" the engine read back the written value identical, else "0"
    sha1s: dict[int, str]  # v -> sha1 of the text, for stories not proven (the verify's)
    written: int
    batches: int

    @staticmethod
    def empty() -> ChunkOutcome:
        return ChunkOutcome({}, frozenset(), "", {}, "", {}, 0, 0)


class StoryWorker:
    """Loads, plans and writes chunks of stories; one journal file per worker."""

    def __init__(self, spec: WorkSpec, store: KvStore | None = None) -> None:
        self.spec = spec
        self._own_store = store is None and spec.url is not None
        if store is None and spec.url is not None:
            store = KvStore(spec.url, spec.token, retries=spec.retries)
        self.store = store
        self._journal: Journal | None = None

    def run(self, epics: list[EpicFiles]) -> ChunkOutcome:
        jobs = [job for files in epics for job in files.jobs()]
        read = read_stories(jobs)
        values: dict[str, str] = {}
        sha1s: dict[str, str] = {}
        sha256s: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for job, text, sha1, sha256 in zip(jobs, read.texts, read.sha1s, read.sha256s, strict=True):
            if text is not None:
                values[job.key] = text.decode("utf-8")
                sizes[job.key] = len(text)
                sha1s[job.key] = sha1
                sha256s[job.key] = sha256
        before, ledger = read_current(self.store, values, sha1s)
        plan = build_plan(
            values,
            before,
            ledger,
            {},
            list_keys=set(),
            force=self.spec.force,
            sha256s=sha256s,
        )
        plan.sha1s = sha1s
        plan.sizes = sizes
        sink = self._sink() if plan.to_write() else None
        stats = (
            apply_plan(plan, sink, batch_size=self.spec.batch_size)
            if sink is not None
            else WriteStats(0, 0, 0.0)
        )
        proven = sink.verified if sink is not None else set()
        flags = "".join("1" if key in proven else "0" for key in values)
        return ChunkOutcome(
            read.problems,
            frozenset(read.deleted),
            "".join(ACTION_CODES[e.action, e.write] for e in plan.entries),
            {v: e.reason for v, e in enumerate(plan.entries) if e.reason},
            flags,
            {v: sha1s[key] for v, key in enumerate(values) if flags[v] == "0"},
            stats.written,
            stats.batches,
        )

    def _sink(self) -> Sink:
        path = self.spec.journal
        if path is None or self.store is None:
            return RecordingSink()
        if self._journal is None:
            self._journal = Journal(path)
        return KvSink(self.store, self._journal)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
        if self._own_store and self.store is not None:
            self.store.close()


# --- in a worker process ---------------------------------------------------------------

_WORKER: StoryWorker | None = None


def _exit_with_migration() -> None:
    """End this worker as soon as the migration that started it ends, however it ends.

    A killed migration must not leave workers behind: their parent is the forkserver,
    not the migration, and they would wait on their task queue forever. The handle
    ``multiprocessing.parent_process()`` gives a worker is the migrating process's (it
    asked for the worker): a thread waits on it and exits the process. Exiting mid-chunk
    is as safe as a kill: every chunk is journalled before it is written.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing: nothing to watch
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="pmkv-exit-with-migration", daemon=True).start()


# Story workers yield the CPU to the gateway, the engine and the migrating process: those
# are the serial stages every worker waits on (its write requests, the next chunk), so
# serving them first keeps the pipeline moving; the workers still get every cycle the
# others leave. Measured at 100,000 stories on 2 CPUs (2026-11-26, runs alternating
# with and without): 4.13 / 4.49 / 4.95 s at niceness 10 against 4.40 / 4.67 / 5.32 s at
# 0 (niceness 5: 4.20-4.86 s, in between). The cost: other busy programs on the machine
# slow the workers down more than they would at niceness 0.
WORKER_NICENESS = 10


def _yield_to_the_pipeline() -> None:
    if hasattr(os, "nice"):  # not on Windows
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)


def start_worker(spec: WorkSpec) -> None:
    """Pool initializer: this process's worker, journalling to its own file."""
    global _WORKER
    _exit_with_migration()
    tuning.relax_gc()
    _yield_to_the_pipeline()
    tuning.tune_malloc()  # a worker's own process: its write requests are MBs
    _WORKER = StoryWorker(replace(spec, name=f"w{os.getpid()}"))


def run_chunk(epics: list[EpicFiles]) -> ChunkOutcome:
    """Pool task: one chunk, with this process's worker."""
    if _WORKER is None:
        raise RuntimeError("run_chunk called outside a story worker process")
    return _WORKER.run(epics)
