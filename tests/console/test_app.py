"""Routes through Starlette's TestClient (no browser): pages, CSRF, token, bind rule."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from pmkv.cli.main import cli
from pmkv.console.app import create_app
from pmkv.console.errors import BindRefusedError
from pmkv.console.options import ConsoleOptions, check_bind
from pmkv.settings import Settings
from pmkv.store.files import FileStore
from tests.console.conftest import EPIC, PROJECT, csrf_of

STORY = f"/p/{PROJECT}/e/{EPIC}/s/F-RCM-001"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        f"/p/{PROJECT}",
        f"/p/{PROJECT}/e/{EPIC}",
        f"/p/{PROJECT}/e/{EPIC}?q=claim&status=todo&sort=title&dir=desc&per=5&page=2",
        f"/p/{PROJECT}/e/{EPIC}?archived=all&deleted=1&priority=high&manager=person-001",
        STORY,
        f"/p/{PROJECT}/analytics",
        "/people",
        "/people/person-001",
        "/people/new",
        f"/p/{PROJECT}/e/{EPIC}/new",
        "/migration",
    ],
)
def test_every_page_renders_and_names_the_store(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert 'data-testid="active-store"' in response.text
    assert "<strong>files</strong>" in response.text


def test_unknown_records_are_404_pages(client: TestClient) -> None:
    for url in (f"/p/{PROJECT}/e/nope", f"/p/{PROJECT}/e/{EPIC}/s/F-RCM-999", "/people/x"):
        response = client.get(url)
        assert response.status_code == 404
        assert "does not exist" in response.text


def test_static_assets_come_from_the_package(client: TestClient) -> None:
    css = client.get("/static/console.css")
    assert css.status_code == 200
    assert "font" in css.text
    assert client.get("/static/console.js").status_code == 200
    page = client.get("/").text
    assert "http://" not in re.sub(r"<code>[^<]*</code>", "", page)  # no CDN anywhere


def test_post_without_csrf_cookie_is_refused(files: FileStore, tmp_path: Path) -> None:
    app = create_app(Settings(pm_dir=files.root, home=tmp_path / "h"), files)
    with TestClient(app) as fresh:
        response = fresh.post(f"/p/{PROJECT}/e/{EPIC}/bulk", data={"sel": "F-RCM-001"})
    assert response.status_code == 403


def test_post_with_a_wrong_csrf_token_is_refused(client: TestClient, files: FileStore) -> None:
    csrf_of(client, STORY)  # sets the cookie
    before = files.read_story(PROJECT, EPIC, "F-RCM-001")
    response = client.post(
        f"/p/{PROJECT}/e/{EPIC}/bulk",
        data={"csrf": "x" * 43, "sel": "F-RCM-001", "action": "status", "value": "done"},
    )
    assert response.status_code == 403
    assert files.read_story(PROJECT, EPIC, "F-RCM-001") == before


def test_post_with_the_sessions_token_goes_through(client: TestClient, files: FileStore) -> None:
    token = csrf_of(client, f"/p/{PROJECT}/e/{EPIC}")
    response = client.post(
        f"/p/{PROJECT}/e/{EPIC}/bulk",
        data={
            "csrf": token,
            "sel": ["F-RCM-001", "F-RCM-002"],
            "action": "priority",
            "value": "critical",
        },
    )
    assert response.status_code == 303
    assert "flash=2+stories" in response.headers["location"]
    for sid in ("F-RCM-001", "F-RCM-002"):
        assert files.read_story(PROJECT, EPIC, sid)["priority"] == "critical"  # type: ignore[index]


def test_bulk_value_outside_the_rules_is_a_clear_error(client: TestClient) -> None:
    token = csrf_of(client, f"/p/{PROJECT}/e/{EPIC}")
    response = client.post(
        f"/p/{PROJECT}/e/{EPIC}/bulk",
        data={"csrf": token, "sel": "F-RCM-001", "action": "status", "value": "finished"},
    )
    assert response.status_code == 400
    assert "is not one of" in response.text


def test_back_link_never_leaves_the_epic(client: TestClient) -> None:
    token = csrf_of(client, f"/p/{PROJECT}/e/{EPIC}")
    response = client.post(
        f"/p/{PROJECT}/e/{EPIC}/bulk",
        data={"csrf": token, "sel": "F-RCM-001", "action": "archive", "back": "https://evil/"},
    )
    assert response.headers["location"].startswith(f"/p/{PROJECT}/e/{EPIC}?")


def test_story_edit_reports_the_library_rules(client: TestClient, files: FileStore) -> None:
    token = csrf_of(client, STORY)
    before = files.read_story(PROJECT, EPIC, "F-RCM-001")
    response = client.post(
        STORY,
        data={
            "csrf": token,
            "title": "ok",
            "status": "todo",
            "priority": "medium",
            "manager": "person-001",
            "storyPoints": "many",
            "dueDate": "tomorrow",
        },
    )
    assert response.status_code == 422
    assert "/estimate/storyPoints" in response.text
    assert "/dueDate" in response.text
    assert files.read_story(PROJECT, EPIC, "F-RCM-001") == before


def test_new_story_form_creates_through_the_store(client: TestClient, files: FileStore) -> None:
    new = f"/p/{PROJECT}/e/{EPIC}/new"
    token = csrf_of(client, new)
    expected = files.next_story_id(PROJECT, EPIC, "F")
    response = client.post(
        new,
        data={"csrf": token, "requirementType": "functional", "title": "Pay by link"},
    )
    assert response.status_code == 303
    assert response.headers["location"].split("?")[0] == f"/p/{PROJECT}/e/{EPIC}/s/{expected}"
    story = files.read_story(PROJECT, EPIC, expected)
    assert story is not None
    assert (story["title"], story["epicId"], story["requirementType"]) == (
        "Pay by link",
        EPIC,
        "functional",
    )
    # every field the app's own new stories have, with the app's defaults
    assert story["status"] == "todo"
    assert (story["priority"], story["manager"]) == ("medium", "unassigned")
    assert story["estimate"] == {"storyPoints": 0}
    assert (story["deleted"], story["archived"]) == (False, False)
    assert story["metadata"] == {"createdBy": "user", "lastEditedBy": "user", "custom": {}}


def test_new_story_with_broken_rules_writes_nothing(client: TestClient, files: FileStore) -> None:
    new = f"/p/{PROJECT}/e/{EPIC}/new"
    before = files.list_story_ids(PROJECT, EPIC)
    response = client.post(
        new,
        data={"csrf": csrf_of(client, new), "requirementType": "epic-ish", "title": "x"},
    )
    assert response.status_code == 422
    assert "/requirementType" in response.text
    assert files.list_story_ids(PROJECT, EPIC) == before
    assert client.get(f"/p/{PROJECT}/e/no-such-epic/new").status_code == 404


def test_markdown_is_rendered_without_raw_html(client: TestClient, files: FileStore) -> None:
    story = files.read_story(PROJECT, EPIC, "F-RCM-001")
    assert story is not None
    evil = "## Plan\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) *ok*"
    files.write_story(PROJECT, EPIC, "F-RCM-001", {**story, "description": evil})
    html = client.get(STORY).text
    assert "<h2>Plan</h2>" in html
    assert "<em>ok</em>" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


def test_person_with_a_bad_email_is_not_saved(client: TestClient, files: FileStore) -> None:
    token = csrf_of(client, "/people/person-001")
    response = client.post(
        "/people/person-001",
        data={"csrf": token, "name": "Smrita Singh", "email": "not-an-email"},
    )
    assert response.status_code == 422
    assert "email" in response.text
    assert "required format" in response.text
    assert files.read_people()[0]["email"] == "smrita.singh@company.com"
    ok = client.post(
        "/people/new",
        data={"csrf": token, "id": "person-003", "name": "Ana", "email": "ana@example.org"},
    )
    assert ok.status_code == 303
    assert [p["id"] for p in files.read_people()][-1] == "person-003"


def test_token_is_required_when_set(files: FileStore, tmp_path: Path) -> None:
    app = create_app(
        Settings(pm_dir=files.root, home=tmp_path / "h"), files, ConsoleOptions(token="s3cret")
    )
    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/").status_code == 401
        assert c.get("/?token=wrong").status_code == 401
        login = c.get("/people?token=s3cret")
        assert login.status_code == 303
        assert login.headers["location"] == "/people"
        assert c.get("/people").status_code == 200  # the cookie now carries it
    with TestClient(app) as bearer:
        assert bearer.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_binding_beyond_loopback_needs_a_token(host: str) -> None:
    with pytest.raises(BindRefusedError) as caught:
        check_bind(ConsoleOptions(host=host))
    assert host in caught.value.message
    assert caught.value.hint
    check_bind(ConsoleOptions(host=host, token="t"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    check_bind(ConsoleOptions(host=host))


def test_cli_refuses_a_public_bind_without_token(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pmkv", "console", "--host", "0.0.0.0", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "without a token" in done.stderr
    assert "--token" in done.stderr


def test_cli_help_names_the_options() -> None:
    result = CliRunner().invoke(cli, ["console", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--token", "PM_DIR", "8090", "127.0.0.1"):
        assert option in result.output
