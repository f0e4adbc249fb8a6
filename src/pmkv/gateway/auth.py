"""Token checks: ``Authorization: Bearer <t>`` or ``?_token=<t>``, constant-time."""

from __future__ import annotations

import hmac

from pmkv.gateway.errors import Unauthorized

FULL = 1
READONLY = 2

WRONGPASS = "WRONGPASS invalid or missing auth token"


class Auth:
    def __init__(self, token: str, readonly_token: str | None) -> None:
        self._token = token.encode("utf-8")
        self._ro = readonly_token.encode("utf-8") if readonly_token else None
        self._bearer = b"Bearer " + self._token

    def access(self, header: bytes | None, query_token: bytes | None) -> int:
        """FULL or READONLY; raises :class:`Unauthorized`.

        The header wins when present: a bad header is refused even with a good
        ``_token`` (what UPREST does; Upstash's precedence is unknown).
        """
        if header is not None:
            # The exact form every client sends, checked in one constant-time compare.
            if hmac.compare_digest(header, self._bearer):
                return FULL
            scheme, _, given = header.strip().partition(b" ")
            if scheme.lower() != b"bearer":
                raise Unauthorized(WRONGPASS, hint="send Authorization: Bearer <token>")
            given = given.strip()
        elif query_token is not None:
            given = query_token
        else:
            raise Unauthorized(WRONGPASS, hint="send Authorization: Bearer <token>")
        full = hmac.compare_digest(given, self._token)
        ro = self._ro is not None and hmac.compare_digest(given, self._ro)
        if full:
            return FULL
        if ro:
            return READONLY
        raise Unauthorized(WRONGPASS, hint="use the token printed by pmkv env")
