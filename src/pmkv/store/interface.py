"""The one store interface (data model §5) and the values its operations return.

Every store (files, KV, and later dual-write) implements :class:`Store`; the contract
suite in ``tests/store/test_contract.py`` proves they behave the same. Records are plain
dicts exactly as stored (see :mod:`pmkv.store.records`); names are folder names / keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Record = dict[str, Any]
StoryKind = Literal["F", "NFR"]
BULK_FIELDS = ("status", "priority", "manager")


@dataclass
class EpicData:
    """One epic with its stories, as loaded at once."""

    name: str
    record: Record | None
    # Every story id the epic's index lists (stories list in KV, story files on disk),
    # deleted ones included, in index order.
    story_ids: list[str]
    # id -> record for every listed story whose record exists.
    stories: dict[str, Record]


@dataclass
class ProjectData:
    """A whole project: the record, its epics (in index order) and their stories."""

    name: str
    record: Record | None
    epics: dict[str, EpicData]

    def iter_stories(self, include_deleted: bool = False) -> list[tuple[str, Record]]:
        """``(epic, story)`` pairs in epic order then index order."""
        out: list[tuple[str, Record]] = []
        for epic in self.epics.values():
            for sid in epic.story_ids:
                story = epic.stories.get(sid)
                if story is not None and (include_deleted or story.get("deleted") is not True):
                    out.append((epic.name, story))
        return out


@dataclass(frozen=True)
class StoryQuery:
    """Search and filter (the app's story list). ``None`` means "any"."""

    text: str | None = None  # case-insensitive, in id/title/summary/description/tags/criteria
    status: frozenset[str] | None = None
    priority: frozenset[str] | None = None
    manager: frozenset[str] | None = None
    tag: str | None = None  # stories carrying this tag (exact, case-insensitive)
    archived: bool | None = False  # False: hide archived; True: only archived; None: both
    epic: str | None = None
    include_deleted: bool = False


@dataclass(frozen=True)
class StoryMatch:
    """One story found by a search."""

    epic: str
    id: str
    record: Record


@dataclass(frozen=True)
class StoryRef:
    """Where a story lives."""

    epic: str
    id: str


@dataclass
class BulkResult:
    """What a bulk update changed."""

    updated: list[StoryRef] = field(default_factory=list)
    missing: list[StoryRef] = field(default_factory=list)


@dataclass
class Breakdown:
    """Counts and story points per value of one field."""

    count: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, points: int) -> None:
        self.count[key] = self.count.get(key, 0) + 1
        self.points[key] = self.points.get(key, 0) + points


@dataclass
class Analytics:
    """The analytics view of one project (deleted stories never count)."""

    project: str
    stories: int = 0
    points: int = 0
    by_status: Breakdown = field(default_factory=Breakdown)
    by_priority: Breakdown = field(default_factory=Breakdown)
    by_epic: Breakdown = field(default_factory=Breakdown)
    by_manager: Breakdown = field(default_factory=Breakdown)


@dataclass
class PersonUsage:
    """Where a person is used: manager or contributor of projects, manager elsewhere."""

    person: str
    projects: list[str] = field(default_factory=list)
    epics: list[tuple[str, str]] = field(default_factory=list)
    stories: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def in_use(self) -> bool:
        return bool(self.projects or self.epics or self.stories)


@runtime_checkable
class Store(Protocol):
    """Every operation the app's repository offers, on one backend."""

    # projects
    def list_projects(self) -> list[str]: ...
    def read_project(self, project: str) -> Record | None: ...
    def write_project(self, project: str, value: Record) -> None: ...
    def create_project(self, project: str, value: Record) -> Record: ...
    def project_exists(self, project: str) -> bool: ...
    def delete_project(self, project: str) -> None: ...

    # people
    def read_people(self) -> list[Record]: ...
    def write_people(self, people: list[Record]) -> None: ...
    def person_usage(self, person_id: str) -> PersonUsage: ...

    # epics
    def list_epics(self, project: str) -> list[str]: ...
    def read_epic(self, project: str, epic: str) -> Record | None: ...
    def write_epic(self, project: str, epic: str, value: Record) -> None: ...
    def create_epic(self, project: str, epic: str, value: Record) -> Record: ...
    def epic_exists(self, project: str, epic: str) -> bool: ...
    def delete_epic(self, project: str, epic: str) -> None: ...

    # stories
    def list_story_ids(self, project: str, epic: str) -> list[str]: ...
    def list_active_story_ids(self, project: str, epic: str) -> list[str]: ...
    def read_story(self, project: str, epic: str, story_id: str) -> Record | None: ...
    def write_story(self, project: str, epic: str, story_id: str, value: Record) -> Record: ...
    def create_story(
        self, project: str, epic: str, value: Record, kind: StoryKind | None = None
    ) -> Record: ...
    def story_exists(self, project: str, epic: str, story_id: str) -> bool: ...
    def delete_story(self, project: str, epic: str, story_id: str) -> Record: ...
    def archive_story(self, project: str, epic: str, story_id: str) -> Record: ...
    def restore_story(self, project: str, epic: str, story_id: str) -> Record: ...
    def move_story(
        self, project: str, epic: str, story_id: str, to_epic: str, position: int | None = None
    ) -> Record: ...
    def reorder_stories(self, project: str, epic: str, story_ids: Sequence[str]) -> None: ...
    def next_story_id(self, project: str, epic: str, kind: StoryKind = "F") -> str: ...

    # whole project, search, bulk, analytics
    def load_project(self, project: str) -> ProjectData: ...
    def import_project(self, data: ProjectData) -> None: ...
    def search_stories(self, project: str, query: StoryQuery) -> list[StoryMatch]: ...
    def bulk_update(
        self, project: str, targets: Sequence[StoryRef], changes: Mapping[str, str]
    ) -> BulkResult: ...
    def analytics(self, project: str, include_archived: bool = True) -> Analytics: ...

    def close(self) -> None: ...
