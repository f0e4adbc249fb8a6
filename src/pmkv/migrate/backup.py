"""Checksummed snapshots of a ``pm/`` folder: ``<home>/backups/<id>.tar.gz`` + ``<id>.json``.

The manifest lists every file with its sha256 and size, and the archive's own sha256.
Restore checks the archive, extracts into a temporary sibling folder, checks every file
against the manifest (and that no file is missing or extra), and only then moves it
into place. An existing folder is never overwritten: with ``overwrite`` it is first
renamed aside (``<dir>.before-restore-<stamp>``), never deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pmkv.migrate.errors import BackupError, SourceMissing
from pmkv.migrate.runs import new_run_id, now_iso

Progress = Callable[[str, int, int], None]
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BackupInfo:
    backup_id: str
    created_at: str
    source: str  # absolute path of the backed-up folder
    files: int
    bytes: int
    archive: str
    archive_sha256: str


@dataclass(frozen=True)
class RestoreResult:
    backup_id: str
    target: str
    files: int
    moved_aside: str | None


def backups_dir(home: Path) -> Path:
    return home / "backups"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        found.extend(Path(folder) / name for name in sorted(files))
    return found


def create_backup(pm_dir: Path, home: Path, progress: Progress | None = None) -> BackupInfo:
    """Snapshot ``pm_dir`` (read-only: the folder itself is never touched)."""
    if not pm_dir.is_dir():
        raise SourceMissing(f"{pm_dir} is not a folder", hint="pass the pm/ folder to back up")
    folder = backups_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    backup_id = new_run_id()
    archive = folder / f"{backup_id}.tar.gz"
    files = _walk(pm_dir)
    manifest: dict[str, dict[str, object]] = {}
    total = 0
    try:
        # compresslevel 1: pm/ is text that compresses well even at the fastest level,
        # and a backup must not dominate the time of a migration
        with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
            for n, path in enumerate(files):
                data = path.read_bytes()
                rel = path.relative_to(pm_dir).as_posix()
                manifest[rel] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                total += len(data)
                info = tarfile.TarInfo(rel)
                info.size = len(data)
                info.mtime = int(path.stat().st_mtime)
                info.mode = 0o644
                with _BytesReader(data) as reader:
                    tar.addfile(info, reader)
                if progress and n % 500 == 0:
                    progress("backup", n, len(files))
        if progress:
            progress("backup", len(files), len(files))
    except OSError as exc:
        raise BackupError(
            f"could not back up {pm_dir} to {archive}: {exc}",
            hint="check free space and permissions under " + str(folder),
        ) from exc
    info_out = BackupInfo(
        backup_id,
        now_iso(),
        str(pm_dir.resolve()),
        len(files),
        total,
        archive.name,
        _sha256_file(archive),
    )
    doc = asdict(info_out) | {"manifest": manifest}
    tmp = folder / f"{backup_id}.json.tmp"
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, folder / f"{backup_id}.json")
    return info_out


class _BytesReader:
    """A file-like view of bytes (``tarfile.addfile`` wants ``read``)."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = bytes(self._data[self._pos : end])
        self._pos += len(chunk)
        return chunk

    def __enter__(self) -> _BytesReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._data.release()


def _load(home: Path, backup_id: str) -> dict[str, object]:
    path = backups_dir(home) / f"{backup_id}.json"
    try:
        doc: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(
            f"no backup {backup_id!r} in {backups_dir(home)}",
            hint="list backups with `pmkv backup list`",
        ) from exc
    return doc


def list_backups(home: Path) -> list[BackupInfo]:
    """Every backup, oldest first."""
    folder = backups_dir(home)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc.pop("manifest", None)
        out.append(BackupInfo(**doc))
    return out


def restore_backup(
    home: Path, backup_id: str | None, target: Path | None = None, *, overwrite: bool = False
) -> RestoreResult:
    """Restore a backup (default: the latest) to ``target`` (default: where it came from)."""
    if backup_id is None:
        known = list_backups(home)
        if not known:
            raise BackupError("there are no backups", hint="create one with `pmkv backup create`")
        backup_id = known[-1].backup_id
    doc = _load(home, backup_id)
    manifest = dict(doc["manifest"])  # type: ignore[call-overload]
    dest = target or Path(str(doc["source"]))
    if dest.exists() and not overwrite:
        raise BackupError(
            f"{dest} already exists; restore will not overwrite it",
            hint="pass --target to restore elsewhere, or --overwrite to move it aside first",
        )
    archive = backups_dir(home) / str(doc["archive"])
    if not archive.is_file() or _sha256_file(archive) != doc["archive_sha256"]:
        raise BackupError(
            f"backup archive {archive} is missing or its checksum does not match the manifest",
            hint="the backup is damaged; restore an older one (`pmkv backup list`)",
        )
    staging = dest.parent / f".{dest.name}.restore-{backup_id}"
    if staging.exists():
        staging = dest.parent / f".{dest.name}.restore-{backup_id}-{time.time_ns()}"
    staging.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staging, filter="data")
    _check_tree(staging, manifest, backup_id)
    moved = None
    if dest.exists():
        moved_path = dest.parent / f"{dest.name}.before-restore-{new_run_id()}"
        os.replace(dest, moved_path)
        moved = str(moved_path)
    os.replace(staging, dest)
    return RestoreResult(backup_id, str(dest), len(manifest), moved)


def _check_tree(root: Path, manifest: dict[str, dict[str, object]], backup_id: str) -> None:
    found = {p.relative_to(root).as_posix(): p for p in _walk(root)}
    missing = sorted(set(manifest) - set(found))
    extra = sorted(set(found) - set(manifest))
    bad = [
        rel
        for rel in sorted(set(found) & set(manifest))
        if _sha256_file(found[rel]) != manifest[rel]["sha256"]
    ]
    if missing or extra or bad:
        what = (
            [f"checksum mismatch: {r}" for r in bad]
            + [f"missing: {r}" for r in missing]
            + [f"unexpected: {r}" for r in extra]
        )
        raise BackupError(
            f"backup {backup_id} failed its checks ({len(what)} problem(s)): "
            + "; ".join(what[:5]),
            hint=f"nothing was restored (the extracted copy is kept in {root} for inspection);"
            " try an older backup",
        )
