"""Pure edits the store operations share: new records, id lists, bulk changes.

No I/O: ``base.BaseStore`` and the backends read a record, apply one of these, and write
it back atomically their own way.
"""

from __future__ import annotations

from collections.abc import Mapping

from pmkv.store.errors import StoreError
from pmkv.store.interface import BULK_FIELDS, Record
from pmkv.store.records import PRIORITIES, STATUSES


def created(value: Record, children: str, now: str) -> Record:
    """``value`` as the app creates it: its own fields first, an empty ``children`` list
    unless given, then ``createdAt`` (kept if given) and ``updatedAt`` (``now``)."""
    stored = dict(value)
    stored.setdefault(children, [])
    stored.setdefault("createdAt", now)
    stored["updatedAt"] = now
    return stored


def appended(record: Record, *, field: str, name: str, now: str) -> Record | None:
    """``record`` with ``name`` at the end of its list ``field`` (None: already there)."""
    found = record.get(field)
    ids = list(found) if isinstance(found, list) else []
    return None if name in ids else {**record, field: [*ids, name], "updatedAt": now}


def story_ids_of(epic: Record) -> list[str]:
    """The epic's ``storyIds`` (strings only; [] when missing or malformed)."""
    current = epic.get("storyIds")
    return [i for i in current if isinstance(i, str)] if isinstance(current, list) else []


def check_bulk_changes(changes: Mapping[str, str]) -> None:
    allowed = {"status": STATUSES, "priority": PRIORITIES}
    for name, value in changes.items():
        if name not in BULK_FIELDS:
            raise StoreError(
                f"bulk updates change only {', '.join(BULK_FIELDS)}, not {name!r}",
                hint="edit other fields story by story",
            )
        if name in allowed and value not in allowed[name]:
            raise StoreError(
                f"{name} {value!r} is not one of {', '.join(allowed[name])}",
                hint=f"use one of {', '.join(allowed[name])}",
            )
        if name == "manager" and (not isinstance(value, str) or not value):
            raise StoreError("manager must be a person id", hint="pass a non-empty id")


def append_once(ids: list[str], story_id: str) -> None:
    if story_id not in ids:
        ids.append(story_id)


def remove_all(ids: list[str], story_id: str) -> None:
    ids[:] = [i for i in ids if i != story_id]


def insert_once(ids: list[str], story_id: str, position: int | None) -> None:
    remove_all(ids, story_id)
    if position is None or position >= len(ids):
        ids.append(story_id)
    else:
        ids.insert(max(0, position), story_id)
