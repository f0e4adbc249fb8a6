"""The optional access token: required on every request when the console has one.

``/?token=T`` once sets an HttpOnly cookie (and redirects to drop the token from the
address bar); scripts may send ``Authorization: Bearer T`` instead.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "pmkv_console_token"


class TokenMiddleware:
    """Rejects requests that do not carry ``token`` (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def _matches(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        offered = request.query_params.get("token")
        if self._matches(offered):
            clean = URL(scope=scope).remove_query_params("token")
            target = clean.path + (f"?{clean.query}" if clean.query else "")
            response = RedirectResponse(target or "/", 303)
            response.set_cookie(COOKIE, offered or "", httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        bearer = request.headers.get("authorization", "")
        if self._matches(request.cookies.get(COOKIE)) or (
            bearer.startswith("Bearer ") and self._matches(bearer[7:])
        ):
            await self.app(scope, receive, send)
            return
        denied = PlainTextResponse(
            "401 Unauthorized: this console needs its token; open /?token=<token> once.",
            status_code=401,
        )
        await denied(scope, receive, send)
