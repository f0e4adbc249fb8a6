"""Copying the files' current state of a few keys into KV (the KV half of a dual write).

The DualStore never runs an operation twice (once per store): the file store does the
work, then the keys that operation touched are copied from the files into KV, the way
``pmkv migrate`` would write them: records as ``JSON.stringify`` text, lists rebuilt
in the migration's order (:func:`pmkv.migrate.lists.story_order`), and the migration
ledger (``pmkv:ledger``) updated in the same MULTI/EXEC, so for a tree of valid records a
later ``pmkv migrate`` / ``verify`` sees exactly what a migration would have produced.
(Records the app's reader rejects are copied too, like every store keeps them; the
migration leaves them out, so verify and reconcile report them.)
Copying (instead of replaying the operation on KV) means both sides get the same ids and
the same ``updatedAt``, and a replay is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from pmkv.migrate.inventory import EpicInventory
from pmkv.migrate.inventory import Record as InvRecord
from pmkv.migrate.ledger import LEDGER_KEY, text_hash
from pmkv.migrate.lists import story_order
from pmkv.store.codec import JsonValue, to_js_json
from pmkv.store.dual_stats import DualStats, now_iso
from pmkv.store.errors import InvalidJSONError, StoreError, StoreUnreachableError
from pmkv.store.files import FileStore
from pmkv.store.keyspace import KeyRef, glob_escape
from pmkv.store.kv import KVStore
from pmkv.store.outbox import Action, Outbox, OutboxEntry

LIST_KINDS = ("projects_list", "epics_list", "stories_list")
DRAIN_CHUNK = 500  # outbox entries replayed per transaction


@dataclass
class Touched:
    """The keys one operation changed: records, lists to rebuild, subtrees to purge."""

    records: set[KeyRef] = field(default_factory=set)
    lists: set[KeyRef] = field(default_factory=set)
    purges: set[KeyRef] = field(default_factory=set)  # kind project / epic

    def story(self, project: str, epic: str, sid: str, *, with_epic: bool = True) -> Touched:
        self.records.add(KeyRef("story", project, epic, sid))
        if with_epic:
            self.records.add(KeyRef("epic", project, epic))
            self.lists.add(KeyRef("stories_list", project, epic))
        return self

    def merge(self, other: Touched) -> None:
        self.records |= other.records
        self.lists |= other.lists
        self.purges |= other.purges

    def __bool__(self) -> bool:
        return bool(self.records or self.lists or self.purges)

    @classmethod
    def from_entries(cls, entries: Iterable[OutboxEntry]) -> Touched:
        out = cls()
        for e in entries:
            target = {"purge": out.purges, "rebuild": out.lists}.get(e.action, out.records)
            target.add(e.ref)
        return out


@dataclass(frozen=True)
class Change:
    """One planned KV change: ``text`` None deletes the key."""

    action: Action
    ref: KeyRef
    key: str
    text: str | None = None


class Mirror:
    """Computes the KV changes for a :class:`Touched` from the files and sends them."""

    def __init__(self, files: FileStore, kv: KVStore) -> None:
        self.files = files
        self.kv = kv  # its client and its error translation; it is never closed here
        self.client = kv.client
        self.keyspace = kv.keyspace

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return self.kv._call(what, fn)  # the data layer's boundary for client errors
        except (AttributeError, KeyError, TypeError) as exc:
            # upstash-redis trips over an error object where it expects a list of results
            # (e.g. a refused token on /multi-exec); that is a KV failure too.
            raise StoreError(
                f"{self.kv.url} did not answer {what} with results: {exc!r}",
                hint="check UPSTASH_REDIS_REST_TOKEN (it must be the read-write token)",
            ) from exc

    # ---- planning (reads the files only) -----------------------------------------

    def key(self, ref: KeyRef) -> str | None:
        ks = self.keyspace
        p, e, s = ref.project or "", ref.epic or "", ref.story or ""
        if ref.kind == "people":
            return ks.people()
        if ref.kind == "projects_list":
            return ks.projects_list()
        if ref.kind == "project":
            return ks.project(p)
        if ref.kind == "epics_list":
            return ks.epics_list(p)
        if ref.kind == "epic":
            return ks.epic(p, e)
        if ref.kind == "stories_list":
            return ks.stories_list(p, e)
        return ks.story(p, e, s)

    def plan(self, touched: Touched) -> list[Change]:
        """The changes that make KV hold what the files hold for ``touched``."""
        changes: list[Change] = []
        for ref in sorted(touched.purges, key=_order):
            changes.append(Change("purge", ref, self._purge_pattern(ref)))
        for ref in sorted(touched.records, key=_order):
            key = self.key(ref)
            assert key is not None
            value = self._file_value(ref)
            text = None if value is None else to_js_json(value)
            changes.append(Change("set" if text is not None else "del", ref, key, text))
        for ref in sorted(touched.lists, key=_order):
            key = self.key(ref)
            if key is None:  # the legacy layout has no epics list
                continue
            names = self._list(ref)
            text = None if names is None else to_js_json(list[JsonValue](names))
            changes.append(Change("rebuild", ref, key, text))
        return changes

    def _file_value(self, ref: KeyRef) -> JsonValue:
        p, e, s = ref.project or "", ref.epic or "", ref.story or ""
        if ref.kind == "people":
            people: list[JsonValue] = list(self.files.read_people())
            return people if (self.files.root / "people.json").is_file() else None
        if ref.kind == "project":
            return self.files.read_project(p)
        if ref.kind == "epic":
            return self.files.read_epic(p, e)
        return self.files.read_story(p, e, s)

    def _list(self, ref: KeyRef) -> list[str] | None:
        """The list in the migration's order, of what the files hold; None: no such list.

        Every record the file store lists is included, valid or not, so the DualStore
        behaves like the other stores; ``pmkv verify`` and ``reconcile`` report records
        the app's reader would reject (the migration leaves them out).
        """
        p, e = ref.project or "", ref.epic or ""
        if ref.kind == "projects_list":
            return self.files.list_projects()
        if not (self.files.root / p / "project.json").is_file():
            return None
        if ref.kind == "epics_list":
            return self.files.list_epics(p)
        epic = self.files.read_epic(p, e)
        if epic is None:
            return None
        inventory = EpicInventory(e, InvRecord("epic", "", "", epic, ""))
        for sid in self.files.list_story_ids(p, e):
            inventory.stories[sid] = InvRecord("story", "", "", None, "")
        return story_order(inventory)

    def _purge_pattern(self, ref: KeyRef) -> str:
        ks = self.keyspace
        if ref.kind == "project":
            return ks.project(glob_escape(ref.project or ""))
        return glob_escape(ks.story(ref.project or "", ref.epic or "", ""))

    def entries(self, op: str, changes: list[Change], error: str) -> list[OutboxEntry]:
        """Outbox entries for ``changes`` that could not be sent."""
        when = now_iso()
        return [
            OutboxEntry(
                op,
                c.action,
                c.key or (self.key(c.ref) or ""),
                c.ref.kind,
                c.ref.project,
                c.ref.epic,
                c.ref.story,
                when,
                error,
                c.text,
            )
            for c in changes
        ]

    # ---- sending -----------------------------------------------------------------

    def send(self, changes: list[Change]) -> None:
        """Apply ``changes`` in one MULTI/EXEC (purges are resolved with SCAN first)."""
        if not changes:
            return
        commands: list[list[str]] = []
        for change in changes:
            if change.action == "purge":
                for key in self._purge_keys(change.ref):
                    commands += [["DEL", key], ["HDEL", LEDGER_KEY, key]]
            elif change.text is None:
                commands += [["DEL", change.key], ["HDEL", LEDGER_KEY, change.key]]
            else:
                commands += [
                    ["SET", change.key, change.text],
                    ["HSET", LEDGER_KEY, change.key, text_hash(change.text)],
                ]

        def run() -> list[Any]:
            tx = self.client.multi()
            for command in commands:
                tx.execute(command)
            return list(tx.exec())

        self._call(f"a transaction of {len(commands)} commands", run)

    def _purge_keys(self, ref: KeyRef) -> list[str]:
        ks = self.keyspace
        p = ref.project or ""
        if ref.kind == "project":
            patterns = ks.project_patterns(p)
            keys = [ks.project(p)]
        else:
            e = ref.epic or ""
            patterns = [self._purge_pattern(ref) + "*"]
            keys = [ks.epic(p, e), ks.stories_list(p, e)]
        for pattern in patterns:
            cursor = 0
            while True:
                cursor, batch = self._call(
                    f"SCAN {pattern}",
                    partial(self.client.scan, cursor, match=pattern, count=1000),
                )
                keys += batch
                if int(cursor) == 0:
                    break
        return sorted(set(keys))


def kv_failure(exc: StoreError) -> bool:
    """A failure of the KV side itself (not a rule of the store)."""
    return isinstance(exc, StoreUnreachableError | InvalidJSONError) or type(exc) is StoreError


@dataclass
class DrainResult:
    """What one outbox replay did."""

    replayed: int
    remaining: int
    error: str | None = None


def drain_outbox(mirror: Mirror, outbox: Outbox, stats: DualStats) -> DrainResult:
    """Replay the outbox from the files' current state (caller holds the pm/ lock)."""
    entries = outbox.read()
    done = 0
    while entries:
        chunk, rest = entries[:DRAIN_CHUNK], entries[DRAIN_CHUNK:]
        try:
            mirror.send(mirror.plan(Touched.from_entries(chunk)))
        except StoreError as exc:
            if not kv_failure(exc):
                raise
            return DrainResult(done, len(entries), exc.message)
        outbox.replace(rest)
        done += len(chunk)
        entries = rest
    if done:
        stats.add("replayed", done, flush=True)
    return DrainResult(done, 0)


def bound_timeout(client: Any, timeout: float) -> None:
    """Give an ``upstash_redis.Redis`` a bounded HTTP timeout.

    The client offers no timeout option (its httpx client waits forever); a dual write or
    read must not hang the caller on a stuck endpoint, so we swap in a bounded client.
    """
    http = getattr(client, "_http", None)
    if http is not None and hasattr(http, "_client"):
        http._client.close()
        http._client = httpx.Client(timeout=timeout)


def _order(ref: KeyRef) -> tuple[str, str, str, str]:
    return (ref.kind, ref.project or "", ref.epic or "", ref.story or "")
