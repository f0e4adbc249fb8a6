"""The engine's log: the last lines, or following new ones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from pmkv.engine import process
from pmkv.engine.config import layout
from pmkv.settings import Settings


def log_lines(settings: Settings, lines: int = 50) -> list[str]:
    """The last ``lines`` lines of the engine log."""
    return process.log_tail(layout(settings).engine_log, lines)


def follow(settings: Settings, poll: float = 0.25) -> Iterator[str]:
    """Yield lines appended to the engine log after this call (until the caller stops)."""
    path = layout(settings).engine_log
    return _follow(path, path.stat().st_size if path.exists() else 0, poll)


def _follow(path: Path, offset: int, poll: float) -> Iterator[str]:
    pending = b""
    while True:
        try:
            size = path.stat().st_size
            if size < offset:  # truncated or replaced: start over
                offset = 0
            if size > offset:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                offset += len(chunk)
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    yield raw.decode("utf-8", "replace").rstrip("\r")
        except FileNotFoundError:
            offset = 0
        time.sleep(poll)
