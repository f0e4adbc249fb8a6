"""Run folders: ``<home>/runs/<run-id>/`` holds a run's metadata, undo journal and report."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmkv.migrate.errors import RollbackError

RUN_FILE = "run.json"
JOURNAL_FILE = "journal.jsonl"
REPORT_FILE = "report.md"
RESULT_FILE = "result.json"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """A sortable, unique id: UTC timestamp (to the millisecond) plus 4 random hex digits."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}Z-{secrets.token_hex(2)}"


@dataclass
class RunMeta:
    """What ``run.json`` records about one migrate run."""

    run_id: str
    pm_dir: str
    rest_url: str
    projects: list[str] | None
    started_at: str = field(default_factory=now_iso)
    finished_at: str | None = None
    # running -> complete | failed; later rolled-back
    state: str = "running"
    keys_written: int = 0


def runs_root(home: Path) -> Path:
    return home / "runs"


def run_dir(home: Path, run_id: str) -> Path:
    return runs_root(home) / run_id


def journal_files(folder: Path) -> list[Path]:
    """A run's undo journals: this process's, then one per story worker (the workers
    journal their own keys, so no key is in two files)."""
    main = folder / JOURNAL_FILE
    workers = sorted(folder.glob("journal-*.jsonl"))
    return ([main] if main.is_file() else []) + workers


def write_meta(home: Path, meta: RunMeta) -> Path:
    """Write ``run.json`` atomically (temp file + rename) so a crash never leaves half of it."""
    folder = run_dir(home, meta.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(meta), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / RUN_FILE)
    return folder


def read_meta(home: Path, run_id: str) -> RunMeta:
    path = run_dir(home, run_id) / RUN_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RollbackError(
            f"no run {run_id!r} under {runs_root(home)}",
            hint="list the runs with `ls " + str(runs_root(home)) + "` or omit the run id",
        ) from exc
    return RunMeta(**data)


def list_runs(home: Path) -> list[RunMeta]:
    """Every recorded run, oldest first."""
    root = runs_root(home)
    if not root.is_dir():
        return []
    return [
        read_meta(home, entry.name)
        for entry in sorted(root.iterdir())
        if (entry / RUN_FILE).is_file()
    ]


def latest_run(home: Path, *, wrote: bool = False) -> RunMeta | None:
    """The newest run; with ``wrote``, the newest that may have changed the KV."""
    runs = list_runs(home)
    if wrote:
        runs = [r for r in runs if r.state != "complete" or r.keys_written > 0]
    return runs[-1] if runs else None
