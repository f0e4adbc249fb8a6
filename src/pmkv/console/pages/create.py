"""New project and new epic: small forms over the store's ``create_project`` /
``create_epic``.

The store does what the app does on creation: it never replaces an existing record (a
taken name comes back next to the name field), sets the timestamps, and lists a new epic
in its project's ``epicIds``. Everything is checked by the app's rules before it is
written, and their problems come back next to their fields.
"""

from __future__ import annotations

import re

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.web import console_of, errors_by_field, form_page, found, redirect, text
from pmkv.store.errors import AlreadyExistsError, InvalidNameError, InvalidRecordError
from pmkv.store.interface import Record

# kebab-case, as the form says: the name is a folder, a key segment and a URL segment
# (the store refuses only ':', '/', '\\' and control characters; '?' or '#' would make a
# record the console cannot link to)
NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NAME_HINT = "/id: use lowercase letters, digits and single dashes (kebab-case), e.g. billing-v2"
PROJECT_FIELDS = ("id", "name", "summary", "description")
EPIC_FIELDS = ("id", "title", "summary", "description", "status", "priority", "manager")
EPIC_DEFAULTS = {"status": "todo", "priority": "medium", "manager": "unassigned"}


def _form(
    request: Request, kind: str, values: dict[str, str], errors: dict[str, list[str]], **ctx: str
) -> Response:
    return form_page(request, "create.html", errors, kind=kind, values=values, **ctx)


def _values(
    form: FormData | None, fields: tuple[str, ...], defaults: dict[str, str]
) -> dict[str, str]:
    """The form's values; a field it does not send takes its default."""
    if form is None:
        return {f: defaults.get(f, "") for f in fields}
    return {f: text(form, f, defaults.get(f, "")).strip() for f in fields}


async def new_project_page(request: Request) -> Response:
    return _form(request, "project", _values(None, PROJECT_FIELDS, {}), {})


async def new_project_create(request: Request) -> Response:
    store = console_of(request).store
    values = _values(await request.form(), PROJECT_FIELDS, {})
    name = values["id"]
    record: Record = {
        "id": name,
        "name": values["name"],
        "summary": values["summary"],
        "description": values["description"],
    }
    try:
        errors = _bad_name(name)
        if not errors:
            store.create_project(name, record)
    except (InvalidNameError, AlreadyExistsError) as exc:
        errors = {"id": [f"/id: {exc.message}"]}
    except InvalidRecordError as exc:
        errors = errors_by_field(exc.problems)
    if errors:
        return _form(request, "project", values, errors)
    return redirect(f"/p/{name}", f"project {name} created")


async def new_epic_page(request: Request) -> Response:
    store = console_of(request).store
    project = request.path_params["project"]
    found(store.read_project(project), f"project {project!r}")
    return _form(request, "epic", _values(None, EPIC_FIELDS, EPIC_DEFAULTS), {}, project=project)


async def new_epic_create(request: Request) -> Response:
    store = console_of(request).store
    project = request.path_params["project"]
    found(store.read_project(project), f"project {project!r}")
    values = _values(await request.form(), EPIC_FIELDS, EPIC_DEFAULTS)
    name = values["id"]
    record: Record = {
        "id": name,
        "projectId": project,
        **{f: values[f] for f in EPIC_FIELDS if f != "id"},
    }
    try:
        errors = _bad_name(name)
        if not errors:
            store.create_epic(project, name, record)
    except (InvalidNameError, AlreadyExistsError) as exc:
        errors = {"id": [f"/id: {exc.message}"]}
    except InvalidRecordError as exc:
        errors = errors_by_field(exc.problems)
    if errors:
        return _form(request, "epic", values, errors, project=project)
    return redirect(f"/p/{project}/e/{name}", f"epic {name} created")


def _bad_name(name: str) -> dict[str, list[str]]:
    return {} if NAME_RE.fullmatch(name) else {"id": [NAME_HINT]}


routes = [
    Route("/new-project", new_project_page, name="new_project"),
    Route("/new-project", new_project_create, methods=["POST"]),
    Route("/p/{project}/new-epic", new_epic_page, name="new_epic"),
    Route("/p/{project}/new-epic", new_epic_create, methods=["POST"]),
]
