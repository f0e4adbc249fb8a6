"""Benchmark: the KV store (upstash-redis -> pmkv gateway -> valkey) against the file store.

Generates one project of 15 epics and 500 stories (``pmkv.generate``, seed 1; or a
built-in synthetic tree when the generator is not installed), loads the same records
into a fresh engine behind the real gateway (``pmkv.engine.stack.up`` in a temporary
home, free ports), then times the same operations through both stores:

* load the whole project (``load_project``), median of ``--repeat`` runs: again (the KV
  store remembers the lists it read and checks them in one round trip) and first time
  (the KV store's remembered lists forgotten before each run: three round trips);
* list the active stories of every epic, median;
* create 100 stories (spread over the epics), total;
* update 100 stories (``write_story`` of a changed record), total;
* search the project (text + status filter), median;
* analytics of the project, median;

and, per story on the same 500 stories: ``to_js_json`` vs ``json.dumps``, ``parse_json``
vs ``json.loads``, ``validate_story`` (and what that makes for 100,000 stories).

Each row runs ``--rounds`` times (file and KV alternating who goes first) and keeps each
store's best round: the machine is shared, and noise only ever adds time.

Prints one table with the KV/file ratio (or ``--json``) and stops everything on exit.
Usage: ``python benchmarks/store.py [--repeat 15] [--rounds 3] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _support import elapsed_ms, local_stack, ruled, scratch

from pmkv.store.base import BaseStore
from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.files import FileStore
from pmkv.store.interface import StoryQuery
from pmkv.store.kv import KVStore
from pmkv.store.records import validate_story

EPICS, STORIES, OPS = 15, 500, 100


@dataclass
class Row:
    operation: str
    file_ms: float
    kv_ms: float
    kv_round_trips: int  # HTTP requests per run of the operation

    @property
    def ratio(self) -> float:
        return self.kv_ms / self.file_ms


def make_tree(root: Path) -> str:
    """Write the project under ``root``; returns the project name."""
    try:
        from pmkv.generate.tree import generate_tree
    except ImportError:
        generate_tree = None
    if generate_tree is not None:
        generate_tree(root, projects=1, epics=EPICS, stories=STORIES, seed=1)
        return next(p.name for p in root.iterdir() if (p / "project.json").is_file())
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.store.support import synthetic_project

    root.mkdir(parents=True)
    FileStore(root, lock_path=root.parent / "gen.lock").import_project(
        synthetic_project("bench", EPICS, STORIES)
    )
    return "bench"


class TripCounter:
    """Counts the HTTP requests the official client sends (an httpx event hook)."""

    def __init__(self, store: KVStore) -> None:
        self.count = 0
        store.client._http._client.event_hooks["request"].append(self._seen)

    def _seen(self, _request: Any) -> None:
        self.count += 1


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up (imports, connections, page cache)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


Job = tuple[Callable[[], float], int]  # (run it -> ms, how many times it calls the store)


def workloads(store: BaseStore, project: str, repeat: int) -> dict[str, Job]:
    epics = store.list_epics(project)
    query = StoryQuery(text="patient", status=frozenset({"todo", "in_progress"}))
    targets = store.load_project(project).iter_stories()[:OPS]

    def list_active() -> None:
        for epic in epics:
            store.list_active_story_ids(project, epic)

    def create() -> None:
        for i in range(OPS):
            store.create_story(project, epics[i % len(epics)], new_story(i))

    def update() -> None:
        for epic, record in targets:
            store.write_story(project, epic, str(record["id"]), {**record, "status": "done"})

    def median(fn: Callable[[], object]) -> Job:
        return (lambda: median_ms(fn, repeat), repeat + 1)

    def load_cold() -> None:
        # The KV store remembers the lists it has read (load_project then checks them in
        # one round trip); forgetting them first times the first load of a project.
        if isinstance(store, KVStore):
            store.list_texts.clear()
        store.load_project(project)

    return {
        f"load whole project ({len(epics)} epics, {STORIES} stories)": median(
            lambda: store.load_project(project)
        ),
        "load whole project, first time (cold)": median(load_cold),
        "list active stories of every epic": median(list_active),
        f"create {OPS} stories (total)": (lambda: elapsed_ms(create), 1),
        f"update {OPS} stories (total)": (lambda: elapsed_ms(update), 1),
        "search the project": median(lambda: store.search_stories(project, query)),
        "analytics": median(lambda: store.analytics(project)),
    }


def new_story(i: int) -> dict[str, Any]:
    return {
        "title": f"Benchmark story {i}",
        "summary": "created by benchmarks/store.py",
        "description": "A moderately long description. " * 20,
        "status": "todo",
        "priority": "medium",
        "manager": "unassigned",
        "createdAt": "2025-06-01T00:00:00.000Z",
        "tags": ["bench"],
        "estimate": {"storyPoints": 3},
    }


def run(repeat: int, rounds: int, work: Path) -> tuple[list[Row], dict[str, float]]:
    tree = work / "pm"
    project = make_tree(tree)
    files = FileStore(tree, lock_path=work / "pm.lock")
    with local_stack(work) as info:
        kv = KVStore(info.rest_url, info.token)
        kv.client.flushall()
        kv.write_people(files.read_people())
        kv.import_project(files.load_project(project))
        trips = TripCounter(kv)
        file_jobs = workloads(files, project, repeat)
        kv_jobs = workloads(kv, project, repeat)
        rows = []
        for name, (file_job, _calls) in file_jobs.items():
            kv_job, calls = kv_jobs[name]
            file_runs, kv_runs = [], []
            for round_no in range(rounds):
                # Alternate who goes first; keep each store's best round (other
                # processes share these 2 cores, noise only ever adds time).
                if round_no % 2:
                    file_runs.append(file_job())
                before = trips.count
                kv_runs.append(kv_job())
                kv_trips = (trips.count - before) // calls
                if not round_no % 2:
                    file_runs.append(file_job())
            rows.append(Row(name, min(file_runs), min(kv_runs), kv_trips))
            print(f"done: {name}", file=sys.stderr)
        kv.close()
        return rows, codec_numbers(files, project)


def codec_numbers(files: FileStore, project: str) -> dict[str, float]:
    """Per-story costs of the codec and the record rules, on the same 500 stories."""
    stories = [s for _, s in files.load_project(project).iter_stories(include_deleted=True)]
    texts = [to_js_json(s) for s in stories]
    rounds = max(1, 100_000 // len(stories))

    def per_story_us(fn: Callable[[dict[str, Any]], object], items: list[Any]) -> float:
        started = time.perf_counter()
        for _ in range(rounds):
            for item in items:
                fn(item)
        return (time.perf_counter() - started) / (rounds * len(items)) * 1e6

    compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return {
        "to_js_json us/story": per_story_us(to_js_json, stories),
        "json.dumps (compact) us/story": per_story_us(compact, stories),
        "parse_json us/story": per_story_us(parse_json, texts),
        "json.loads us/story": per_story_us(json.loads, texts),
        "validate_story us/story": per_story_us(lambda s: validate_story(s, "x"), stories),
        "validate 100,000 stories s": per_story_us(lambda s: validate_story(s, "x"), stories) / 10,
    }


def table(rows: list[Row]) -> str:
    head = f"{'operation':<42} | {'file ms':>9} | {'KV ms':>9} | {'KV/file':>7} | {'KV trips':>8}"
    lines = []
    for r in rows:
        lines.append(
            f"{r.operation:<42} | {r.file_ms:>9.2f} | {r.kv_ms:>9.2f} | {r.ratio:>6.2f}x |"
            f" {r.kv_round_trips:>8}"
        )
    return ruled(head, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with scratch("store") as work:
        rows, codec = run(args.repeat, args.rounds, work)
    load = os.getloadavg()
    if args.json:
        out = {
            "load_average": load,
            "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
            "codec": codec,
        }
        print(json.dumps(out, indent=2))
    else:
        print(table(rows))
        print()
        for name, value in codec.items():
            print(f"{name:<32} {value:>8.2f}")
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
