"""Benchmark: ``pmkv.generate.generate_tree`` against the 60 s budget.

For each size (default 10,000 and 100,000 stories, seed 1, epics chosen automatically)
it times ``generate_tree`` into a new folder, then, for context, the floor of merely
reading every generated ``.json`` file and ``json.loads``-ing it (warm page cache).
Prints one table and removes the trees on exit.

Trees are only deleted at the end: on ext4, creating files right after deleting ~100,000
makes the inode allocator skip "recently deleted" inodes, which slowed creates ~10x here.
Pass ``--dir`` to choose where the trees go.
Usage: ``python benchmarks/generate.py [--sizes 10000,100000] [--dir /var/tmp] [--workers N]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _support import read_json_tree, scratch

from pmkv.generate import generate_tree

BUDGET_S = 60.0


@dataclass
class Row:
    case: str
    stories: int
    files: int
    megabytes: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.stories / self.seconds if self.seconds else float("inf")


def read_all(tree: Path) -> tuple[float, int]:
    """Seconds to read and ``json.loads`` every .json file under ``tree``."""
    started = time.perf_counter()
    count = read_json_tree(tree)
    return time.perf_counter() - started, count


def run(sizes: list[int], base: Path, workers: int | None) -> list[Row]:
    rows: list[Row] = []
    case = "generate_tree" + ("" if workers is None else f" ({workers} proc)")
    with scratch("generate", base) as work:
        for stories in sizes:
            out = work / f"pm-{stories}"
            result = generate_tree(out, stories=stories, seed=1, workers=workers)
            megabytes = result.bytes_written / 1e6
            rows.append(Row(case, stories, result.files, megabytes, result.elapsed_s))
            seconds, files = read_all(result.out)
            rows.append(Row("floor: read + json.loads", stories, files, megabytes, seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--workers", type=int, default=None, help="default: generate_tree's")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()[0]
    rows = run(sizes, args.dir, args.workers)
    print(
        f"pmkv generate, {os.cpu_count()} cores, trees under {args.dir}, "
        f"load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after"
    )
    header = f"{'case':<26}{'stories':>9}{'files':>9}{'MB':>8}{'seconds':>9}{'stories/s':>11}"
    print(header + f"  {'vs 60 s budget':>15}")
    for row in rows:
        budget = (
            f"{row.seconds / BUDGET_S:>14.0%}" if row.case.startswith("generate") else f"{'':>14}"
        )
        print(
            f"{row.case:<26}{row.stories:>9,}{row.files:>9,}{row.megabytes:>8.1f}"
            f"{row.seconds:>9.2f}{row.per_second:>11,.0f}  {budget}"
        )


if __name__ == "__main__":
    main()
