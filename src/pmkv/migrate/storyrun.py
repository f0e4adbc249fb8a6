"""Running the chunks of story files: on a thread here, or in worker processes.

The first chunk always runs on a thread of this process, so a small tree (one chunk)
never pays for starting processes. For a big tree (:func:`auto_workers`) on a machine
with more than one CPU, the later chunks go to a pool of worker processes
(``forkserver``: each worker starts from a clean process with pmkv already imported, not
from a copy of this one and its threads). Either way a chunk is a
:class:`~pmkv.migrate.storywork.StoryWorker` run, and the outcomes are taken in the
order the chunks were submitted.

The forkserver starts with the runner (its imports overlap the walk) and preloads the
pmkv modules this process has imported (see :func:`preload_modules`).

Measured on a 2-core machine at 100,000 stories (2026-11-26): on one thread, the parse,
check and request building of every story share one interpreter lock with the walk
(~7 s); with three workers writing for themselves, 3.9-4.5 s.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path

from pmkv.migrate.errors import WorkerFailed
from pmkv.migrate.kv import KvStore
from pmkv.migrate.storyload import EpicFiles
from pmkv.migrate.storywork import ChunkOutcome, StoryWorker, WorkSpec, run_chunk, start_worker
from pmkv.store import records

# what starting a process raises where there are none (no /dev/shm for the semaphores,
# a daemonic caller): the chunks then all run on the thread
_CANNOT_START = (OSError, ValueError, AssertionError)
CHUNK = 1000  # stories per chunk: one plan read, one journal line, its write batches
MAX_WORKERS = 4
# Below this many story files no worker starts (the migration reads the stories itself,
# see runner): starting the workers (a server process importing pmkv, a client each)
# costs about what they save. Measured on 2 CPUs (2026-11-26): 10,000 stories 0.55-0.68
# s in-process, 0.6-0.95 s with 3 workers; 100,000 stories ~7 s in-process, 4.7-5.4 s
# with 3 workers.
POOL_MIN_STORIES = 20_000


def auto_workers(pm_dir: Path, projects: list[str] | None) -> int:
    """Worker processes for a migration of ``pm_dir``: :func:`default_workers` for a big
    tree, none below :data:`POOL_MIN_STORIES` story files."""
    workers = default_workers()
    if workers and not has_story_files(pm_dir, projects, POOL_MIN_STORIES):
        return 0
    return workers


def has_story_files(pm_dir: Path, projects: list[str] | None, at_least: int) -> bool:
    """Whether a walk of ``pm_dir`` will find ``at_least`` story files (named as the app
    names them, in the epic folders of the projects): a listing that stops as soon as it
    knows, nothing read (~20 ms for 20,000 files)."""
    total = 0
    try:
        for project in _subfolders(pm_dir):
            if projects and project.name not in projects:
                continue
            for epic in _subfolders(Path(project.path)):
                with os.scandir(epic.path) as files:
                    total += len(records.story_files(f.name for f in files))
                if total >= at_least:
                    return True
    except OSError:  # discovery reports unreadable folders; this is only an estimate
        pass
    return False


def _subfolders(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        return [e for e in entries if e.is_dir() and not e.name.startswith(".")]


def default_workers() -> int:
    """Worker processes for this machine: one more than the CPUs this process may use
    (a worker waiting on its write request leaves its CPU to another), at most 4; none
    on a single CPU, where processes only add their start-up.

    Measured at 100,000 stories on 2 CPUs (2026-11-26, 2 runs each): 2 workers 6.4 and
    6.4 s, 3 workers 5.2 and 5.0 s, 4 workers 5.3 and 5.4 s.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else min(cpus + 1, MAX_WORKERS)


class StoryRunner:
    """Runs chunks of story files; ``on_outcome(keys, outcome)`` is for the caller that
    takes the outcomes (with the keys of the chunk's valid stories, in order)."""

    def __init__(
        self,
        spec: Callable[[], WorkSpec],
        store: KvStore | None,
        *,
        workers: int | None = None,
        chunk: int = CHUNK,
        on_outcome: Callable[[list[str], ChunkOutcome], None] | None = None,
    ) -> None:
        self._spec_factory = spec
        self._spec: WorkSpec | None = None
        self._store = store
        self.workers = default_workers() if workers is None else workers
        self.chunk = chunk
        self.on_outcome = on_outcome
        self._local: StoryWorker | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._pool: ProcessPoolExecutor | None = None
        self.submitted = 0
        if self.workers:
            warm_up()

    def _work_spec(self) -> WorkSpec:
        if self._spec is None:  # made with the first chunk: a real run opens its folder here
            self._spec = self._spec_factory()
        return self._spec

    def _executor(self) -> tuple[Executor, Callable[[list[EpicFiles]], ChunkOutcome]]:
        if self.submitted == 0 or self.workers == 0:
            if self._thread is None:
                self._local = StoryWorker(self._work_spec(), self._store)
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="pmkv-stories")
            assert self._local is not None
            return self._thread, self._local.run
        if self._pool is None:
            self._pool = _start_pool(self.workers, self._work_spec())
        return self._pool, run_chunk

    def submit(self, epics: list[EpicFiles]) -> Future[ChunkOutcome]:
        """Queue one chunk: the story files of ``epics``."""
        first_for_pool = self.workers > 0 and self.submitted == 1  # chunk 1: the thread
        try:
            executor, task = self._executor()
            future = executor.submit(task, epics)
        except BrokenProcessPool as exc:
            raise _failed(exc) from exc
        except _CANNOT_START:
            if not first_for_pool:
                raise
            # no processes here (a sandbox without /dev/shm, a daemonic caller): every
            # chunk on the thread, as with --workers 0
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self.workers = 0
            return self.submit(epics)
        self.submitted += 1
        return future

    def take(self, future: Future[ChunkOutcome]) -> ChunkOutcome:
        """The outcome of ``future``, waiting for it; a worker process that died (killed,
        out of memory, could not start) fails the migration with a clear error."""
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise _failed(exc) from exc

    def close(self, *, cancel: bool = False) -> None:
        """Stop the thread and the workers (after their running chunks end)."""
        for executor in (self._thread, self._pool):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=cancel)
        self._thread = self._pool = None
        if self._local is not None:
            self._local.close()
            self._local = None


def preload_modules() -> list[str]:
    """What the forkserver imports once for every worker: the story worker, and every
    pmkv module this process has imported.

    A worker's first act is importing the migrating process's main module (the rule of
    ``spawn`` and ``forkserver``), which imports its modules again, in every worker:
    those of the benchmark script cost ~0.23 s of CPU per worker, three times a
    migration (measured 2026-11-26). Modules the forkserver has imported are in every
    worker already, so the pmkv ones among them cost nothing there (for the ``pmkv``
    command, whose main module imports little, this changes little).
    """
    loaded = sorted(
        name
        for name in list(sys.modules)
        if name.startswith("pmkv.") and not name.endswith("__main__")  # never a program
    )
    return ["pmkv.migrate.storywork", *(n for n in loaded if n != "pmkv.migrate.storywork")]


def _context() -> BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        # read when the forkserver starts: the first pool of this process
        forkserver.set_forkserver_preload(preload_modules())
        return forkserver
    return multiprocessing.get_context("spawn")  # Windows: a fresh interpreter per worker


def warm_up() -> None:
    """Start the forkserver now, if it is the start method: its imports (~0.35 s of CPU)
    then overlap the walk instead of holding up the first worker, whose start waits
    for them. Like any forkserver, it lives until this process ends (also when the
    migration fails before a worker starts); it holds no lock and writes nothing."""
    if _context().get_start_method() != "forkserver":
        return
    # where it cannot start, the pool's own start fails the same way later, and the
    # thread takes the chunks
    with contextlib.suppress(*_CANNOT_START):
        multiprocessing.forkserver.ensure_running()


def _start_pool(workers: int, spec: WorkSpec) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=start_worker, initargs=(spec,)
    )


def _failed(exc: BaseException) -> WorkerFailed:
    return WorkerFailed(
        f"a story worker process stopped unexpectedly: {exc}",
        hint="re-run `pmkv migrate` (it resumes; add --workers 0 to read and write every"
        " story in this process). A script calling migrate() must do so under"
        " `if __name__ == '__main__':` (each worker imports the script)",
    )
