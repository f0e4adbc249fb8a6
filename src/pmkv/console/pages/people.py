"""People: the global list, where each person is used, and the edit form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.web import console_of, found, page, redirect, text
from pmkv.store import queries
from pmkv.store.errors import InvalidRecordError
from pmkv.store.interface import PersonUsage, Record, Store
from pmkv.store.records import Problem

FIELDS = ("id", "name", "email", "designation", "roleInProject")


def usage_of_all(store: Store, people: list[Record]) -> dict[str, PersonUsage]:
    """Usage of every person, loading each project once (not once per person)."""
    usage = {str(p.get("id")): PersonUsage(str(p.get("id"))) for p in people}
    for project in store.list_projects():
        data = store.load_project(project)
        for entry in usage.values():
            queries.add_usage(entry, data)
    return usage


async def people_page(request: Request) -> Response:
    store = console_of(request).store
    people = store.read_people()
    return page(request, "people.html", people=people, usage=usage_of_all(store, people))


def _form_person(form_values: dict[str, str], old: Record | None) -> Record:
    person: Record = dict(old or {})
    for name in FIELDS:
        person[name] = form_values.get(name, "").strip()
    return person


def _errors(problems: list[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        parts = p.field.strip("/").split("/")
        name = parts[1] if len(parts) > 1 else "record"
        out.setdefault(name, []).append(f"{name}: {p.reason}")
    return out


async def person_page(request: Request) -> Response:
    store = console_of(request).store
    pid = request.path_params["person"]
    person = found(next((p for p in store.read_people() if p.get("id") == pid), None), pid)
    values = {k: str(person.get(k) or "") for k in FIELDS}
    return page(
        request,
        "person.html",
        person=person,
        values=values,
        errors={},
        usage=store.person_usage(pid),
        new=False,
    )


async def new_person_page(request: Request) -> Response:
    return page(
        request,
        "person.html",
        person={},
        values=dict.fromkeys(FIELDS, ""),
        errors={},
        usage=None,
        new=True,
    )


async def person_save(request: Request) -> Response:
    """Create (``/people/new``) or edit a person; the whole list is written at once."""
    store = console_of(request).store
    pid = request.path_params.get("person")
    form = await request.form()
    values = {k: text(form, k) for k in FIELDS}
    people = store.read_people()
    index = next((i for i, p in enumerate(people) if p.get("id") == pid), None)
    if pid is not None:
        found(index, f"person {pid!r}")
        values["id"] = pid  # ids are referenced everywhere: never renamed here
    problems: list[Problem] = []
    if pid is None and any(p.get("id") == values["id"].strip() for p in people):
        problems.append(Problem("person", "people", "/new/id", "is already taken"))
    person = _form_person(values, people[index] if index is not None else None)
    updated = list(people)
    if index is None:
        updated.append(person)
    else:
        updated[index] = person
    if not problems:
        try:
            store.write_people(updated)
        except InvalidRecordError as exc:
            problems = [x for x in exc.problems if isinstance(x, Problem)]
        else:
            return redirect(f"/people/{person['id']}", "saved")
    usage = store.person_usage(pid) if pid is not None else None
    return page(
        request,
        "person.html",
        status_code=422,
        person=person,
        values=values,
        errors=_errors(problems),
        usage=usage,
        new=pid is None,
    )


routes = [
    Route("/people", people_page, name="people"),
    Route("/people/new", new_person_page, name="new_person"),
    Route("/people/new", person_save, methods=["POST"]),
    Route("/people/{person}", person_page, name="person"),
    Route("/people/{person}", person_save, methods=["POST"]),
]
