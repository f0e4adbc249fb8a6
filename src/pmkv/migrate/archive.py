"""Archive ``pm/`` (rename to ``pm-backup/``) once the KV provably holds all of it.

Never deletes. Refuses while any project differs between files and KV, while source
records are invalid (they exist only in files), or when ``pm-backup/`` already exists.
``undo`` renames ``pm-backup/`` back to ``pm/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pmkv.migrate.discover import discover
from pmkv.migrate.errors import ArchiveError, SourceMissing, VerifyFailed
from pmkv.migrate.kv import KvStore
from pmkv.migrate.verify import VerifyResult, verify
from pmkv.store.keyspace import Keyspace


@dataclass(frozen=True)
class ArchiveResult:
    source: str
    target: str
    done: bool  # False for a dry run
    undo: bool
    verify: VerifyResult | None = None


def archive_path(pm_dir: Path) -> Path:
    """``pm`` -> ``pm-backup`` (next to it)."""
    return pm_dir.with_name(pm_dir.name + "-backup")


def archive(
    pm_dir: Path, store: KvStore | None, ks: Keyspace, *, dry_run: bool = False
) -> ArchiveResult:
    target = archive_path(pm_dir)
    if not pm_dir.is_dir():
        raise SourceMissing(
            f"{pm_dir} does not exist",
            hint=f"already archived? see {target}" if target.exists() else "check the path",
        )
    if target.exists():
        raise ArchiveError(
            f"{target} already exists; archive never overwrites it",
            hint=f"move {target} away yourself (nothing is ever deleted by pmkv)",
        )
    if store is None:
        raise ArchiveError(
            "no store is configured, so the migration cannot be verified",
            hint="set UPSTASH_REDIS_REST_URL/TOKEN (or `pmkv up`), then `pmkv verify`",
        )
    inv = discover(pm_dir, keyspace=ks)
    if inv.errors:
        raise ArchiveError(
            f"{len(inv.errors)} source record(s) are invalid and exist only in files"
            f" (e.g. {inv.errors[0].file}: {inv.errors[0].reason})",
            hint="fix them and run `pmkv migrate` again before archiving",
        )
    result = verify(store, inv, ks)
    if not result.ok:
        first = result.differences[0].key if result.differences else "counts"
        raise VerifyFailed(
            f"files and KV differ ({len(result.differences)} difference(s), e.g. {first});"
            f" {pm_dir} was not archived",
            hint="run `pmkv verify` to see them, then `pmkv migrate` (or --force) to fix",
        )
    if not dry_run:
        _rename(pm_dir, target)
    return ArchiveResult(str(pm_dir), str(target), not dry_run, False, result)


def unarchive(pm_dir: Path, *, dry_run: bool = False) -> ArchiveResult:
    source = archive_path(pm_dir)
    if not source.is_dir():
        raise ArchiveError(f"there is no {source} to restore", hint="nothing to undo")
    if pm_dir.exists():
        raise ArchiveError(
            f"{pm_dir} exists; --undo will not overwrite it",
            hint=f"move {pm_dir} away first (nothing is ever deleted by pmkv)",
        )
    if not dry_run:
        _rename(source, pm_dir)
    return ArchiveResult(str(source), str(pm_dir), not dry_run, True)


def _rename(source: Path, target: Path) -> None:
    try:
        # os.rename on the same filesystem is atomic: pm/ is never half-moved
        os.rename(source, target)
    except OSError as exc:
        raise ArchiveError(
            f"could not rename {source} to {target}: {exc}",
            hint="check permissions; close programs that hold files in it open",
        ) from exc
