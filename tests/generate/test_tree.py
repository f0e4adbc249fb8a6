"""The generated tree is realistic and passes the app's rules (pm-data-model.md §2)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from pmkv.generate import GenerateResult, generate_tree
from pmkv.generate.errors import TargetNotEmptyError
from pmkv.store.codec import to_pretty_json
from pmkv.store.records import (
    PRIORITIES,
    STATUSES,
    STORY_ID_RE,
    is_story_file,
    validate_epic,
    validate_people,
    validate_project,
    validate_story,
)
from tests.generate.conftest import SAMPLE, read_tree

# Key order of a story written by the app today (fixture F-PMME-002.json).
CURRENT_STORY_KEYS = [
    "id", "epicId", "requirementType", "title", "summary", "description",
    "acceptanceCriteria", "status", "priority", "manager", "createdAt", "updatedAt",
    "plannedStartDate", "plannedDueDate", "actualStartDate", "actualDueDate", "dueDate",
    "tags", "estimate", "relatedStories", "mentions", "files", "metadata", "deleted", "archived",
]  # fmt: skip
EPIC_KEYS = [
    "title", "summary", "description", "status", "priority", "manager", "createdAt",
    "updatedAt", "targetRelease", "storyIds", "metrics", "metadata",
]  # fmt: skip


def _stories(files: dict[str, bytes]) -> dict[str, dict[str, object]]:
    return {
        path: json.loads(data)
        for path, data in files.items()
        if path.count("/") == 2 and is_story_file(path.rsplit("/", 1)[1])
    }


def _epics(files: dict[str, bytes]) -> dict[str, dict[str, object]]:
    return {
        path.rsplit("/", 1)[0]: json.loads(data)
        for path, data in files.items()
        if path.endswith("/epic.json")
    }


def test_counts_match_the_request_and_the_result(
    sample_tree: GenerateResult, sample_files: dict[str, bytes]
) -> None:
    stories = _stories(sample_files)
    assert len(stories) == SAMPLE["stories"] == sample_tree.stories
    assert len(_epics(sample_files)) == SAMPLE["projects"] * SAMPLE["epics"] == sample_tree.epics
    assert sum(p.endswith("/project.json") for p in sample_files) == SAMPLE["projects"]
    assert len(sample_files) == sample_tree.files + 1  # + README.md
    assert sum(map(len, sample_files.values())) == sample_tree.bytes_written
    assert sum(bool(s.get("deleted")) for s in stories.values()) == sample_tree.deleted
    assert sum(bool(s.get("archived")) for s in stories.values() if not s.get("deleted")) == (
        sample_tree.archived
    )


def test_every_record_passes_the_apps_rules(sample_files: dict[str, bytes]) -> None:
    problems = validate_people(json.loads(sample_files["people.json"]))
    for path, data in sample_files.items():
        record = json.loads(data) if path.endswith(".json") else None
        if path.endswith("/project.json"):
            problems += validate_project(record, path)
        elif path.endswith("/epic.json"):
            problems += validate_epic(record, path)
        elif path.count("/") == 2:
            assert is_story_file(path.rsplit("/", 1)[1]), path
            problems += validate_story(record, path, expected_id=path.rsplit("/", 1)[1][:-5])
    assert [str(p) for p in problems] == []


def test_every_value_appears(sample_files: dict[str, bytes]) -> None:
    stories = list(_stories(sample_files).values())
    assert {s["status"] for s in stories} == set(STATUSES)
    assert {s["priority"] for s in stories} == set(PRIORITIES)
    assert {s["requirementType"] for s in stories} == {"functional", "non-functional"}
    assert {s["status"] for s in _epics(sample_files).values()} >= {"todo", "in_progress"}
    assert any(s.get("deleted") for s in stories)
    assert any(s.get("archived") for s in stories)
    assert any(s["metadata"]["custom"] for s in stories)  # type: ignore[index]
    assert {f["role"] for s in stories for f in s["files"]} == {"primary", "supporting", "test"}  # type: ignore[attr-defined]
    assert {s["estimate"].get("confidence") for s in stories} == {None, "low", "medium", "high"}  # type: ignore[attr-defined]
    dues = [s["dueDate"] for s in stories]
    assert None in dues
    assert any(isinstance(d, str) and len(d) == 10 for d in dues)
    assert any(isinstance(d, str) and d.endswith("Z") for d in dues)
    stamps = [s["createdAt"] for s in stories]
    assert any("." in str(t) for t in stamps)
    assert any("." not in str(t) for t in stamps)
    descriptions = [str(s["description"]) for s in stories]
    assert "" in descriptions
    assert any("\n## " in d and "\n- " in d and "`" in d for d in descriptions)
    assert max(map(len, descriptions)) > 10_000
    assert any(s["acceptanceCriteria"] and s["tags"] and s["relatedStories"] for s in stories)


def test_non_ascii_text_is_written_as_is(sample_files: dict[str, bytes]) -> None:
    everything = b"".join(sample_files.values()).decode()
    assert "\\u" not in everything  # nothing escaped
    assert any("\u3040" <= ch <= "\u9fff" for ch in everything)  # CJK
    assert any(0x1F300 <= ord(ch) <= 0x1FAFF for ch in everything)  # emoji
    assert any(ch in "éëöüñÅØ" for ch in json.loads(sample_files["people.json"]).__str__())
    titles = [str(s["title"]) for s in _stories(sample_files).values()]
    assert any(not t.isascii() for t in titles)


def test_files_are_written_like_the_app(sample_files: dict[str, bytes]) -> None:
    for path, data in sample_files.items():
        if path.endswith(".json"):
            value = json.loads(data)
            assert data == (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()
            assert data == to_pretty_json(value).encode()  # JSON.stringify(v, null, 2) + "\n"
            assert not data.startswith(b"\xef\xbb\xbf")
            assert b"\r" not in data


def test_story_ids_are_well_formed_unique_and_match_file_names(
    sample_files: dict[str, bytes],
) -> None:
    stories = _stories(sample_files)
    by_project: Counter[tuple[str, str]] = Counter()
    for path, story in stories.items():
        project, epic, name = path.split("/")
        match = STORY_ID_RE.match(str(story["id"]))
        assert match, story["id"]
        assert name == f"{story['id']}.json"
        assert story["epicId"] == epic
        assert (match.group(1) == "NFR") == (story["requirementType"] == "non-functional")
        by_project[(project, str(story["id"]))] += 1
    assert max(by_project.values()) == 1


def test_one_acronym_per_epic_unique_in_project(sample_files: dict[str, bytes]) -> None:
    acronyms: dict[str, set[str]] = {}
    for path, story in _stories(sample_files).items():
        match = STORY_ID_RE.match(str(story["id"]))
        assert match
        acronyms.setdefault(path.rsplit("/", 1)[0], set()).add(match.group(2))
    assert all(len(a) == 1 for a in acronyms.values())
    per_project = Counter(epic.split("/")[0] for epic in acronyms)
    for project, epic_count in per_project.items():
        mine = {next(iter(a)) for e, a in acronyms.items() if e.startswith(project + "/")}
        assert len(mine) == epic_count


def test_epics_agree_with_their_story_files(sample_files: dict[str, bytes]) -> None:
    stories = _stories(sample_files)
    for epic_dir, epic in _epics(sample_files).items():
        assert list(epic)[-len(EPIC_KEYS) :] == EPIC_KEYS
        mine = {str(s["id"]): s for p, s in stories.items() if p.rsplit("/", 1)[0] == epic_dir}
        active = {i for i, s in mine.items() if not s.get("deleted")}
        listed = epic["storyIds"]
        assert isinstance(listed, list)
        assert len(listed) == len(set(listed))
        assert set(listed) == active  # deleted stories are not listed, all others are
        points = {i: s["estimate"]["storyPoints"] for i, s in mine.items()}  # type: ignore[index]
        assert epic["metrics"] == {
            "totalStoryPoints": sum(points[i] for i in active),
            "completedStoryPoints": sum(points[i] for i in active if mine[i]["status"] == "done"),
        }


def _moment(text: object) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def test_records_are_never_updated_before_they_were_created(
    sample_files: dict[str, bytes],
) -> None:
    records = [json.loads(d) for p, d in sample_files.items() if p.count("/") >= 1]
    assert len(records) > SAMPLE["stories"]
    for record in records:
        assert _moment(record["updatedAt"]) >= _moment(record["createdAt"]), record
        if record.get("plannedStartDate"):
            assert record["plannedDueDate"] >= record["plannedStartDate"]


def test_projects_list_their_epics_and_people_exist(sample_files: dict[str, bytes]) -> None:
    people = {p["id"] for p in json.loads(sample_files["people.json"])}
    epics = _epics(sample_files)
    for path, data in sample_files.items():
        if path.endswith("/project.json"):
            project = json.loads(data)
            folder = path.split("/")[0]
            assert sorted(project["epicIds"]) == sorted(
                e.split("/")[1] for e in epics if e.startswith(folder + "/")
            )
            assert {project["metadata"]["manager"], *project["metadata"]["contributors"]} <= people
    for epic in epics.values():
        assert epic["manager"] in people
    managers = {s["manager"] for s in _stories(sample_files).values()}
    assert "unassigned" in managers
    assert managers - {"unassigned"} <= people


def test_story_shapes_follow_the_fixture(sample_files: dict[str, bytes]) -> None:
    shapes = Counter(tuple(s) for s in _stories(sample_files).values())
    assert tuple(CURRENT_STORY_KEYS) in shapes
    assert shapes.most_common(1)[0][0] == tuple(CURRENT_STORY_KEYS)
    # the older importer's shape (requirementType before epicId, no planned dates) and
    # moved stories (epicId/requirementType at the end, no deleted/archived keys)
    assert any(k[1] == "requirementType" and "plannedStartDate" not in k for k in shapes)
    assert any(k[-1] == "requirementType" and "deleted" not in k for k in shapes)


def test_same_seed_same_bytes_other_seed_other_bytes(
    sample_files: dict[str, bytes], tmp_path: Path
) -> None:
    again = generate_tree(tmp_path / "again", **SAMPLE)  # type: ignore[arg-type]
    assert read_tree(again.out) == sample_files
    other = generate_tree(tmp_path / "other", **{**SAMPLE, "seed": 12})  # type: ignore[arg-type]
    other_files = read_tree(other.out)
    assert other_files != sample_files
    assert other_files["people.json"] != sample_files["people.json"]


def test_refuses_a_non_empty_folder_and_force_replaces_a_pm_tree(tmp_path: Path) -> None:
    out = tmp_path / "pm"
    generate_tree(out, stories=30, epics=2, seed=1)
    with pytest.raises(TargetNotEmptyError, match=re.escape(str(out))) as info:
        generate_tree(out, stories=30, epics=2, seed=2)
    assert "--force" in str(info.value.hint)
    result = generate_tree(out, stories=20, epics=1, seed=2, force=True)
    assert len([p for p in out.rglob("*.json") if p.name.startswith(("F-", "NFR-"))]) == 20
    assert result.epics == 1


def test_force_replaces_a_generated_tree_that_was_cut_short(tmp_path: Path) -> None:
    out = tmp_path / "pm"
    first = generate_tree(out, stories=30, epics=3, seed=1)
    # as after Ctrl-C: project.json (written last) and one epic's epic.json are missing
    (first.project_dirs[0] / "project.json").unlink()
    next(first.project_dirs[0].glob("*/epic.json")).unlink()
    generate_tree(out, stories=30, epics=3, seed=1, force=True)
    fresh = generate_tree(tmp_path / "fresh", stories=30, epics=3, seed=1)
    assert read_tree(out) == read_tree(fresh.out)


def test_force_never_clears_a_folder_that_is_not_a_pm_tree(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(TargetNotEmptyError, match=r"notes\.txt"):
        generate_tree(tmp_path, stories=5, force=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    # a folder without project.json in a tree that does not say it was generated
    (tmp_path / "notes.txt").unlink()
    (tmp_path / "photos").mkdir()
    (tmp_path / "README.md").write_text("# my notes\n")
    with pytest.raises(TargetNotEmptyError, match="photos"):
        generate_tree(tmp_path, stories=5, force=True)
    assert (tmp_path / "photos").is_dir()


def test_full_epics_use_ids_up_to_999(tmp_path: Path) -> None:
    result = generate_tree(tmp_path / "pm", projects=1, epics=1, stories=1109, seed=4)
    names = sorted(p.stem for p in result.project_dirs[0].glob("*/*-*.json"))
    numbers = [int(n.rsplit("-", 1)[1]) for n in names]
    assert len(names) == 1109
    assert max(numbers) <= 999
    assert max(numbers) > 700  # one big epic, not many small ones


def test_progress_reports_every_epic_and_ends_at_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    generate_tree(tmp_path / "pm", epics=4, stories=50, progress=lambda d, t: seen.append((d, t)))
    assert len(seen) == 4
    assert seen[-1] == (50, 50)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_worker_processes_write_the_same_bytes(
    sample_files: dict[str, bytes], tmp_path: Path
) -> None:
    parallel = generate_tree(tmp_path / "pm", workers=2, **SAMPLE)  # type: ignore[arg-type]
    assert read_tree(parallel.out) == sample_files
    assert parallel.files + 1 == len(sample_files)
