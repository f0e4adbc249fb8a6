"""End-to-end in headless Chromium: the same UI tests on the file store and on KV.

Each test drives the running console like a user and checks the result against the
store the console runs on (never against the HTML alone).
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from pmkv.store.interface import StoryQuery
from pmkv.store.queries import story_points
from tests.console.conftest import EPIC, PROJECT, ConsoleEnv, screenshot

EPIC_URL = f"/p/{PROJECT}/e/{EPIC}"


def _open(page: Page, env: ConsoleEnv, path: str) -> None:
    page.goto(env.url + path)
    expect(page.get_by_test_id("active-store")).to_contain_text(env.label)


def test_projects_page_shows_the_active_store_and_counts(page: Page, served: ConsoleEnv) -> None:
    _open(page, served, "/")
    stats = served.store.analytics(PROJECT)
    card = page.locator(".card").first
    expect(card).to_contain_text("Healthcare")
    expect(card.locator("dd").nth(0)).to_have_text(str(len(served.store.list_epics(PROJECT))))
    expect(card.locator("dd").nth(1)).to_have_text(str(stats.stories))
    screenshot(served, page, "projects")


def test_search_shows_exactly_the_matching_stories(page: Page, served: ConsoleEnv) -> None:
    _open(page, served, EPIC_URL)
    page.get_by_role("searchbox", name="Search").fill("payment")
    page.get_by_role("button", name="Apply", exact=True).click()
    expected = served.store.search_stories(PROJECT, StoryQuery(text="payment", epic=EPIC))
    assert len(expected) >= 3
    expect(page.get_by_test_id("result-count")).to_contain_text(f"{len(expected)} stories")
    shown = page.locator('input[name="sel"]').evaluate_all("els => els.map(e => e.value)")
    assert shown == [m.id for m in expected]
    # a filter on top: only "high" priority among them
    page.get_by_label("high").first.check()
    page.get_by_role("button", name="Apply", exact=True).click()
    narrowed = served.store.search_stories(
        PROJECT, StoryQuery(text="payment", epic=EPIC, priority=frozenset({"high"}))
    )
    shown = page.locator('input[name="sel"]').evaluate_all("els => els.map(e => e.value)")
    assert shown == [m.id for m in narrowed]
    screenshot(served, page, "epic")


def test_bulk_status_change_reaches_the_store(page: Page, served: ConsoleEnv) -> None:
    _open(page, served, EPIC_URL)
    targets = ["F-RCM-002", "F-RCM-005", "NFR-RCM-003"]
    for sid in targets:
        page.get_by_label(f"select {sid}", exact=True).check()
    page.locator("#bulk-action").select_option("status")
    page.locator("#bulk-value").select_option("done")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flash")).to_contain_text("3 stories: status set to done")
    for sid in targets:
        story = served.store.read_story(PROJECT, EPIC, sid)
        assert story is not None
        assert story["status"] == "done"
    untouched = served.store.read_story(PROJECT, EPIC, "F-RCM-003")
    assert untouched is not None
    assert untouched["status"] == "todo"
    for sid in targets:
        expect(page.locator(f'tr[data-story="{sid}"] .status')).to_have_text("done")


def test_edit_shows_the_apps_validation_messages(page: Page, served: ConsoleEnv) -> None:
    _open(page, served, f"{EPIC_URL}/s/F-RCM-004")
    before = served.store.read_story(PROJECT, EPIC, "F-RCM-004")
    page.get_by_label("Title").fill("")
    page.get_by_label("plannedDueDate").fill("31/01/2026")
    page.get_by_label("Story points").fill("-3")
    page.get_by_role("button", name="Save").click()
    errors = page.get_by_test_id("validation-errors")
    expect(errors).to_contain_text("/title")
    expect(errors).to_contain_text("/plannedDueDate")
    expect(errors).to_contain_text("/estimate/storyPoints")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    assert served.store.read_story(PROJECT, EPIC, "F-RCM-004") == before  # nothing written
    screenshot(served, page, "story-validation")
    # the same form, corrected, saves through the store
    page.get_by_label("Title").fill("Predictive coding checks")
    page.get_by_label("plannedDueDate").fill("2026-01-31")
    page.get_by_label("Story points").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("saved")
    after = served.store.read_story(PROJECT, EPIC, "F-RCM-004")
    assert after is not None
    assert (after["title"], after["plannedDueDate"]) == ("Predictive coding checks", "2026-01-31")
    assert after["estimate"]["storyPoints"] == 5
    assert after["estimate"]["confidence"] == before["estimate"]["confidence"]  # kept


def test_new_story_is_created_under_the_next_id(page: Page, served: ConsoleEnv) -> None:
    before = served.store.list_story_ids(PROJECT, EPIC)
    expected_id = served.store.next_story_id(PROJECT, EPIC, "NFR")
    _open(page, served, EPIC_URL)
    page.get_by_role("link", name="New story").click()
    page.get_by_role("button", name="Create").click()  # no title: the app's rules refuse
    expect(page.get_by_test_id("validation-errors")).to_contain_text("/title")
    assert served.store.list_story_ids(PROJECT, EPIC) == before  # nothing written
    page.get_by_label("Requirement type").select_option("non-functional")
    page.get_by_label("Title").fill("Audit log retention for 7 years")
    page.get_by_label("Tags (comma-separated)").fill("compliance, audit")
    page.get_by_label("Story points").fill("3")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".flash")).to_have_text(f"{expected_id} created")
    expect(page.locator("h1")).to_contain_text(expected_id)
    story = served.store.read_story(PROJECT, EPIC, expected_id)
    assert story is not None
    assert story["title"] == "Audit log retention for 7 years"
    assert (story["requirementType"], story["epicId"]) == ("non-functional", EPIC)
    assert story["tags"] == ["compliance", "audit"]
    assert story_points(story) == 3
    assert served.store.list_story_ids(PROJECT, EPIC) == [*before, expected_id]
    epic = served.store.read_epic(PROJECT, EPIC)
    assert epic is not None
    assert expected_id in epic["storyIds"]


def test_new_epic_then_its_first_story(page: Page, served: ConsoleEnv) -> None:
    _open(page, served, f"/p/{PROJECT}")
    page.get_by_role("link", name="New epic").click()
    page.get_by_label("Name (folder and key: kebab-case)").fill("telehealth")
    page.get_by_label("Title").fill("Telehealth")
    page.get_by_label("Summary").fill("Video visits with clinicians")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".flash")).to_have_text("epic telehealth created")
    epic = served.store.read_epic(PROJECT, "telehealth")
    assert epic is not None
    assert (epic["title"], epic["summary"]) == ("Telehealth", "Video visits with clinicians")
    assert "telehealth" in served.store.list_epics(PROJECT)
    project = served.store.read_project(PROJECT)
    assert project is not None
    assert "telehealth" in project["epicIds"]
    page.get_by_role("link", name="New story").click()
    page.get_by_label("Title").fill("Book a video visit")
    page.get_by_role("button", name="Create").click()
    ids = served.store.list_story_ids(PROJECT, "telehealth")
    assert len(ids) == 1
    expect(page.locator(".flash")).to_have_text(f"{ids[0]} created")
    story = served.store.read_story(PROJECT, "telehealth", ids[0])
    assert story is not None
    assert story["title"] == "Book a video visit"


def test_analytics_page_shows_the_stores_numbers(page: Page, served: ConsoleEnv) -> None:
    store = served.store
    changes = {
        "F-RCM-001": ("done", 5),
        "F-RCM-002": ("in_progress", 8),
        "NFR-RCM-005": ("done", 3),
    }
    for sid, (status, points) in changes.items():
        story = store.read_story(PROJECT, EPIC, sid)
        assert story is not None
        store.write_story(
            PROJECT, EPIC, sid, {**story, "status": status, "estimate": {"storyPoints": points}}
        )
    _open(page, served, f"/p/{PROJECT}/analytics")
    stats = store.analytics(PROJECT)
    done_points = sum(
        story_points(s)
        for e, s in store.load_project(PROJECT).iter_stories()
        if e == EPIC and s.get("status") == "done"
    )
    assert done_points >= 8  # the edits above count
    expect(page.get_by_test_id("total-stories")).to_have_text(str(stats.stories))
    expect(page.get_by_test_id("total-points")).to_have_text(str(stats.points))
    for table, breakdown in (
        ("by-status", stats.by_status),
        ("by-priority", stats.by_priority),
        ("by-manager", stats.by_manager),
        ("by-epic", stats.by_epic),
    ):
        for key, count in breakdown.count.items():
            row = page.get_by_test_id(table).locator(f'tr[data-key="{key}"] td')
            expect(row.nth(0)).to_have_text(str(count))
            expect(row.nth(1)).to_have_text(str(breakdown.points[key]))
    done_row = page.get_by_test_id("done-vs-total").locator(f'tr[data-key="{EPIC}"] td')
    expect(done_row.nth(2)).to_have_text(str(done_points))
    expect(done_row.nth(3)).to_have_text(str(stats.by_epic.points[EPIC]))
    assert page.locator("svg.chart").count() == 5
    screenshot(served, page, "analytics")


def test_verify_view_shows_a_file_edited_behind_the_tools_back(
    page: Page, served: ConsoleEnv
) -> None:
    _open(page, served, "/migration")
    expect(page.get_by_test_id("verify-summary")).to_contain_text("PASSED")
    expect(page.get_by_test_id("runs")).to_contain_text("complete")
    path = served.pm_dir / PROJECT / EPIC / "F-RCM-007.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    old_title = record["title"]
    record["title"] = "Edited by hand"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    page.reload()
    expect(page.get_by_test_id("verify-summary")).to_contain_text("FAILED")
    key = f"pm:project:{PROJECT}:epic:{EPIC}:story:F-RCM-007"
    diff = page.locator(f'[data-testid="diff"][data-key="{key}"]')
    expect(diff).to_contain_text("changed")
    row = diff.locator("tbody tr").filter(has_text="/title")
    expect(row.locator(".file-value")).to_have_text('"Edited by hand"')
    expect(row.locator(".kv-value")).to_have_text(json.dumps(old_title))
    phases = page.get_by_test_id("phases")
    expect(phases.locator("li", has_text="verified")).to_contain_text("1 difference")
    screenshot(served, page, "migration")
    diff.get_by_role("link").click()
    expect(page.get_by_test_id("key-value")).to_contain_text(f'"title": {json.dumps(old_title)}')
    screenshot(served, page, "key")


def test_reorder_and_move_change_the_epic(page: Page, served: ConsoleEnv) -> None:
    store = served.store
    order = store.read_epic(PROJECT, EPIC)["storyIds"]  # type: ignore[index]
    second = order[1]
    _open(page, served, EPIC_URL)
    page.get_by_role("button", name=f"move {second} up").click()
    expect(page.locator(".flash")).to_contain_text(f"{second} moved up")
    assert store.read_epic(PROJECT, EPIC)["storyIds"][:2] == [second, order[0]]  # type: ignore[index]
    target = next(e for e in store.list_epics(PROJECT) if e != EPIC)
    page.get_by_label("select F-RCM-010", exact=True).check()
    page.locator("#bulk-action").select_option("move")
    page.locator("#bulk-value").select_option(target)
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flash")).to_contain_text(f"moved to {target}")
    assert store.read_story(PROJECT, target, "F-RCM-010") is not None
    assert "F-RCM-010" not in store.list_story_ids(PROJECT, EPIC)
    expect(page.locator('tr[data-story="F-RCM-010"]')).to_have_count(0)
    assert re.search(r"\d+ stories", page.get_by_test_id("result-count").inner_text())
