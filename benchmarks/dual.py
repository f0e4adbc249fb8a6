"""Benchmark: DualStore overhead against the file store and the KV store.

Same project and operations as ``benchmarks/store.py`` (its tree and workload functions
are imported: one project of 15 epics, 500 stories; load, list active, create 100,
update 100, search, analytics), on four stores in one run, each over its own copy of the
tree: files, KV (upstash-redis -> pmkv gateway -> valkey), DualStore without shadow
comparison, and DualStore with ``DUAL_COMPARE=1.0`` (every read compared in the
background -- the worst case; the caller's path only pays the enqueue).

Prints one table and stops the engine and gateway it started.
Usage: ``python benchmarks/dual.py [--repeat 15] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import store as store_bench
from pmkv.engine import stack
from pmkv.settings import Settings
from pmkv.store.dual import DualStore
from pmkv.store.dual_mirror import Mirror, bound_timeout
from pmkv.store.dual_stats import health
from pmkv.store.files import FileStore
from pmkv.store.kv import KVStore


@dataclass
class Row:
    operation: str
    file_ms: float
    kv_ms: float
    dual_ms: float
    shadow_ms: float  # DualStore with DUAL_COMPARE=1.0


def _dual(tree: Path, url: str, token: str, home: Path, compare: float) -> DualStore:
    files = FileStore(tree, lock_path=tree.parent / "pm.lock")
    kv = KVStore(url, token)
    bound_timeout(kv.client, 5.0)
    return DualStore(files, kv, Mirror(files, kv), home, compare=compare, seed=1)


def _measure(store: object, project: str, repeat: int) -> dict[str, float]:
    out = {}
    for name, (job, _calls) in store_bench.workloads(store, project, repeat).items():  # type: ignore[arg-type]
        out[name] = job()  # the shadow queue carries over, as it would in a running app
        print(f"done: {name}", file=sys.stderr)
    return out


def run(repeat: int, work: Path) -> tuple[list[Row], dict[str, object]]:
    master = work / "master" / "pm"
    project = store_bench.make_tree(master)
    trees = {}
    for name in ("file", "kv", "dual", "shadow"):
        trees[name] = work / name / "pm"
        shutil.copytree(master, trees[name])
    settings = Settings(
        home=work / "stack",
        gateway_port=store_bench.free_port(),
        engine_port=store_bench.free_port(),
    )
    info = stack.up(settings)
    results: dict[str, dict[str, float]] = {}
    health_seen: dict[str, object] = {}
    try:
        files = FileStore(trees["file"], lock_path=work / "file.lock")
        results["file"] = _measure(files, project, repeat)
        kv = KVStore(info.rest_url, info.token)
        kv.client.flushall()
        kv.write_people(files.read_people())
        kv.import_project(FileStore(trees["kv"], lock_path=work / "kv.lock").load_project(project))
        results["kv"] = _measure(kv, project, repeat)
        for name, compare in (("dual", 0.0), ("shadow", 1.0)):
            kv.client.flushall()
            home = work / f"home-{name}"
            dual = _dual(trees[name], info.rest_url, info.token, home, compare)
            source = FileStore(trees[name], lock_path=work / f"{name}-src.lock")
            dual.write_people(source.read_people())
            dual.import_project(source.load_project(project))  # files hold it: KV gets a copy
            results[name] = _measure(dual, project, repeat)
            dual.close()
            health_seen[name] = health(home).as_dict()
        kv.close()
    finally:
        stack.down(settings)
    rows = [
        Row(op, results["file"][op], results["kv"][op], results["dual"][op], results["shadow"][op])
        for op in results["file"]
    ]
    return rows, health_seen


def table(rows: list[Row]) -> str:
    head = (
        f"{'operation':<42} | {'file ms':>8} | {'KV ms':>8} | {'dual ms':>8} |"
        f" {'dual/file':>9} | {'dual/KV':>7} | {'+compare ms':>11} | {'compare cost':>12}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.operation:<42} | {r.file_ms:>8.2f} | {r.kv_ms:>8.2f} | {r.dual_ms:>8.2f} |"
            f" {r.dual_ms / r.file_ms:>8.2f}x | {r.dual_ms / r.kv_ms:>6.2f}x |"
            f" {r.shadow_ms:>11.2f} | {100 * (r.shadow_ms / r.dual_ms - 1):>+11.1f}%"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pmkv-bench-dual-"))
    try:
        rows, seen = run(args.repeat, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "health": seen}, indent=2))
    else:
        print(table(rows))
        for name, found in seen.items():
            counters = found["counters"] if isinstance(found, dict) else {}
            print(f"health after the {name} run: {counters}")
            for line in found.get("last_mismatches", []) if isinstance(found, dict) else []:
                print(f"  mismatch: {json.dumps(line)[:300]}")


if __name__ == "__main__":
    main()
