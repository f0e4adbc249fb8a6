"""Where the migration stands: each phase of the strategy, checked live, and the next step.

Phases are a list of small check functions over one :class:`StatusContext`, so later
work (e.g. dual-write health) adds or replaces a check without touching the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pmkv.migrate.archive import archive_path
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import MigrateError
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runs import latest_run
from pmkv.migrate.verify import VerifyResult, verify
from pmkv.store.dual_stats import health
from pmkv.store.keyspace import Keyspace


def default_pm_dir(configured: Path, home: Path) -> Path:
    """The pm/ folder to inspect when the user names none.

    ``configured`` (PM_DIR, default ``./pm``) when it or its archive exists; otherwise the
    folder the latest migration run read (e.g. ``pmkv migrate examples/pm``), so that
    ``pmkv status`` and ``pmkv verify`` right after a migration look where it looked.
    """
    if configured.is_dir() or archive_path(configured).is_dir():
        return configured
    last = latest_run(home)
    if last is not None:
        used = Path(last.pm_dir)
        if used.is_dir() or archive_path(used).is_dir():
            return used
    return configured


@dataclass
class StatusContext:
    pm_dir: Path
    home: Path
    store: KvStore | None
    keyspace: Keyspace
    dual_write: bool
    kv_mode: bool  # the app reads KV (USE_LOCAL_KV=true, ENVIRONMENT=PROD or VERCEL=1)
    sample: int | None = None
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def source(self) -> Path | None:
        """The folder holding the files: pm/, else its archive."""
        for candidate in (self.pm_dir, archive_path(self.pm_dir)):
            if candidate.is_dir():
                return candidate
        return None

    def reachable(self) -> bool:
        if "reachable" not in self.cache:
            try:
                self.cache["reachable"] = self.store is not None and self.store.ping()
            except MigrateError as exc:
                self.cache["reachable"] = False
                self.cache["reachable_error"] = exc.message
        return bool(self.cache["reachable"])

    def verification(self) -> VerifyResult | None:
        """One live verify shared by the phases that need it (None: cannot run)."""
        if "verify" not in self.cache:
            source = self.source
            result = None
            if source is not None and self.store is not None and self.reachable():
                inv = discover(source, keyspace=self.keyspace)
                result = verify(self.store, inv, self.keyspace, sample=self.sample)
            self.cache["verify"] = result
        found = self.cache["verify"]
        return found if isinstance(found, VerifyResult) else None


@dataclass(frozen=True)
class PhaseStatus:
    name: str
    done: bool
    detail: str
    next_step: str


Check = Callable[[StatusContext], PhaseStatus]


def local_kv_up(ctx: StatusContext) -> PhaseStatus:
    url = ctx.store.url if ctx.store else None
    if ctx.reachable():
        return PhaseStatus("local KV up", True, f"{url} answers PING", "")
    why = str(ctx.cache.get("reachable_error") or "no store is configured")
    return PhaseStatus("local KV up", False, why, "pmkv up")


def migrated(ctx: StatusContext) -> PhaseStatus:
    run = latest_run(ctx.home)
    result = ctx.verification()
    if result is None:
        return PhaseStatus("migrated", False, "cannot check (no store or no files)", "pmkv migrate")
    missing = sum(d.kind == "missing" for d in result.differences)
    last = f"last run {run.run_id} ({run.state})" if run else "no recorded run"
    if missing:
        return PhaseStatus("migrated", False, f"{missing} key(s) missing; {last}", "pmkv migrate")
    return PhaseStatus("migrated", True, f"every record has its key; {last}", "")


def verified(ctx: StatusContext) -> PhaseStatus:
    result = ctx.verification()
    if result is None:
        return PhaseStatus("verified", False, "cannot check", "pmkv verify")
    if result.ok:
        return PhaseStatus("verified", True, f"{result.checked} keys identical to files", "")
    return PhaseStatus("verified", False, f"{len(result.differences)} difference(s)", "pmkv verify")


def dual_write(ctx: StatusContext) -> PhaseStatus:
    """Done while dual-writing only when the transition is healthy (no fallbacks,
    mismatches or outbox entries: see :func:`pmkv.store.dual_stats.health`)."""
    if ctx.dual_write:
        h = health(ctx.home)
        if h.healthy:
            return PhaseStatus("dual-write", True, f"DUAL_WRITE=true; {h.summary()}", "")
        return PhaseStatus(
            "dual-write",
            False,
            f"DUAL_WRITE=true but not clean: {h.summary()}",
            "pmkv reconcile (then watch `pmkv status` until fallbacks, mismatches and"
            " outbox stay at 0)",
        )
    if ctx.kv_mode:
        return PhaseStatus("dual-write", True, "passed (the app already reads KV only)", "")
    return PhaseStatus(
        "dual-write", False, "DUAL_WRITE is not set", "set DUAL_WRITE=true in .env.local"
    )


def kv_only(ctx: StatusContext) -> PhaseStatus:
    if ctx.kv_mode and not ctx.dual_write:
        return PhaseStatus("KV-only", True, "the app reads and writes KV only", "")
    return PhaseStatus(
        "KV-only", False, "the app still uses files", "set USE_LOCAL_KV=true, unset DUAL_WRITE"
    )


def archived(ctx: StatusContext) -> PhaseStatus:
    backup = archive_path(ctx.pm_dir)
    if backup.is_dir() and not ctx.pm_dir.exists():
        return PhaseStatus("archived", True, f"{ctx.pm_dir} renamed to {backup}", "")
    return PhaseStatus("archived", False, f"{ctx.pm_dir} is still in place", "pmkv archive")


PHASES: list[Check] = [local_kv_up, migrated, verified, dual_write, kv_only, archived]


@dataclass
class StatusResult:
    phases: list[PhaseStatus]

    @property
    def next_step(self) -> str | None:
        for phase in self.phases:
            if not phase.done:
                return phase.next_step
        return None


def status(ctx: StatusContext, checks: list[Check] | None = None) -> StatusResult:
    return StatusResult([check(ctx) for check in (checks or PHASES)])
