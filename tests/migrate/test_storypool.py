"""Story files loaded by worker processes give the very inventory of an inline walk."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pmkv.migrate import storypool
from pmkv.migrate.discover import discover
from pmkv.migrate.inventory import Inventory
from pmkv.migrate.storyload import StoryJob, load_story
from pmkv.migrate.storypool import StoryPrefetch, worker_count
from tests.migrate.conftest import write_json


def _inline_and_pooled(tree: Path, projects: list[str] | None = None) -> tuple[Inventory, ...]:
    return discover(tree, projects, workers=0), discover(tree, projects, workers=2)


def test_real_fixture_inventory_is_identical_with_workers(fixture_pm: Path) -> None:
    inline, pooled = _inline_and_pooled(fixture_pm)
    assert pooled == inline
    assert len(list(pooled.records())) == len(list(inline.records())) > 49


def test_adversarial_inventory_is_identical_with_workers(adversarial: Path) -> None:
    inline, pooled = _inline_and_pooled(adversarial)
    assert inline.errors  # the tree does hold every kind of problem
    assert pooled == inline


def test_selected_project_inventory_is_identical_with_workers(fixture_pm: Path) -> None:
    inline, pooled = _inline_and_pooled(fixture_pm, ["healthcare-platform"])
    assert pooled == inline


def test_story_outcomes_cross_the_process_boundary_unchanged(adversarial: Path) -> None:
    epic = adversarial / "healthcare-platform" / "revenue-cycle-management"
    write_json(epic / "F-RCM-901.json", {"id": "F-RCM-777", "title": "wrong id"})
    jobs = [
        StoryJob(str(path), path.name, "", path.stem, "", "")
        for path in sorted(epic.glob("*.json"))
        if path.name != "epic.json"
    ]
    pool = StoryPrefetch(2)
    try:
        pool.submit(str(epic), jobs)
        outcomes = pool.take(str(epic))
        assert pool.take(str(epic)) is None  # taken once; the walk loads anything else
    finally:
        pool.close()
    assert outcomes is not None
    assert [tuple(o) for o in outcomes] == [tuple(load_story(job)) for job in jobs]
    assert any(o[1] for o in outcomes)  # problems came back too


def test_a_dead_worker_makes_the_walk_load_the_epic_itself(fixture_pm: Path) -> None:
    epic = next(p for p in (fixture_pm / "healthcare-platform").iterdir() if p.is_dir())
    jobs = [StoryJob(str(p), p.name, "", p.stem, "", "") for p in sorted(epic.glob("F-*.json"))]
    pool = StoryPrefetch(1)
    try:
        pool.submit(str(epic), jobs)
        pool.take(str(epic))  # the worker is up
        for pid in list(pool._pool._processes):  # type: ignore[union-attr]
            os.kill(pid, signal.SIGKILL)
        pool.submit(str(epic), jobs)
        assert pool.take(str(epic)) is None
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("stories", "asked", "cpus", "expected"),
    [
        (600, None, 8, 0),  # small trees load inline
        (storypool.MIN_STORIES, None, 2, 2),
        (100_000, None, 16, storypool.MAX_WORKERS),
        (100_000, None, 1, 0),  # one core: no pool
        (10, 3, 2, 3),  # asked for: as asked
        (100_000, 0, 8, 0),
    ],
)
def test_worker_count(
    stories: int, asked: int | None, cpus: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert worker_count(stories, asked) == expected
