"""Discovery: records, target keys and every anomaly, on the real and adversarial trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmkv.migrate.discover import discover
from pmkv.migrate.errors import SourceMissing
from pmkv.migrate.lists import expected_values, story_order
from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.keyspace import Keyspace
from tests.migrate.conftest import story, write_json

KS = Keyspace.production()


def codes(inv: object) -> dict[tuple[str, str], str]:
    return {(a.code, a.file): a.severity for a in inv.anomalies}  # type: ignore[attr-defined]


def test_real_fixture_is_all_valid_with_epic_ids_warnings(fixture_pm: Path) -> None:
    inv = discover(fixture_pm)
    assert inv.errors == []
    assert {a.code for a in inv.warnings} == {"epic-not-in-epicIds"}
    assert len(inv.warnings) == 4  # epicIds lists 1 of 5 epic folders
    project = inv.projects["healthcare-platform"]
    assert project.counts() == {"epic_folders": 5, "epics": 5, "story_files": 49, "stories": 49}
    assert inv.people is not None
    assert inv.people.key == "pm:people"
    # every record's text is JSON.stringify of the parsed file
    for record in inv.records():
        assert record.text == to_js_json(parse_json((fixture_pm / record.path).read_bytes()))


def test_adversarial_tree_reports_every_anomaly(adversarial: Path) -> None:
    inv = discover(adversarial)
    found = codes(inv)
    rcm = "healthcare-platform/revenue-cycle-management"
    expected = {
        ("invalid-json", f"{rcm}/F-RCM-026.json"): "error",
        ("invalid-record", f"{rcm}/F-RCM-027.json"): "error",
        ("invalid-record", f"{rcm}/STORY-123.json"): "error",
        ("id-mismatch", f"{rcm}/F-RCM-028.json"): "error",
        ("story-without-file", f"{rcm}/epic.json"): "warning",
        ("duplicate-id", f"{rcm}/epic.json"): "warning",
        ("story-not-in-storyIds", f"{rcm}/F-RCM-030.json"): "warning",
        ("epic-not-in-epicIds", "healthcare-platform/project.json"): "warning",
        ("missing-epic-json", "healthcare-platform/orphan-epic"): "error",
        ("missing-project-json", "lost-project"): "error",
        ("duplicate-id", f"{rcm}/F-RCM-001.json"): "warning",
        ("duplicate-id", "healthcare-platform/test-epic/F-RCM-001.json"): "warning",
        ("stray-file", f"{rcm}/notes.txt"): "warning",
        ("stray-file", f"{rcm}/.DS_Store"): "warning",
        ("stray-file", "stray.json"): "warning",
        ("legacy-people", "healthcare-platform/people.json"): "warning",
    }
    for key, severity in expected.items():
        assert found.get(key) == severity, key
    by_file = {a.file: a for a in inv.anomalies if a.code in ("invalid-json", "invalid-record")}
    assert "line 3 column" in by_file[f"{rcm}/F-RCM-026.json"].reason
    assert by_file[f"{rcm}/F-RCM-027.json"].field == "/status"
    assert all(a.hint for a in inv.anomalies)
    # invalid records are in no expected value; the BOM/CRLF story is read transparently
    values = expected_values(inv, KS, None)
    story_key = KS.story("healthcare-platform", "revenue-cycle-management", "F-RCM-026")
    assert story_key not in values
    assert story_key in inv.skipped
    bom = KS.story("healthcare-platform", "test-epic", "F-TESEPI-001")
    assert values[bom].startswith('{"id":"F-TESEPI-001"')
    assert "\r" not in values[bom]


def test_story_list_rule_listed_order_then_unlisted_sorted(adversarial: Path) -> None:
    inv = discover(adversarial)
    rcm = inv.projects["healthcare-platform"].epics["revenue-cycle-management"]
    order = story_order(rcm)
    assert order[:3] == ["F-RCM-001", "F-RCM-002", "F-RCM-003"]
    assert order[-1] == "F-RCM-030"  # unlisted, appended
    assert "F-RCM-099" not in order
    assert "F-RCM-026" not in order
    assert len(order) == len(set(order))


def test_unknown_project_is_a_usage_error(fixture_pm: Path) -> None:
    with pytest.raises(SourceMissing, match="nope"):
        discover(fixture_pm, ["nope"])


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceMissing):
        discover(tmp_path / "absent")


def test_soft_deleted_story_outside_story_ids_is_expected(pm_copy: Path) -> None:
    """The app drops a deleted story from storyIds (§5): only live ones are warned about."""
    rcm = pm_copy / "healthcare-platform" / "revenue-cycle-management"
    write_json(rcm / "F-RCM-031.json", story("F-RCM-031", "revenue-cycle-management", deleted=True))
    write_json(rcm / "F-RCM-032.json", story("F-RCM-032", "revenue-cycle-management"))
    inv = discover(pm_copy)
    unlisted = {
        a.file.rsplit("/", 1)[-1] for a in inv.warnings if a.code == "story-not-in-storyIds"
    }
    assert unlisted == {"F-RCM-032.json"}
    # both are still migrated, the deleted one included (its id stays taken)
    stories = inv.projects["healthcare-platform"].epics["revenue-cycle-management"].stories
    assert {"F-RCM-031", "F-RCM-032"} <= set(stories)
    assert stories["F-RCM-031"].deleted
    assert not stories["F-RCM-032"].deleted


def test_bundled_examples_have_no_anomalies() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "pm"
    inv = discover(examples)
    assert [a.as_dict() for a in inv.anomalies] == []
    assert inv.projects["healthcare-platform"].counts()["stories"] == 600
