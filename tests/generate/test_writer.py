from __future__ import annotations

import random
from pathlib import Path

import pytest

from pmkv.generate.errors import WriteFailedError
from pmkv.generate.people import make_people
from pmkv.generate.plan import EpicPlan, plan_tree
from pmkv.generate.text import TextPools
from pmkv.generate.writer import EpicOutcome, write_epics


def _jobs(root: Path, epics: int) -> tuple[list[tuple[EpicPlan, Path]], TextPools]:
    rng = random.Random(2)
    pools = TextPools.build(rng)
    plans = plan_tree(rng, make_people(rng, 8), 1, epics, 40)
    return [(e, root / e.name) for e in plans[0].epics], pools


@pytest.mark.parametrize("workers", [1, 2])
def test_outcomes_come_back_in_plan_order(tmp_path: Path, workers: int) -> None:
    jobs, pools = _jobs(tmp_path, 4)
    seen: list[EpicOutcome] = []
    outcomes = write_epics(jobs, pools, workers=workers, on_done=seen.append)
    assert outcomes == seen
    assert sum(o.stories for o in outcomes) == 40
    for (_plan, epic_dir), outcome in zip(jobs, outcomes, strict=True):
        assert len(list(epic_dir.iterdir())) == outcome.files


@pytest.mark.parametrize("workers", [1, 2])
def test_a_write_failure_names_the_path_in_any_process(tmp_path: Path, workers: int) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("in the way")
    jobs, pools = _jobs(blocker, 2)
    with pytest.raises(WriteFailedError, match="not-a-folder") as info:
        write_epics(jobs, pools, workers=workers, on_done=lambda _o: None)
    assert info.value.hint
