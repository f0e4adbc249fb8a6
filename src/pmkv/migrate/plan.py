"""The plan: what a run will do to each key, from the inventory and what the KV holds now.

create: absent. unchanged: byte-identical. update: differs, and the KV value is one we
wrote earlier (per the ledger), or a list we only extend. conflict: differs and someone
else wrote it -- written only with ``force``. skip: the source record is invalid.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal, NamedTuple

from pmkv.migrate.kv import ABSENT, SAME, KvStore
from pmkv.migrate.ledger import LEDGER_KEY, fill_digests, text_hash

Action = Literal["create", "update", "unchanged", "conflict", "skip"]
ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged", "conflict", "skip")


class PlanEntry(NamedTuple):
    """What a run does to one key (a named tuple: a big tree plans 100,000s)."""

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
    # sha1 of each value to write, when known: the sink has the engine hash what it
    # stored against it in the same request (see sink.KvSink)
    sha1s: dict[str, str] = field(default_factory=dict)
    # UTF-8 length of each value, when known (the batches are cut by bytes)
    sizes: dict[str, int] = field(default_factory=dict)

    def to_write(self) -> list[str]:
        return [e.key for e in self.entries if e.write]

    def counts(self) -> dict[str, int]:
        found = Counter(map(_ACTION, self.entries))  # counted in C: a plan can be 100,000s
        return {action: found.get(action, 0) for action in ACTIONS}

    @property
    def conflicts(self) -> list[PlanEntry]:
        if "conflict" not in map(_ACTION, self.entries):
            return []
        return [e for e in self.entries if e.action == "conflict"]


_ACTION = itemgetter(1)  # PlanEntry.action


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
    sha256s: dict[str, str] | None = None,
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
    # the ledger/journal hash, only for what is written: reused from discovery when it
    # hashed the bytes already (hashing is a real cost at 100k)
    known = sha256s or {}
    hashes = {e.key: known.get(e.key) or text_hash(values[e.key]) for e in entries if e.write}
    return Plan(entries, values, before, ledger, force, hashes)


def read_current(
    store: KvStore | None, values: dict[str, str], sha1s: dict[str, str] | None = None
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """What the KV holds for ``values``' keys, and their ledger entries.

    The engine compares each value's sha1 with the file's (``sha1s``, filled in here
    for keys that have none yet; the verify reuses them): a key that matches holds
    exactly that text, so only keys that differ cost a value (and ledger) read.
    """
    keys = list(values)
    before: dict[str, str | None] = dict.fromkeys(keys)
    ledger: dict[str, str | None] = dict.fromkeys(keys)
    if store is None:
        return before, ledger
    digests = {} if sha1s is None else sha1s
    fill_digests(values, digests)
    if not keys or store.count_existing(keys) == 0:  # the common first run: all absent
        return before, ledger
    status = store.compare(keys, [digests[key] for key in keys])
    differing: list[str] = []
    if status.count(ABSENT) != len(status):  # a first run: everything is absent
        for key, found in zip(keys, status, strict=True):
            if found == SAME:
                before[key] = values[key]
            elif found != ABSENT:
                differing.append(key)
    before.update(zip(differing, store.get_many(differing), strict=True))
    ledger.update(zip(differing, store.hget_many(LEDGER_KEY, differing), strict=True))
    return before, ledger
