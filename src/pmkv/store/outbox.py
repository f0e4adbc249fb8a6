"""The dual-write outbox: KV writes that failed, kept durably until they are replayed.

One JSON object per line in ``<home>/dual/outbox.jsonl``, appended and fsync'ed before
the caller's write returns. Each entry names one key and what must happen to it:

- ``set``: copy the record from the files (``value`` is the text we tried to write, kept
  for the audit trail only);
- ``del``: the record is gone from the files, delete the key;
- ``rebuild``: rebuild this list key from the files;
- ``purge``: a project or epic folder was deleted, delete every key under it.

Replaying always reads the files *at replay time* (files are the source of truth until
cutover), so entries are idempotent and their order does not matter: replaying an old
entry can never put an older value back. Every mutation of the outbox happens under the
``pm/`` folder's write lock (the DualStore and ``pmkv reconcile`` both hold it), so
appends from several processes and a drain never interleave.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

from pmkv.store.errors import StoreError
from pmkv.store.files import atomic_write
from pmkv.store.keyspace import KeyRef

Action = Literal["set", "del", "rebuild", "purge"]


@dataclass(frozen=True)
class OutboxEntry:
    """One KV change still owed to the KV store."""

    op: str  # the store operation that caused it (write_story, delete_epic...)
    action: Action
    key: str
    kind: str  # a KeyRef kind (story, epic, stories_list...)
    project: str | None
    epic: str | None
    story: str | None
    time: str
    error: str = ""
    value: str | None = None

    @property
    def ref(self) -> KeyRef:
        return KeyRef(self.kind, self.project, self.epic, self.story)  # type: ignore[arg-type]

    def to_line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, object]) -> OutboxEntry:
        names = [f.name for f in fields(cls)]
        return cls(**{n: data.get(n) for n in names})  # type: ignore[arg-type]


class Outbox:
    """Append-only file of :class:`OutboxEntry` lines (callers hold the pm/ write lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entries: list[OutboxEntry]) -> None:
        """Durably append ``entries``: returns only once they are on disk."""
        if not entries:
            return
        data = "".join(e.to_line() + "\n" for e in entries).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StoreError(
                f"cannot append to the dual-write outbox {self.path}: {exc.strerror}",
                hint="free disk space or fix permissions under PMKV_HOME; the KV is now"
                " behind the files until `pmkv reconcile` runs",
            ) from exc

    def pending(self) -> bool:
        """True when entries wait (a stat, cheap enough for every write)."""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def read(self) -> list[OutboxEntry]:
        """Every entry, oldest first. A torn last line (crash mid-append) is skipped."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        entries: list[OutboxEntry] = []
        lines = raw.split(b"\n")
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                if number >= len(lines) - 2:
                    break
                raise StoreError(
                    f"line {number + 1} of the outbox {self.path} is not JSON",
                    hint="inspect the file; `pmkv reconcile` repairs everything it would"
                    " have replayed, after which the file can be removed",
                ) from None
            entries.append(OutboxEntry.from_json(data))
        return entries

    def size(self) -> int:
        return len(self.read())

    def replace(self, entries: list[OutboxEntry]) -> None:
        """Atomically replace the outbox with ``entries`` (empty: remove the file)."""
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        atomic_write(self.path, "".join(e.to_line() + "\n" for e in entries))
