"""A read-only browser of the ``pm:`` keyspace (SCAN and GET through the official client)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.errors import ConsoleError
from pmkv.console.migration_view import open_kv, pretty_text
from pmkv.console.web import console_of, page
from pmkv.migrate.kv import KvStore

PREFIX = "pm:"
PER_PAGE = 200


def _kv(request: Request) -> KvStore:
    kv = open_kv(console_of(request).settings)
    if kv is None:
        raise ConsoleError(
            "no KV store is configured, so there are no keys to browse",
            hint="set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (pmkv env)",
        )
    return kv


async def keys_page(request: Request) -> Response:
    match = request.query_params.get("match", "pm:*") or "pm:*"
    if not match.startswith(PREFIX):
        match = PREFIX + match
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    kv = _kv(request)
    try:
        keys = kv.scan(match)
    finally:
        kv.close()
    pages = max(1, -(-len(keys) // PER_PAGE))
    number = min(number, pages)
    shown = keys[(number - 1) * PER_PAGE : number * PER_PAGE]
    return page(
        request, "keys.html", match=match, keys=shown, total=len(keys), page=number, pages=pages
    )


async def key_page(request: Request) -> Response:
    key = request.query_params.get("k", "")
    if not key.startswith(PREFIX):
        raise ConsoleError(
            f"{key!r} is outside the pm: keyspace", hint="the browser shows pm:* keys only"
        )
    kv = _kv(request)
    try:
        raw = kv.get_many([key])[0]
    finally:
        kv.close()
    return page(request, "key.html", key=key, value=pretty_text(raw), size=len(raw or ""))


routes = [
    Route("/migration/keys", keys_page, name="keys"),
    Route("/migration/key", key_page, name="key"),
]
