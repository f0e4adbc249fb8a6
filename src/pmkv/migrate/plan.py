"""The plan: what a run will do to each key, from the inventory and what the KV holds now.

create: absent. unchanged: byte-identical. update: differs, and the KV value is one we
wrote earlier (per the ledger), or a list we only extend. conflict: differs and someone
else wrote it -- written only with ``force``. skip: the source record is invalid.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from pmkv.migrate.kv import KvStore
from pmkv.migrate.ledger import LEDGER_KEY, sha1_text, text_hash

Action = Literal["create", "update", "unchanged", "conflict", "skip"]
ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged", "conflict", "skip")


@dataclass(frozen=True)
class PlanEntry:
    key: str
    action: Action
    write: bool
    reason: str = ""


@dataclass
class Plan:
    entries: list[PlanEntry]
    values: dict[str, str]  # key -> the exact text to write
    before: dict[str, str | None]  # key -> the KV value when planned
    ledger_before: dict[str, str | None]
    force: bool = False
    hashes: dict[str, str] = field(default_factory=dict)

    def to_write(self) -> list[str]:
        return [e.key for e in self.entries if e.write]

    def counts(self) -> dict[str, int]:
        found = Counter(e.action for e in self.entries)
        return {action: found.get(action, 0) for action in ACTIONS}

    @property
    def conflicts(self) -> list[PlanEntry]:
        return [e for e in self.entries if e.action == "conflict"]


def _extends(old: str, new: str) -> bool:
    """True when ``new`` is a JSON array that starts with all of array ``old``."""
    try:
        a, b = json.loads(old), json.loads(new)
    except json.JSONDecodeError:
        return False
    return isinstance(a, list) and isinstance(b, list) and b[: len(a)] == a


def build_plan(
    values: dict[str, str],
    before: dict[str, str | None],
    ledger: dict[str, str | None],
    skipped: dict[str, str],
    *,
    list_keys: set[str],
    force: bool = False,
) -> Plan:
    entries: list[PlanEntry] = []
    for key, text in values.items():
        current = before.get(key)
        if current is None:
            entries.append(PlanEntry(key, "create", True))
        elif current == text:
            entries.append(PlanEntry(key, "unchanged", False))
        elif ledger.get(key) == text_hash(current):
            entries.append(PlanEntry(key, "update", True, "the file changed since our last run"))
        elif key in list_keys and _extends(current, text):
            entries.append(PlanEntry(key, "update", True, "extends the list already in KV"))
        else:
            why = "the KV value differs from the file and was not written by pmkv"
            entries.append(PlanEntry(key, "conflict", force, why + ("; --force" if force else "")))
    for key, path in skipped.items():
        entries.append(PlanEntry(key, "skip", False, f"{path} is invalid"))
    # the ledger/journal hash, only for what is written (hashing is a real cost at 100k)
    hashes = {e.key: text_hash(values[e.key]) for e in entries if e.write}
    return Plan(entries, values, before, ledger, force, hashes)


def read_current(
    store: KvStore | None, values: dict[str, str], digests: dict[str, str] | None = None
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """What the KV holds for ``values``' keys, and their ledger entries.

    Digests first: a key whose engine-side sha1 equals the file's holds exactly that
    text, so only absent-or-different keys cost a value (and ledger) read. The sha1 of
    each expected text is added to ``digests`` when given (verify reuses them).
    """
    keys = list(values)
    if store is None:
        return dict.fromkeys(keys), dict.fromkeys(keys)
    before: dict[str, str | None] = {}
    differing: list[str] = []
    mine = {key: sha1_text(values[key]) for key in keys}
    if digests is not None:
        digests.update(mine)
    for key, digest in zip(keys, store.hashes(keys), strict=True):
        if digest is None:
            before[key] = None
        elif digest == mine[key]:
            before[key] = values[key]
        else:
            differing.append(key)
    before.update(zip(differing, store.get_many(differing), strict=True))
    ledger: dict[str, str | None] = dict.fromkeys(keys)
    ledger.update(zip(differing, store.hget_many(LEDGER_KEY, differing), strict=True))
    return before, ledger
