"""Source rules discovery applies: the app's record rules, names, ids, cross-file checks."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import chain

from pmkv.migrate.inventory import Anomaly, EpicInventory, Inventory, Kind
from pmkv.store import keyspace, records
from pmkv.store.codec import JsonValue
from pmkv.store.errors import InvalidNameError

_VALIDATORS = {
    "people": records.validate_people,
    "project": records.validate_project,
    "epic": records.validate_epic,
    "story": records.validate_story,
}


def problems(kind: Kind, value: JsonValue) -> list[tuple[str, str]]:
    """``(field, reason)`` for every rule ``value`` breaks (empty: valid)."""
    return [(p.field or "/", p.reason) for p in _VALIDATORS[kind](value, kind)]


def valid_name(name: str) -> bool:
    """A folder name that can be one segment of a ``pm:`` key."""
    try:
        keyspace.check_name(name)
    except InvalidNameError:
        return False
    return True


def _id_of(value: JsonValue) -> str | None:
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def check_duplicates(inv: Inventory) -> None:
    """Warn about ids used twice: project ids, epic ids within a project, story ids in one."""
    project_ids: dict[str, list[str]] = defaultdict(list)
    for project in inv.projects.values():
        if project.record and (pid := _id_of(project.record.value)):
            project_ids[pid].append(project.record.path)
        epic_ids: dict[str, list[str]] = defaultdict(list)
        for epic in project.epics.values():
            if epic.record and (eid := _id_of(epic.record.value)):
                epic_ids[eid].append(epic.record.path)
        # story ids: count first (C speed), collect paths only for repeated ids
        repeated = {
            sid
            for sid, n in Counter(
                chain.from_iterable(e.stories for e in project.epics.values())
            ).items()
            if n > 1
        }
        story_ids: dict[str, list[str]] = defaultdict(list)
        if repeated:
            for epic in project.epics.values():
                for sid in repeated.intersection(epic.stories):
                    story_ids[sid].append(epic.stories[sid].path)
        for what, seen in (("epic id", epic_ids), ("story id", story_ids)):
            _report_dupes(inv, what, seen, project.name)
    _report_dupes(inv, "project id", project_ids, None)


def _report_dupes(
    inv: Inventory, what: str, seen: dict[str, list[str]], project: str | None
) -> None:
    for ident, paths in sorted(seen.items()):
        if len(paths) < 2:
            continue
        for path in paths:
            inv.anomalies.append(
                Anomaly(
                    "warning",
                    "duplicate-id",
                    path,
                    f"{what} {ident!r} is used by {len(paths)} files: {', '.join(paths)}",
                    "ids must be unique; both records are migrated under their own keys,"
                    " rename one so the app does not confuse them",
                    field="id",
                    project=project,
                )
            )


def check_story_ids(
    out: list[Anomaly], epic: EpicInventory, present: set[str], project: str
) -> None:
    """Compare ``epic.storyIds`` with the story files on disk (both directions); the
    findings are appended to ``out``."""
    if epic.record is None:
        return
    rel = epic.record.path
    value = epic.record.value
    listed_raw = value.get("storyIds") if isinstance(value, dict) else None
    listed = [s for s in listed_raw if isinstance(s, str)] if isinstance(listed_raw, list) else []
    seen: set[str] = set()
    for sid in listed:
        if sid in seen:
            out.append(
                Anomaly(
                    "warning",
                    "duplicate-id",
                    rel,
                    f"storyIds lists {sid!r} twice",
                    "remove the repeat; the stories list keeps the first",
                    field="storyIds",
                    project=project,
                )
            )
        seen.add(sid)
        if sid not in present:
            out.append(
                Anomaly(
                    "warning",
                    "story-without-file",
                    rel,
                    f"storyIds lists {sid!r} but there is no {sid}.json",
                    "remove it from storyIds or restore the file; it is left out of"
                    " the stories list",
                    field="storyIds",
                    project=project,
                )
            )
    for sid in epic.stories:
        # The app removes a soft-deleted story from storyIds on purpose (data model §5),
        # so only live stories missing from it are worth a warning.
        if sid not in seen and not epic.stories[sid].deleted:
            out.append(
                Anomaly(
                    "warning",
                    "story-not-in-storyIds",
                    epic.stories[sid].path,
                    f"story {sid!r} is not listed in the epic's storyIds",
                    "it is migrated and appended (sorted) to the stories list;"
                    " add it to storyIds to choose its place",
                    field="storyIds",
                    project=project,
                )
            )
