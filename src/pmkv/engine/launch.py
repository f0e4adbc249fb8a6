"""Starting a recorded background process with no leftovers on failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pmkv.engine import process
from pmkv.engine.state import ProcessState, clear_state, save_state


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def launch(
    argv: Sequence[str],
    log_path: Path,
    state_path: Path,
    *,
    record: Callable[[int, float], ProcessState],
    wait: Callable[[ProcessState], ProcessState],
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> ProcessState:
    """Spawn ``argv``, record it in ``state_path``, and ``wait`` until it is ready.

    The state is written before waiting, so even a ``pmkv`` killed mid-start leaves
    the process findable. If waiting fails or Ctrl-C arrives, the process is
    terminated and the state removed: no orphan, no stale state.
    """
    pid = 0
    done = False
    try:
        pid, created = process.spawn(argv, log_path, cwd=cwd, extra_env=extra_env)
        state = record(pid, created)
        save_state(state_path, state)
        state = wait(state)
        save_state(state_path, state)
        done = True
        return state
    finally:
        if not done:
            if pid:
                process.terminate(pid, grace=5.0)
            clear_state(state_path)
