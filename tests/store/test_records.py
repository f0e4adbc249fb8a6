"""The app's record rules (§2) on the real fixture and on broken records."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.records import (
    STORY_ID_RE,
    is_current_story_id,
    is_story_file,
    story_files,
    story_key,
    validate_epic,
    validate_people,
    validate_project,
    validate_story,
)


def _load(path: Path) -> Any:
    return parse_json(path.read_bytes(), str(path))


def test_the_real_fixture_is_valid(fixture_pm: Path) -> None:
    assert validate_people(_load(fixture_pm / "people.json")) == []
    project = fixture_pm / "healthcare-platform"
    assert validate_project(_load(project / "project.json"), "healthcare-platform") == []
    stories = 0
    for epic_dir in sorted(p for p in project.iterdir() if p.is_dir()):
        assert validate_epic(_load(epic_dir / "epic.json"), epic_dir.name) == []
        for f in sorted(epic_dir.iterdir()):
            if is_story_file(f.name):
                stories += 1
                assert validate_story(_load(f), f.name, expected_id=story_key(f.name)) == []
    assert stories == 49  # the spec says 48; the tree has 49 story files (57 files in all)


@pytest.fixture
def story(fixture_pm: Path) -> dict[str, Any]:
    path = fixture_pm / "healthcare-platform" / "test-epic" / "F-TESEPI-001.json"
    value = _load(path)
    assert isinstance(value, dict)
    return value


def test_validation_never_changes_the_record(story: dict[str, Any]) -> None:
    story["unknownField"] = {"z": 1, "a": [1.5]}
    before = to_js_json(story)
    snapshot = copy.deepcopy(story)
    assert validate_story(story, "p/e/F-TESEPI-001") == []
    assert story == snapshot
    assert to_js_json(story) == before


def test_problems_name_record_field_and_reason(story: dict[str, Any]) -> None:
    story.update(
        id="STORY-123",
        status="doing",
        tags=["ok", 7],
        estimate={"storyPoints": -1, "confidence": "sure"},
        files=[{"path": "", "role": "primary"}],
        dueDate="next week",
    )
    del story["createdAt"]
    problems = validate_story(story, "p/e/STORY-123", expected_id="STORY-123")
    fields = {p.field for p in problems}
    assert fields == {
        "/id",
        "/status",
        "/tags/1",
        "/estimate/storyPoints",
        "/estimate/confidence",
        "/files/0/path",
        "/createdAt",
        "/dueDate",
    }
    assert all(p.kind == "story" and p.ref == "p/e/STORY-123" for p in problems)
    assert "is required" in next(str(p) for p in problems if p.field == "/createdAt")
    assert str(problems[0]).startswith("story p/e/STORY-123: /id:")


def test_strict_types_no_coercion(story: dict[str, Any]) -> None:
    story["estimate"] = {"storyPoints": "5"}
    story["deleted"] = 0
    fields = {p.field for p in validate_story(story, "x")}
    assert fields == {"/estimate/storyPoints", "/deleted"}


def test_id_that_differs_from_its_key(story: dict[str, Any]) -> None:
    problems = validate_story(story, "p/e/F-TESEPI-009", expected_id="F-TESEPI-009")
    assert [p.field for p in problems] == ["/id"]
    assert "differs from its key" in problems[0].reason


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ([], ""),
        ({"title": "", "summary": "s", "createdAt": "2025-01-01T00:00:00Z"}, "/title"),
    ],
)
def test_epic_problems(value: object, field: str) -> None:
    assert field in {p.field for p in validate_epic(value, "p/e")}


def test_epic_requires_timestamps_and_summary() -> None:
    fields = {p.field for p in validate_epic({"title": "t"}, "p/e")}
    assert fields == {"/summary", "/createdAt", "/updatedAt"}


def test_project_and_people_rules() -> None:
    bad = {"name": "", "metadata": {"repoUrl": "not a url", "contributors": "x"}}
    fields = {p.field for p in validate_project(bad, "p")}
    assert fields == {"/name", "/metadata/repoUrl", "/metadata/contributors"}
    people = [{"id": "a", "name": "A", "email": "a@b.co"}, {"id": "", "name": "B", "email": "b"}]
    assert {p.field for p in validate_people(people)} == {"/1/id", "/1/email"}
    assert validate_people({"id": "a"})[0].field == ""


@pytest.mark.parametrize(
    ("name", "is_story"),
    [
        ("F-RCM-001.json", True),
        ("NFR-SCHED-012.json", True),
        ("STORY-123.json", True),
        ("STORY-anything.json", True),
        ("epic.json", False),
        ("notes.txt", False),
        (".DS_Store", False),
        ("F-R-001.json", False),
        ("F-RCM-01.json", False),
        ("f-rcm-001.json", False),
        ("F-RCM-001.json.bak", False),
    ],
)
def test_story_file_rule(name: str, is_story: bool) -> None:
    assert is_story_file(name) is is_story


def test_story_id_rule() -> None:
    assert is_current_story_id("F-RCM-001")
    assert not is_current_story_id("STORY-123")
    assert not is_current_story_id("F-RCM-001\n")
    assert not is_current_story_id("F-RCM-٠٠١")  # Arabic-Indic digits: JS \d is ASCII
    match = STORY_ID_RE.match("NFR-SCHED-012")
    assert match is not None
    assert match.groups() == ("NFR", "SCHED", "012")


def _listing_rule(name: str) -> bool:
    """The app's rule, spelled out: a .json file but epic.json, named by a story id or
    with the old prefix."""
    if not name.endswith(".json") or name == "epic.json":
        return False
    stem = name[:-5]
    return stem.startswith("STORY-") or is_current_story_id(stem)


story_like_names = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A(F|NFR|STORY|f)-[A-Z]{1,7}-[0-9]{2,4}(\.json)?(\.json|\n|\.bak)?\Z"),
    st.builds(lambda s: f"STORY-{s}.json", st.text(max_size=6)),
)


@given(st.lists(story_like_names, max_size=8))
def test_story_files_follow_the_listing_rule(names: list[str]) -> None:
    assert [is_story_file(n) for n in names] == [_listing_rule(n) for n in names]
    assert story_files(names) == [n for n in names if _listing_rule(n)]
