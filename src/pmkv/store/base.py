"""Every operation of :class:`~pmkv.store.interface.Store`, written once over a few
backend primitives, so the file and KV stores share one behaviour.

A backend supplies: reading/writing one record (``_get``/``_get_many``/``_put``), an
atomic read-modify-write (``_update``), the indexes (projects list, epics list, stories
list; on disk these are directory listings), story creation that claims an id only if
it is free (``_claim_story``), story writes that report whether the story is new
(``_put_story``), an atomic story move, cascading deletes, and ``load_project``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from pmkv.store import queries
from pmkv.store.edits import (
    append_once,
    appended,
    check_bulk_changes,
    created,
    insert_once,
    remove_all,
    story_ids_of,
)
from pmkv.store.errors import AlreadyExistsError, InvalidRecordError, NotFoundError, StoreError
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
from pmkv.store.keyspace import KeyRef, check_name
from pmkv.store.records import (
    STORY_ID_RE,
    Problem,
    validate_epic,
    validate_people,
    validate_project,
    validate_story,
)

IndexKind = Literal["projects", "epics", "stories"]
ClaimOutcome = Literal["taken", "claimed", "claimed and listed in the epic"]
EpicClaim = Literal["taken", "claimed", "claimed and listed in the project"]
Updater = Callable[[Record], Record | None]


def now_iso() -> str:
    """``new Date().toISOString()``: UTC, milliseconds, ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class BaseStore(ABC):
    """Shared behaviour. ``validate`` checks every record before it is written."""

    def __init__(self, *, validate: bool = True, clock: Callable[[], str] = now_iso) -> None:
        self.validate = validate
        self.clock = clock

    # ---- primitives (per backend) -------------------------------------------------

    @abstractmethod
    def _get(self, ref: KeyRef) -> Any: ...

    def _get_many(self, refs: Sequence[KeyRef]) -> list[Any]:
        return [self._get(ref) for ref in refs]

    @abstractmethod
    def _put(self, ref: KeyRef, value: Any) -> None: ...

    @abstractmethod
    def _put_new(self, ref: KeyRef, value: Record) -> bool:
        """Write ``value`` only if nothing is at ``ref`` (atomically); False if taken."""

    @abstractmethod
    def _update(self, ref: KeyRef, fn: Updater) -> Record:
        """Atomically replace the record at ``ref`` by ``fn(old)`` (None: keep)."""

    @abstractmethod
    def _index(self, kind: IndexKind, project: str = "", epic: str = "") -> list[str]: ...

    @abstractmethod
    def _index_add(self, kind: IndexKind, project: str, epic: str, name: str) -> None: ...

    @abstractmethod
    def _index_remove(self, kind: IndexKind, project: str, epic: str, name: str) -> None: ...

    @abstractmethod
    def _claim_story(self, project: str, epic: str, story_id: str, value: Record) -> bool:
        """Write a new story and list it, only if ``story_id`` is free in the epic."""

    @abstractmethod
    def _put_story(self, project: str, epic: str, story_id: str, value: Record) -> bool:
        """Write a story (listing it when new); True when it did not exist before."""

    @abstractmethod
    def _move_story_record(
        self, project: str, epic: str, story_id: str, to_epic: str, value: Record
    ) -> bool:
        """Move the record and its index entry; False when the target id is taken."""

    @abstractmethod
    def _delete_epic_tree(self, project: str, epic: str) -> None: ...

    @abstractmethod
    def _delete_project_tree(self, project: str) -> None: ...

    @abstractmethod
    def load_project(self, project: str) -> ProjectData: ...

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Serialise compound operations where the backend needs it (files: a lock)."""
        yield

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections / locks."""

    # ---- helpers -----------------------------------------------------------------

    def _check(self, problems: list[Problem], what: str) -> None:
        if self.validate and problems:
            raise InvalidRecordError(
                f"{what} breaks the app's rules: " + "; ".join(str(p) for p in problems[:5]),
                problems=list(problems),
                hint="fix the fields named above (see docs/store.md for the rules)",
            )

    def _require_project(self, project: str) -> None:
        if self._get(KeyRef("project", check_name(project, "project"))) is None:
            raise NotFoundError(
                f"project {project!r} does not exist", hint="create it with write_project"
            )

    def _require_epic(self, project: str, epic: str) -> None:
        ref = KeyRef("epic", check_name(project, "project"), check_name(epic, "epic"))
        if self._get(ref) is None:
            raise NotFoundError(
                f"epic {project}/{epic} does not exist", hint="create it with write_epic"
            )

    @staticmethod
    def _story_ref(project: str, epic: str, story_id: str) -> KeyRef:
        return KeyRef(
            "story",
            check_name(project, "project"),
            check_name(epic, "epic"),
            check_name(story_id, "story id"),
        )

    def _touch(self, story: Record, **changes: Any) -> Record:
        return {**story, **changes, "updatedAt": self.clock()}

    def _update_story(self, project: str, epic: str, story_id: str, fn: Updater) -> Record:
        try:
            return self._update(self._story_ref(project, epic, story_id), fn)
        except NotFoundError:
            raise NotFoundError(
                f"story {project}/{epic}/{story_id} does not exist",
                hint="list the epic's stories to see which ids exist",
            ) from None

    def _edit_story_ids(self, project: str, epic: str, edit: Callable[[list[str]], None]) -> None:
        def fn(record: Record) -> Record | None:
            ids = story_ids_of(record)
            before = list(ids)
            edit(ids)
            return None if ids == before else {**record, "storyIds": ids}

        self._update(KeyRef("epic", project, epic), fn)

    # ---- projects ----------------------------------------------------------------

    def list_projects(self) -> list[str]:
        return self._index("projects")

    def read_project(self, project: str) -> Record | None:
        value = self._get(KeyRef("project", check_name(project, "project")))
        return value if isinstance(value, dict) else None

    def write_project(self, project: str, value: Record) -> None:
        check_name(project, "project")
        self._check(validate_project(value, project), f"project {project!r}")
        with self._transaction():
            self._put(KeyRef("project", project), value)
            self._index_add("projects", project, "", project)

    def create_project(self, project: str, value: Record) -> Record:
        """Create a project as the app does: never over an existing one, ``epicIds``
        empty unless given, ``createdAt``/``updatedAt`` set; listed in the projects list
        (one atomic step)."""
        check_name(project, "project")
        stored = created(value, "epicIds", self.clock())
        self._check(validate_project(stored, project), f"project {project!r}")
        with self._transaction():
            if not self._claim_new_project(project, stored):
                raise AlreadyExistsError(
                    f"a project named {project!r} already exists",
                    hint="pick another name, or edit that project",
                )
        return stored

    def _claim_new_project(self, project: str, value: Record) -> bool:
        """Write and list a new project, only if the name is free (KV: one script)."""
        if not self._put_new(KeyRef("project", project), value):
            return False
        self._index_add("projects", project, "", project)
        return True

    def project_exists(self, project: str) -> bool:
        return self.read_project(project) is not None

    def delete_project(self, project: str) -> None:
        check_name(project, "project")
        with self._transaction():
            if not self.project_exists(project) and project not in self.list_projects():
                raise NotFoundError(f"project {project!r} does not exist")
            self._delete_project_tree(project)
            self._index_remove("projects", project, "", project)

    # ---- people ------------------------------------------------------------------

    def read_people(self) -> list[Record]:
        value = self._get(KeyRef("people"))
        return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []

    def write_people(self, people: list[Record]) -> None:
        self._check(validate_people(people), "the people list")
        self._put(KeyRef("people"), people)

    def person_usage(self, person_id: str) -> PersonUsage:
        return queries.person_usage(self, person_id)

    # ---- epics -------------------------------------------------------------------

    def list_epics(self, project: str) -> list[str]:
        return self._index("epics", check_name(project, "project"))

    def read_epic(self, project: str, epic: str) -> Record | None:
        ref = KeyRef("epic", check_name(project, "project"), check_name(epic, "epic"))
        value = self._get(ref)
        return value if isinstance(value, dict) else None

    def write_epic(self, project: str, epic: str, value: Record) -> None:
        self._require_project(project)
        check_name(epic, "epic")
        self._check(validate_epic(value, f"{project}/{epic}"), f"epic {project}/{epic}")
        with self._transaction():
            self._put(KeyRef("epic", project, epic), value)
            self._index_add("epics", project, "", epic)

    def create_epic(self, project: str, epic: str, value: Record) -> Record:
        """Create an epic as the app does (see :func:`create_project`), listed in the
        project's epics list and ``epicIds``: one atomic step unless the project changed
        since it was read (then ``epicIds`` gets a compare-and-set right after)."""
        check_name(project, "project")
        check_name(epic, "epic")
        stored = created(value, "storyIds", self.clock())
        self._check(validate_epic(stored, f"{project}/{epic}"), f"epic {project}/{epic}")
        listed = partial(appended, field="epicIds", name=epic, now=stored["updatedAt"])
        with self._transaction():
            # under the lock and before any write: a missing or non-object project refuses
            record = self.read_project(project)
            if record is None:
                raise NotFoundError(
                    f"project {project!r} does not exist", hint="create it with create_project"
                )
            outcome = self._claim_new_epic(project, epic, stored, record, listed(record))
            if outcome == "taken":
                raise AlreadyExistsError(
                    f"an epic named {epic!r} already exists in project {project!r}",
                    hint="pick another name, or edit that epic",
                )
            if outcome != "claimed and listed in the project":
                self._update(KeyRef("project", project), listed)
        return stored

    def _claim_new_epic(
        self, project: str, epic: str, value: Record, project_record: Record, grown: Record | None
    ) -> EpicClaim:
        """Write and list a new epic if the name is free; a backend that also puts
        ``grown`` (the project with the epic in ``epicIds``) in that step, when the project
        still equals ``project_record``, says so."""
        if not self._put_new(KeyRef("epic", project, epic), value):
            return "taken"
        self._index_add("epics", project, "", epic)
        return "claimed"

    def epic_exists(self, project: str, epic: str) -> bool:
        return self.read_epic(project, epic) is not None

    def delete_epic(self, project: str, epic: str) -> None:
        with self._transaction():
            if not self.epic_exists(project, epic) and epic not in self.list_epics(project):
                raise NotFoundError(f"epic {project}/{epic} does not exist")
            self._delete_epic_tree(project, epic)
            self._index_remove("epics", project, "", epic)

    # ---- stories -----------------------------------------------------------------

    def list_story_ids(self, project: str, epic: str) -> list[str]:
        return self._index("stories", check_name(project, "project"), check_name(epic, "epic"))

    def list_active_story_ids(self, project: str, epic: str) -> list[str]:
        ids = self.list_story_ids(project, epic)
        records = self._get_many([KeyRef("story", project, epic, sid) for sid in ids])
        return [
            sid
            for sid, rec in zip(ids, records, strict=True)
            if isinstance(rec, dict) and rec.get("deleted") is not True
        ]

    def read_story(self, project: str, epic: str, story_id: str) -> Record | None:
        value = self._get(self._story_ref(project, epic, story_id))
        return value if isinstance(value, dict) else None

    def story_exists(self, project: str, epic: str, story_id: str) -> bool:
        return self.read_story(project, epic, story_id) is not None

    def write_story(self, project: str, epic: str, story_id: str, value: Record) -> Record:
        """Write a story under ``story_id``: sets ``id``, refreshes ``updatedAt``; a new
        story is appended to the stories list and to ``epic.storyIds``."""
        self._story_ref(project, epic, story_id)
        stored = {**value, "id": story_id, "updatedAt": self.clock()}
        ref = f"{project}/{epic}/{story_id}"
        self._check(validate_story(stored, ref), f"story {ref}")
        with self._transaction():
            if self._put_story(project, epic, story_id, stored):  # raises for a missing epic
                self._edit_story_ids(project, epic, lambda ids: append_once(ids, story_id))
        return stored

    def create_story(
        self, project: str, epic: str, value: Record, kind: StoryKind | None = None
    ) -> Record:
        """Create a story under the next free id (``createdAt`` set when missing)."""
        if kind is None:
            kind = "NFR" if value.get("requirementType") == "non-functional" else "F"
        self._story_ref(project, epic, "x")
        with self._transaction():
            ids, epic_record = self._creation_view(project, epic)
            if epic_record is None:
                raise NotFoundError(
                    f"epic {project}/{epic} does not exist", hint="create it with write_epic"
                )
            acronym = self._acronym_for(project, epic, ids)
            number = queries.next_number(kind, acronym, ids)
            while True:
                story_id = queries.format_story_id(kind, acronym, number, epic)
                now = self.clock()
                stored = {**value, "id": story_id, "updatedAt": now}
                stored.setdefault("createdAt", now)
                ref = f"{project}/{epic}/{story_id}"
                self._check(validate_story(stored, ref), f"story {ref}")
                outcome = self._claim_new_story(project, epic, story_id, stored, epic_record)
                if outcome != "taken":
                    break
                number += 1  # another writer took it first
            if outcome != "claimed and listed in the epic":
                self._edit_story_ids(project, epic, lambda ids: append_once(ids, story_id))
        return stored

    def _creation_view(self, project: str, epic: str) -> tuple[list[str], Record | None]:
        """What creating a story needs to read: the epic's story ids and its record."""
        return self.list_story_ids(project, epic), self.read_epic(project, epic)

    def _claim_new_story(
        self, project: str, epic: str, story_id: str, value: Record, epic_record: Record
    ) -> ClaimOutcome:
        """Claim ``story_id`` for a new story. A backend that can also append the id to
        ``epic.storyIds`` in the same atomic step (when the epic still equals
        ``epic_record``) says so; otherwise the caller appends it."""
        return "claimed" if self._claim_story(project, epic, story_id, value) else "taken"

    def delete_story(self, project: str, epic: str, story_id: str) -> Record:
        """Soft delete: ``deleted: true``, out of ``epic.storyIds``; the id stays taken."""
        with self._transaction():
            story = self._update_story(
                project, epic, story_id, lambda s: self._touch(s, deleted=True)
            )
            self._edit_story_ids(project, epic, lambda ids: remove_all(ids, story_id))
        return story

    def archive_story(self, project: str, epic: str, story_id: str) -> Record:
        return self._update_story(project, epic, story_id, lambda s: self._touch(s, archived=True))

    def restore_story(self, project: str, epic: str, story_id: str) -> Record:
        return self._update_story(project, epic, story_id, lambda s: self._touch(s, archived=False))

    def move_story(
        self, project: str, epic: str, story_id: str, to_epic: str, position: int | None = None
    ) -> Record:
        """Move a story to ``to_epic`` (at ``position`` in its ``storyIds``, else last)."""
        if to_epic == epic:
            raise StoreError(f"story {story_id} is already in epic {epic!r}")
        with self._transaction():
            story = self.read_story(project, epic, story_id)
            if story is None:
                raise NotFoundError(f"story {project}/{epic}/{story_id} does not exist")
            self._require_epic(project, to_epic)
            moved = self._touch(story, **({"epicId": to_epic} if "epicId" in story else {}))
            if not self._move_story_record(project, epic, story_id, to_epic, moved):
                raise StoreError(
                    f"epic {project}/{to_epic} already has a story {story_id}",
                    hint="delete or rename that story first",
                )
            self._edit_story_ids(project, epic, lambda ids: remove_all(ids, story_id))
            if moved.get("deleted") is not True:
                self._edit_story_ids(
                    project, to_epic, lambda ids: insert_once(ids, story_id, position)
                )
        return moved

    def reorder_stories(self, project: str, epic: str, story_ids: Sequence[str]) -> None:
        """Set ``epic.storyIds`` to ``story_ids``, which must be a permutation of it."""
        wanted = list(story_ids)

        def edit(ids: list[str]) -> None:
            if sorted(ids) != sorted(wanted):
                raise StoreError(
                    f"the new order of epic {project}/{epic} must list exactly its stories "
                    f"({len(ids)} ids), got {len(wanted)}",
                    hint="read the epic's storyIds and pass them in the new order",
                )
            ids[:] = wanted

        self._require_epic(project, epic)
        self._edit_story_ids(project, epic, edit)

    def next_story_id(self, project: str, epic: str, kind: StoryKind = "F") -> str:
        acronym, number = self._next_id_parts(project, epic, kind)
        return queries.format_story_id(kind, acronym, number, epic)

    def _next_id_parts(self, project: str, epic: str, kind: StoryKind) -> tuple[str, int]:
        ids = self.list_story_ids(project, epic)
        acronym = self._acronym_for(project, epic, ids)
        return acronym, queries.next_number(kind, acronym, ids)

    def _acronym_for(self, project: str, epic: str, ids: list[str]) -> str:
        if any(STORY_ID_RE.match(sid) for sid in ids):
            return queries.choose_acronym(epic, {epic: (None, ids)})
        return queries.choose_acronym(epic, self._epics_index(project))

    def _epics_index(self, project: str) -> dict[str, tuple[Record | None, list[str]]]:
        """Every epic of ``project``: its record and its story ids."""
        data = self.load_project(project)
        return {name: (e.record, e.story_ids) for name, e in data.epics.items()}

    # ---- whole project -----------------------------------------------------------

    def import_project(self, data: ProjectData) -> None:
        """Write a whole project exactly as given (no id or timestamp changes, no
        validation), listing it, its epics and its stories; existing records are
        replaced. For loaders and tests; the migration has its own ledgered writer."""
        project = check_name(data.name, "project")
        with self._transaction():
            if data.record is not None:
                self._put(KeyRef("project", project), data.record)
            self._index_add("projects", project, "", project)
            for epic in data.epics.values():
                check_name(epic.name, "epic")
                if epic.record is not None:
                    self._put(KeyRef("epic", project, epic.name), epic.record)
                self._index_add("epics", project, "", epic.name)
                for sid in epic.story_ids:
                    story = epic.stories.get(sid)
                    if story is not None:
                        self._put_story(project, epic.name, check_name(sid, "story id"), story)

    def search_stories(self, project: str, query: StoryQuery) -> list[StoryMatch]:
        return queries.search(self.load_project(project), query)

    def analytics(self, project: str, include_archived: bool = True) -> Analytics:
        return queries.analytics(self.load_project(project), include_archived)

    def bulk_update(
        self, project: str, targets: Sequence[StoryRef], changes: Mapping[str, str]
    ) -> BulkResult:
        """Set status / priority / manager on many stories (each refreshes updatedAt)."""
        check_bulk_changes(changes)
        result = BulkResult()
        for target in targets:
            try:
                self._update_story(
                    project, target.epic, target.id, lambda s: self._touch(s, **changes)
                )
            except NotFoundError:
                result.missing.append(target)
            else:
                result.updated.append(target)
        return result
