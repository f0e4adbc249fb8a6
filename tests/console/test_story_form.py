"""The story edit form: record -> form fields -> record is the identity (no field added,
none dropped) for what the form can express; changes land where they should."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData

from pmkv.console.pages.story import apply_form, form_values

words = st.text(alphabet="abcXYZ 09-_ü", min_size=1, max_size=12).map(str.strip).filter(bool)
dates = st.none() | st.dates().map(lambda d: d.isoformat())
stories = st.fixed_dictionaries(
    {"id": st.just("F-ABC-001"), "title": words, "createdAt": st.just("2025-01-01T00:00:00Z")},
    optional={
        "summary": words,
        "description": st.text(max_size=40),
        "status": st.sampled_from(["todo", "in_progress", "blocked", "done"]),
        "priority": st.sampled_from(["low", "medium", "high", "critical"]),
        "manager": words,
        "tags": st.lists(words.filter(lambda w: "," not in w), max_size=3),
        "acceptanceCriteria": st.lists(words, max_size=3),
        "estimate": st.fixed_dictionaries({"storyPoints": st.integers(0, 40)}),
        "plannedDueDate": dates,
        "custom": st.dictionaries(words, st.integers(), max_size=2),
    },
)


def _submit(story: dict[str, object]) -> dict[str, object]:
    return apply_form(story, FormData(list(form_values(story).items())))


@given(stories)
def test_an_unchanged_form_gives_back_the_same_record(story: dict[str, object]) -> None:
    assert _submit(story) == story


def test_every_fixture_story_round_trips(fixture_pm: Path) -> None:
    checked = 0
    for path in fixture_pm.glob("*/*/*-*.json"):
        story = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(story, dict) and "title" in story:
            assert _submit(story) == story, path
            checked += 1
    assert checked >= 40


def test_changes_land_in_the_record() -> None:
    story = {"id": "F-ABC-001", "title": "t", "estimate": {"storyPoints": 1, "confidence": "low"}}
    form = FormData(
        [
            *form_values(story).items(),
            ("title", "new"),
            ("storyPoints", "8"),
            ("tags", " a, b ,,"),
            ("dueDate", "2026-02-01"),
        ]
    )
    out = apply_form(story, form)
    assert out["title"] == "new"
    assert out["estimate"] == {"storyPoints": 8, "confidence": "low"}
    assert out["tags"] == ["a", "b"]
    assert out["dueDate"] == "2026-02-01"
    assert "plannedDueDate" not in out


def test_unparsable_points_are_passed_on_for_the_rules_to_judge() -> None:
    out = apply_form({"id": "F-ABC-001"}, FormData([("storyPoints", "many")]))
    assert out["estimate"] == {"storyPoints": "many"}
