"""What every page shares: the console's state, templates, the active-store label, forms."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from pmkv.console.errors import NotFoundPage
from pmkv.console.markdown import render_markdown
from pmkv.console.options import ConsoleOptions
from pmkv.settings import Settings
from pmkv.store.interface import Record, Store
from pmkv.store.records import PRIORITIES, STATUSES, Problem


@dataclass(frozen=True)
class StoreLabel:
    """The active store as every page shows it."""

    kind: str  # "files" | "KV" | "dual-write" | class name
    where: str


def describe_store(store: Store) -> StoreLabel:
    """Name the backend behind ``store`` without importing optional ones."""
    files = getattr(store, "files", None)
    kv = getattr(store, "kv", None)
    if files is not None and kv is not None:
        return StoreLabel(
            "dual-write", f"{getattr(files, 'root', '?')} + {getattr(kv, 'url', '?')}"
        )
    if hasattr(store, "root"):
        return StoreLabel("files", str(store.root))
    if hasattr(store, "url"):
        return StoreLabel("KV", str(store.url))
    return StoreLabel(type(store).__name__, "")


@dataclass
class Console:
    """Everything a page handler needs (kept on ``app.state.console``)."""

    settings: Settings
    store: Store
    options: ConsoleOptions
    label: StoreLabel
    templates: Jinja2Templates


def build_templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("pmkv.console", "templates"),
        autoescape=select_autoescape(["html", "svg"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    env.globals.update(STATUSES=STATUSES, PRIORITIES=PRIORITIES)
    return Jinja2Templates(env=env)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the shared context (store label, CSRF token, nav)."""
    console = console_of(request)
    context.update(
        store_label=console.label,
        csrf_token=request.state.csrf,
        flash=request.query_params.get("flash", ""),
    )
    return console.templates.TemplateResponse(request, template, context, status_code=status_code)


def redirect(url: str, flash: str = "") -> RedirectResponse:
    """303 after a successful POST (the browser then GETs the page)."""
    if flash:
        from urllib.parse import urlencode

        url += ("&" if "?" in url else "?") + urlencode({"flash": flash})
    return RedirectResponse(url, status_code=303)


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value if isinstance(value, str) else default


def texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def found(value: Any, what: str) -> Any:
    """``value`` unless it is None (then a 404 naming ``what``)."""
    if value is None:
        raise NotFoundPage(f"{what} does not exist", hint="go back to the projects page")
    return value


def people_by_id(store: Store) -> dict[str, Record]:
    """The global people list keyed by id (for manager pickers and names)."""
    return {str(x.get("id")): x for x in store.read_people()}


def form_page(
    request: Request, template: str, errors: dict[str, list[str]], **context: Any
) -> HTMLResponse:
    """A form page: 422 when it shows rule problems, with the people for its pickers."""
    return page(
        request,
        template,
        status_code=422 if errors else 200,
        errors=errors,
        people=people_by_id(console_of(request).store),
        **context,
    )


def errors_by_field(problems: Iterable[object]) -> dict[str, list[str]]:
    """The app's rule problems grouped by the form field they belong to (the first
    segment of their JSON-pointer path; ``estimate`` is the story-points field)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        if not isinstance(p, Problem):
            continue
        name = p.field.strip("/").split("/")[0] or "record"
        if name == "estimate":
            name = "storyPoints"
        out.setdefault(name, []).append(f"{p.field or 'record'}: {p.reason}")
    return out
