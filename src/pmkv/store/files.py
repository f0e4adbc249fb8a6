"""FileStore: the app's ``pm/`` folder of pretty-printed JSON files.

Layout (data model §1): ``people.json``; ``<project>/project.json``;
``<project>/<epic>/epic.json``; ``<project>/<epic>/<story-id>.json``. Indexes are the
directory listings: a project is a folder with ``project.json``, an epic a folder with
``epic.json``, a story a file that passes :func:`~pmkv.store.records.is_story_file`;
listings are sorted by name.

Writes are atomic (temp file in the same folder, fsync, ``os.replace``, folder fsync) and
every write or read-modify-write holds one inter-process lock per ``pm/`` folder
(:mod:`filelock`; re-entrant, so compound operations hold it throughout). The lock file
lives outside ``pm/`` (in the system temp folder, keyed by the folder's real path) so
the tree holds only the app's files. Readers never lock: they see whole files only.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pmkv.store.base import BaseStore, IndexKind, Updater, now_iso
from pmkv.store.codec import parse_json, to_pretty_json
from pmkv.store.errors import NotFoundError, StoreError
from pmkv.store.interface import EpicData, ProjectData, Record
from pmkv.store.keyspace import KeyRef
from pmkv.store.records import story_files, story_key

LOCK_TIMEOUT = 60.0


def default_lock_path(root: Path) -> Path:
    """The lock file for the tree at ``root`` (same for every process on the machine)."""
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "pmkv-locks" / f"{digest}.lock"


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (renames, new files) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, text: str, durable: bool = True) -> Path:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temp, "wb") as fh:
        fh.write(text.encode("utf-8"))
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    return temp


def atomic_write(path: Path, text: str, *, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never half.

    ``durable=False`` skips the two fsyncs: only for bulk writes into a fresh folder
    whose caller makes it durable once at the end (see ``FileStore(durable=False)``).
    """
    temp = _write_temp(path, text, durable)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_create(path: Path, text: str) -> bool:
    """Write ``path`` only if it does not exist (even for writers that ignore our lock)."""
    temp = _write_temp(path, text)
    try:
        os.link(temp, path)  # fails with EEXIST instead of replacing
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # A file system without hard links: callers hold our lock, so check-then-rename
        # is safe against every pmkv writer (not against foreign ones).
        if path.exists():
            return False
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return True


_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}


class FileStore(BaseStore):
    """The store over a ``pm/`` folder."""

    def __init__(
        self,
        root: Path | str,
        *,
        lock_path: Path | None = None,
        validate: bool = True,
        clock: Callable[[], str] = now_iso,
        durable: bool = True,
    ) -> None:
        """``durable=False``: no fsync per file (two per write otherwise); for a bulk
        load into a new folder whose caller syncs once before using it (``pmkv export``
        writes 100,000 stories in a fraction of the time). Atomic replacement stays."""
        super().__init__(validate=validate, clock=clock)
        self.durable = durable
        self.root = Path(root)
        self.lock_path = lock_path or default_lock_path(self.root)
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT)

    def __repr__(self) -> str:
        return f"FileStore({str(self.root)!r})"

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise StoreError(
                f"could not lock {self.root} within {LOCK_TIMEOUT:.0f}s ({self.lock_path})",
                hint="another pmkv process is writing this pm/ folder; retry when it is done",
            ) from exc
        try:
            yield
        finally:
            self._lock.release()

    # ---- paths -------------------------------------------------------------------

    def _path(self, ref: KeyRef) -> Path:
        if ref.kind == "people":
            return self.root / "people.json"
        assert ref.project is not None
        if ref.kind == "project":
            return self.root / ref.project / "project.json"
        assert ref.epic is not None
        if ref.kind == "epic":
            return self.root / ref.project / ref.epic / "epic.json"
        if ref.kind == "story":
            assert ref.story is not None
            return self.root / ref.project / ref.epic / f"{ref.story}.json"
        raise ValueError(f"no file holds a {ref.kind}")

    def _read(self, path: Path) -> Any:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as exc:
            raise StoreError(
                f"cannot read {path}: {exc.strerror}", hint="check the file's permissions"
            ) from exc
        return parse_json(data, str(path))

    def _write(self, path: Path, value: Any) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, to_pretty_json(value), durable=self.durable)
        except OSError as exc:
            raise StoreError(
                f"cannot write {path}: {exc.strerror}", hint="check free space and permissions"
            ) from exc

    # ---- primitives --------------------------------------------------------------

    def _get(self, ref: KeyRef) -> Any:
        return self._read(self._path(ref))

    def _put(self, ref: KeyRef, value: Any) -> None:
        with self._transaction():
            self._write(self._path(ref), value)

    def _put_new(self, ref: KeyRef, value: Record) -> bool:
        path = self._path(ref)
        with self._transaction():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                return atomic_create(path, to_pretty_json(value))
            except OSError as exc:
                raise StoreError(
                    f"cannot write {path}: {exc.strerror}", hint="check free space and permissions"
                ) from exc

    def _update(self, ref: KeyRef, fn: Updater) -> Record:
        path = self._path(ref)
        with self._transaction():
            old = self._read(path)
            if not isinstance(old, dict):
                raise NotFoundError(f"{path} does not exist")
            new = fn(old)
            if new is None:
                return old
            self._write(path, new)
            return new

    def _index(self, kind: IndexKind, project: str = "", epic: str = "") -> list[str]:
        if kind == "projects":
            return self._folders(self.root, "project.json")
        if kind == "epics":
            return self._folders(self.root / project, "epic.json")
        try:
            names = os.listdir(self.root / project / epic)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(story_key(n) for n in story_files(names))

    @staticmethod
    def _folders(parent: Path, marker: str) -> list[str]:
        try:
            entries = list(os.scandir(parent))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(
            e.name
            for e in entries
            if e.is_dir() and not e.name.startswith(".") and os.path.isfile(Path(e.path, marker))
        )

    def _index_add(self, kind: IndexKind, project: str, epic: str, name: str) -> None:
        """Nothing to do: on disk the index is the folder listing."""

    def _index_remove(self, kind: IndexKind, project: str, epic: str, name: str) -> None:
        """Nothing to do: on disk the index is the folder listing."""

    def _require_epic_file(self, project: str, epic: str) -> None:
        if not (self.root / project / epic / "epic.json").is_file():
            raise NotFoundError(
                f"epic {project}/{epic} does not exist", hint="create it with write_epic"
            )

    def _claim_story(self, project: str, epic: str, story_id: str, value: Record) -> bool:
        path = self._path(KeyRef("story", project, epic, story_id))
        with self._transaction():
            self._require_epic_file(project, epic)
            try:
                return atomic_create(path, to_pretty_json(value))
            except OSError as exc:
                raise StoreError(f"cannot write {path}: {exc.strerror}") from exc

    def _put_story(self, project: str, epic: str, story_id: str, value: Record) -> bool:
        path = self._path(KeyRef("story", project, epic, story_id))
        with self._transaction():
            self._require_epic_file(project, epic)
            existed = path.exists()
            self._write(path, value)
            return not existed

    def _move_story_record(
        self, project: str, epic: str, story_id: str, to_epic: str, value: Record
    ) -> bool:
        with self._transaction():
            if not self._claim_story(project, to_epic, story_id, value):
                return False
            old = self._path(KeyRef("story", project, epic, story_id))
            old.unlink(missing_ok=True)
            fsync_dir(old.parent)
            return True

    def _delete_epic_tree(self, project: str, epic: str) -> None:
        self._remove_tree(self.root / project / epic)

    def _delete_project_tree(self, project: str) -> None:
        self._remove_tree(self.root / project)

    def _remove_tree(self, folder: Path) -> None:
        # Rename first: readers see the whole folder or nothing, never half of it.
        doomed = folder.with_name(f".{folder.name}.deleted-{uuid.uuid4().hex}")
        try:
            os.rename(folder, doomed)
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTDIR,):
                raise StoreError(f"cannot delete {folder}: {exc.strerror}") from exc
            return
        shutil.rmtree(doomed, ignore_errors=True)
        with contextlib.suppress(OSError):
            fsync_dir(folder.parent)

    # ---- whole project -----------------------------------------------------------

    def load_project(self, project: str) -> ProjectData:
        record = self._read(self.root / project / "project.json")
        data = ProjectData(project, record if isinstance(record, dict) else None, {})
        for epic in self._index("epics", project):
            folder = self.root / project / epic
            epic_record = self._read(folder / "epic.json")
            ids = self._index("stories", project, epic)
            stories: dict[str, Record] = {}
            for sid in ids:
                story = self._read(folder / f"{sid}.json")
                if isinstance(story, dict):
                    stories[sid] = story
            data.epics[epic] = EpicData(
                epic, epic_record if isinstance(epic_record, dict) else None, ids, stories
            )
        return data
