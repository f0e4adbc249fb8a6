"""The undo journal: the previous state of every key, made durable before it is written.

One JSON line per plan (a chunk of the tree), appended and fsync'ed *before* its first
batch is sent, so a run killed at any instant (even SIGKILL) can be rolled back: a
journalled key that never reached the store just restores a value that is already there.
A torn last line (killed mid-append) belongs to a plan none of whose batches was sent
and is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, NamedTuple

import orjson


class JournalEntry(NamedTuple):
    """One key a batch is about to overwrite (a named tuple: a batch makes hundreds)."""

    key: str
    before: str | None  # the key's value before the run (None: absent)
    ledger_before: str | None  # its ledger hash before the run (None: absent)
    after_hash: str  # hash of the value the run writes


class Journal:
    """Append-only, fsync'ed writer of a run's journal file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = path.open("ab")
        self._batches = 0

    def record(self, entries: list[JournalEntry]) -> None:
        """Durably append one batch; returns only once the bytes are on disk."""
        # orjson: the same compact UTF-8 line json.dumps(ensure_ascii=False) gave, quicker
        line = orjson.dumps({"batch": self._batches, "entries": list(map(tuple, entries))})
        self._file.write(line + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._batches += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_journal(path: Path) -> list[JournalEntry]:
    """Every entry of a journal, in write order; the first entry per key wins on rollback."""
    if not path.is_file():
        return []
    entries: list[JournalEntry] = []
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            batch = json.loads(raw)
        except json.JSONDecodeError:
            if number >= len(lines) - 2:  # torn tail from a crash mid-append
                break
            raise
        for key, before, ledger_before, after_hash in batch["entries"]:
            entries.append(JournalEntry(key, before, ledger_before, after_hash))
    return entries
