"""State files (``<home>/engine.json``, ``<home>/gateway.json``): what we started, and when.

A state file records a process we started so that a later, separate ``pmkv`` command
can find it, check it is still ours, and stop it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pmkv.engine.errors import DataDirError


@dataclass(frozen=True)
class ProcessState:
    """One background process of ours.

    ``create_time`` (psutil's, seconds since the epoch) tells our process apart from an
    unrelated one that later got the same pid.
    """

    pid: int
    port: int
    create_time: float
    started_at: str  # ISO 8601, UTC
    log_path: str
    command: list[str]
    # Engine only.
    version: str = ""
    binary: str = ""
    binary_source: str = ""
    data_dir: str = ""
    # Gateway only.
    engine_port: int = 0
    token_sha256: str = ""


def load_state(path: Path) -> ProcessState | None:
    """The state in ``path``; None when missing or unreadable (treated as stale)."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    known = {f.name for f in fields(ProcessState)}
    try:
        return ProcessState(**{k: v for k, v in raw.items() if k in known})
    except TypeError:
        return None


def save_state(path: Path, state: ProcessState) -> None:
    """Write ``state`` atomically (a reader never sees half a file)."""
    text = json.dumps(asdict(state), indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise DataDirError(
            f"cannot write the state file {path}: {exc.strerror or exc}",
            hint=f"make {path.parent} writable, or set PMKV_HOME to a writable folder",
        ) from exc


def clear_state(path: Path) -> None:
    path.unlink(missing_ok=True)
