"""The managed engine as seen now: version, pid, port, uptime, keys, memory, AOF."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pmkv.engine import resp
from pmkv.engine.config import layout
from pmkv.engine.errors import NotRunning
from pmkv.engine.manager import live_state, serves
from pmkv.engine.state import ProcessState
from pmkv.settings import Settings


@dataclass(frozen=True)
class EngineStatus:
    """The managed engine as seen now. Only ``running``, paths and notes when stopped."""

    running: bool
    data_dir: Path
    log_path: Path
    pid: int | None = None
    port: int | None = None
    version: str | None = None
    binary: str | None = None
    binary_source: str | None = None
    started_at: str | None = None
    uptime_seconds: int | None = None
    keys: int | None = None
    used_memory: int | None = None
    used_memory_human: str | None = None
    aof_enabled: bool | None = None
    aof_last_write_status: str | None = None
    aof_rewrite_in_progress: bool | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["data_dir"] = str(self.data_dir)
        data["log_path"] = str(self.log_path)
        data["notes"] = list(self.notes)
        return data


def require_engine(settings: Settings) -> ProcessState:
    where = layout(settings)
    state, notes = live_state(where)
    if state is None or not serves(state.pid, state.port):
        detail = f" ({'; '.join(notes)})" if notes else ""
        raise NotRunning(
            f"no engine of ours is running for {where.home}{detail}",
            hint="start it with `pmkv redis start` (or `pmkv up`)",
        )
    return state


def status(settings: Settings) -> EngineStatus:
    """Version, pid, port, uptime, keys, memory and AOF state of the managed engine."""
    where = layout(settings)
    state, notes = live_state(where)
    stopped = EngineStatus(False, where.data_dir, where.engine_log, notes=tuple(notes))
    if state is None:
        return stopped
    if not serves(state.pid, state.port):
        notes.append(f"pid {state.pid} runs but does not answer on port {state.port}")
        return EngineStatus(
            False,
            where.data_dir,
            where.engine_log,
            pid=state.pid,
            port=state.port,
            notes=tuple(notes),
        )
    info = resp.info(state.port)
    return EngineStatus(
        running=True,
        data_dir=where.data_dir,
        log_path=where.engine_log,
        pid=state.pid,
        port=state.port,
        version=state.version,
        binary=state.binary,
        binary_source=state.binary_source,
        started_at=state.started_at,
        uptime_seconds=int(info.get("uptime_in_seconds", 0)),
        keys=resp.key_count(info),
        used_memory=int(info.get("used_memory", 0)),
        used_memory_human=str(info.get("used_memory_human", "")),
        aof_enabled=bool(int(info.get("aof_enabled", 0))),
        aof_last_write_status=str(info.get("aof_last_write_status", "")),
        aof_rewrite_in_progress=bool(int(info.get("aof_rewrite_in_progress", 0))),
        notes=tuple(notes),
    )
