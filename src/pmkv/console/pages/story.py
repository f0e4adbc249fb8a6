"""Story: detail with the description rendered from markdown; the edit form; a new story.

Edits go through ``store.write_story`` and new stories through ``store.create_story``
(the epic's next free id), both of which check the app's rules; their problems come
back as form messages next to their fields (JSON-pointer field paths).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.web import console_of, errors_by_field, form_page, found, redirect, text
from pmkv.store.errors import InvalidRecordError
from pmkv.store.interface import Record
from pmkv.store.queries import story_points

DATE_FIELDS = ("plannedStartDate", "plannedDueDate", "actualStartDate", "actualDueDate", "dueDate")
TEXT_FIELDS = ("title", "summary", "description", "status", "priority", "manager")
DEFAULTS = {"status": "todo", "priority": "medium", "manager": "unassigned"}
# A new story has every field the app's own new stories have (the form fills them in).
NEW_STORY: Record = {
    "summary": "",
    "description": "",
    "acceptanceCriteria": [],
    **DEFAULTS,
    "tags": [],
    "estimate": {"storyPoints": 0},
    "relatedStories": [],
    "mentions": [],
    "files": [],
    "metadata": {"createdBy": "user", "lastEditedBy": "user", "custom": {}},
    "deleted": False,
    "archived": False,
}


def form_values(story: Record) -> dict[str, str]:
    """The edit form's fields for ``story``."""
    values = {
        name: str(story.get(name) or DEFAULTS.get(name, ""))
        for name in (*TEXT_FIELDS, *DATE_FIELDS)
    }
    tags = story.get("tags")
    values["tags"] = ", ".join(str(t) for t in tags) if isinstance(tags, list) else ""
    criteria = story.get("acceptanceCriteria")
    values["acceptanceCriteria"] = (
        "\n".join(str(c) for c in criteria) if isinstance(criteria, list) else ""
    )
    values["storyPoints"] = str(story_points(story))
    return values


def apply_form(story: Record, form: FormData) -> Record:
    """``story`` with the form's changes; unknown fields stay as they are, a field the
    form does not send is left alone, and a field the story does not have is only added
    when the form gives it a non-default value.

    Values are passed on unconverted where they do not parse (e.g. story points "abc"),
    so the library's rules, not this form, decide what is valid and say why.
    """
    out: dict[str, Any] = dict(story)

    def put(name: str, value: object, default: object) -> None:
        if name in story or value != default:
            out[name] = value

    for name in TEXT_FIELDS:
        if name in form:
            put(name, text(form, name), DEFAULTS.get(name, ""))
    for name in DATE_FIELDS:
        if name in form:
            put(name, text(form, name).strip() or None, None)
    if "tags" in form:
        put("tags", [t.strip() for t in text(form, "tags").split(",") if t.strip()], [])
    if "acceptanceCriteria" in form:
        criteria = [line.strip() for line in text(form, "acceptanceCriteria").splitlines()]
        put("acceptanceCriteria", [c for c in criteria if c], [])
    if "storyPoints" in form:
        raw = text(form, "storyPoints").strip() or "0"
        points: object = int(raw) if raw.lstrip("-").isdigit() else raw
        if points != story_points(story) or isinstance(story.get("estimate"), dict):
            estimate = dict(story["estimate"]) if isinstance(story.get("estimate"), dict) else {}
            out["estimate"] = {**estimate, "storyPoints": points}
    return out


async def story_page(request: Request) -> Response:
    store = console_of(request).store
    p, e, sid = (request.path_params[k] for k in ("project", "epic", "story"))
    story = found(store.read_story(p, e, sid), f"story {p}/{e}/{sid}")
    return _story_form(request, p, e, story, form_values(story), {})


def _story_form(
    request: Request,
    p: str,
    e: str,
    story: Record,
    values: dict[str, str],
    errors: dict[str, list[str]],
) -> Response:
    return form_page(
        request,
        "story.html",
        errors,
        project=p,
        epic=e,
        story=story,
        values=values,
        points=story_points(story),
    )


async def story_edit(request: Request) -> Response:
    store = console_of(request).store
    p, e, sid = (request.path_params[k] for k in ("project", "epic", "story"))
    story = found(store.read_story(p, e, sid), f"story {p}/{e}/{sid}")
    form = await request.form()
    changed = apply_form(story, form)
    try:
        store.write_story(p, e, sid, changed)
    except InvalidRecordError as exc:
        values = {**form_values(story), **{k: text(form, k) for k in form}}
        return _story_form(request, p, e, story, values, errors_by_field(exc.problems))
    return redirect(f"/p/{p}/e/{e}/s/{sid}", "saved")


async def new_story_page(request: Request) -> Response:
    store = console_of(request).store
    p, e = request.path_params["project"], request.path_params["epic"]
    found(store.read_epic(p, e), f"epic {p}/{e}")
    values = {**form_values({}), "requirementType": "functional"}
    return _new_form(request, p, e, values, {})


def _new_form(
    request: Request, p: str, e: str, values: dict[str, str], errors: dict[str, list[str]]
) -> Response:
    return form_page(request, "story_new.html", errors, project=p, epic=e, values=values)


async def new_story_create(request: Request) -> Response:
    store = console_of(request).store
    p, e = request.path_params["project"], request.path_params["epic"]
    found(store.read_epic(p, e), f"epic {p}/{e}")
    form = await request.form()
    # an unknown type is passed on for the app's rules to refuse, with their message
    kind = text(form, "requirementType") or "functional"
    base: Record = {"epicId": e, "requirementType": kind, "title": "", **NEW_STORY}
    record = apply_form(base, form)
    try:
        created = store.create_story(p, e, record)
    except InvalidRecordError as exc:
        values = {**form_values({}), **{k: text(form, k) for k in form}}
        return _new_form(request, p, e, values, errors_by_field(exc.problems))
    return redirect(f"/p/{p}/e/{e}/s/{created['id']}", f"{created['id']} created")


async def story_action(request: Request) -> Response:
    store = console_of(request).store
    p, e, sid = (request.path_params[k] for k in ("project", "epic", "story"))
    form = await request.form()
    action = text(form, "do")
    if action == "archive":
        store.archive_story(p, e, sid)
    elif action == "restore":
        store.restore_story(p, e, sid)
    elif action == "delete":
        store.delete_story(p, e, sid)
        return redirect(f"/p/{p}/e/{e}", f"{sid} deleted")
    return redirect(f"/p/{p}/e/{e}/s/{sid}", f"{sid}: {action} done")


routes = [
    Route("/p/{project}/e/{epic}/new", new_story_page, name="new_story"),
    Route("/p/{project}/e/{epic}/new", new_story_create, methods=["POST"]),
    Route("/p/{project}/e/{epic}/s/{story}", story_page, name="story"),
    Route("/p/{project}/e/{epic}/s/{story}", story_edit, methods=["POST"], name="story_edit"),
    Route("/p/{project}/e/{epic}/s/{story}/action", story_action, methods=["POST"]),
]
