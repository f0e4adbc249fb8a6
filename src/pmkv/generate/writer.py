"""Build and write epics, in this process or in a few worker processes.

Each epic depends only on its own seed and the run's text pools, so epics can be built
in any process and in any order and the bytes stay the same; results come back in plan
order, so totals and progress are deterministic too.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pmkv.generate.errors import WriteFailedError
from pmkv.generate.jsonfile import encode, make_dir, write_new
from pmkv.generate.plan import EpicPlan
from pmkv.generate.records import build_epic
from pmkv.generate.text import TextPools

# Below this many stories, starting processes costs more than it saves.
PARALLEL_MIN_STORIES = 20_000


@dataclass(frozen=True)
class EpicOutcome:
    stories: int
    deleted: int
    archived: int
    files: int
    bytes_written: int
    updated: datetime


def write_epic(plan: EpicPlan, pools: TextPools, epic_dir: Path) -> EpicOutcome:
    """Write the epic's story files and its epic.json into ``epic_dir``."""
    make_dir(epic_dir)
    built = build_epic(plan, pools)
    written = 0
    for story_id, record in built.stories:
        data = encode(record)
        write_new(epic_dir / f"{story_id}.json", data)
        written += len(data)
    data = encode(built.epic)
    write_new(epic_dir / "epic.json", data)
    return EpicOutcome(
        stories=len(built.stories),
        deleted=built.deleted,
        archived=built.archived,
        files=len(built.stories) + 1,
        bytes_written=written + len(data),
        updated=built.updated,
    )


def default_workers(stories: int) -> int:
    if stories < PARALLEL_MIN_STORIES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


# Set once per worker process by _init_worker (fork inherits it; spawn pickles it once).
_worker_pools: TextPools | None = None


def _init_worker(pools: TextPools) -> None:
    global _worker_pools
    _worker_pools = pools


def _work(job: tuple[EpicPlan, Path]) -> EpicOutcome | tuple[str, str | None]:
    assert _worker_pools is not None
    try:
        return write_epic(job[0], _worker_pools, job[1])
    except WriteFailedError as exc:  # keyword-only ``hint`` does not survive pickling
        return (exc.message, exc.hint)


def write_epics(
    jobs: list[tuple[EpicPlan, Path]],
    pools: TextPools,
    *,
    workers: int,
    on_done: Callable[[EpicOutcome], None],
) -> list[EpicOutcome]:
    """Write every epic; ``on_done`` is called in plan order as each one is finished."""
    outcomes: list[EpicOutcome] = []
    if workers <= 1:
        for plan, epic_dir in jobs:
            outcomes.append(write_epic(plan, pools, epic_dir))
            on_done(outcomes[-1])
        return outcomes
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(pools,),
    ) as executor:
        for result in executor.map(_work, jobs, chunksize=1):
            if not isinstance(result, EpicOutcome):
                raise WriteFailedError(result[0], hint=result[1])
            outcomes.append(result)
            on_done(result)
    return outcomes
