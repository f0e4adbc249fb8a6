"""Dual-write health: persistent counters, JSON-line event logs, and :func:`health`.

Everything lives under ``<home>/dual/`` (never under the app's ``pm:`` keys):

- ``stats.json``: counters of the current *window* (since dual-write began or since the
  last ``pmkv reconcile`` that ended with files and KV equal) and all-time totals,
  replaced atomically under ``stats.lock`` so several processes can add to it;
- ``fallbacks.jsonl``: one JSON line per read served from the files;
- ``mismatches.jsonl``: one JSON line per shadow comparison that found a difference;
- ``outbox.jsonl``: see :mod:`pmkv.store.outbox`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from pmkv.store.outbox import Outbox

log = logging.getLogger("pmkv.dual")
log.addHandler(logging.NullHandler())  # a library: the app decides where logs go

COUNTERS = ("fallbacks", "mismatches", "kv_write_failures", "compared", "dropped", "replayed")
# The counters that must be zero before switching to KV only.
BLOCKING = ("fallbacks", "mismatches")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def dual_dir(home: Path) -> Path:
    return home / "dual"


def outbox_for(home: Path) -> Outbox:
    return Outbox(dual_dir(home) / "outbox.jsonl")


def _empty() -> dict[str, Any]:
    return {"window_started": now_iso(), **dict.fromkeys(COUNTERS, 0), "totals": {}}


class DualStats:
    """Counters kept in memory and added to ``stats.json``; event lines appended."""

    def __init__(self, home: Path) -> None:
        self.folder = dual_dir(home)
        self.path = self.folder / "stats.json"
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._file_lock: FileLock | None = None

    def _flock(self) -> FileLock:
        if self._file_lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(str(self.folder / "stats.lock"), timeout=30)
        return self._file_lock

    def add(self, name: str, n: int = 1, *, flush: bool = False) -> None:
        """Count ``n`` events; ``flush`` writes them (and anything pending) now."""
        with self._lock:
            self._pending[name] = self._pending.get(name, 0) + n
        if flush:
            self.flush()

    def flush(self) -> None:
        """Add the pending counts to ``stats.json`` (atomic replace, under the file lock)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not any(pending.values()):
            return
        with self._flock():
            data = read_stats(self.path)
            totals = data.setdefault("totals", {})
            for name, n in pending.items():
                data[name] = int(data.get(name, 0)) + n
                totals[name] = int(totals.get(name, 0)) + n
            _write_json(self.path, data)

    def new_window(self) -> None:
        """Start a new window (after a reconcile left files and KV equal); totals stay."""
        self.flush()
        with self._flock():
            data = read_stats(self.path)
            fresh = _empty()
            fresh["totals"] = data.get("totals", {})
            _write_json(self.path, fresh)

    def event(self, log_name: str, record: dict[str, Any], level: int = logging.WARNING) -> None:
        """Append one JSON line to ``<home>/dual/<log_name>.jsonl`` and to the logger."""
        line = json.dumps({"time": now_iso(), **record}, ensure_ascii=False, default=str)
        log.log(level, line)
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{log_name}.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def read_stats(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return _empty()
    return data if isinstance(data, dict) else _empty()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)


def read_events(home: Path, log_name: str, limit: int = 20) -> list[dict[str, Any]]:
    """The last ``limit`` events of one log (newest last)."""
    try:
        lines = (dual_dir(home) / f"{log_name}.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines[-limit:]:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


@dataclass
class DualHealth:
    """What ``pmkv status`` shows about the transition period."""

    dual_write: bool
    window_started: str | None
    counters: dict[str, int]
    totals: dict[str, int]
    outbox: int
    last_mismatches: list[dict[str, Any]] = field(default_factory=list)
    last_fallbacks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fallbacks(self) -> int:
        return self.counters.get("fallbacks", 0)

    @property
    def mismatches(self) -> int:
        return self.counters.get("mismatches", 0)

    @property
    def healthy(self) -> bool:
        """Zero fallbacks, zero mismatches and an empty outbox in the current window."""
        return self.outbox == 0 and all(self.counters.get(n, 0) == 0 for n in BLOCKING)

    def summary(self) -> str:
        c = self.counters
        return (
            f"fallbacks {c.get('fallbacks', 0)}, mismatches {c.get('mismatches', 0)}, "
            f"outbox {self.outbox}, compared {c.get('compared', 0)}, "
            f"dropped {c.get('dropped', 0)} since {self.window_started or 'never'}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "dual_write": self.dual_write,
            "healthy": self.healthy,
            "window_started": self.window_started,
            "counters": self.counters,
            "totals": self.totals,
            "outbox": self.outbox,
            "last_mismatches": self.last_mismatches,
            "last_fallbacks": self.last_fallbacks,
        }


def health(home: Path, dual_write: bool = True) -> DualHealth:
    """Dual-write health from the files under ``<home>/dual`` (no network)."""
    folder = dual_dir(home)
    data = read_stats(folder / "stats.json") if folder.is_dir() else {}
    counters = {n: int(data.get(n, 0)) for n in COUNTERS}
    totals = {n: int(v) for n, v in dict(data.get("totals", {})).items()}
    return DualHealth(
        dual_write,
        data.get("window_started"),
        counters,
        totals,
        outbox_for(home).size(),
        read_events(home, "mismatches", 5),
        read_events(home, "fallbacks", 5),
    )
