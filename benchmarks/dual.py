"""Benchmark: DualStore overhead against the file store and the KV store.

The project and the operations of ``benchmarks/store.py`` (its tree builder and story
maker are imported): one project of 15 epics and 500 stories; load
it, list the active stories of every epic, create 100 stories, update 100 stories,
search, analytics. Four stores, each over its own copy of the tree, one engine + gateway
(``pmkv.engine.stack``): files, KV (upstash-redis -> pmkv gateway -> valkey), DualStore,
and DualStore with ``DUAL_COMPARE=1.0`` (every read sampled -- the worst case).

The stores take turns (one run of each read operation per store per round; writes in
rounds of 10), so load from other processes on the machine falls on all four alike.
Reads: median of ``--repeat`` rounds; writes: total of 100. The comparer's background
thread is capped at 5% CPU by its duty cycle and runs during every column; the last
column is its cost on the caller's path (enqueue + re-checks holding the write lock).

Prints one table and stops the engine and gateway it started.
Usage: ``python benchmarks/dual.py [--repeat 15] [--json]``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import elapsed_ms, local_stack, repeat_parser, ruled, scratch

import store as store_bench  # benchmarks/store.py: tree and stories
from pmkv.store.dual import DualStore
from pmkv.store.dual_mirror import Mirror, bound_timeout
from pmkv.store.dual_stats import health
from pmkv.store.files import FileStore
from pmkv.store.interface import StoryQuery
from pmkv.store.kv import KVStore

NAMES = ("file", "kv", "dual", "compare")
OPS = store_bench.OPS
QUERY = StoryQuery(text="patient", status=frozenset({"todo", "in_progress"}))


@dataclass
class Row:
    operation: str
    file_ms: float
    kv_ms: float
    dual_ms: float
    compare_ms: float  # DualStore with DUAL_COMPARE=1.0


def _dual(tree: Path, url: str, token: str, home: Path, compare: float) -> DualStore:
    files = FileStore(tree, lock_path=tree.parent / "pm.lock")
    kv = KVStore(url, token)
    bound_timeout(kv.client, 5.0)
    return DualStore(files, kv, Mirror(files, kv), home, compare=compare, seed=1)


def _reads(
    stores: dict[str, Any], projects: dict[str, str], repeat: int
) -> dict[str, dict[str, float]]:
    epics = stores["file"].list_epics(projects["file"])

    def list_active(s: Any, project: str) -> None:
        for epic in epics:
            s.list_active_story_ids(project, epic)

    ops: dict[str, Callable[[Any, str], object]] = {
        f"load whole project ({len(epics)} epics, {store_bench.STORIES} stories)": lambda s, p: (
            s.load_project(p)
        ),
        "list active stories of every epic": list_active,
        "search the project": lambda s, p: s.search_stories(p, QUERY),
        "analytics": lambda s, p: s.analytics(p),
    }
    out: dict[str, dict[str, float]] = {}
    for op, fn in ops.items():
        times: dict[str, list[float]] = {name: [] for name in NAMES}
        for name, store in stores.items():
            fn(store, projects[name])  # warm up
        for _ in range(repeat):
            for name, store in stores.items():
                times[name].append(elapsed_ms(lambda: fn(store, projects[name])))  # noqa: B023
        out[op] = {name: statistics.median(t) for name, t in times.items()}
        print(f"done: {op}", file=sys.stderr)
    return out


def _writes(stores: dict[str, Any], projects: dict[str, str]) -> dict[str, dict[str, float]]:
    epics = stores["file"].list_epics(projects["file"])
    targets = {n: s.load_project(projects[n]).iter_stories()[:OPS] for n, s in stores.items()}
    created = dict.fromkeys(NAMES, 0.0)
    updated = dict.fromkeys(NAMES, 0.0)
    for start in range(0, OPS, 10):
        for name, s in stores.items():

            def create(s: Any = s, p: str = projects[name], first: int = start) -> None:
                for i in range(first, first + 10):
                    s.create_story(p, epics[i % len(epics)], store_bench.new_story(i))

            def update(s: Any = s, name: str = name, first: int = start) -> None:
                for epic, record in targets[name][first : first + 10]:
                    s.write_story(
                        projects[name], epic, str(record["id"]), {**record, "status": "done"}
                    )

            created[name] += elapsed_ms(create)
            updated[name] += elapsed_ms(update)
    print("done: writes", file=sys.stderr)
    return {f"create {OPS} stories (total)": created, f"update {OPS} stories (total)": updated}


def run(repeat: int, work: Path) -> tuple[list[Row], dict[str, Any]]:
    master = work / "master" / "pm"
    project = store_bench.make_tree(master)
    trees, projects = {}, {}
    for name in NAMES:
        # one project per store (same records, its own name), so the stores that share
        # the engine never write each other's keys
        trees[name] = work / name / "pm"
        projects[name] = f"{project}-{name}"
        shutil.copytree(master, trees[name])
        (trees[name] / project).rename(trees[name] / projects[name])
    stores: dict[str, Any] = {}
    with local_stack(work) as info:
        stores["file"] = FileStore(trees["file"], lock_path=work / "file.lock")
        kv = KVStore(info.rest_url, info.token)
        kv.client.flushall()
        kv.write_people(stores["file"].read_people())
        kv.import_project(
            FileStore(trees["kv"], lock_path=work / "kv.lock").load_project(projects["kv"])
        )
        stores["kv"] = kv
        for name, compare in (("dual", 0.0), ("compare", 1.0)):
            dual = _dual(trees[name], info.rest_url, info.token, work / name, compare)
            dual.import_project(dual.files.load_project(projects[name]))  # KV gets a copy
            stores[name] = dual
        results = _reads(stores, projects, repeat)
        results |= _writes(stores, projects)
        for name in ("dual", "compare"):
            stores[name].close()
        seen = {n: health(work / n).as_dict() for n in ("dual", "compare")}
        kv.close()
    order = [op for op in results if not op.startswith(("create", "update"))]
    order[2:2] = [op for op in results if op.startswith(("create", "update"))]
    rows = [Row(op, *(results[op][n] for n in NAMES)) for op in order]
    return rows, seen


def table(rows: list[Row]) -> str:
    head = (
        f"{'operation':<42} | {'file ms':>8} | {'KV ms':>8} | {'dual ms':>8} |"
        f" {'dual/file':>9} | {'dual/KV':>7} | {'compare=1 ms':>12} | {'vs dual':>7}"
    )
    lines = []
    for r in rows:
        lines.append(
            f"{r.operation:<42} | {r.file_ms:>8.2f} | {r.kv_ms:>8.2f} | {r.dual_ms:>8.2f} |"
            f" {r.dual_ms / r.file_ms:>8.2f}x | {r.dual_ms / r.kv_ms:>6.2f}x |"
            f" {r.compare_ms:>12.2f} | {100 * (r.compare_ms / r.dual_ms - 1):>+6.1f}%"
        )
    return ruled(head, lines)


def main() -> None:
    args = repeat_parser(__doc__, 15).parse_args()
    with scratch("dual") as work:
        rows, seen = run(args.repeat, work)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "health": seen}, indent=2))
        return
    print(table(rows))
    for name, found in seen.items():
        print(f"health of the {name} store afterwards: {found['counters']}")
        for line in found["last_mismatches"]:
            print(f"  mismatch: {json.dumps(line)[:300]}")


if __name__ == "__main__":
    main()
