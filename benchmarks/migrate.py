"""Benchmark: ``pmkv migrate`` (+ its verify) against the floor of reading the same files.

For each size (default 500, 10,000 and 100,000 stories) it generates a tree with
``pmkv.generate`` (deterministic, seed 1), then measures on the same warm page cache:

* the floor: walk the tree, read every ``.json`` file and ``json.loads`` it (best of 2);
* ours: the library's ``migrate`` into a freshly flushed store -- discover, plan (read
  the KV + ledger), journalled pipelined writes through ``upstash-redis`` and the
  gateway, and the full two-way verify -- without the backup (reported separately,
  since ``pmkv migrate`` takes one first unless ``--no-backup``).

It starts its own engine + gateway (``pmkv.engine.stack.up`` in a temporary home, free
ports), prints one table (or ``--json``) and stops everything on exit. Besides wall
time it reports CPU seconds per process for the migrate (this process by
``time.process_time``, the story workers -- this process's descendants, the forkserver
included -- the gateway and the engine from ``/proc/<pid>/stat``): on a shared,
loaded machine the wall clock alone cannot tell slow code from a busy CPU. The engine's
column includes its forked AOF rewrites; "all CPU s" adds up every process on the
machine (``/proc/stat``) during the run, anything else running included.
Usage: ``python benchmarks/migrate.py [--sizes 500,10000,100000] [--repeat 3] [--json]``
(``--repeat N``: N runs per size, the floor measured again before each, the run with the
median migrate time kept).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from _support import local_stack, read_json_tree, ruled, scratch

from pmkv.generate.tree import generate_tree
from pmkv.migrate.backup import create_backup
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate


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
    floor_cpu_s: float
    cpu_pmkv_s: float
    cpu_workers_s: float
    cpu_gateway_s: float
    cpu_engine_s: float
    cpu_all_s: float
    load: float

    @property
    def ratio(self) -> float:
        return self.migrate_s / self.floor_s


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and its reaped children (the engine's AOF
    rewrites) have used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def descendants_cpu(exclude: tuple[int, ...]) -> float:
    """CPU seconds of this process's descendants (the story workers and the forkserver
    that starts them, reaped workers included), outside the ``exclude`` subtrees."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    me, total = os.getpid(), 0.0
    for pid in parents:
        ancestor = pid
        while ancestor in parents and ancestor not in exclude and ancestor != me:
            ancestor = parents[ancestor]
        if ancestor == me and pid != me:
            # a live process's own time, plus its reaped children's (cutime): each
            # process is counted once, alive or reaped
            try:
                total += proc_cpu(pid)
            except OSError:
                continue
    return total


def machine_cpu() -> float:
    """CPU seconds every process on the machine has used so far (Linux /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))  # not idle/iowait
    return busy / os.sysconf("SC_CLK_TCK")


def floor(tree: Path) -> tuple[float, int, float]:
    """Best of two: read and parse every JSON file of the tree (wall s, files, CPU s)."""
    best, files, best_cpu = float("inf"), 0, float("inf")
    for _ in range(2):
        cpu = time.process_time()
        started = time.perf_counter()
        files = read_json_tree(tree)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best, files, best_cpu


def measure(size: int, work: Path, store: KvStore, pids: tuple[int, int], repeat: int) -> Row:
    """The run with the median migrate time of ``repeat`` (floor measured before each)."""
    tree = work / f"pm-{size}"
    if not tree.is_dir():
        generate_tree(tree, projects=max(1, size // 20_000), stories=size, seed=1)
    rows = sorted((measure_once(tree, size, work, store, pids) for _ in range(repeat)), key=_time)
    return rows[len(rows) // 2]


def _time(row: Row) -> float:
    return row.migrate_s


def measure_once(tree: Path, size: int, work: Path, store: KvStore, pids: tuple[int, int]) -> Row:
    floor_s, files, floor_cpu = floor(tree)  # also warms the page cache for the run
    store.pipeline([["FLUSHALL"]], "flushing before a run")
    home = work / f"home-{size}"
    shutil.rmtree(home, ignore_errors=True)
    others = [proc_cpu(pid) for pid in pids]
    workers = descendants_cpu(pids)
    everything = machine_cpu()
    cpu = time.process_time()
    started = time.perf_counter()
    result = migrate(store, MigrateOptions(tree, home, backup=False))
    took = time.perf_counter() - started
    cpu = time.process_time() - cpu
    everything = machine_cpu() - everything
    workers = descendants_cpu(pids) - workers
    gateway_cpu, engine_cpu = (proc_cpu(pid) - was for pid, was in zip(pids, others, strict=True))
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
        floor_cpu,
        cpu,
        workers,
        gateway_cpu,
        engine_cpu,
        everything,
        os.getloadavg()[0],
    )


def table(rows: list[Row]) -> str:
    head = (
        f"{'stories':>8} | {'floor s':>8} | {'floor st/s':>10} | {'migrate+verify s':>16} |"
        f" {'ours st/s':>9} | {'ratio':>5} | {'(write s':>8} | {'verify s)':>9} |"
        f" {'backup s':>8} | {'CPU s floor':>11} | {'pmkv':>5} | {'workers':>7} |"
        f" {'gateway':>7} | {'engine':>6} |"
        f" {'all CPU s':>9} | {'load':>4}"
    )
    lines = []
    for r in rows:
        lines.append(
            f"{r.stories:>8,} | {r.floor_s:>8.2f} | {r.stories / r.floor_s:>10,.0f} |"
            f" {r.migrate_s:>16.2f} | {r.stories / r.migrate_s:>9,.0f} | {r.ratio:>4.1f}x |"
            f" {r.write_s:>8.2f} | {r.verify_s:>9.2f} | {r.backup_s:>8.2f} |"
            f" {r.floor_cpu_s:>11.2f} | {r.cpu_pmkv_s:>5.2f} | {r.cpu_workers_s:>7.2f} |"
            f" {r.cpu_gateway_s:>7.2f} |"
            f" {r.cpu_engine_s:>6.2f} | {r.cpu_all_s:>9.2f} | {r.load:>4.1f}"
        )
    return ruled(head, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,10000,100000")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is kept")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[Row] = []
    with (
        scratch("migrate") as work,
        local_stack(work) as info,
        KvStore(info.rest_url, info.token) as store,
    ):
        for size in sizes:
            pids = (info.gateway_pid, info.engine_pid)
            rows.append(measure(size, work, store, pids, max(1, args.repeat)))
            print(f"done: {size:,} stories", file=sys.stderr)
    if args.json:
        print(json.dumps([asdict(r) | {"ratio": r.ratio} for r in rows], indent=2))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
