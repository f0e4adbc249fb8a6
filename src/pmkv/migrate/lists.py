"""The list keys, built from what is on disk, and the full set of expected key values.

Rules (documented in docs/migrate.md):

- ``pm:projects:list``: the project folders with a valid ``project.json``, sorted. With
  ``--project``, the list already in KV is kept (order and all) and the selected projects
  missing from it are appended, so a partial run never lists a project it did not write.
- ``pm:project:<p>:epics:list``: the epic folders with a valid ``epic.json``, sorted by
  folder name (``project.epicIds`` is only reported on: the app lists epics from here).
- ``pm:project:<p>:epic:<e>:stories:list``: the ids of ``epic.storyIds`` (first
  occurrence) whose file exists and is valid, in that order; then valid story files not
  listed there, sorted by id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, KeysView, Mapping
from pathlib import Path

from pmkv.migrate.errors import SourceChanged
from pmkv.migrate.inventory import EpicInventory, Inventory, Record
from pmkv.migrate.storyload import StoryJob, load_story
from pmkv.store.codec import JsonValue, to_js_json
from pmkv.store.keyspace import Keyspace


def json_list(names: Iterable[str]) -> JsonValue:
    out: list[JsonValue] = list(names)
    return out


def story_order(epic: EpicInventory) -> list[str]:
    value = epic.record.value if epic.record else None
    listed = value.get("storyIds") if isinstance(value, dict) else None
    if not isinstance(listed, list):
        listed = []
    stories = epic.stories
    # storyIds without repeats (first occurrence kept), strings only, with a valid file
    unique = dict.fromkeys(sid for sid in listed if type(sid) is str)
    order = [sid for sid in unique if sid in stories]
    if len(order) < len(stories):
        order.extend(sorted(stories.keys() - unique.keys()))
    return order


def projects_list(inv: Inventory, current: str | None) -> list[str]:
    """The projects list to write, given the list currently in KV (JSON text or None)."""
    if inv.selected is None:
        return list(inv.all_valid_projects)
    try:
        existing = json.loads(current) if current else []
    except json.JSONDecodeError:
        existing = []
    kept = [p for p in existing if isinstance(p, str)] if isinstance(existing, list) else []
    kept = list(dict.fromkeys(kept))
    return kept + [p for p in inv.selected if inv.projects[p].valid and p not in kept]


class ExpectedValues(Mapping[str, str]):
    """Key -> the exact text it must hold; a story a worker wrote (its record holds no
    text) is read again from its file, only when its text is asked for (a verify asks
    for the few keys that differ: the rest are compared by digest)."""

    def __init__(self, pm_dir: Path) -> None:
        self._pm_dir = pm_dir
        self._texts: dict[str, str | Record] = {}  # a Record: its text is in its file

    def add_all(self, records: Iterable[Record]) -> None:
        self._texts.update((r.key, r if r.text is None else r.text) for r in records)

    def __setitem__(self, key: str, text: str) -> None:
        self._texts[key] = text

    def __getitem__(self, key: str) -> str:
        text = self._texts[key]
        return text if isinstance(text, str) else self._read(text)

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def keys(self) -> KeysView[str]:
        return self._texts.keys()  # a dict's view: set operations at C speed

    def __len__(self) -> int:
        return len(self._texts)

    def _read(self, record: Record) -> str:
        job = StoryJob(
            str(self._pm_dir / record.path),
            record.path,
            record.key,
            Path(record.path).stem,
            record.project or "",
            record.epic or "",
        )
        outcome = load_story(job)
        if outcome.text is None:
            reason = outcome.problems[0].reason if outcome.problems else "it cannot be read"
            raise SourceChanged(
                f"{record.path} changed while it was being migrated: {reason}",
                hint="fix the file if needed and re-run `pmkv migrate` (it resumes)",
            )
        return outcome.text.decode("utf-8")


def expected_values(
    inv: Inventory, ks: Keyspace, current_projects_list: str | None
) -> ExpectedValues:
    """Every key a run writes, with the exact text it must hold, in write order.

    Records come before the lists that point at them, so a reader never finds a list
    entry whose record is not there yet (a run killed midway leaves no dangling ids).
    """
    out = ExpectedValues(inv.pm_dir)
    out.add_all(inv.records())
    for project in inv.projects.values():
        if project.record is None:
            continue
        p = project.name
        valid_epics = [e for e in project.epics.values() if e.valid]
        for epic in valid_epics:
            out[ks.stories_list(p, epic.name)] = to_js_json(json_list(story_order(epic)))
        epics_key = ks.epics_list(p)
        if epics_key is not None:
            out[epics_key] = to_js_json(json_list(e.name for e in valid_epics))
    if inv.all_valid_projects or inv.selected:
        out[ks.projects_list()] = to_js_json(json_list(projects_list(inv, current_projects_list)))
    return out
