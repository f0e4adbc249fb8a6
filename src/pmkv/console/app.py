"""The console's Starlette application: ``create_app(settings, store=None)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from pmkv.console.auth import TokenMiddleware
from pmkv.console.csrf import CsrfMiddleware
from pmkv.console.errors import ConsoleError
from pmkv.console.options import ConsoleOptions
from pmkv.console.pages import analytics, create, epic, keys, migration, people, projects, story
from pmkv.console.web import Console, build_templates, describe_store, page
from pmkv.errors import ExitCode, PmkvError
from pmkv.settings import Settings
from pmkv.store.errors import NotFoundError
from pmkv.store.interface import Store
from pmkv.store.router import open_store


def _status_for(exc: PmkvError) -> int:
    if isinstance(exc, ConsoleError):
        return exc.http_status
    if isinstance(exc, NotFoundError):
        return 404
    if exc.exit_code == ExitCode.UNREACHABLE:
        return 503
    return 400


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PmkvError)
    return page(request, "error.html", status_code=_status_for(exc), error=exc)


def create_app(
    settings: Settings, store: Store | None = None, options: ConsoleOptions | None = None
) -> Starlette:
    """The console over ``store`` (default: the one the router picks from ``settings``).

    A store passed in stays the caller's to close; one opened here closes on shutdown.
    """
    options = options or ConsoleOptions()
    owned = store is None
    active = open_store(settings) if store is None else store

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                active.close()

    middleware = [Middleware(CsrfMiddleware)]
    if options.token:
        # outermost: nothing (not even a CSRF cookie) is served without the token
        middleware.insert(0, Middleware(TokenMiddleware, token=options.token))
    routes = [
        *projects.routes,
        *create.routes,
        *epic.routes,
        *story.routes,
        *people.routes,
        *analytics.routes,
        *migration.routes,
        *keys.routes,
        Mount("/static", StaticFiles(packages=[("pmkv.console", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={PmkvError: _error_page},
        lifespan=lifespan,
    )
    app.state.console = Console(
        settings, active, options, describe_store(active), build_templates()
    )
    return app
