"""Writing while reading: plan and write each finished chunk of the tree on one thread.

Discovery hands over records as soon as they are complete (people, a project, an epic
with its stories and its stories list); a single writer thread plans each chunk against
the KV and sends it through the sink, so the gateway and the engine work while this
process parses the next epic. One thread keeps chunks in order; the merged plan is the
same as planning the whole tree at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from pmkv.migrate.inventory import EpicInventory, Record
from pmkv.migrate.kv import KvStore
from pmkv.migrate.lists import json_list, story_order
from pmkv.migrate.plan import Plan, PlanEntry, build_plan, read_current
from pmkv.migrate.sink import Sink, WriteStats, apply_plan
from pmkv.migrate.storywork import CODE_ACTIONS, ChunkOutcome
from pmkv.store.codec import to_js_json
from pmkv.store.keyspace import Keyspace

Progress = Callable[[str, int, int], None]


class ChunkWriter:
    def __init__(
        self,
        store: KvStore | None,
        sink_factory: Callable[[], Sink],
        ks: Keyspace,
        *,
        force: bool,
        batch_size: int,
        progress: Progress | None = None,
    ) -> None:
        self._store = store
        self._sink_factory = sink_factory
        self._sink: Sink | None = None
        self._ks = ks
        self._force = force
        self._batch_size = batch_size
        self._progress = progress
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmkv-chunks")
        self._futures: list[Future[None]] = []
        self.plans: list[Plan] = []
        self.submitted: dict[str, str] = {}
        self.digests: dict[str, str] = {}  # sha1 of each expected text, for the verify
        self.written = 0
        self.batches = 0
        # what the story workers did (their keys never pass through this writer)
        self.story_plans: list[Plan] = []
        self.story_keys: set[str] = set()
        self.story_verified: set[str] = set()
        self.stories_written = 0
        self.story_batches = 0
        # small chunks (an epic of 20 stories) are gathered up to one batch, so each
        # compare request, journal fsync and write request carries many keys
        self._pending: dict[str, str] = {}
        self._pending_lists: set[str] = set()
        self._pending_sha256: dict[str, str] = {}

    def records_ready(self, records: list[Record], epic: EpicInventory | None) -> None:
        """Discovery's callback: queue these records (and the epic's stories list)."""
        values = self._pending
        # a story whose text is None was read and written by a story worker already
        values.update((r.key, r.text) for r in records if r.text is not None)
        # stories come with their digests (hashed from the bytes discovery made)
        self._pending_sha256.update((r.key, r.sha256) for r in records if r.sha256)
        self.digests.update((r.key, r.sha1) for r in records if r.sha1)
        if epic is not None and records and records[0].project is not None:
            key = self._ks.stories_list(records[0].project, epic.name)
            values[key] = to_js_json(json_list(story_order(epic)))
            self._pending_lists.add(key)
        self.submitted.update(values)  # what the runner must not submit again
        if len(values) >= self._batch_size:
            self._flush()

    def stories_done(self, keys: list[str], outcome: ChunkOutcome) -> None:
        """A story worker's chunk (``keys``: of its valid stories, in the outcome's order):
        its plan, the keys it proved, the digests of the others."""
        entries = [
            PlanEntry(key, *CODE_ACTIONS[code])
            for key, code in zip(keys, outcome.actions, strict=True)
        ]
        for v, reason in outcome.reasons.items():
            entries[v] = entries[v]._replace(reason=reason)
        self.story_plans.append(Plan(entries, {}, {}, {}, self._force))
        self.story_keys.update(keys)
        proven = outcome.proven
        if "0" in proven or len(proven) != len(keys):
            flags = zip(keys, proven, strict=True)
            self.story_verified.update(k for k, flag in flags if flag == "1")
        else:  # the usual chunk: every story read back as written
            self.story_verified.update(keys)
        self.digests.update((keys[v], sha1) for v, sha1 in outcome.sha1s.items())
        self.stories_written += outcome.written
        self.story_batches += outcome.batches
        self._report_progress()

    def _report_progress(self) -> None:
        if self._progress:
            self._progress("write", self.total_written, len(self.submitted) + len(self.story_keys))

    @property
    def total_written(self) -> int:
        return self.written + self.stories_written

    def _flush(self) -> None:
        if self._pending:
            values, lists, sha256s = self._pending, self._pending_lists, self._pending_sha256
            self._pending, self._pending_lists, self._pending_sha256 = {}, set(), {}
            self._enqueue(values, {}, lists, sha256s)

    def submit(
        self,
        values: dict[str, str],
        skipped: dict[str, str],
        list_keys: set[str],
        sha256s: dict[str, str] | None = None,
    ) -> None:
        """Queue ``values`` after everything gathered so far (order is kept)."""
        self._flush()
        self.submitted.update(values)
        self._enqueue(values, skipped, list_keys, sha256s)

    def _enqueue(
        self,
        values: dict[str, str],
        skipped: dict[str, str],
        list_keys: set[str],
        sha256s: dict[str, str] | None,
    ) -> None:
        for future in self._futures:  # fail fast: stop reading once a write failed
            if future.done() and future.exception() is not None:
                future.result()
        self._futures.append(
            self._pool.submit(self._write, values, skipped, list_keys, sha256s or {})
        )

    def _write(
        self,
        values: dict[str, str],
        skipped: dict[str, str],
        list_keys: set[str],
        sha256s: dict[str, str],
    ) -> None:
        before, ledger = read_current(self._store, values, self.digests)
        plan = build_plan(
            values, before, ledger, skipped, list_keys=list_keys, force=self._force, sha256s=sha256s
        )
        plan.sha1s = self.digests  # read_current filled in every key of ``values``
        if self._sink is None and plan.to_write():
            self._sink = self._sink_factory()
        stats = (
            apply_plan(plan, self._sink, batch_size=self._batch_size, finish=False)
            if self._sink is not None
            else WriteStats(0, 0, 0.0)
        )
        self.plans.append(plan)
        self.written += stats.written
        self.batches += stats.batches
        self._report_progress()

    def finish(self) -> tuple[Plan, WriteStats]:
        """Wait for every chunk; the merged plan and totals (raises the first failure)."""
        self._flush()
        try:
            for future in self._futures:
                future.result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            if self._sink is not None:
                self._sink.finish()
        merged = merge(self.plans + self.story_plans, self._force)
        return merged, WriteStats(self.total_written, self.batches + self.story_batches, 0.0)

    @property
    def verified(self) -> set[str]:
        """Keys whose written value the engine hashed back as identical (see KvSink)."""
        mine = self._sink.verified if self._sink is not None else set()
        return mine | self.story_verified

    def finish_quietly(self) -> None:
        """After a failure elsewhere: stop queued chunks, let the running one end."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._sink is not None:
            with contextlib.suppress(Exception):  # the original failure is the one to report
                self._sink.finish()


def merge(plans: list[Plan], force: bool) -> Plan:
    merged = Plan([], {}, {}, {}, force, {})
    for plan in plans:
        merged.entries.extend(plan.entries)
        merged.values.update(plan.values)
        merged.before.update(plan.before)
        merged.ledger_before.update(plan.ledger_before)
        merged.hashes.update(plan.hashes)
    return merged
