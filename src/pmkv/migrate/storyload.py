"""Reading story files: read, parse, validate, serialize -- in worker processes when many.

Stories are ~all of a tree, and each costs a parse, a validation and a serialization
(pure CPU), so large trees are cut into chunks that a process pool handles in parallel;
workers return only the text to store (never the parsed value) to keep pickling cheap.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from pmkv.migrate.jsjson import js_json
from pmkv.store import records
from pmkv.store.codec import parse_json
from pmkv.store.errors import InvalidJSONError

Progress = Callable[[str, int, int], None]
# Below this many story files a pool costs more (fork + pickling) than it saves.
PARALLEL_MIN = 2000
CHUNK = 500


@dataclass(frozen=True)
class StoryJob:
    path: str  # absolute
    rel: str  # relative to pm/
    key: str
    sid: str  # the story key: the file name without .json
    project: str
    epic: str


@dataclass(frozen=True)
class Problem:
    code: str
    reason: str
    hint: str
    field: str | None = None


@dataclass
class StoryOutcome:
    text: str | None  # None: not migrated (see problems)
    problems: list[Problem] = field(default_factory=list)


def load_story(job: StoryJob) -> StoryOutcome:
    try:
        with open(job.path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return StoryOutcome(None, [Problem("unreadable", str(exc), "check permissions")])
    try:
        value = parse_json(data, source=job.rel)
    except InvalidJSONError as exc:
        return StoryOutcome(None, [Problem("invalid-json", exc.message, exc.hint or "")])
    found = [
        Problem(
            "invalid-record",
            f"story fails the app's rules: {p.reason}",
            f"fix `{p.field or '/'}` in the file; the app's reader rejects this record",
            p.field or "/",
        )
        for p in records.validate_story(value, job.rel)
    ]
    if found:
        return StoryOutcome(None, found)
    if not (isinstance(value, dict) and value.get("id") == job.sid):
        return StoryOutcome(
            None,
            [
                Problem(
                    "id-mismatch",
                    f"the story's id differs from its file name {job.sid!r}",
                    "rename the file to <id>.json or fix `id`; it is not migrated",
                    "id",
                )
            ],
        )
    return StoryOutcome(js_json(value))


def _load_chunk(jobs: list[StoryJob]) -> list[StoryOutcome]:
    return [load_story(job) for job in jobs]


def _workers() -> int:
    return min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def load_all(jobs: list[StoryJob], progress: Progress | None = None) -> list[StoryOutcome]:
    """Outcomes in the order of ``jobs``."""
    workers = _workers()
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    out: list[StoryOutcome] = []
    if len(jobs) < PARALLEL_MIN or workers < 2:
        for chunk in chunks:
            out.extend(_load_chunk(chunk))
            if progress:
                progress("discover", len(out), len(jobs))
        return out
    # fork: workers start instantly and inherit the imported modules (Linux); elsewhere
    # the platform default (spawn) is the safe choice
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for outcomes in pool.map(_load_chunk, chunks):
            out.extend(outcomes)
            if progress:
                progress("discover", len(out), len(jobs))
    return out
