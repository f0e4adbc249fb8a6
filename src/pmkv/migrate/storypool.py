"""Loading a big tree's story files in worker processes, ahead of the walk.

Reading, parsing, validating, serializing and hashing every story is most of a
migration's CPU time, and in one process it all runs under one interpreter lock, next
to the threads that send batches to the store. For a big tree, :func:`prefetch` lists
every epic's story files first (a cheap directory walk), hands each epic to a pool of
worker processes, and the walk in ``discover`` then takes each epic's outcomes instead
of loading the files itself -- the same :func:`~pmkv.migrate.storyload.load_story`, so
the outcomes are identical (a test compares whole inventories).

What crosses the process boundary is kept to plain tuples and bytes: jobs go out as
``(path, rel, sid)`` and outcomes come back as the plain tuple of a
:class:`~pmkv.migrate.storyload.StoryOutcome` (UTF-8 text, problems, digests), which
pickle at memory speed. The walk uses the very listing the jobs were made from, so it
sees the files the workers read. Anything unexpected -- a worker that dies, a platform
without process pools -- makes the walk load that epic itself; a prefetch never changes
a result.

The pool starts its workers from a fresh process (``forkserver``), which imports the
main module as ``__mp_main__``: like any multiprocessing code, a script that calls the
migration with workers must keep its top level under ``if __name__ == "__main__":``.
The library's default is inline (``workers=0``); the ``pmkv`` command turns it on.

Small trees load inline: starting the pool (~0.3 s) would cost more than it saves.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pmkv.migrate.storyload import StoryJob, StoryOutcome, load_story

# below this many story files a tree loads inline (measured: the pool pays off from a
# few thousand stories on 2 cores)
MIN_STORIES = 5_000
MAX_WORKERS = 4

JobTuple = tuple[str, str, str]  # (absolute path, path relative to pm/, story key)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the parent stops the pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def load_epic(jobs: list[JobTuple]) -> list[tuple[object, ...]]:
    """Worker: the outcome of every story file of one epic, as plain tuples."""
    return [tuple(load_story(StoryJob(path, rel, "", sid, "", ""))) for path, rel, sid in jobs]


class StoryPrefetch:
    """Epics handed to the worker pool, by folder; :meth:`take` gets one back."""

    def __init__(self, workers: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        # forkserver: a clean process forks the workers, never this one (whose threads
        # -- a progress bar, the writers -- must not be copied mid-flight)
        method = "forkserver" if "forkserver" in methods else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["pmkv.migrate.storypool"])
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_ignore_interrupts
        )
        self._pending: dict[str, Future[list[tuple[object, ...]]]] = {}

    def submit(self, folder: str, jobs: list[StoryJob]) -> None:
        tuples = [(job.path, job.rel, job.sid) for job in jobs]
        with contextlib.suppress(BrokenProcessPool, RuntimeError):  # the walk loads it
            self._pending[folder] = self._pool.submit(load_epic, tuples)

    def take(self, folder: str) -> list[StoryOutcome] | None:
        """The outcomes of the jobs submitted for ``folder``, in order; None if there
        are none (the caller loads the files itself)."""
        pending = self._pending.pop(folder, None)
        if pending is None:
            return None
        try:
            # StoryOutcome is a named tuple: the plain tuples unpack the same way
            return pending.result()  # type: ignore[return-value]
        except (BrokenProcessPool, OSError):
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def worker_count(stories: int, workers: int | None) -> int:
    """How many worker processes to load ``stories`` story files with (0: inline)."""
    if workers is not None:
        return max(0, workers)
    if stories < MIN_STORIES:
        return 0
    return min(MAX_WORKERS, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0


@contextlib.contextmanager
def prefetch(
    epics: list[tuple[str, list[StoryJob]]], workers: int | None
) -> Iterator[StoryPrefetch | None]:
    """A pool loading ``epics`` (folder, jobs) in this order, or None to load inline."""
    count = worker_count(sum(len(jobs) for _, jobs in epics), workers)
    if count == 0:
        yield None
        return
    try:
        pool = StoryPrefetch(count)
    except (OSError, ValueError, NotImplementedError):  # no process pools here
        yield None
        return
    try:
        for folder, jobs in epics:
            if jobs:
                pool.submit(folder, jobs)
        yield pool
    finally:
        pool.close()
