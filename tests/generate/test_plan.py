from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmkv.generate.errors import InvalidCountsError
from pmkv.generate.people import make_people
from pmkv.generate.plan import (
    MAX_PER_TYPE,
    _allocate,
    acronym_for,
    auto_epics,
    check_counts,
    plan_tree,
)

ACRONYM = re.compile(r"^[A-Z]{2,6}$")
names = st.from_regex(r"[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,9}){0,3}", fullmatch=True)


@given(st.lists(names, min_size=1, max_size=60))
def test_acronyms_are_2_to_6_letters_and_unique(folder_names: list[str]) -> None:
    taken: set[str] = set()
    for name in folder_names:
        acronym = acronym_for(name, taken)
        assert ACRONYM.match(acronym), acronym
        assert acronym not in taken
        taken.add(acronym)


def test_acronym_prefers_initials() -> None:
    assert acronym_for("revenue-cycle-management", set()) == "RCM"
    assert acronym_for("revenue-cycle-management", {"RCM"}) != "RCM"


@given(
    st.integers(0, 20_000),
    st.lists(st.integers(1, 1500), min_size=1, max_size=40),
    st.integers(0, 2**32),
)
def test_allocate_fills_exactly_and_respects_caps(total: int, caps: list[int], seed: int) -> None:
    total = min(total, sum(caps))
    counts = _allocate(random.Random(seed), total, caps)
    assert sum(counts) == total
    assert all(0 <= c <= cap for c, cap in zip(counts, caps, strict=True))
    if total >= len(caps):
        assert min(counts) >= 1


def test_allocation_is_uneven() -> None:
    counts = _allocate(random.Random(5), 3000, [1200] * 15)
    assert max(counts) > 3 * min(counts)


def test_auto_epics() -> None:
    assert auto_epics(500, 1) == 15
    assert auto_epics(100_000, 1) == 334
    assert auto_epics(3, 1) == 1


def test_plan_keeps_ids_within_three_digits() -> None:
    rng = random.Random(1)
    people = make_people(rng, 10)
    plans = plan_tree(rng, people, 1, 3, 3 * (MAX_PER_TYPE + 110))
    for epic in plans[0].epics:
        assert epic.functional <= MAX_PER_TYPE
        assert epic.non_functional <= MAX_PER_TYPE


@pytest.mark.parametrize(
    ("projects", "epics", "stories", "message"),
    [
        (0, 1, 1, "--projects 0"),
        (1, 0, 1, "--epics 0"),
        (1, 1, -1, "--stories -1"),
        (1, 10, 60_000, "do not fit"),
    ],
)
def test_impossible_counts_are_refused(
    projects: int, epics: int, stories: int, message: str
) -> None:
    with pytest.raises(InvalidCountsError, match=message) as info:
        check_counts(projects, epics, stories)
    assert info.value.hint


def test_people_have_unique_ids_and_emails() -> None:
    people = make_people(random.Random(3), 250)
    assert len({p["id"] for p in people}) == 250
    assert len({p["email"] for p in people}) == 250
