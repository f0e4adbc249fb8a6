"""Benchmark: ``pmkv migrate`` (+ its verify) against the floor of reading the same files.

For each size (default 500, 10,000 and 100,000 stories) it generates a tree with
``pmkv.generate`` (deterministic, seed 1), then measures on the same warm page cache:

* the floor: walk the tree, read every ``.json`` file and ``json.loads`` it (best of 2);
* ours: the library's ``migrate`` into a freshly flushed store -- discover, plan (read
  the KV + ledger), journalled pipelined writes through ``upstash-redis`` and the
  gateway, and the full two-way verify -- without the backup (reported separately,
  since ``pmkv migrate`` takes one first unless ``--no-backup``).

It starts its own engine + gateway (``pmkv.engine.stack.up`` in a temporary home, free
ports), prints one table (or ``--json``) and stops everything on exit.
Usage: ``python benchmarks/migrate.py [--sizes 500,10000,100000] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pmkv.engine import stack
from pmkv.generate.tree import generate_tree
from pmkv.migrate.backup import create_backup
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.settings import Settings


@dataclass
class Row:
    stories: int
    files: int
    floor_s: float
    migrate_s: float
    backup_s: float
    write_s: float
    verify_s: float
    keys_written: int

    @property
    def ratio(self) -> float:
        return self.migrate_s / self.floor_s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def floor(tree: Path) -> tuple[float, int]:
    """Best of two: read and parse every JSON file of the tree."""
    best, files = float("inf"), 0
    for _ in range(2):
        started = time.perf_counter()
        files = 0
        for folder, _dirs, names in os.walk(tree):
            for name in names:
                if name.endswith(".json"):
                    with open(os.path.join(folder, name), "rb") as handle:
                        json.loads(handle.read())
                    files += 1
        best = min(best, time.perf_counter() - started)
    return best, files


def measure(size: int, work: Path, store: KvStore) -> Row:
    tree = work / f"pm-{size}"
    if not tree.is_dir():
        generate_tree(tree, projects=max(1, size // 20_000), stories=size, seed=1)
    floor_s, files = floor(tree)
    store.pipeline([["FLUSHALL"]], "flushing before a run")
    home = work / f"home-{size}"
    started = time.perf_counter()
    result = migrate(store, MigrateOptions(tree, home, backup=False))
    took = time.perf_counter() - started
    if result.verify is None or not result.verify.ok or result.exit_code != 0:
        raise SystemExit(f"migration of {size} stories did not verify: {result.as_dict()}")
    started = time.perf_counter()
    create_backup(tree, home)
    backup_s = time.perf_counter() - started
    return Row(
        size,
        files,
        floor_s,
        took,
        backup_s,
        result.timings["write"],
        result.timings.get("verify", 0.0),
        result.write.written,
    )


def table(rows: list[Row]) -> str:
    head = (
        f"{'stories':>8} | {'floor s':>8} | {'floor st/s':>10} | {'migrate+verify s':>16} |"
        f" {'ours st/s':>9} | {'ratio':>5} | {'(write s':>8} | {'verify s)':>9} |"
        f" {'backup s':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.stories:>8,} | {r.floor_s:>8.2f} | {r.stories / r.floor_s:>10,.0f} |"
            f" {r.migrate_s:>16.2f} | {r.stories / r.migrate_s:>9,.0f} | {r.ratio:>4.1f}x |"
            f" {r.write_s:>8.2f} | {r.verify_s:>9.2f} | {r.backup_s:>8.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,10000,100000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="pmkv-bench-migrate-"))
    settings = Settings(home=work / "stack", gateway_port=free_port(), engine_port=free_port())
    rows: list[Row] = []
    try:
        info = stack.up(settings)
        with KvStore(info.rest_url, info.token) as store:
            for size in sizes:
                rows.append(measure(size, work, store))
                print(f"done: {size:,} stories", file=sys.stderr)
    finally:
        stack.down(settings)
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps([asdict(r) | {"ratio": r.ratio} for r in rows], indent=2))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
