"""Executing a plan: ONE code path, with interchangeable sinks.

:func:`apply_plan` cuts the keys to write into batches and hands each to a sink. The
:class:`KvSink` journals the plan's previous values (fsync'ed, before its first batch)
and then sends each batch
as one ``/pipeline`` request: one ``MSET`` of every key plus one ``HSET`` of the ledger
(two commands, not one per key: the client, the gateway and the engine each pay per
command, and a batch's keys are written atomically either way), then, in the same
request, the engine-side compare of what it now holds with the sha1 of what was sent:
the read-back that proves each write, done by the engine while this process reads on
(the final verify then skips the keys proven here). The :class:`RecordingSink`
(``--dry-run``) only records what would have been sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from pmkv.migrate.journal import Journal, JournalEntry
from pmkv.migrate.kv import SAME, KvStore, compare_command
from pmkv.migrate.ledger import LEDGER_KEY
from pmkv.migrate.plan import Plan

Progress = Callable[[str, int, int], None]
DEFAULT_BATCH = 500  # 500 and 2,000 measured the same at 100,000 stories (2026-11-26)
# Gateways cap request bodies (ours at 10 MiB by default, Upstash lower on some plans);
# long markdown descriptions must not push a batch over that. Counted in UTF-8 bytes of
# key + value; JSON escaping (quotes, newlines) at most doubles those but for control
# characters (\u00XX), which pm/ text does not hold in bulk.
MAX_BATCH_BYTES = 4_000_000


class Sink(Protocol):
    def write_batch(self, plan: Plan, keys: list[str]) -> None:
        """Write ``keys`` (values from ``plan.values``)."""

    def finish(self) -> None:
        """Wait until everything handed over is written (or raise why not)."""

    @property
    def verified(self) -> set[str]:
        """Keys whose written value was read back identical (none for a dry run)."""


@dataclass
class RecordingSink:
    """Writes nothing; remembers every command it would have sent."""

    commands: list[list[str]] = field(default_factory=list)
    batches: int = 0
    verified: set[str] = field(default_factory=set)  # stays empty: nothing is written

    def write_batch(self, plan: Plan, keys: list[str]) -> None:
        self.commands.extend(batch_commands(plan, keys))
        self.batches += 1

    def finish(self) -> None:
        return None


def batch_commands(plan: Plan, keys: list[str]) -> list[list[str]]:
    """The two commands that write ``keys``: their values, then their ledger entries."""
    values, hashes = plan.values, plan.hashes
    mset = ["MSET"]
    ledger = ["HSET", LEDGER_KEY]
    for key in keys:
        mset += (key, values[key])
        ledger += (key, hashes[key])
    return [mset, ledger]


class KvSink:
    """Journal first (durably), then one pipelined request per batch.

    Requests go out on one sender thread, one batch in flight: while the gateway applies
    batch *n*, this thread prepares batch *n+1* (or journals the next plan). Order is kept
    (one sender), and a batch is only sent after its plan's journal line is on disk.
    """

    def __init__(self, store: KvStore, journal: Journal) -> None:
        self.store = store
        self.journal = journal
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmkv-sink")
        self._inflight: tuple[Future[list[Any]], list[str]] | None = None
        self.verified: set[str] = set()
        self._journalled: Plan | None = None

    def journal_plan(self, plan: Plan) -> None:
        """Before a plan's first batch: every key the plan writes, in one line (one fsync).
        Journalled before sent is all rollback needs, and a line whose batches never went
        out only names values that are still there."""
        if plan is not self._journalled:
            before, ledger, hashes = plan.before, plan.ledger_before, plan.hashes
            self.journal.record(
                [JournalEntry(k, before.get(k), ledger.get(k), hashes[k]) for k in plan.to_write()]
            )
            self._journalled = plan

    def write_batch(self, plan: Plan, keys: list[str]) -> None:
        self.journal_plan(plan)
        commands: list[list[Any]] = [*batch_commands(plan, keys)]
        sha1s = [plan.sha1s.get(k, "") for k in keys]
        checked = all(sha1s)
        if checked:
            commands.append(compare_command(keys, sha1s))
        self._wait()  # the previous batch must have landed (and raised, if it failed)
        future = self._pool.submit(
            self.store.pipeline, commands, f"writing a batch of {len(keys)} keys"
        )
        self._inflight = (future, keys if checked else [])

    def _wait(self) -> None:
        if self._inflight is not None:
            (inflight, keys), self._inflight = self._inflight, None
            results = inflight.result()
            status = results[-1] if keys else None
            if isinstance(status, str) and len(status) == len(keys):
                self.verified.update(k for k, s in zip(keys, status, strict=True) if s == SAME)

    def finish(self) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown(wait=True)


@dataclass
class WriteStats:
    written: int
    batches: int
    seconds: float


def _batches(plan: Plan, keys: list[str], size: int, max_bytes: int) -> Iterator[list[str]]:
    """``size`` keys a batch, fewer when their values pass ``max_bytes`` (request limits)."""
    batch: list[str] = []
    total = 0
    sizes = plan.sizes
    for key in keys:
        nbytes = sizes.get(key)
        if nbytes is None:
            value = plan.values[key]
            # UTF-8 bytes, not characters: 4 MB of CJK text is 12 MB on the wire
            # (str.isascii is O(1) in CPython, so ASCII values cost no encode)
            nbytes = len(value) if value.isascii() else len(value.encode("utf-8"))
        length = len(key) + nbytes
        if batch and (len(batch) >= size or total + length > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(key)
        total += length
    if batch:
        yield batch


def apply_plan(
    plan: Plan,
    sink: Sink,
    *,
    batch_size: int = DEFAULT_BATCH,
    max_bytes: int = MAX_BATCH_BYTES,
    progress: Progress | None = None,
    finish: bool = True,
) -> WriteStats:
    """Send every key the plan writes to ``sink``, in order, ``batch_size`` keys a batch."""
    keys = plan.to_write()
    started = time.perf_counter()
    batches = 0
    done = 0
    try:
        for batch in _batches(plan, keys, batch_size, max_bytes):
            sink.write_batch(plan, batch)
            batches += 1
            done += len(batch)
            if progress:
                progress("write", done, len(keys))
    finally:
        if finish:
            sink.finish()
    return WriteStats(len(keys), batches, time.perf_counter() - started)
