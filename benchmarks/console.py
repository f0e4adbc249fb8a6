"""Benchmark: server time of the console's pages on the file store and on KV.

Generates one project with ONE epic of 500 stories (``pmkv.generate``, seed 1), starts
the local stack (``pmkv.engine.stack.up``: valkey + the pmkv gateway, temporary home,
free ports), migrates the tree into it with the migration library, then renders each
page in-process through Starlette's TestClient (full ASGI path: middleware, routing,
store calls, templates; no browser, no socket) ``--repeat`` times per store after two
warm-up requests. Prints median / p95 per page and store, the KV round trips per page
and the KV/file ratio. Target (issue 7): epic page and analytics under 200 ms on KV.

Usage: ``python benchmarks/console.py [--repeat 40] [--json]``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from _support import local_stack, repeat_parser, ruled, scratch
from starlette.testclient import TestClient

from pmkv.console.app import create_app
from pmkv.generate.tree import generate_tree
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.settings import Settings
from pmkv.store.files import FileStore
from pmkv.store.kv import KVStore

STORIES = 500
TARGET_MS = 200.0


@dataclass
class Row:
    page: str
    file_median: float
    file_p95: float
    kv_median: float
    kv_p95: float
    kv_trips: int

    @property
    def ratio(self) -> float:
        return self.kv_median / self.file_median


def count_requests(port: int) -> list[int]:
    """Count HTTP requests to the gateway from any httpx client (the KV store keeps one
    official client per thread, and the TestClient serves from its own thread)."""
    trips = [0]
    send = httpx.Client.send

    def counting(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.url.port == port:
            trips[0] += 1
        return send(self, request, **kwargs)

    httpx.Client.send = counting  # type: ignore[method-assign]
    return trips


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(client: TestClient, url: str, repeat: int) -> list[float]:
    for _ in range(2):  # warm up: templates compile, connections open
        assert client.get(url).status_code == 200, url
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return out


def pages(project: str, epic: str) -> dict[str, str]:
    base = f"/p/{project}/e/{epic}"
    return {
        f"epic page, {STORIES} stories (first 50 rows)": base,
        f"epic page, all {STORIES} rows": f"{base}?per={STORIES}",
        "epic page, search + filters + sort": f"{base}?q=patient&status=todo&status=in_progress"
        "&priority=high&priority=critical&sort=points&dir=desc",
        "analytics": f"/p/{project}/analytics",
        "projects": "/",
    }


def run(repeat: int, work: Path) -> list[Row]:
    tree = work / "pm"
    generate_tree(tree, projects=1, epics=1, stories=STORIES, seed=1)
    project = next(p.name for p in tree.iterdir() if (p / "project.json").is_file())
    epic = next(e.name for e in (tree / project).iterdir() if (e / "epic.json").is_file())
    with local_stack(work) as info:
        with KvStore(info.rest_url, info.token) as kv:
            kv.pipeline([["FLUSHALL"]], "emptying the benchmark engine")
            migrate(kv, MigrateOptions(pm_dir=tree, home=work / "home", backup=False))
        files = FileStore(tree, lock_path=work / "pm.lock")
        kv_store = KVStore(info.rest_url, info.token)
        trips = count_requests(info.gateway_port)
        base = Settings(pm_dir=tree, home=work / "home")
        # ``with``: one event-loop thread for the whole run, as under uvicorn (without it
        # every request gets a new thread, so a new per-thread KV client and connection)
        with (
            TestClient(create_app(base, files)) as file_client,
            TestClient(create_app(base, kv_store)) as kv_client,
        ):
            rows = measure(file_client, kv_client, pages(project, epic), repeat, trips)
        kv_store.close()
        return rows


def measure(
    file_client: TestClient,
    kv_client: TestClient,
    urls: dict[str, str],
    repeat: int,
    trips: list[int],
) -> list[Row]:
    rows = []
    for name, url in urls.items():
        file_ms = timed(file_client, url, repeat)
        before = trips[0]
        kv_ms = timed(kv_client, url, repeat)
        per_page = (trips[0] - before) // (repeat + 2)
        rows.append(
            Row(
                name,
                statistics.median(file_ms),
                p95(file_ms),
                statistics.median(kv_ms),
                p95(kv_ms),
                per_page,
            )
        )
        print(f"done: {name}", file=sys.stderr)
    return rows


def table(rows: list[Row]) -> str:
    head = (
        f"{'page':<40} | {'file med':>8} | {'file p95':>8} | {'KV med':>8} | {'KV p95':>8}"
        f" | {'KV/file':>7} | {'KV trips':>8}"
    )
    lines = []
    for r in rows:
        lines.append(
            f"{r.page:<40} | {r.file_median:>8.1f} | {r.file_p95:>8.1f} | {r.kv_median:>8.1f}"
            f" | {r.kv_p95:>8.1f} | {r.ratio:>6.2f}x | {r.kv_trips:>8}"
        )
    worst = max(r.kv_p95 for r in rows)
    verdict = "met" if worst < TARGET_MS else "MISSED"
    lines.append(f"(ms; target < {TARGET_MS:.0f} ms on KV: {verdict}, worst KV p95 {worst:.1f} ms)")
    return ruled(head, lines)


def main() -> None:
    args = repeat_parser(__doc__, 40).parse_args()
    with scratch("console") as work:
        rows = run(args.repeat, work)
    if args.json:
        out: list[dict[str, Any]] = [asdict(r) | {"ratio": r.ratio} for r in rows]
        print(json.dumps(out, indent=2))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
