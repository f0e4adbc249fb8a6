"""The outcome of a migrate run, as data (the CLI and the report render it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from pmkv.errors import ExitCode
from pmkv.migrate.backup import BackupInfo
from pmkv.migrate.inventory import Inventory
from pmkv.migrate.plan import Plan
from pmkv.migrate.sink import WriteStats
from pmkv.migrate.verify import VerifyResult


@dataclass
class MigrateResult:
    run_id: str | None  # None for a dry run (it records nothing)
    dry_run: bool
    pm_dir: str
    rest_url: str | None
    inventory: Inventory
    plan: Plan
    write: WriteStats
    verify: VerifyResult | None
    backup: BackupInfo | None
    timings: dict[str, float] = field(default_factory=dict)
    report_path: str | None = None

    @property
    def exit_code(self) -> int:
        if self.verify is not None and not self.verify.ok:
            return ExitCode.DIFFERENCES
        if self.inventory.errors:
            return ExitCode.INVALID_SOURCE
        return ExitCode.OK

    def project_summary(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for name, project in self.inventory.projects.items():
            found = [a for a in self.inventory.anomalies if a.project == name]
            out[name] = {
                **project.counts(),
                "valid_project": project.valid,
                "errors": sum(a.severity == "error" for a in found),
                "warnings": sum(a.severity == "warning" for a in found),
            }
        return out

    def as_dict(self, *, full_plan: bool | None = None) -> dict[str, object]:
        """JSON-ready result; the whole per-key plan only for dry runs unless asked."""
        show_plan = self.dry_run if full_plan is None else full_plan
        stories = self.inventory.story_count()
        total = self.timings.get("total", 0.0)
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "pm_dir": self.pm_dir,
            "rest_url": self.rest_url,
            "projects": self.project_summary(),
            "files_read": self.inventory.files_read,
            "stories": stories,
            "plan": self.plan.counts(),
            "plan_entries": [e._asdict() for e in self.plan.entries] if show_plan else None,
            "conflicts": [e._asdict() for e in self.plan.conflicts],
            "written": self.write.written,
            "batches": self.write.batches,
            "anomalies": [a.as_dict() for a in self.inventory.anomalies],
            "verify": self.verify.as_dict() if self.verify else None,
            "backup": asdict(self.backup) if self.backup else None,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "stories_per_second": round(stories / total, 1) if total > 0 else None,
            "report": self.report_path,
        }
