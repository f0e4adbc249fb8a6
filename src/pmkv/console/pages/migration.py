"""Migration: the live phase checklist, verify differences side by side, runs, dual-write."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.migration_view import gather, run_report
from pmkv.console.web import console_of, found, page


async def migration_page(request: Request) -> Response:
    settings = console_of(request).settings
    view = gather(settings)
    refresh = request.query_params.get("refresh", "")
    return page(
        request,
        "migration.html",
        view=view,
        settings=settings,
        refresh=int(refresh) if refresh.isdigit() and 2 <= int(refresh) <= 600 else 0,
    )


async def run_page(request: Request) -> Response:
    settings = console_of(request).settings
    run_id = request.path_params["run"]
    meta, report = found(run_report(settings, run_id), f"run {run_id!r}")
    return page(request, "run.html", meta=meta, report=report)


routes = [
    Route("/migration", migration_page, name="migration"),
    Route("/migration/runs/{run}", run_page, name="run"),
]
