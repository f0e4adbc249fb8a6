"""New project and new epic forms, through Starlette's TestClient on the file store."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from pmkv.store.files import FileStore
from tests.console.conftest import PROJECT, csrf_of


def post(client: TestClient, url: str, **data: str) -> object:
    return client.post(url, data={"csrf": csrf_of(client, url), **data})


def test_new_project_is_written_and_listed(client: TestClient, files: FileStore) -> None:
    response = post(client, "/new-project", id="billing", name="Billing", summary="Invoices")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert files.list_projects() == sorted([PROJECT, "billing"])
    record = json.loads((files.root / "billing" / "project.json").read_text())
    assert (record["name"], record["summary"], record["epicIds"]) == ("Billing", "Invoices", [])
    assert record["createdAt"] == record["updatedAt"]
    assert client.get("/p/billing").status_code == 200


def test_new_project_refuses_a_taken_or_bad_name_and_missing_title(
    client: TestClient, files: FileStore
) -> None:
    before = (files.root / PROJECT / "project.json").read_bytes()
    taken = post(client, "/new-project", id=PROJECT, name="Again")
    assert taken.status_code == 422  # type: ignore[attr-defined]
    assert "already exists" in taken.text  # type: ignore[attr-defined]
    assert (files.root / PROJECT / "project.json").read_bytes() == before
    bad = post(client, "/new-project", id="a:b", name="Colon")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "kebab-case" in bad.text  # type: ignore[attr-defined]
    untitled = post(client, "/new-project", id="untitled", name="")
    assert untitled.status_code == 422  # type: ignore[attr-defined]
    assert "/name" in untitled.text  # type: ignore[attr-defined]
    assert files.list_projects() == [PROJECT]


@pytest.mark.parametrize("name", ["a?b", "c#d", "e%20f", "Upper", "two--dashes", "-lead"])
def test_names_that_are_not_kebab_case_are_refused(
    client: TestClient, files: FileStore, name: str
) -> None:
    response = post(client, "/new-project", id=name, name="Odd")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "kebab-case" in response.text  # type: ignore[attr-defined]
    epic = post(client, f"/p/{PROJECT}/new-epic", id=name, title="Odd", summary="x")
    assert epic.status_code == 422  # type: ignore[attr-defined]
    assert files.list_projects() == [PROJECT]
    assert name not in files.list_epics(PROJECT)


def test_new_epic_is_written_listed_and_takes_stories(client: TestClient, files: FileStore) -> None:
    url = f"/p/{PROJECT}/new-epic"
    response = post(client, url, id="telehealth", title="Telehealth", summary="Video visits")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "telehealth" in files.list_epics(PROJECT)
    epic = files.read_epic(PROJECT, "telehealth")
    assert epic is not None
    assert (epic["title"], epic["projectId"], epic["storyIds"]) == ("Telehealth", PROJECT, [])
    project = files.read_project(PROJECT)
    assert project is not None
    assert project["epicIds"][-1] == "telehealth"
    story = post(client, f"/p/{PROJECT}/e/telehealth/new", title="Book a video visit")
    assert story.status_code == 303  # type: ignore[attr-defined]
    assert len(files.list_story_ids(PROJECT, "telehealth")) == 1


def test_new_epic_with_broken_rules_writes_nothing(client: TestClient, files: FileStore) -> None:
    url = f"/p/{PROJECT}/new-epic"
    before = files.list_epics(PROJECT)
    response = post(client, url, id="no-summary", title="Has no summary", summary="")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "/summary" in response.text  # type: ignore[attr-defined]
    assert files.list_epics(PROJECT) == before
    assert client.get("/p/no-such-project/new-epic").status_code == 404
