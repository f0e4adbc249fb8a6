"""Export: the KV back into a pm/ folder, to roll back after KV-only writes.

Once the app runs on KV only (phase 6), every write lands in KV alone and the files go
stale. Going back to files then needs the KV as files. :func:`export` reads what the
app's KV backend reads -- the projects list, each project's epics list and stories
lists, every record they name, and ``pm:people`` -- through the data layer's
:class:`~pmkv.store.kv.KVStore`, writes it with the :class:`~pmkv.store.files.FileStore`
in the app's file format (``JSON.stringify(value, null, 2)`` + newline, every value and
key order as stored), and verifies the new folder against the KV in both directions,
like a migration does. Keys that no list names (which the app cannot reach either)
show up in that verify as keys without a file.

Safety: the KV is only read. The export never writes into an existing folder: it claims
the target by creating it empty (so nothing else can appear there meanwhile), builds
``.<name>.partial`` next to it (removing one an interrupted export left), and renames
that onto the empty target in one step at the end, so there is never a half-written
target; running it again after a success refuses, naming the folder. A KV that lists no
project is refused: an empty folder is never offered as a replacement for ``pm/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pmkv.errors import ExitCode
from pmkv.migrate.connect import Target
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import ExportError, MigrateError, StoreUnreachable
from pmkv.migrate.kv import KvStore
from pmkv.migrate.verify import VerifyResult, verify
from pmkv.store.errors import StoreError, StoreUnreachableError
from pmkv.store.files import FileStore, fsync_dir
from pmkv.store.interface import ProjectData
from pmkv.store.keyspace import Keyspace
from pmkv.store.kv import KVStore

Progress = Callable[[str, int, int], None]
TIMEOUT = 60.0  # seconds per request: a stuck endpoint fails instead of hanging


@dataclass
class ExportResult:
    out_dir: str
    dry_run: bool
    projects: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> counts
    people: int | None = None  # None: the KV holds no people key
    # listed in KV but absent there (so not written): "pm:story:..." keys and why
    missing: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    verify: VerifyResult | None = None

    @property
    def exit_code(self) -> int:
        return ExitCode.DIFFERENCES if self.verify is not None and not self.verify.ok else 0

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["verify"] = self.verify.as_dict() if self.verify is not None else None
        out["exit_code"] = self.exit_code
        return out


def _exists(out_dir: Path) -> ExportError:
    return ExportError(
        f"{out_dir} already exists; export only ever creates a new folder",
        hint="name a folder that does not exist yet (e.g. pm-from-kv)",
    )


def partial_path(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.partial")


def export(
    target: Target,
    out_dir: Path,
    keyspace: Keyspace,
    *,
    projects: list[str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the KV's projects (all, or ``projects``) and people into ``out_dir``."""
    started = time.perf_counter()
    if out_dir.exists():
        raise _exists(out_dir)
    result = ExportResult(str(out_dir), dry_run)
    kv = KVStore(target.url, target.token, keyspace=keyspace, timeout=TIMEOUT)
    try:
        data, people = _read(kv, keyspace, projects, result, progress)
    except StoreUnreachableError as exc:
        raise StoreUnreachable(exc.message, hint=exc.hint) from exc
    except StoreError as exc:
        raise ExportError(exc.message, hint=exc.hint) from exc
    finally:
        kv.close()
    if not data:
        raise ExportError(
            f"the KV at {target.url} lists no project: there is nothing to export",
            hint="check that this is the store the app uses (UPSTASH_REDIS_REST_URL)",
        )
    if not dry_run:
        _write(out_dir, data, people)
        try:
            with KvStore(target.url, target.token) as store:
                inv = discover(out_dir, projects, keyspace=keyspace)
                result.verify = verify(store, inv, keyspace, progress=progress)
        except MigrateError as exc:
            raise ExportError(
                f"{out_dir} is written but could not be verified: {exc.message}",
                hint=f"fix that, then run `pmkv verify {out_dir}` before using the folder",
            ) from exc
    result.seconds = time.perf_counter() - started
    return result


def _read(
    kv: KVStore,
    ks: Keyspace,
    projects: list[str] | None,
    result: ExportResult,
    progress: Progress | None,
) -> tuple[list[ProjectData], list[dict[str, object]] | None]:
    listed = kv.list_projects()
    names = sorted(set(projects)) if projects else listed
    unknown = [p for p in names if p not in listed]
    if unknown:
        raise ExportError(
            f"the KV lists no project {', '.join(unknown)}",
            hint="projects in the KV: " + (", ".join(listed) or "none"),
        )
    people = kv.read_people() if kv.key_exists(ks.people()) else None
    result.people = None if people is None else len(people)
    out: list[ProjectData] = []
    for done, name in enumerate(names, 1):
        data = kv.load_project(name)
        if data.record is None:
            result.missing[ks.project(name)] = "listed in the projects list, but absent"
        epics = stories = 0
        for epic in list(data.epics.values()):
            if epic.record is None:
                result.missing[ks.epic(name, epic.name)] = (
                    f"listed, but absent: its {len(epic.story_ids)} listed stories are not"
                    " exported (a story file needs its epic.json)"
                )
                del data.epics[epic.name]
                continue
            epics += 1
            for sid in epic.story_ids:
                if sid in epic.stories:
                    stories += 1
                else:
                    result.missing[ks.story(name, epic.name, sid)] = "listed, but absent"
        result.projects[name] = {"epics": epics, "stories": stories}
        out.append(data)
        if progress:
            progress("export", done, len(names))
    return out, people


def _write(out_dir: Path, data: list[ProjectData], people: list[dict[str, object]] | None) -> None:
    partial = partial_path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        out_dir.mkdir()  # the claim: fails if anything appeared there meanwhile
    except FileExistsError as exc:
        raise _exists(out_dir) from exc
    except OSError as exc:
        raise ExportError(f"cannot create {out_dir}: {exc}", hint="check the path") from exc
    try:
        if partial.exists():  # left by an interrupted export: ours to remove
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        # as stored, valid or not: the export must not drop what the KV holds
        lock = partial.with_name(partial.name + ".lock")
        # no fsync per file: the folder is made durable once, below, before it is used
        files = FileStore(partial, lock_path=lock, validate=False, durable=False)
        if people is not None:
            files.write_people(people)
        for project in data:
            files.import_project(project)
        os.sync()  # every file written above is on disk before the folder takes its name
        partial.rename(out_dir)  # onto the empty claim: atomic, refused if not empty
    except BaseException as exc:
        # Whatever stopped the write (an error, Ctrl-C): give the name back, so the next
        # export can use it. rmdir removes only the empty claim, never a written folder.
        with contextlib.suppress(OSError):
            out_dir.rmdir()
        if isinstance(exc, (OSError, StoreError)):
            raise ExportError(
                f"cannot write the export to {out_dir}: {exc}",
                hint=f"check the folder's permissions and free space; {partial} holds what"
                " was written so far and is replaced by the next export",
            ) from exc
        raise
    try:
        fsync_dir(out_dir.parent)
    except OSError as exc:
        raise ExportError(
            f"{out_dir} is written but its folder entry could not be synced: {exc}",
            hint=f"run `sync`, then `pmkv verify {out_dir}` before using the folder",
        ) from exc
    finally:
        partial.with_name(partial.name + ".lock").unlink(missing_ok=True)
