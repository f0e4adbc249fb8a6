"""CSRF protection for every form: a per-session token in a cookie plus a hidden field.

A pure ASGI middleware rather than a per-route check, so no POST handler can forget
it: it buffers the (small, urlencoded) body of every unsafe request, compares the
``csrf`` field (or the ``X-CSRF-Token`` header) with the cookie in constant time, and
replays the body to the app. Starlette has no CSRF middleware of its own, and the
third-party ones would add a dependency for these ~80 lines.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "pmkv_csrf"
FIELD = "csrf"
HEADER = "x-csrf-token"
MAX_FORM_BYTES = 4 * 1024 * 1024  # long markdown descriptions fit; nothing else is posted
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _valid(token: str | None) -> bool:
    return bool(token) and 20 <= len(token or "") <= 100 and (token or "").isascii()


class CsrfMiddleware:
    """Sets the session token cookie; rejects unsafe requests without a matching token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(COOKIE)
        fresh = not _valid(cookie)
        token = secrets.token_urlsafe(32) if fresh else str(cookie)
        scope.setdefault("state", {})["csrf"] = token
        if scope["method"] not in SAFE_METHODS:
            if fresh:
                await _reject(scope, receive, send, "no CSRF cookie: reload the page and retry")
                return
            body = await _read_body(receive)
            if body is None:
                await _reject(scope, receive, send, "the form is too large")
                return
            sent = request.headers.get(HEADER) or _form_token(request, body)
            if not sent or not hmac.compare_digest(sent.encode(), token.encode()):
                await _reject(scope, receive, send, "the form's CSRF token does not match")
                return
            receive = _replay(body)

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _form_token(request: Request, body: bytes) -> str | None:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
    return values[0] if values else None


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _reject(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    response = PlainTextResponse(f"403 Forbidden: {why}.", status_code=403)
    await response(scope, receive, send)
