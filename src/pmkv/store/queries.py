"""Store-independent logic over loaded data: search, analytics, person usage, story ids.

Every store computes these from the same :class:`ProjectData`, so their answers agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pmkv.store.errors import StoreLimitError
from pmkv.store.interface import (
    Analytics,
    PersonUsage,
    ProjectData,
    Record,
    Store,
    StoryKind,
    StoryMatch,
    StoryQuery,
)
from pmkv.store.records import STORY_ID_RE

MAX_STORY_NUMBER = 999
_TEXT_FIELDS = ("id", "title", "summary", "description")
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")


def story_points(story: Mapping[str, Any]) -> int:
    """The story's points; 0 when the estimate is missing or malformed."""
    estimate = story.get("estimate")
    points = estimate.get("storyPoints") if isinstance(estimate, dict) else None
    if isinstance(points, int) and not isinstance(points, bool):
        return points
    return 0


def _texts(story: Mapping[str, Any]) -> Iterable[str]:
    for name in _TEXT_FIELDS:
        value = story.get(name)
        if isinstance(value, str):
            yield value
    for name in ("tags", "acceptanceCriteria"):
        items = story.get(name)
        if isinstance(items, list):
            yield from (item for item in items if isinstance(item, str))


def matches(story: Mapping[str, Any], query: StoryQuery) -> bool:
    """True when ``story`` passes every filter of ``query``."""
    if story.get("deleted") is True and not query.include_deleted:
        return False
    if query.archived is not None and (story.get("archived") is True) != query.archived:
        return False
    if query.status is not None and story.get("status", "todo") not in query.status:
        return False
    if query.priority is not None and story.get("priority", "medium") not in query.priority:
        return False
    if query.manager is not None and story.get("manager", "unassigned") not in query.manager:
        return False
    if query.tag is not None:
        tags = story.get("tags")
        wanted = query.tag.casefold()
        if not isinstance(tags, list) or not any(
            isinstance(t, str) and t.casefold() == wanted for t in tags
        ):
            return False
    if query.text:
        needle = query.text.casefold()
        return any(needle in text.casefold() for text in _texts(story))
    return True


def search(data: ProjectData, query: StoryQuery) -> list[StoryMatch]:
    """Stories of ``data`` that match ``query``, in epic order then index order."""
    found: list[StoryMatch] = []
    for epic_name, story in data.iter_stories(include_deleted=True):
        if query.epic is not None and epic_name != query.epic:
            continue
        if matches(story, query):
            found.append(StoryMatch(epic_name, str(story.get("id")), story))
    return found


def _bucket(story: Mapping[str, Any], name: str, default: str) -> str:
    value = story.get(name)
    return value if isinstance(value, str) else default


def analytics(data: ProjectData, include_archived: bool = True) -> Analytics:
    """Counts and points by status, priority, epic and manager (deleted never count).

    A story whose status / priority / manager is missing or not a string counts under
    the app's default (``todo`` / ``medium`` / ``unassigned``).
    """
    result = Analytics(project=data.name)
    for epic_name, story in data.iter_stories():
        if not include_archived and story.get("archived") is True:
            continue
        points = story_points(story)
        result.stories += 1
        result.points += points
        result.by_status.add(_bucket(story, "status", "todo"), points)
        result.by_priority.add(_bucket(story, "priority", "medium"), points)
        result.by_epic.add(epic_name, points)
        result.by_manager.add(_bucket(story, "manager", "unassigned"), points)
    return result


def person_usage(store: Store, person_id: str) -> PersonUsage:
    """Where ``person_id`` is used across every project of ``store`` (one load per project)."""
    usage = PersonUsage(person_id)
    for project in store.list_projects():
        add_usage(usage, store.load_project(project))
    return usage


def add_usage(usage: PersonUsage, data: ProjectData) -> None:
    """Add where ``usage.person`` appears in ``data`` (projects, epics, stories)."""
    person = usage.person
    meta = data.record.get("metadata") if data.record else None
    if isinstance(meta, dict):
        contributors = meta.get("contributors")
        if meta.get("manager") == person or (
            isinstance(contributors, list) and person in contributors
        ):
            usage.projects.append(data.name)
    for epic in data.epics.values():
        if epic.record is not None and epic.record.get("manager") == person:
            usage.epics.append((data.name, epic.name))
    for epic_name, story in data.iter_stories():
        if story.get("manager") == person:
            usage.stories.append((data.name, epic_name, str(story.get("id"))))


def derive_acronym(epic_name: str) -> str:
    """A 2-6 letter acronym from an epic folder name (``test-epic`` -> ``TESEPI``)."""
    words = [w for w in re.split(r"[^A-Za-z]+", epic_name) if w]
    if not words:
        return "EP"
    if len(words) == 1:
        acronym = words[0][:6]
    elif len(words) == 2:
        acronym = words[0][:3] + words[1][:3]
    else:
        acronym = "".join(w[0] for w in words[:6])
    acronym = acronym.upper()
    return acronym if len(acronym) >= 2 else (acronym + "X")[:2]


def choose_acronym(epic: str, epics: Mapping[str, tuple[Record | None, list[str]]]) -> str:
    """The acronym for new ids in ``epic``, unique within the project.

    ``epics`` maps every epic of the project to ``(record, story ids)``. The epic's own
    current ids win; then ``epic.id`` when it is an acronym; then one derived from the
    name. An acronym another epic already uses gets a letter changed until it is free.
    """
    record, ids = epics.get(epic, (None, []))
    own = [m.group(2) for m in map(STORY_ID_RE.match, ids) if m]
    if own:
        return max(set(own), key=own.count)
    taken: set[str] = set()
    for name, (other_record, other_ids) in epics.items():
        if name == epic:
            continue
        taken.update(m.group(2) for m in map(STORY_ID_RE.match, other_ids) if m)
        other_id = other_record.get("id") if other_record else None
        if isinstance(other_id, str) and _ACRONYM.match(other_id):
            taken.add(other_id)
    epic_id = record.get("id") if record else None
    base = epic_id if isinstance(epic_id, str) and _ACRONYM.match(epic_id) else None
    base = base or derive_acronym(epic)
    if base not in taken:
        return base
    stem = base[:5]
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if stem + letter not in taken:
            return stem + letter
    stem = base[:4]
    for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if stem + a + b not in taken:
                return stem + a + b
    raise StoreLimitError(f"no free story acronym for epic {epic!r}")


def next_number(kind: StoryKind, acronym: str, all_ids: Iterable[str]) -> int:
    """One more than the highest ``<kind>-<acronym>-<nnn>`` used in the project."""
    highest = 0
    for sid in all_ids:
        m = STORY_ID_RE.match(sid)
        if m and m.group(1) == kind and m.group(2) == acronym:
            highest = max(highest, int(m.group(3)))
    return highest + 1


def format_story_id(kind: StoryKind, acronym: str, number: int, epic: str) -> str:
    """``F-RCM-007``; raises when ``number`` is past 999."""
    if number > MAX_STORY_NUMBER:
        raise StoreLimitError(
            f"epic {epic!r} has used every {kind}-{acronym} story number up to {MAX_STORY_NUMBER}",
            hint="create the story in another epic",
        )
    return f"{kind}-{acronym}-{number:03d}"
