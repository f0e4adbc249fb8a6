"""Undo a migrate run: every key it touched goes back to its exact previous state.

The journal holds, per key, the value before the run (absent -> DEL) and the ledger
entry before the run. Each key is classified against what the KV holds now:

- ``restore``: it still holds what the run wrote -> put the old value back;
- ``already``: it already holds the old value (journalled but never sent because the run
  was killed, or a rollback already ran) -> nothing to undo, the ledger entry is reset;
- ``drifted``: someone changed it after the run -> refused without ``force``, because
  restoring would destroy that later change (roll back the later run first).

Rolling back twice is harmless: the second time every key is ``already``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pmkv.migrate.errors import RollbackError
from pmkv.migrate.journal import JournalEntry, read_journal
from pmkv.migrate.kv import KvStore
from pmkv.migrate.ledger import LEDGER_KEY, text_hash
from pmkv.migrate.runs import journal_files, latest_run, read_meta, run_dir, write_meta

Progress = Callable[[str, int, int], None]
BATCH = 500


@dataclass
class RollbackResult:
    run_id: str
    restored: int = 0
    deleted: int = 0
    already: int = 0
    drifted: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def keys(self) -> int:
        return self.restored + self.deleted + self.already


def _first_per_key(entries: list[JournalEntry]) -> list[JournalEntry]:
    # the first journal entry of a key holds its state before the run began
    seen: dict[str, JournalEntry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return list(seen.values())


def rollback(
    store: KvStore,
    home: Path,
    run_id: str | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> RollbackResult:
    started = time.perf_counter()
    if run_id is None:
        meta = latest_run(home, wrote=True)
        if meta is None:
            raise RollbackError(
                f"there is no migrate run under {home / 'runs'}",
                hint="nothing to roll back (runs are recorded by `pmkv migrate`)",
            )
    else:
        meta = read_meta(home, run_id)
    folder = run_dir(home, meta.run_id)
    entries = _first_per_key([e for path in journal_files(folder) for e in read_journal(path)])
    result = RollbackResult(meta.run_id)
    current = store.get_many([e.key for e in entries])
    todo: list[JournalEntry] = []
    for entry, now in zip(entries, current, strict=True):
        if now == entry.before:
            result.already += 1
            todo.append(entry)
        elif now is not None and text_hash(now) == entry.after_hash:
            todo.append(entry)
            if entry.before is None:
                result.deleted += 1
            else:
                result.restored += 1
        else:
            result.drifted.append(entry.key)
    if result.drifted and not force:
        shown = ", ".join(result.drifted[:5])
        raise RollbackError(
            f"{len(result.drifted)} key(s) changed after run {meta.run_id} (e.g. {shown});"
            " rolling back would destroy those changes",
            hint="roll back later runs first, or pass --force to restore them anyway",
        )
    if force:
        todo.extend(e for e in entries if e.key in set(result.drifted))
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        commands: list[list[str]] = []
        for entry in batch:
            if entry.before is None:
                commands.append(["DEL", entry.key])
            else:
                commands.append(["SET", entry.key, entry.before])
            if entry.ledger_before is None:
                commands.append(["HDEL", LEDGER_KEY, entry.key])
            else:
                commands.append(["HSET", LEDGER_KEY, entry.key, entry.ledger_before])
        store.pipeline(commands, f"rolling back {len(batch)} keys of run {meta.run_id}")
        if progress:
            progress("rollback", start + len(batch), len(todo))
    write_meta(home, replace(meta, state="rolled-back"))
    result.seconds = time.perf_counter() - started
    return result
