"""Read a ``pm/`` tree into an :class:`Inventory` (records + anomalies); never writes.

Validity follows the app's reader (``pmkv.store.records``). A record that fails is
reported (file, reason, hint) and left out; everything else is kept byte-for-byte as
``JSON.stringify`` of the parsed file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pmkv.migrate import rules
from pmkv.migrate.errors import SourceMissing
from pmkv.migrate.inventory import (
    Anomaly,
    EpicInventory,
    Inventory,
    Kind,
    ProjectInventory,
    Record,
)
from pmkv.migrate.storyload import EpicFiles, ReadStories, read_stories
from pmkv.store import records
from pmkv.store.codec import JsonValue
from pmkv.store.codec_fast import load_js
from pmkv.store.errors import InvalidJSONError
from pmkv.store.keyspace import Keyspace

if TYPE_CHECKING:
    from pmkv.migrate.storyfeed import StoryFeed
    from pmkv.migrate.storyrun import StoryRunner

Progress = Callable[[str, int, int], None]
# Called as soon as records are complete (people; a project; an epic with its stories),
# so a caller can write them while the rest of the tree is still being read.
OnRecords = Callable[[list[Record], EpicInventory | None], None]


ROOT_FILES = {"people.json", "README.md"}
_STRAY_HINT = "not data: move it out of pm/ or ignore this warning (it is not migrated)"


class Walker:
    def __init__(
        self, inv: Inventory, ks: Keyspace, progress: Progress | None, on_records: OnRecords | None
    ) -> None:
        self.inv = inv
        self.ks = ks
        self.progress = progress
        self.on_records = on_records
        self.root = inv.pm_dir
        self.stories_read = 0
        self.feed: StoryFeed | None = None

    def ready(self, records: list[Record], epic: EpicInventory | None = None) -> None:
        if self.on_records is not None:
            self.on_records(records, epic)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def note(self, severity: str, code: str, path: Path, reason: str, hint: str, **kw: str) -> None:
        self.inv.anomalies.append(
            Anomaly(severity, code, self.rel(path), reason, hint, **kw)  # type: ignore[arg-type]
        )

    def load(
        self, path: Path, kind: Kind, key: str, project: str | None = None, epic: str | None = None
    ) -> Record | None:
        """Parse and validate one file; report and return None when it cannot be migrated."""
        self.inv.files_read += 1
        rel = self.rel(path)
        try:
            value, text = load_js(path.read_bytes(), rel)
        except InvalidJSONError as exc:
            self.inv.anomalies.append(
                Anomaly("error", "invalid-json", rel, exc.message, exc.hint or "", project=project)
            )
            self.inv.skipped[key] = rel
            return None
        except OSError as exc:
            self.inv.anomalies.append(
                Anomaly("error", "unreadable", rel, str(exc), "check permissions", project=project)
            )
            return None
        problems = rules.problems(kind, value)
        for fld, reason in problems:
            self.inv.anomalies.append(
                Anomaly(
                    "error",
                    "invalid-record",
                    rel,
                    f"{kind} fails the app's rules: {reason}",
                    f"fix `{fld}` in the file; the app's reader rejects this record",
                    field=fld,
                    project=project,
                )
            )
        if problems:
            self.inv.skipped[key] = rel
            return None
        return Record(kind, key, rel, value, text, project, epic)


def _dirs_and_files(folder: Path) -> tuple[list[Path], list[Path]]:
    dirs: list[Path] = []
    files: list[Path] = []
    with os.scandir(folder) as it:
        for entry in it:
            (dirs if entry.is_dir() else files).append(Path(entry.path))
    return sorted(dirs), sorted(files)


def discover(
    pm_dir: Path,
    projects: list[str] | None = None,
    *,
    keyspace: Keyspace | None = None,
    progress: Progress | None = None,
    on_records: OnRecords | None = None,
    stories: StoryRunner | None = None,
) -> Inventory:
    """Inventory ``pm_dir`` (only ``projects`` when given; people.json always).

    ``stories``: a migration's runner, which reads (and writes) the story files in
    chunks; their records then hold no text (see :class:`~pmkv.migrate.inventory.Record`).
    """
    if not pm_dir.is_dir():
        raise SourceMissing(
            f"{pm_dir} is not a folder",
            hint="pass the pm/ folder: `pmkv migrate path/to/pm`",
        )
    inv = Inventory(pm_dir=pm_dir, selected=sorted(set(projects)) if projects else None)
    walker = Walker(inv, keyspace or Keyspace.production(), progress, on_records)
    if stories is not None:
        from pmkv.migrate.storyfeed import StoryFeed

        walker.feed = StoryFeed(walker, stories)
    dirs, files = _dirs_and_files(pm_dir)
    names = [d.name for d in dirs if not d.name.startswith(".")]
    if inv.selected:
        missing = [p for p in inv.selected if p not in names]
        if missing:
            raise SourceMissing(
                f"no project folder {', '.join(missing)} in {pm_dir}",
                hint="projects found: " + (", ".join(names) or "none"),
            )
    for path in files:
        if path.name not in ROOT_FILES:
            walker.note("warning", "stray-file", path, "not a data file", _STRAY_HINT)
    people = pm_dir / "people.json"
    if people.is_file():
        inv.people = walker.load(people, "people", walker.ks.people())
        if inv.people is not None:
            _check_people(walker, people, inv.people.value)
            walker.ready([inv.people])
    else:
        walker.note(
            "warning",
            "missing-people",
            people,
            "there is no people.json",
            "pm:people is not written; add pm/people.json if the app needs people",
        )
    for directory in (d for d in dirs if not d.name.startswith(".")):
        if directory.name in (inv.selected or [directory.name]):
            inv.projects[directory.name] = _project(walker, directory)
        elif (directory / "project.json").is_file():
            # unselected projects still count for the projects list, unread
            inv.all_valid_projects.append(directory.name)
    if walker.feed is not None:
        walker.feed.finish()  # every story chunk read, written and settled
    inv.all_valid_projects = sorted(
        set(inv.all_valid_projects) | {p for p, pi in inv.projects.items() if pi.valid}
    )
    inv.skipped = dict(sorted(inv.skipped.items()))  # the same whatever order reads end in
    rules.check_duplicates(walker.inv)
    return inv


def _load_stories(walker: Walker, epic: EpicInventory, files: EpicFiles) -> None:
    """Load an epic's story files here, keeping their texts (discovery without a runner)."""
    read = read_stories(files.jobs())
    walker.inv.anomalies.extend(take_stories(walker, epic, files, read))


def take_stories(
    walker: Walker, epic: EpicInventory, files: EpicFiles, read: ReadStories
) -> list[Anomaly]:
    """Record an epic's read story files and compare them with its storyIds; returns the
    anomalies found (the caller puts them in their place in the walk's list)."""
    inv = walker.inv
    found: list[Anomaly] = []
    _folder, rel_base, prefix, project, epic_name, names = files
    problems, deleted, texts, sha1s, sha256s = read
    stories = epic.stories
    for i, name in enumerate(names):
        sid = name[:-5]
        if problems and i in problems:
            rel = rel_base + name
            found.extend(
                Anomaly(
                    "error",
                    problem.code,
                    rel,
                    problem.reason,
                    problem.hint,
                    field=problem.field,
                    project=project,
                )
                for problem in problems[i]
            )
            inv.skipped[prefix + sid] = rel
            continue
        text = texts[i] if texts else None  # none kept when a story worker read it
        stories[sid] = Record(
            "story",
            prefix + sid,
            rel_base + name,
            None,
            text.decode("utf-8") if text is not None else None,
            project,
            epic_name,
            sha1s[i] if sha1s else "",
            sha256s[i] if sha256s else "",
            i in deleted,
        )
    inv.files_read += len(names)
    walker.stories_read += len(names)
    rules.check_story_ids(found, epic, {name[:-5] for name in names}, project)
    if walker.progress:
        walker.progress("discover", walker.stories_read, 0)
    return found


def _check_people(walker: Walker, path: Path, value: JsonValue) -> None:
    seen: set[str] = set()
    for person in value if isinstance(value, list) else []:
        pid = person.get("id") if isinstance(person, dict) else None
        if isinstance(pid, str) and pid in seen:
            walker.note(
                "warning",
                "duplicate-id",
                path,
                f"person id {pid!r} appears twice",
                "keep one entry per person id",
                field="id",
            )
        if isinstance(pid, str):
            seen.add(pid)


def _project(walker: Walker, folder: Path) -> ProjectInventory:
    name = folder.name
    proj = ProjectInventory(name)
    project_file = folder / "project.json"
    dirs, files = _dirs_and_files(folder)
    if not rules.valid_name(name):
        walker.note(
            "error",
            "bad-name",
            folder,
            f"project folder name {name!r} cannot be a key",
            "rename the folder (kebab-case, no ':' or spaces)",
            project=name,
        )
        return proj
    if project_file.is_file():
        proj.record = walker.load(project_file, "project", walker.ks.project(name), name)
        if proj.record is not None:
            walker.ready([proj.record])
    else:
        walker.note(
            "error",
            "missing-project-json",
            folder,
            "project folder without project.json",
            "add project.json (or move the folder out of pm/); nothing in it is migrated",
            project=name,
        )
    for path in files:
        if path.name == "people.json":
            walker.note(
                "warning",
                "legacy-people",
                path,
                "per-project people.json (legacy)",
                "the app only reads pm/people.json; this file is not migrated",
                project=name,
            )
        elif path.name != "project.json":
            walker.note("warning", "stray-file", path, "not a data file", _STRAY_HINT, project=name)
    for directory in dirs:
        if directory.name.startswith("."):
            continue
        proj.epics[directory.name] = _epic(walker, proj, directory)
    if proj.record is not None:
        _check_epic_ids(walker, proj, project_file)
    return proj


def _check_epic_ids(walker: Walker, proj: ProjectInventory, project_file: Path) -> None:
    value = proj.record.value if proj.record else None
    listed = value.get("epicIds") if isinstance(value, dict) else None
    listed_ids = [e for e in listed if isinstance(e, str)] if isinstance(listed, list) else []
    for name, epic in proj.epics.items():
        if epic.valid and name not in listed_ids:
            walker.note(
                "warning",
                "epic-not-in-epicIds",
                project_file,
                f"epic folder {name!r} is not listed in project.epicIds",
                "the app lists epics from pm:project:<p>:epics:list, so it is still migrated;"
                " add it to epicIds to silence this",
                field="epicIds",
                project=proj.name,
            )
    for name in listed_ids:
        if name not in proj.epics:
            walker.note(
                "warning",
                "epicIds-without-folder",
                project_file,
                f"project.epicIds lists {name!r} but there is no such epic folder",
                "remove it from epicIds or restore the folder",
                field="epicIds",
                project=proj.name,
            )


def _epic(walker: Walker, proj: ProjectInventory, folder: Path) -> EpicInventory:
    p, name = proj.name, folder.name
    epic = EpicInventory(name)
    # names, not Path objects: an epic can hold thousands of story files
    dirs: list[Path] = []
    names: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                dirs.append(Path(entry.path))
            else:
                names.append(entry.name)
    dirs.sort()
    names.sort()
    story_names = records.story_files(names)
    stories = set(story_names)
    epic.story_files = len(story_names)
    for directory in dirs:
        walker.note(
            "warning", "stray-file", directory, "a folder inside an epic", _STRAY_HINT, project=p
        )
    for file_name in names:
        if file_name != "epic.json" and file_name not in stories:
            walker.note(
                "warning",
                "stray-file",
                folder / file_name,
                "not epic.json and not a story file name",
                "story files are named F-<ACR>-<nnn>.json or NFR-<ACR>-<nnn>.json; " + _STRAY_HINT,
                project=p,
            )
    if not rules.valid_name(name):
        walker.note(
            "error",
            "bad-name",
            folder,
            f"epic folder name {name!r} cannot be a key",
            "rename the folder (kebab-case, no ':' or spaces)",
            project=p,
        )
        return epic
    epic_file = folder / "epic.json"
    if not epic_file.is_file():
        walker.note(
            "error",
            "missing-epic-json",
            folder,
            "epic folder without epic.json",
            f"add epic.json; its {len(story_names)} story file(s) are not migrated",
            project=p,
        )
        return epic
    epic.record = walker.load(epic_file, "epic", walker.ks.epic(p, name), p, name)
    if epic.record is None or proj.record is None:
        return epic
    files = EpicFiles(
        str(folder), f"{p}/{name}/", walker.ks.story_prefix(p, name), p, name, story_names
    )
    if walker.feed is not None:  # a migration: read and written by story workers
        walker.feed.add(epic, files)
        return epic
    _load_stories(walker, epic, files)
    walker.ready([epic.record, *epic.stories.values()], epic)
    return epic
