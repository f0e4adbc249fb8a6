"""The app's four records (Person, Project, Epic, Story) and their rules (data model §2).

Public API (stable; the migration toolkit and the generator depend on it):

- ``validate_story(value, ref, expected_id=None)``, ``validate_epic(value, ref)``,
  ``validate_project(value, ref)``, ``validate_person(value, ref)`` and
  ``validate_people(value, ref)`` return ``list[Problem]`` (empty = valid). They never
  change ``value``: the record stays the original dict, with unknown fields, field order
  and values exactly as read; the models below only check it and add no defaults.
- ``Problem(kind, ref, field, reason)``: ``field`` is a JSON-pointer-ish path
  (``/estimate/storyPoints``, ``/files/0/role``, ``""`` for the whole record).
- ``STORY_ID_RE``: the current story id rule ``^(F|NFR)-[A-Z]{2,6}-[0-9]{3}$`` (ASCII
  digits, as JavaScript's ``\\d``); groups: kind, acronym, number.
- ``is_story_file(name)`` / ``story_key(name)``: the app's listing rule (§1). Old
  ``STORY-*.json`` files ARE story files (their key is the file name) but their ids fail
  ``STORY_ID_RE``, so ``validate_story`` reports them.

Timestamps follow the app's reader: ``YYYY-MM-DDThh:mm:ss[.fraction]Z``; dates are
``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

_STORY_ID = r"(F|NFR)-([A-Z]{2,6})-([0-9]{3})"
STORY_ID_RE = re.compile(rf"^{_STORY_ID}\Z")
OLD_STORY_PREFIX = "STORY-"

STATUSES = ("todo", "in_progress", "blocked", "done")
PRIORITIES = ("low", "medium", "high", "critical")

_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE_OR_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z)?$"
# Deliberately simple (no email-validator dependency): one @, no spaces, a dotted domain.
_EMAIL = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
DateTime = Annotated[str, StringConstraints(pattern=_DATETIME)]
Date = Annotated[str, StringConstraints(pattern=_DATE)]
DateOrDateTime = Annotated[str, StringConstraints(pattern=_DATE_OR_DATETIME)]
StoryId = Annotated[str, StringConstraints(pattern=STORY_ID_RE.pattern.replace(r"\Z", "$"))]
Status = Literal["todo", "in_progress", "blocked", "done"]
Priority = Literal["low", "medium", "high", "critical"]
Confidence = Literal["low", "medium", "high"]
FileRole = Literal["primary", "supporting", "test"]
RequirementType = Literal["functional", "non-functional"]
Count = Annotated[int, Field(ge=0)]


class _Rules(BaseModel):
    # strict: the app's schema does not coerce "5" to 5; extra: unknown fields are fine.
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=False)


class Person(_Rules):
    id: NonEmpty
    name: NonEmpty
    email: Annotated[str, StringConstraints(pattern=_EMAIL)]
    designation: str = ""
    roleInProject: str = ""


class Estimate(_Rules):
    storyPoints: Count = 0
    confidence: Confidence | None = None


class StoryFile(_Rules):
    path: NonEmpty
    role: FileRole


class StoryMetadata(_Rules):
    createdBy: str = "unassigned"
    lastEditedBy: str = "unassigned"
    custom: dict[str, Any] = Field(default_factory=dict)


class Story(_Rules):
    id: StoryId
    epicId: str | None = None
    requirementType: RequirementType = "functional"
    title: NonEmpty
    summary: str = ""
    description: str = ""
    acceptanceCriteria: list[str] = Field(default_factory=list)
    status: Status = "todo"
    priority: Priority = "medium"
    manager: str = "unassigned"
    createdAt: DateTime
    updatedAt: DateTime
    plannedStartDate: Date | None = None
    plannedDueDate: Date | None = None
    actualStartDate: Date | None = None
    actualDueDate: Date | None = None
    dueDate: DateOrDateTime | None = None
    tags: list[str] = Field(default_factory=list)
    relatedStories: list[str] = Field(default_factory=list)
    mentions: list[str] = Field(default_factory=list)
    estimate: Estimate | None = None
    files: list[StoryFile] = Field(default_factory=list)
    metadata: StoryMetadata | None = None
    deleted: bool = False
    archived: bool = False


class EpicMetrics(_Rules):
    totalStoryPoints: Count = 0
    completedStoryPoints: Count = 0


class EpicMetadata(_Rules):
    createdBy: str = "unassigned"
    custom: dict[str, Any] = Field(default_factory=dict)


class Epic(_Rules):
    id: str | None = None
    projectId: str | None = None
    title: NonEmpty
    summary: NonEmpty
    description: str = ""
    status: Status = "todo"
    priority: Priority = "medium"
    manager: str = "unassigned"
    createdAt: DateTime
    updatedAt: DateTime
    targetRelease: DateOrDateTime | None = None
    storyIds: list[str] = Field(default_factory=list)
    metrics: EpicMetrics | None = None
    metadata: EpicMetadata | None = None


class ProjectMetadata(_Rules):
    manager: str = "unassigned"
    contributors: list[str] = Field(default_factory=list)
    repoUrl: Annotated[str, StringConstraints(pattern=r"^$|^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")] = ""
    custom: dict[str, Any] = Field(default_factory=dict)


class Project(_Rules):
    id: str | None = None
    name: NonEmpty
    summary: str = ""
    description: str = ""
    epicIds: list[str] = Field(default_factory=list)
    defaultStatuses: list[Status] = Field(default_factory=list)
    defaultPriorities: list[Priority] = Field(default_factory=list)
    createdAt: DateTime | None = None
    updatedAt: DateTime | None = None
    metadata: ProjectMetadata | None = None


@dataclass(frozen=True)
class Problem:
    """One rule a record breaks: which record, which field, why."""

    kind: str  # "story" | "epic" | "project" | "person" | "people"
    ref: str  # e.g. "healthcare-platform/revenue-cycle-management/F-RCM-001"
    field: str  # JSON-pointer-ish: "/estimate/storyPoints"; "" = the record itself
    reason: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.kind} {self.ref}: {where}{self.reason}"


def _check(model: type[_Rules], kind: str, value: object, ref: str) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem(kind, ref, "", f"must be a JSON object, not {_js_type(value)}")]
    try:
        model.model_validate(value)
    except ValidationError as exc:
        return [
            Problem(kind, ref, _pointer(err["loc"]), _reason(err))
            for err in exc.errors(include_url=False)
        ]
    return []


def _pointer(loc: tuple[int | str, ...]) -> str:
    # Literal/union errors append the tag of the tried branch; keep only real fields.
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p == "str"))]
    return "".join("/" + p for p in parts)


def _reason(err: Any) -> str:
    reason = str(err["msg"])
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "string_pattern_mismatch":
        return f"{_short(err.get('input'))} does not have the required format"
    return reason[0].lower() + reason[1:] if reason else reason


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _js_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def validate_story(value: object, ref: str, expected_id: str | None = None) -> list[Problem]:
    """Problems of a Story; ``expected_id`` (its key / file name) must equal its ``id``."""
    problems = _check(Story, "story", value, ref)
    if expected_id is not None and isinstance(value, dict):
        actual = value.get("id")
        if actual != expected_id:
            problems.append(
                Problem("story", ref, "/id", f"{actual!r} differs from its key {expected_id!r}")
            )
    return problems


def validate_epic(value: object, ref: str) -> list[Problem]:
    """Problems of an Epic record."""
    return _check(Epic, "epic", value, ref)


def validate_project(value: object, ref: str) -> list[Problem]:
    """Problems of a Project record."""
    return _check(Project, "project", value, ref)


def validate_person(value: object, ref: str) -> list[Problem]:
    """Problems of one Person."""
    return _check(Person, "person", value, ref)


def validate_people(value: object, ref: str = "people") -> list[Problem]:
    """Problems of the global people list (an array of Person)."""
    if not isinstance(value, list):
        return [Problem("people", ref, "", f"must be a JSON array, not {_js_type(value)}")]
    problems: list[Problem] = []
    for i, person in enumerate(value):
        for p in validate_person(person, ref):
            problems.append(Problem("people", ref, f"/{i}{p.field}", p.reason))
    return problems


# the listing rule as one pattern over the whole file name: a story id, or the old prefix
# and anything, then ".json" (so never "epic.json")
_STORY_FILE_RE = re.compile(rf"(?:{re.escape(OLD_STORY_PREFIX)}.*|{_STORY_ID})\.json\Z", re.DOTALL)


def is_story_file(name: str) -> bool:
    """True when the app counts ``name`` (a file name in an epic folder) as a story."""
    return _STORY_FILE_RE.match(name) is not None


def story_files(names: Iterable[str]) -> list[str]:
    """The story files among ``names``, in their order (:func:`is_story_file` for each,
    looped in C: an epic folder can hold thousands)."""
    return list(filter(_STORY_FILE_RE.match, names))


def story_key(name: str) -> str:
    """The story key of a story file name (the name without ``.json``)."""
    return name[:-5] if name.endswith(".json") else name


def is_current_story_id(story_id: str) -> bool:
    """True when ``story_id`` follows the app's current id rule."""
    return STORY_ID_RE.match(story_id) is not None
