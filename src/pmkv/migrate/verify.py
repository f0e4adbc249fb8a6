"""Compare the source with the KV, both directions, field by field.

files -> keys: every valid record and list key holds exactly the expected text (on a
difference, the JSON-pointer paths that differ). keys -> files: every key under the
migrated prefixes belongs to a valid file (or a list built from them). Plus counts per
project. ``--sample N`` checks N random records (all list keys are always checked).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Literal

from pmkv.migrate.diff import json_diff
from pmkv.migrate.errors import SourceChanged
from pmkv.migrate.inventory import Inventory
from pmkv.migrate.kv import ABSENT, SAME, KvStore
from pmkv.migrate.ledger import fill_digests
from pmkv.migrate.lists import expected_values
from pmkv.store.codec import parse_json
from pmkv.store.errors import InvalidJSONError
from pmkv.store.keyspace import Keyspace

Progress = Callable[[str, int, int], None]
DiffKind = Literal["missing", "changed", "extra"]


@dataclass(frozen=True)
class Difference:
    key: str
    kind: DiffKind
    file: str | None
    paths: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class ProjectCounts:
    project: str
    files: dict[str, int]
    kv: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.files.get("epics") == self.kv.get("epics") and self.files.get(
            "stories"
        ) == self.kv.get("stories")


@dataclass
class VerifyResult:
    checked: int
    differences: list[Difference]
    counts: list[ProjectCounts]
    sample: int | None = None
    seconds: float = 0.0
    # of ``checked``, the keys a migration's write path proved (read back by the engine
    # in the request that wrote them) and this verify did not compare again
    proven_at_write: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences and all(c.ok for c in self.counts)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "sample": self.sample,
            "proven_at_write": self.proven_at_write,
            "seconds": round(self.seconds, 3),
            "differences": [asdict(d) for d in self.differences],
            "counts": [asdict(c) | {"ok": c.ok} for c in self.counts],
        }


def _changed(key: str, expected: str, actual: str, file: str | None) -> Difference:
    try:
        paths = json_diff(parse_json(expected), parse_json(actual))
    except InvalidJSONError:
        return Difference(key, "changed", file, ["/"], "the KV value is not valid JSON")
    detail = "same content, different bytes (formatting)" if not paths else ""
    return Difference(key, "changed", file, paths or ["/"], detail)


def verify(
    store: KvStore,
    inv: Inventory,
    ks: Keyspace,
    *,
    expected: Mapping[str, str] | None = None,
    digests: dict[str, str] | None = None,
    verified: set[str] | None = None,
    sample: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> VerifyResult:
    """Verify ``inv`` against the KV. ``expected`` defaults to what a migrate would write.

    ``verified``: keys a migration's write path already read back as their expected
    text (the engine hashed each stored value against it in the request that wrote it);
    they count as checked without being compared again.
    """
    started = time.perf_counter()
    # The keys -> files direction needs every key under pm:*: that scan (the gateway's and
    # the engine's work, mostly) runs on its own thread while the values are compared
    # here. Both start after every write; the scan is a read, left to end on its own if
    # this verify fails first.
    scanner = ThreadPoolExecutor(1, thread_name_prefix="pmkv-verify-scan")
    scanning = scanner.submit(store.scan, "pm:*", ordered=False)
    scanner.shutdown(wait=False)
    pl_key = ks.projects_list()
    if expected is None:
        current_pl = store.get_many([pl_key])[0] if inv.selected else None
        expected = expected_values(inv, ks, current_pl)
    index = _RecordIndex(inv)
    keys = list(expected)
    if sample is not None:
        record_keys = [k for k in keys if k in index]
        lists = [k for k in keys if k not in index]
        rng = random.Random(seed)
        keys = rng.sample(record_keys, min(sample, len(record_keys))) + lists
    differences: list[Difference] = []
    # engine-side compare first (it reads and hashes every value); whole values only for
    # the keys that differ. The sha1 of each expected text is the one the run computed
    # from the bytes it sent, when given.
    proven = verified or set()
    unproven = [k for k in keys if k not in proven] if proven else keys
    sha1s = {k: digests[k] for k in unproven if k in digests} if digests else {}
    fill_digests({k: expected[k] for k in unproven if k not in sha1s}, sha1s)
    status = store.compare(unproven, [sha1s[k] for k in unproven])
    differing: list[str] = []
    if status.count(SAME) != len(status):
        for key, found in zip(unproven, status, strict=True):
            if found == ABSENT:
                missing = Difference(key, "missing", index.path(key), ["/"], "no such key")
                differences.append(missing)
            elif found != SAME:
                differing.append(key)
    if progress:
        progress("verify", len(keys) // 2, len(keys))
    for key, value in zip(differing, store.get_many(differing), strict=True):
        if value is None:
            differences.append(Difference(key, "missing", index.path(key), ["/"], "no such key"))
            continue
        try:
            want = expected[key]  # a story a worker wrote is read again from its file
        except SourceChanged as exc:
            differences.append(Difference(key, "changed", index.path(key), ["/"], exc.message))
            continue
        if value != want and not (key == pl_key and inv.selected and _contains(value, inv)):
            differences.append(_changed(key, want, value, index.path(key)))
    # keys -> files, with set operations (C speed) over the scan: nearly every key found
    # is an expected one; only the few others are parsed (extras) or looked up (absent)
    found_keys = set(scanning.result())
    extras = _in_scope(found_keys.difference(expected.keys()), inv, ks)
    for key in sorted(extras):
        ref = inv.skipped.get(key)
        why = f"{ref} is invalid, so it is not migrated" if ref else "no file for this key"
        differences.append(Difference(key, "extra", ref, ["/"], why))
    absent = [index.get(k) for k in expected.keys() - found_keys]
    counts = _counts(inv, extras.values(), absent)
    if progress:
        progress("verify", len(keys), len(keys))
    return VerifyResult(
        len(keys),
        differences,
        counts,
        sample,
        time.perf_counter() - started,
        len(keys) - len(unproven),
    )


def _contains(value: str, inv: Inventory) -> bool:
    """With --project, the projects list must list the selected projects (and may list others)."""
    try:
        listed = json.loads(value)
    except json.JSONDecodeError:
        return False
    wanted = [p for p in inv.selected or [] if inv.projects[p].valid]
    return (
        isinstance(listed, list)
        and all(p in listed for p in wanted)
        and len(set(map(str, listed))) == len(listed)
    )


class _RecordIndex:
    """Record key -> (file, kind, project), built on first use: a clean verify of a big
    tree asks nothing of it (a pass over 100,000 records saved)."""

    def __init__(self, inv: Inventory) -> None:
        self._inv = inv
        self._by_key: dict[str, tuple[str, str, str | None]] | None = None

    def get(self, key: str) -> tuple[str, str, str | None] | None:
        if self._by_key is None:
            self._by_key = {r.key: (r.path, r.kind, r.project) for r in self._inv.records()}
        return self._by_key.get(key)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def path(self, key: str) -> str | None:
        found = self.get(key)
        return found[0] if found else None


def _in_scope(keys: set[str], inv: Inventory, ks: Keyspace) -> dict[str, tuple[str, str]]:
    """Of ``keys`` (no record's), those under a migrated project, with (kind, project).

    Every project when none is selected."""
    wanted = set(inv.projects)
    out: dict[str, tuple[str, str]] = {}
    for key in keys:
        ref = ks.parse(key)
        if ref is None or ref.project is None:
            continue
        if inv.selected is None or ref.project in wanted:
            out[key] = (ref.kind, ref.project)
    return out


_COUNTED = {"epic": "epics", "story": "stories"}


def _counts(
    inv: Inventory,
    extras: Iterable[tuple[str, str]],
    absent: Iterable[tuple[str, str, str | None] | None],
) -> list[ProjectCounts]:
    """Epics and stories per project, in the files and in the KV. The KV's: every record
    of the inventory (each has its key in ``expected``) less those ``absent`` from the
    scan, plus the ``extras`` in scope -- counted without a pass over every key."""
    kv: dict[str, Counter[str]] = {}
    for name, listed in inv.projects.items():
        found = kv.setdefault(name, Counter())
        if listed.valid:
            counted = listed.counts()
            found["epics"] += counted["epics"]
            found["stories"] += counted["stories"]
    for ref in absent:
        if ref is not None and ref[2] is not None and ref[1] in _COUNTED:
            kv[ref[2]][_COUNTED[ref[1]]] -= 1
    for kind, owner in extras:
        if kind in _COUNTED:
            kv.setdefault(owner, Counter())[_COUNTED[kind]] += 1
    out: list[ProjectCounts] = []
    for name in sorted(kv):
        project = inv.projects.get(name)
        files = project.counts() if project else {"epics": 0, "stories": 0}
        if project and not project.valid:
            files = {**files, "epics": 0, "stories": 0}
        found = kv[name]
        out.append(
            ProjectCounts(
                name,
                files,
                {"epics": found.get("epics", 0), "stories": found.get("stories", 0)},
            )
        )
    return out
