"""What discovery finds in a ``pm/`` tree: records, their target keys, and anomalies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pmkv.store.codec import JsonValue

Severity = Literal["error", "warning"]
Kind = Literal["people", "project", "epic", "story"]


@dataclass(frozen=True)
class Anomaly:
    """Something wrong or surprising in the source.

    ``error``: the record is written nowhere (exit 4). ``warning``: reported, still migrated.
    """

    severity: Severity
    code: str
    file: str  # path relative to the pm/ folder
    reason: str
    hint: str
    field: str | None = None
    project: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "field": self.field,
            "reason": self.reason,
            "hint": self.hint,
            "project": self.project,
        }


@dataclass(slots=True)
class Record:
    """One valid record, ready to write: ``text`` is exactly what the KV will hold."""

    kind: Kind
    key: str
    path: str  # relative to the pm/ folder
    # the parsed value for people, projects and epics; None for stories, which are
    # ~all of a tree: only their text is kept (parse it with codec.parse_json if needed)
    value: JsonValue
    # None: a story a migration's worker read and wrote; its text is not held here
    # (lists.ExpectedValues reads it again from the file when a verify needs it)
    text: str | None
    project: str | None = None
    epic: str | None = None
    # digests of the UTF-8 text, computed once where the bytes are made (stories);
    # empty: compute from ``text`` when needed
    sha1: str = ""
    sha256: str = ""
    deleted: bool = False  # a soft-deleted story (``"deleted": true``)


@dataclass
class EpicInventory:
    name: str
    record: Record | None = None
    stories: dict[str, Record] = field(default_factory=dict)  # valid stories by file id
    story_files: int = 0  # story files seen, valid or not

    @property
    def valid(self) -> bool:
        return self.record is not None


@dataclass
class ProjectInventory:
    name: str
    record: Record | None = None
    epics: dict[str, EpicInventory] = field(default_factory=dict)  # sorted by folder name

    @property
    def valid(self) -> bool:
        return self.record is not None

    def counts(self) -> dict[str, int]:
        valid_epics = [e for e in self.epics.values() if e.valid]
        return {
            "epic_folders": len(self.epics),
            "epics": len(valid_epics),
            "story_files": sum(e.story_files for e in self.epics.values()),
            "stories": sum(len(e.stories) for e in valid_epics) if self.valid else 0,
        }


@dataclass
class Inventory:
    """The whole source: every valid record, per project, plus every anomaly."""

    pm_dir: Path
    selected: list[str] | None  # None: every project
    people: Record | None = None
    projects: dict[str, ProjectInventory] = field(default_factory=dict)
    # every project folder on disk with a valid project.json (selected or not)
    all_valid_projects: list[str] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    # target keys of records that are not migrated (invalid), with the file's path
    skipped: dict[str, str] = field(default_factory=dict)
    files_read: int = 0

    def records(self) -> Iterator[Record]:
        """Every valid record that will be written, in a stable order."""
        if self.people is not None:
            yield self.people
        for project in self.projects.values():
            if project.record is None:
                continue
            yield project.record
            for epic in project.epics.values():
                if epic.record is None:
                    continue
                yield epic.record
                yield from epic.stories.values()

    @property
    def errors(self) -> list[Anomaly]:
        return [a for a in self.anomalies if a.severity == "error"]

    @property
    def warnings(self) -> list[Anomaly]:
        return [a for a in self.anomalies if a.severity == "warning"]

    def story_count(self) -> int:
        return sum(p.counts()["stories"] for p in self.projects.values())
