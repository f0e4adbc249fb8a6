"""DualStore: the transition period (strategy phase 3) -- write files and KV, read KV first.

Failure semantics (docs/dual-write.md):

- The files are the source of truth until cutover. Every write runs on the
  :class:`~pmkv.store.files.FileStore` first, under the ``pm/`` folder's write lock; if it
  fails, the call fails (and nothing is sent to KV for a write that changed nothing).
- Then the keys the write touched are copied from the files into KV in one MULTI/EXEC
  (:mod:`pmkv.store.dual_mirror`), still under the lock, so KV never goes back in time.
- If that KV write fails (endpoint down, engine down, timeout, refused), the changes are
  appended to the durable outbox (:mod:`pmkv.store.outbox`), the failure is counted and
  logged, and the caller's write still succeeds. The outbox is replayed before the next
  write (after a short back-off) and by ``pmkv reconcile``; its size is in ``pmkv status``.
- Listings are sorted by name, as the file store lists them: the KV lists follow the
  migration's order rule (``epic.storyIds`` first), which the files cannot reproduce.
- Reads go to KV; a record missing in KV (or an unreachable KV) is read from the files,
  and each such fallback is logged as a JSON line and counted. A sample of the other
  reads (``DUAL_COMPARE``) is compared with the files in the background
  (:mod:`pmkv.store.shadow`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pmkv.store import queries
from pmkv.store.dual_mirror import (
    Change,
    DrainResult,
    Mirror,
    Touched,
    drain_outbox,
    kv_failure,
)
from pmkv.store.dual_stats import DualStats, outbox_for
from pmkv.store.errors import (
    AlreadyExistsError,
    InvalidNameError,
    InvalidRecordError,
    NotFoundError,
    StoreError,
)
from pmkv.store.files import FileStore
from pmkv.store.interface import (
    Analytics,
    BulkResult,
    PersonUsage,
    ProjectData,
    Record,
    StoryKind,
    StoryMatch,
    StoryQuery,
    StoryRef,
)
from pmkv.store.keyspace import KeyRef
from pmkv.store.kv import KVStore
from pmkv.store.shadow import ShadowComparer

T = TypeVar("T")
# Errors after which nothing was written: no KV copy is needed.
NOTHING_WRITTEN = (InvalidRecordError, InvalidNameError, NotFoundError, AlreadyExistsError)
BACKOFF = 1.0  # seconds without KV attempts after a failed KV write


class DualStore:
    """Files and KV together; see the module docstring for what happens when one fails."""

    def __init__(
        self,
        files: FileStore,
        kv: KVStore,
        mirror: Mirror,
        home: Path,
        *,
        compare: float = 0.0,
        backoff: float = BACKOFF,
        seed: int | None = None,
    ) -> None:
        self.files = files
        self.kv = kv
        self.mirror = mirror
        self.stats = DualStats(home)
        self.outbox = outbox_for(home)
        self.backoff = backoff
        self._down_until = 0.0
        self.shadow = ShadowComparer(
            compare, self._kv_op, self._file_op, self.stats, seed=seed, quiet=self._locked
        )

    def __repr__(self) -> str:
        return f"DualStore({self.files!r}, {self.kv!r})"

    # The file store does every write, so its clock and validation are the store's.
    @property
    def clock(self) -> Callable[[], str]:
        return self.files.clock

    @clock.setter
    def clock(self, clock: Callable[[], str]) -> None:
        self.files.clock = clock

    @property
    def validate(self) -> bool:
        return self.files.validate

    @validate.setter
    def validate(self, validate: bool) -> None:
        self.files.validate = validate

    def close(self) -> None:
        self.shadow.close()
        self.stats.flush()
        self.kv.close()
        self.files.close()

    # ---- plumbing ----------------------------------------------------------------

    def _kv_op(self, op: str, args: tuple[Any, ...]) -> Any:
        return getattr(self.kv, op)(*args)

    def _file_op(self, op: str, args: tuple[Any, ...]) -> Any:
        return getattr(self.files, op)(*args)

    def _kv_down(self) -> bool:
        return time.monotonic() < self._down_until

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # The file store's own re-entrant, inter-process lock: the file write, its KV copy
        # and any outbox change happen as one step for every process sharing this pm/.
        with self.files._transaction():
            yield

    def _fallback(self, op: str, args: tuple[Any, ...], reason: str, error: str = "") -> None:
        self.stats.add("fallbacks", flush=True)
        event = {"op": op, "args": list(args), "reason": reason}
        self.stats.event("fallbacks", event | ({"error": error} if error else {}))

    def _read(
        self,
        op: str,
        args: tuple[Any, ...],
        missing: Callable[[Any], bool] = lambda v: v is None,
    ) -> Any:
        """KV first; the files when KV lacks it or fails (counted); sampled for shadowing."""
        if self._kv_down():
            self._fallback(op, args, "kv-down")
            return self._file_op(op, args)
        try:
            value = self._kv_op(op, args)
        except StoreError as exc:
            if not kv_failure(exc):
                raise
            self._down_until = time.monotonic() + self.backoff
            self._fallback(op, args, "kv-error", exc.message)
            return self._file_op(op, args)
        if missing(value):
            from_files = self._file_op(op, args)
            if not missing(from_files):
                self._fallback(op, args, "missing-in-kv")
                return from_files
            return value
        self.shadow.offer(op, args, value)
        return value

    def _write(self, op: str, fn: Callable[[], T], touched: Callable[[T | None], Touched]) -> T:
        """Files first (their failure fails the call), then the KV copy or the outbox."""
        with self._locked():
            self._replay()
            result: T | None = None
            wrote = True
            try:
                result = fn()
            except NOTHING_WRITTEN:
                wrote = False
                raise
            finally:
                # Also after a failure midway: whatever reached the files goes to KV too.
                keys = touched(result) if wrote else Touched()
                if keys:
                    self._copy(op, keys)
            return result

    def _replay(self) -> None:
        if self._kv_down() or not self.outbox.pending():
            return
        try:
            found = drain_outbox(self.mirror, self.outbox, self.stats)
        except StoreError as exc:  # e.g. an unreadable outbox: the write itself goes on
            self.stats.event("kv-failures", {"op": "replay", "error": exc.message})
            found = DrainResult(0, -1, exc.message)
        if found.error:
            self._down_until = time.monotonic() + self.backoff

    def _copy(self, op: str, keys: Touched) -> None:
        try:
            changes = self.mirror.plan(keys)
        except StoreError as exc:  # a file we must copy is unreadable: owe the whole set
            owed = [Change("purge", r, "") for r in keys.purges]
            owed += [Change("set", r, "") for r in keys.records]
            owed += [Change("rebuild", r, "") for r in keys.lists]
            self._owe(op, owed, exc.message)
            return
        if self._kv_down() or self.outbox.pending():
            # Keep order simple: while anything is owed, new changes queue behind it.
            self._owe(op, changes, "the KV store failed moments ago; queued")
            return
        try:
            self.mirror.send(changes)
        except StoreError as exc:
            if not kv_failure(exc):
                raise
            self._down_until = time.monotonic() + self.backoff
            self._owe(op, changes, exc.message)

    def _owe(self, op: str, changes: list[Change], error: str) -> None:
        self.outbox.append(self.mirror.entries(op, changes, error))
        self.stats.add("kv_write_failures", flush=True)
        self.stats.event("kv-failures", {"op": op, "keys": len(changes), "error": error})

    # ---- projects ----------------------------------------------------------------

    def list_projects(self) -> list[str]:
        return sorted(self._read("list_projects", (), lambda v: not v))

    def read_project(self, project: str) -> Record | None:
        found: Record | None = self._read("read_project", (project,))
        return found

    def write_project(self, project: str, value: Record) -> None:
        self._write(
            "write_project",
            lambda: self.files.write_project(project, value),
            lambda _: Touched(
                {KeyRef("project", project)},
                {KeyRef("projects_list"), KeyRef("epics_list", project)},
            ),
        )

    def create_project(self, project: str, value: Record) -> Record:
        return self._write(
            "create_project",
            lambda: self.files.create_project(project, value),
            lambda _: Touched(
                {KeyRef("project", project)},
                {KeyRef("projects_list"), KeyRef("epics_list", project)},
            ),
        )

    def project_exists(self, project: str) -> bool:
        return self.read_project(project) is not None

    def delete_project(self, project: str) -> None:
        self._write(
            "delete_project",
            lambda: self.files.delete_project(project),
            lambda _: Touched(lists={KeyRef("projects_list")}, purges={KeyRef("project", project)}),
        )

    # ---- people ------------------------------------------------------------------

    def read_people(self) -> list[Record]:
        return list(self._read("read_people", (), lambda v: not v))

    def write_people(self, people: list[Record]) -> None:
        self._write(
            "write_people",
            lambda: self.files.write_people(people),
            lambda _: Touched({KeyRef("people")}),
        )

    def person_usage(self, person_id: str) -> PersonUsage:
        return queries.person_usage(self, person_id)

    # ---- epics -------------------------------------------------------------------

    def list_epics(self, project: str) -> list[str]:
        return sorted(self._read("list_epics", (project,), lambda v: not v))

    def read_epic(self, project: str, epic: str) -> Record | None:
        found: Record | None = self._read("read_epic", (project, epic))
        return found

    def write_epic(self, project: str, epic: str, value: Record) -> None:
        self._write(
            "write_epic",
            lambda: self.files.write_epic(project, epic, value),
            lambda _: Touched(
                {KeyRef("epic", project, epic)},
                {KeyRef("epics_list", project), KeyRef("stories_list", project, epic)},
            ),
        )

    def create_epic(self, project: str, epic: str, value: Record) -> Record:
        return self._write(
            "create_epic",
            lambda: self.files.create_epic(project, epic, value),
            lambda _: Touched(
                {KeyRef("epic", project, epic), KeyRef("project", project)},
                {KeyRef("epics_list", project), KeyRef("stories_list", project, epic)},
            ),
        )

    def epic_exists(self, project: str, epic: str) -> bool:
        return self.read_epic(project, epic) is not None

    def delete_epic(self, project: str, epic: str) -> None:
        self._write(
            "delete_epic",
            lambda: self.files.delete_epic(project, epic),
            lambda _: Touched(
                lists={KeyRef("epics_list", project)}, purges={KeyRef("epic", project, epic)}
            ),
        )

    # ---- stories -----------------------------------------------------------------

    def list_story_ids(self, project: str, epic: str) -> list[str]:
        return sorted(self._read("list_story_ids", (project, epic), lambda v: not v))

    def list_active_story_ids(self, project: str, epic: str) -> list[str]:
        return sorted(self._read("list_active_story_ids", (project, epic), lambda v: not v))

    def read_story(self, project: str, epic: str, story_id: str) -> Record | None:
        found: Record | None = self._read("read_story", (project, epic, story_id))
        return found

    def story_exists(self, project: str, epic: str, story_id: str) -> bool:
        return self.read_story(project, epic, story_id) is not None

    def write_story(self, project: str, epic: str, story_id: str, value: Record) -> Record:
        existed = False

        def run() -> Record:
            nonlocal existed  # checked under the lock: only a new story changes the epic
            existed = (self.files.root / project / epic / f"{story_id}.json").is_file()
            return self.files.write_story(project, epic, story_id, value)

        return self._write(
            "write_story",
            run,
            lambda _: Touched().story(project, epic, story_id, with_epic=not existed),
        )

    def create_story(
        self, project: str, epic: str, value: Record, kind: StoryKind | None = None
    ) -> Record:
        def touched(result: Record | None) -> Touched:
            if result is None:  # failed before we know the id: refresh the epic's index
                return Touched(
                    {KeyRef("epic", project, epic)}, {KeyRef("stories_list", project, epic)}
                )
            return Touched().story(project, epic, str(result["id"]))

        return self._write(
            "create_story", lambda: self.files.create_story(project, epic, value, kind), touched
        )

    def delete_story(self, project: str, epic: str, story_id: str) -> Record:
        return self._write(
            "delete_story",
            lambda: self.files.delete_story(project, epic, story_id),
            lambda _: Touched().story(project, epic, story_id),
        )

    def archive_story(self, project: str, epic: str, story_id: str) -> Record:
        return self._write(
            "archive_story",
            lambda: self.files.archive_story(project, epic, story_id),
            lambda _: Touched().story(project, epic, story_id, with_epic=False),
        )

    def restore_story(self, project: str, epic: str, story_id: str) -> Record:
        return self._write(
            "restore_story",
            lambda: self.files.restore_story(project, epic, story_id),
            lambda _: Touched().story(project, epic, story_id, with_epic=False),
        )

    def move_story(
        self, project: str, epic: str, story_id: str, to_epic: str, position: int | None = None
    ) -> Record:
        def touched(_: Record | None) -> Touched:
            keys = Touched().story(project, epic, story_id)
            keys.merge(Touched().story(project, to_epic, story_id))
            return keys

        return self._write(
            "move_story",
            lambda: self.files.move_story(project, epic, story_id, to_epic, position),
            touched,
        )

    def reorder_stories(self, project: str, epic: str, story_ids: Sequence[str]) -> None:
        self._write(
            "reorder_stories",
            lambda: self.files.reorder_stories(project, epic, story_ids),
            lambda _: Touched(
                {KeyRef("epic", project, epic)}, {KeyRef("stories_list", project, epic)}
            ),
        )

    def next_story_id(self, project: str, epic: str, kind: StoryKind = "F") -> str:
        # The id is claimed on the files (the source of truth), so it is computed there.
        return self.files.next_story_id(project, epic, kind)

    # ---- whole project, search, bulk, analytics ------------------------------------

    def load_project(self, project: str) -> ProjectData:
        args = (project,)
        if self._kv_down():
            self._fallback("load_project", args, "kv-down")
            return self.files.load_project(project)
        try:
            data = self.kv.load_project(project)
        except StoreError as exc:
            if not kv_failure(exc):
                raise
            self._down_until = time.monotonic() + self.backoff
            self._fallback("load_project", args, "kv-error", exc.message)
            return self.files.load_project(project)
        if data.record is None and not data.epics:
            from_files = self.files.load_project(project)
            if from_files.record is not None or from_files.epics:
                self._fallback("load_project", args, "missing-in-kv")
                return from_files
            return data
        if self._fill_missing(data):
            self._fallback("load_project", args, "missing-in-kv (some records)")
        else:
            self.shadow.offer("load_project", args, data)
        return data

    def _fill_missing(self, data: ProjectData) -> bool:
        """Read from the files the epic and story records the KV lists but lacks."""
        filled = False
        for epic in data.epics.values():
            if epic.record is None:
                epic.record = self.files.read_epic(data.name, epic.name)
                filled = filled or epic.record is not None
            for sid in epic.story_ids:
                if sid not in epic.stories:
                    story = self.files.read_story(data.name, epic.name, sid)
                    if story is not None:
                        epic.stories[sid] = story
                        filled = True
        return filled

    def import_project(self, data: ProjectData) -> None:
        def touched(_: None) -> Touched:
            p = data.name
            keys = Touched(
                {KeyRef("project", p)}, {KeyRef("projects_list"), KeyRef("epics_list", p)}
            )
            for epic in data.epics.values():
                keys.records.add(KeyRef("epic", p, epic.name))
                keys.lists.add(KeyRef("stories_list", p, epic.name))
                for sid in epic.story_ids:
                    keys.records.add(KeyRef("story", p, epic.name, sid))
            return keys

        self._write("import_project", lambda: self.files.import_project(data), touched)

    def search_stories(self, project: str, query: StoryQuery) -> list[StoryMatch]:
        return queries.search(self.load_project(project), query)

    def analytics(self, project: str, include_archived: bool = True) -> Analytics:
        return queries.analytics(self.load_project(project), include_archived)

    def bulk_update(
        self, project: str, targets: Sequence[StoryRef], changes: Mapping[str, str]
    ) -> BulkResult:
        def touched(result: BulkResult | None) -> Touched:
            done = result.updated if result is not None else list(targets)
            return Touched({KeyRef("story", project, t.epic, t.id) for t in done})

        return self._write(
            "bulk_update", lambda: self.files.bulk_update(project, targets, changes), touched
        )
