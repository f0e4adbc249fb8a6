"""Project, epic and story records, shaped like the app writes them.

Key order follows the fixture files (pm-public-2025-12-10): the app's current writer,
its older importer (no planned/actual dates, ``createdBy: "system"``) and stories moved
between epics (``epicId``/``requirementType`` re-added at the end, no
``deleted``/``archived`` keys).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from pmkv.generate import vocab
from pmkv.generate.plan import EpicPlan, ProjectPlan
from pmkv.generate.text import TextPools

Record = dict[str, object]

# Cumulative weights (random.choices takes them as-is instead of summing per call):
# todo 40 %, in_progress 25 %, blocked 8 %, done 27 %; low 20, medium 45, high 25, critical 10.
STATUS_CUM = (40, 65, 73, 100)
PRIORITY_CUM = (20, 65, 90, 100)
POINTS = (0, 1, 2, 3, 5, 8, 13)
DELETED_SHARE = 0.03
ARCHIVED_SHARE = 0.05
EDITORS = ("user", "system", "unassigned")


def iso(moment: datetime, rng: random.Random) -> str:
    """ISO-8601 UTC with a ``Z``; about half with milliseconds, as the app's clock writes.

    Without milliseconds the moment is truncated, so a later moment (by >= 1 s) never
    prints as earlier.
    """
    if rng.random() < 0.5:
        return moment.isoformat(timespec="milliseconds") + "Z"
    return moment.isoformat(timespec="seconds") + "Z"


def _maybe_date(rng: random.Random, moment: datetime, datetime_share: float) -> str | None:
    roll = rng.random()
    if roll < 0.45:
        return None
    if roll < 1 - datetime_share:
        return moment.date().isoformat()
    return iso(moment, rng)


@dataclass(frozen=True)
class EpicRecords:
    """One epic's record and its stories (id → record), in id order."""

    epic: Record
    stories: list[tuple[str, Record]]
    updated: datetime
    deleted: int
    archived: int


def _story(
    rng: random.Random,
    pools: TextPools,
    plan: EpicPlan,
    story_id: str,
    created: datetime,
    all_ids: list[str],
) -> tuple[Record, datetime, int]:
    non_functional = story_id.startswith("NFR-")
    requirement_type = "non-functional" if non_functional else "functional"
    status = rng.choices(vocab.STATUSES, cum_weights=STATUS_CUM)[0]
    updated = created + timedelta(milliseconds=rng.randint(1000, 120 * 86_400_000))
    deleted = rng.random() < DELETED_SHARE
    archived = rng.random() < ARCHIVED_SHARE
    shape = rng.random()
    imported = shape < 0.15
    moved = shape > 0.95 and not deleted and not archived
    title = pools.title(rng, non_functional)
    head: Record = {"id": story_id}
    if imported:  # written once by the importer: updatedAt == createdAt
        head["requirementType"] = requirement_type
        head["epicId"] = plan.name
        updated = created
    elif not moved:
        head["epicId"] = plan.name
        head["requirementType"] = requirement_type
    manager = rng.choice(plan.team) if rng.random() < 0.92 else "unassigned"
    record: Record = {
        **head,
        "title": title,
        "summary": pools.summary(rng, title, non_functional),
        "description": pools.description(rng),
        "acceptanceCriteria": pools.criteria(rng),
        "status": status,
        "priority": rng.choices(vocab.PRIORITIES, cum_weights=PRIORITY_CUM)[0],
        "manager": manager,
        "createdAt": (created_at := iso(created, rng)),
        "updatedAt": created_at if imported else iso(updated, rng),
    }
    if not imported:
        start = created + timedelta(days=rng.randint(0, 30))
        due = start + timedelta(days=rng.randint(3, 60))
        planned = rng.random() < 0.7
        started = status != "todo" and rng.random() < 0.85
        record["plannedStartDate"] = start.date().isoformat() if planned else None
        record["plannedDueDate"] = due.date().isoformat() if planned else None
        record["actualStartDate"] = (
            (start + timedelta(days=rng.randint(0, 5))).date().isoformat() if started else None
        )
        record["actualDueDate"] = (
            (due + timedelta(days=rng.randint(-3, 10))).date().isoformat()
            if started and status == "done"
            else None
        )
    record["dueDate"] = _maybe_date(rng, created + timedelta(days=rng.randint(7, 90)), 0.1)
    record["tags"] = pools.tags(rng, requirement_type, plan.acronym)
    points = rng.choice(POINTS)
    estimate: Record = {"storyPoints": points}
    if rng.random() < 0.8:
        estimate["confidence"] = rng.choice(vocab.CONFIDENCES)
    record["estimate"] = estimate
    record["relatedStories"] = [
        i
        for i in rng.sample(all_ids, min(len(all_ids), rng.choice((0, 0, 0, 1, 2, 3))))
        if i != story_id
    ]
    record["mentions"] = rng.sample(plan.team, min(len(plan.team), rng.choice((0, 0, 0, 1, 2))))
    record["files"] = pools.files(rng)
    editor = rng.choice((*plan.team, *EDITORS))
    record["metadata"] = {
        "createdBy": "system" if imported else rng.choice((manager, "user", "unassigned")),
        "lastEditedBy": "system" if imported else editor,
        "custom": pools.custom(rng, plan.acronym),
    }
    if moved:
        record["epicId"] = plan.name
        record["requirementType"] = requirement_type
    else:
        record["deleted"] = deleted
        record["archived"] = archived
    if deleted:  # soft delete refreshes updatedAt
        updated += timedelta(days=rng.randint(1, 30))
        record["updatedAt"] = iso(updated, rng)
    return record, updated, points


def _display_order(rng: random.Random, ids_by_creation: list[str]) -> list[str]:
    """Creation order, with about one story in ten moved by hand (drag and drop)."""
    order = list(ids_by_creation)
    for _ in range(len(order) // 10):
        order.insert(rng.randrange(len(order)), order.pop(rng.randrange(len(order))))
    return order


def _epic_status(statuses: list[str], rng: random.Random) -> str:
    """Epics carry their own status (the app does not derive it); keep it plausible."""
    if not statuses or all(s == "todo" for s in statuses):
        return "todo"
    if all(s == "done" for s in statuses):
        return "done"
    roll = rng.random()
    if roll < 0.15 and "blocked" in statuses:
        return "blocked"
    if roll < 0.35:  # work started on stories before anyone moved the epic
        return "todo"
    return "in_progress"


def build_epic(plan: EpicPlan, pools: TextPools) -> EpicRecords:
    """The epic's stories and its ``epic.json``, consistent with each other."""
    rng = random.Random(plan.seed)
    acr = plan.acronym
    ids = [f"F-{acr}-{n:03d}" for n in range(1, plan.functional + 1)]
    ids += [f"NFR-{acr}-{n:03d}" for n in range(1, plan.non_functional + 1)]
    created: dict[str, datetime] = {}
    for prefix, count in (("F-", plan.functional), ("NFR-", plan.non_functional)):
        offsets = sorted(rng.randint(1000, 400 * 86_400_000) for _ in range(count))
        for n, offset in enumerate(offsets, 1):
            created[f"{prefix}{acr}-{n:03d}"] = plan.created + timedelta(milliseconds=offset)
    stories: list[tuple[str, Record]] = []
    latest = plan.created + timedelta(days=1)  # an empty epic was still edited once
    listed, statuses, deleted, archived = [], [], 0, 0
    total_points = done_points = 0
    for story_id in ids:
        record, updated, points = _story(rng, pools, plan, story_id, created[story_id], ids)
        stories.append((story_id, record))
        latest = max(latest, updated)
        if record.get("deleted"):
            deleted += 1
            continue
        archived += bool(record.get("archived"))
        listed.append(story_id)
        statuses.append(str(record["status"]))
        total_points += points
        done_points += points if record["status"] == "done" else 0
    listed.sort(key=created.__getitem__)
    epic: Record = {}
    if rng.random() < 0.7:  # the app's older epics have no id
        epic["id"] = acr
    epic |= {
        "title": plan.title,
        "summary": f"{plan.title}: {rng.choice(pools.paragraphs).split('. ')[0].rstrip('.')}.",
        "description": pools.description(rng),
        "status": _epic_status(statuses, rng),
        "priority": rng.choices(vocab.PRIORITIES, cum_weights=PRIORITY_CUM)[0],
        "manager": plan.manager,
        "createdAt": iso(plan.created, rng),
        "updatedAt": iso(latest, rng),
        "targetRelease": _maybe_date(
            rng, plan.created + timedelta(days=rng.randint(60, 400)), 0.15
        ),
        "storyIds": _display_order(rng, listed),
        "metrics": {"totalStoryPoints": total_points, "completedStoryPoints": done_points},
        "metadata": {
            "createdBy": rng.choice((plan.manager, "user", "system", "unassigned")),
            "custom": pools.custom(rng, acr),
        },
    }
    return EpicRecords(epic, stories, latest, deleted, archived)


def build_project(
    plan: ProjectPlan, pools: TextPools, epic_names: list[str], updated: datetime
) -> Record:
    """``project.json``: lists every epic folder in ``epicIds`` (consistent, unlike old data)."""
    rng = random.Random(plan.seed)
    return {
        "name": plan.display_name,
        "summary": f"One place for {plan.domain} work.",
        "description": f"# {plan.display_name}\n\n{rng.choice(pools.paragraphs)}\n\n"
        f"{rng.choice(pools.sections)}",
        "epicIds": list(epic_names),
        "defaultStatuses": list(vocab.STATUSES),
        "defaultPriorities": list(vocab.PRIORITIES),
        "createdAt": iso(plan.created, rng),
        "updatedAt": iso(max(updated, plan.created + timedelta(days=1)), rng),
        "metadata": {
            "manager": plan.manager,
            "contributors": list(plan.contributors),
            "repoUrl": f"https://github.com/example/{plan.name}" if rng.random() < 0.7 else "",
            "custom": pools.custom(rng, plan.name[:3].upper()),
        },
    }
