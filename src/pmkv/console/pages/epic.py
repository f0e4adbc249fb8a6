"""Epic: the stories table (search, filters, sorting, paging), bulk actions, reorder."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.errors import ConsoleError
from pmkv.console.listing import arrange, moved, parse_listing
from pmkv.console.web import console_of, found, page, redirect, text, texts
from pmkv.store import queries
from pmkv.store.edits import story_ids_of
from pmkv.store.interface import Store, StoryRef
from pmkv.store.queries import story_points

BULK_ACTIONS = ("status", "priority", "manager", "archive", "restore", "move")


def _managers(store: Store, seen: set[str]) -> list[str]:
    ids = [str(p.get("id")) for p in store.read_people() if p.get("id")]
    return sorted(set(ids) | seen | {"unassigned"})


async def epic_page(request: Request) -> Response:
    console = console_of(request)
    store = console.store
    project, epic = request.path_params["project"], request.path_params["epic"]
    # One load_project serves the epic record, the epic list and the search (the same
    # queries.search every store's search_stories runs): 3 KV round trips, not 6.
    data = store.load_project(project)
    loaded = data.epics.get(epic)
    record = found(loaded.record if loaded else None, f"epic {project}/{epic}")
    listing = parse_listing(request.query_params, console.options.page_size)
    matches = queries.search(data, listing.query(epic))
    order = story_ids_of(record)
    result = arrange(matches, listing, order)
    seen = {str(m.record.get("manager", "unassigned")) for m in matches}
    base_params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return page(
        request,
        "epic.html",
        project=project,
        epic=epic,
        record=record,
        listing=listing,
        result=result,
        managers=_managers(store, seen),
        epics=[e for e in data.epics if e != epic],
        positions={sid: i for i, sid in enumerate(order)},
        points=story_points,
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        page_link=lambda n: "?" + urlencode([*base_params, ("page", str(n))]),
        sort_link=lambda name: (
            "?"
            + urlencode(
                [(k, v) for k, v in base_params if k not in ("sort", "dir")]
                + [("sort", name)]
                + ([("dir", "desc")] if listing.sort == name and not listing.descending else [])
            )
        ),
    )


def _back(project: str, epic: str, raw: str) -> str:
    # only ever back to this epic's page (never an open redirect)
    home = f"/p/{project}/e/{epic}"
    return raw if raw.startswith(home + "?") or raw == home else home


async def bulk(request: Request) -> Response:
    store = console_of(request).store
    project, epic = request.path_params["project"], request.path_params["epic"]
    form = await request.form()
    ids = texts(form, "sel")
    action, value = text(form, "action"), text(form, "value").strip()
    back = _back(project, epic, text(form, "back"))
    if not ids:
        return redirect(back, "select at least one story first")
    if action not in BULK_ACTIONS:
        raise ConsoleError(f"unknown bulk action {action!r}", hint="pick an action from the list")
    if action in ("status", "priority", "manager"):
        result = store.bulk_update(project, [StoryRef(epic, sid) for sid in ids], {action: value})
        note = f"{len(result.updated)} stories: {action} set to {value}"
        if result.missing:
            note += f" ({len(result.missing)} no longer exist)"
    elif action in ("archive", "restore"):
        op = store.archive_story if action == "archive" else store.restore_story
        for sid in ids:
            op(project, epic, sid)
        note = f"{len(ids)} stories {action}d"
    else:
        found(store.read_epic(project, value), f"epic {project}/{value}")
        for sid in ids:
            store.move_story(project, epic, sid, value)
        note = f"{len(ids)} stories moved to {value}"
    return redirect(back, note)


async def reorder(request: Request) -> Response:
    store = console_of(request).store
    project, epic = request.path_params["project"], request.path_params["epic"]
    form = await request.form()
    back = _back(project, epic, text(form, "back"))
    story_id, _, direction = text(form, "move").rpartition(":")
    record = found(store.read_epic(project, epic), f"epic {project}/{epic}")
    order = story_ids_of(record)
    step = {"up": -1, "down": 1, "top": -len(order), "bottom": len(order)}.get(direction, 0)
    new = moved(order, story_id, step)
    if new != order:
        store.reorder_stories(project, epic, new)
    return redirect(back, f"{story_id} moved {direction}")


routes = [
    Route("/p/{project}/e/{epic}", epic_page, name="epic"),
    Route("/p/{project}/e/{epic}/bulk", bulk, methods=["POST"], name="bulk"),
    Route("/p/{project}/e/{epic}/reorder", reorder, methods=["POST"], name="reorder"),
]
