"""Shadow comparison: for a sample of reads, compare KV with the files off the caller's path.

The caller only draws a random number and, for a sampled read, puts ``(op, args, value
read from KV)`` on a bounded queue (never blocking: when the queue is full the sample is
dropped and counted). One daemon thread reads the same thing from the files and compares.
That thread runs on a duty cycle: after each comparison it sleeps long enough that it
uses at most ``duty`` (default 5%) of one core's time, because its parsing holds the GIL
the caller needs; samples it cannot keep up with are dropped (and counted), never waited
for.
A difference is re-checked once against fresh reads of both sides, so a write that
landed between the caller's read and the comparison is not reported; what remains is
logged to ``<home>/dual/mismatches.jsonl`` with JSON-pointer paths (the migration's
:func:`~pmkv.migrate.diff.json_diff`) and counted.

Lists are compared as sorted sets: in KV a stories list follows ``epic.storyIds`` while
on disk the index is the folder listing, so only membership is comparable.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from pmkv.migrate.diff import json_diff
from pmkv.store.codec import JsonValue
from pmkv.store.dual_stats import DualStats
from pmkv.store.errors import StoreError
from pmkv.store.interface import ProjectData

Reader = Callable[[str, tuple[Any, ...]], Any]
LIST_OPS = {"list_projects", "list_epics", "list_story_ids", "list_active_story_ids"}
QUEUE_SIZE = 1000
DUTY = 0.05
_STOP = object()


def normalize(op: str, value: Any) -> JsonValue:
    """A comparable JSON form of what ``op`` returned."""
    if op in LIST_OPS:
        return sorted((str(v) for v in value), key=str)
    if isinstance(value, ProjectData):
        return {
            "record": value.record,
            "epics": {
                name: {
                    "record": epic.record,
                    "story_ids": list[JsonValue](sorted(epic.story_ids)),
                    "stories": {sid: epic.stories[sid] for sid in sorted(epic.stories)},
                }
                for name, epic in sorted(value.epics.items())
            },
        }
    return value  # type: ignore[no-any-return]


class ShadowComparer:
    """Samples reads at ``fraction`` and compares them in one background thread."""

    def __init__(
        self,
        fraction: float,
        kv_read: Reader,
        file_read: Reader,
        stats: DualStats,
        *,
        queue_size: int = QUEUE_SIZE,
        duty: float = DUTY,
        seed: int | None = None,
        quiet: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        self.fraction = max(0.0, min(1.0, fraction))
        self.kv_read = kv_read
        self.file_read = file_read
        self.stats = stats
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._random = random.Random(seed).random
        self.duty = max(0.001, min(1.0, duty))
        self.quiet = quiet  # holds writers off while a difference is re-checked
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stop = threading.Event()
        self._held = 0.0  # seconds the current comparison held writers off

    def offer(self, op: str, args: tuple[Any, ...], kv_value: Any) -> None:
        """Called on the read path: cheap, never blocks."""
        if self.fraction <= 0.0 or self._closed or self._random() >= self.fraction:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pmkv-shadow", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((op, args, kv_value))
        except queue.Full:
            self.stats.add("dropped")

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued sample is compared (tests, close); False on timeout."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Compare what is queued for up to ``timeout``; count the rest as dropped."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self.wait_idle(timeout)
            self._stop.set()
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_STOP)
            self._thread.join(timeout)
            left = 0
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                left += item is not _STOP
                self._queue.task_done()
            if left:
                self.stats.add("dropped", left)
        self.stats.flush()

    def _run(self) -> None:
        compared = 0
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._stop.is_set():
                    self.stats.add("dropped")
                    continue
                started = time.thread_time()
                self._held = 0.0
                self._compare(*item)
                compared += 1
                self.stats.add("compared")
                if compared % 100 == 0 or self._queue.empty():
                    self.stats.flush()
                # CPU time (the GIL) plus time holding writers off both count
                busy = time.thread_time() - started + self._held
            except Exception as exc:  # never let one sample kill the thread
                self.stats.event("mismatches", {"op": "shadow-error", "error": repr(exc)})
                busy = 0.0
            finally:
                self._queue.task_done()
            # stay under the duty cycle; wake at once when closing
            self._stop.wait(busy * (1 / self.duty - 1))

    def _compare(self, op: str, args: tuple[Any, ...], kv_value: Any) -> None:
        try:
            expected = normalize(op, self.file_read(op, args))
        except StoreError:
            return  # an unreadable file is the file side's problem, reported elsewhere
        paths = json_diff(expected, normalize(op, kv_value))
        if not paths:
            return
        # Re-read both sides: a write between the caller's read and now is not a mismatch.
        # First without a lock; if they still differ, once more with writers held off (a
        # DualStore writes files and KV under that lock), so only a lasting difference,
        # never a write in flight, is reported.
        try:
            fresh_kv = normalize(op, self.kv_read(op, args))
            expected = normalize(op, self.file_read(op, args))
            if json_diff(expected, fresh_kv):
                locked = time.perf_counter()
                with self.quiet():
                    fresh_kv = normalize(op, self.kv_read(op, args))
                    expected = normalize(op, self.file_read(op, args))
                self._held += time.perf_counter() - locked
        except StoreError:
            return
        paths = json_diff(expected, fresh_kv)
        if paths:
            self.stats.add("mismatches", flush=True)
            event: dict[str, Any] = {"op": op, "args": list(args), "paths": paths}
            if op != "load_project":  # whole projects are too big for a log line
                event |= {"files": expected, "kv": fresh_kv}
            self.stats.event("mismatches", event)
