"""``pmkv reconcile``: make KV equal to the files again (files win), then drain the outbox.

It is ``pmkv migrate --force`` plus two steps, on the migration's one code path:

1. a read-only :func:`~pmkv.migrate.verify.verify` finds every difference (missing,
   changed, extra keys) -- shown before anything is written;
2. :func:`~pmkv.migrate.runner.migrate` with ``force`` rewrites every key whose value
   differs from the files (journalled, so ``pmkv rollback`` can undo it; the dry run uses
   the migration's recording sink and writes nothing);
3. KV keys with no file behind them are deleted (their old values are saved first under
   ``<home>/dual/reconcile/``); keys whose file exists but is invalid are left alone and
   reported, since deleting them would lose data the file can no longer give back;
4. the dual-write outbox is replayed (each entry copies the files' current state);
5. a final verify decides the exit code: 0 when files and KV are equal and the outbox is
   empty (which also starts a new health window for ``pmkv status``), else 3.

The whole run holds the ``pm/`` folder's write lock, so DualStore writers wait for it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmkv.errors import ExitCode
from pmkv.migrate.connect import Target, open_store
from pmkv.migrate.discover import discover
from pmkv.migrate.kv import KvStore
from pmkv.migrate.ledger import LEDGER_KEY
from pmkv.migrate.plan import Plan
from pmkv.migrate.result import MigrateResult
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.migrate.verify import Difference, VerifyResult, verify
from pmkv.store.dual_mirror import DrainResult, Mirror, drain_outbox
from pmkv.store.dual_stats import DualStats, dual_dir, now_iso, outbox_for
from pmkv.store.files import FileStore
from pmkv.store.keyspace import Keyspace
from pmkv.store.kv import KVStore

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReconcilePreview:
    """What a reconcile is about to do (handed to ``confirm`` before any write)."""

    differences: list[Difference]
    plan: Plan
    extras: list[str]  # keys to delete: no file behind them
    kept: list[Difference]  # keys left alone: their file exists but is invalid
    outbox: int

    @property
    def nothing_to_do(self) -> bool:
        return not (self.plan.to_write() or self.extras or self.outbox)


@dataclass(frozen=True)
class ReconcileOptions:
    pm_dir: Path
    home: Path
    dry_run: bool = False
    keyspace: Keyspace = field(default_factory=Keyspace.production)
    confirm: Callable[[ReconcilePreview], bool] | None = None


@dataclass
class ReconcileResult:
    dry_run: bool
    before: VerifyResult
    migrate: MigrateResult | None
    extras: list[str]
    kept: list[Difference]
    drained: DrainResult
    after: VerifyResult | None
    saved: str | None = None  # file holding the deleted keys' old values
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        written = self.migrate.write.written if self.migrate else 0
        return written + len(self.extras) + self.drained.replayed

    @property
    def equal(self) -> bool:
        if self.dry_run:
            return self.before.ok and self.drained.remaining == 0
        return self.after is not None and self.after.ok and self.drained.remaining == 0

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.equal else ExitCode.DIFFERENCES

    def as_dict(self) -> dict[str, Any]:
        plan = self.migrate.plan if self.migrate else None
        return {
            "dry_run": self.dry_run,
            "equal": self.equal,
            "exit_code": self.exit_code,
            "before": self.before.as_dict(),
            "plan": plan.counts() if plan else None,
            "written": [e.key for e in plan.entries if e.write] if plan else [],
            "run_id": self.migrate.run_id if self.migrate else None,
            "deleted": self.extras,
            "kept": [d.key for d in self.kept],
            "saved": self.saved,
            "outbox_replayed": self.drained.replayed,
            "outbox_remaining": self.drained.remaining,
            "outbox_error": self.drained.error,
            "after": self.after.as_dict() if self.after else None,
            "seconds": round(self.seconds, 3),
        }


def _split_extras(
    before: VerifyResult, skipped: dict[str, str]
) -> tuple[list[str], list[Difference]]:
    extras = [d for d in before.differences if d.kind == "extra"]
    return [d.key for d in extras if d.key not in skipped], [d for d in extras if d.key in skipped]


def _delete(store: KvStore, keys: list[str], home: Path) -> str | None:
    """Save the old values of ``keys`` under ``<home>/dual/reconcile/``, then delete them."""
    if not keys:
        return None
    folder = dual_dir(home) / "reconcile"
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / f"deleted-{now_iso().replace(':', '')}.json"
    old = dict(zip(keys, store.get_many(keys), strict=True))
    saved.write_text(json.dumps(old, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    commands = [["DEL", *keys], ["HDEL", LEDGER_KEY, *keys]]
    store.pipeline(commands, f"deleting {len(keys)} keys with no file")
    return str(saved)


def reconcile(
    target: Target, options: ReconcileOptions, progress: Progress | None = None
) -> ReconcileResult:
    """Repair every difference between ``options.pm_dir`` and the KV at ``target``."""
    started = time.perf_counter()
    files = FileStore(options.pm_dir)
    store = open_store(target)
    kv = KVStore(target.url, target.token, keyspace=options.keyspace)
    mirror = Mirror(files, kv)
    outbox = outbox_for(options.home)
    stats = DualStats(options.home)
    try:
        with files._transaction():  # the pm/ write lock: DualStore writers wait for us
            inv = discover(options.pm_dir, keyspace=options.keyspace, progress=progress)
            before = verify(store, inv, options.keyspace, progress=progress)
            extras, kept = _split_extras(before, inv.skipped)
            pending = outbox.size()
            preview: ReconcilePreview | None = None

            def confirm(plan: Plan) -> bool:
                nonlocal preview
                preview = ReconcilePreview(before.differences, plan, extras, kept, pending)
                if options.confirm is None or preview.nothing_to_do:
                    return True
                return options.confirm(preview)

            base = MigrateOptions(
                options.pm_dir,
                options.home,
                dry_run=options.dry_run,
                force=True,
                backup=False,  # reconcile never changes the files; the journal covers KV
                keyspace=options.keyspace,
                confirm=confirm,
                verify=False,
            )
            migrated = migrate(store, base, progress)
            if options.dry_run:
                return ReconcileResult(
                    True,
                    before,
                    migrated,
                    extras,
                    kept,
                    DrainResult(0, pending),
                    None,
                    seconds=time.perf_counter() - started,
                )
            saved = _delete(store, extras, options.home)
            drained = drain_outbox(mirror, outbox, stats)
            after = verify(
                store,
                discover(options.pm_dir, keyspace=options.keyspace),
                options.keyspace,
                progress=progress,
            )
        result = ReconcileResult(
            False,
            before,
            migrated,
            extras,
            kept,
            drained,
            after,
            saved,
            time.perf_counter() - started,
        )
        summary = {k: v for k, v in result.as_dict().items() if k not in ("before", "after")}
        stats.event("reconcile", summary, logging.INFO)
        if result.equal:
            stats.new_window()
        return result
    finally:
        kv.close()
        store.close()
        files.close()
