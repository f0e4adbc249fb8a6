"""Emptying the managed engine (``pmkv redis flush``)."""

from __future__ import annotations

from dataclasses import dataclass

from pmkv.engine import resp
from pmkv.engine.config import layout
from pmkv.engine.manager import locked
from pmkv.engine.status import require_engine
from pmkv.settings import Settings


@dataclass(frozen=True)
class FlushResult:
    removed: int
    port: int
    pid: int


def flush(settings: Settings) -> FlushResult:
    """FLUSHALL on the managed engine (never on one we did not start)."""
    require_engine(settings)  # fail before creating anything under a missing home
    with locked(layout(settings)):
        state = require_engine(settings)  # again, under the lock
        removed = resp.flushall(state.port)
    return FlushResult(removed=removed, port=state.port, pid=state.pid)
