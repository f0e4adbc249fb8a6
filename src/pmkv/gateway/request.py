"""One HTTP request as the dispatcher sees it, and the slot its response goes into."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmkv.gateway import response
from pmkv.gateway.errors import GatewayError

if TYPE_CHECKING:
    from pmkv.gateway.protocol import HttpConnection

# The request headers the gateway reads, by kind; a dict hit on the name as sent
# spares a .lower() for the usual spellings.
H_OTHER, H_AUTH, H_ENCODING, H_FORMAT, H_LENGTH, H_EXPECT = range(6)
HEADER_KINDS: dict[bytes, int] = {}
for _name, _kind in (
    (b"authorization", H_AUTH),
    (b"upstash-encoding", H_ENCODING),
    (b"upstash-response-format", H_FORMAT),
    (b"upstash-reponse-format", H_FORMAT),  # the docs' own curl sample misspells it
    (b"content-length", H_LENGTH),
    (b"expect", H_EXPECT),
    (b"host", H_OTHER),
    (b"content-type", H_OTHER),
    (b"user-agent", H_OTHER),
    (b"accept", H_OTHER),
    (b"accept-encoding", H_OTHER),
    (b"connection", H_OTHER),
    (b"upstash-sync-token", H_OTHER),
):
    for _spelling in (_name, _name.title()):
        HEADER_KINDS[_spelling] = _kind


class Request:
    """What the dispatcher needs from one HTTP request."""

    __slots__ = ("auth", "body", "encoding", "fmt", "method", "url")

    def __init__(
        self,
        method: bytes,
        url: bytes,
        auth: bytes | None,
        encoding: bytes | None,
        fmt: bytes | None,
        body: bytes,
    ) -> None:
        self.method = method
        self.url = url
        self.auth = auth
        self.encoding = encoding
        self.fmt = fmt
        self.body = body


class Slot:
    """The place of one response in its connection's ordered output."""

    __slots__ = ("conn", "data", "head", "keep_alive")

    def __init__(self, conn: HttpConnection, keep_alive: bool, head: bool) -> None:
        self.conn = conn
        self.keep_alive = keep_alive
        self.head = head
        self.data: bytes | None = None

    def send(
        self, status: int, body: bytes, content_type: bytes = response.JSON, extra: bytes = b""
    ) -> None:
        if (
            status == 200
            and self.keep_alive
            and not self.head
            and not extra
            and content_type is response.JSON
        ):
            self.conn.complete(self, response.ok_json(body))  # the usual answer
            return
        self.conn.complete(
            self,
            response.build(
                status,
                body,
                content_type=content_type,
                close=not self.keep_alive,
                head=self.head,
                extra=extra,
            ),
        )

    def error(self, exc: GatewayError) -> None:
        self.send(exc.http_status, response.error_body(exc.message))

    @property
    def is_head(self) -> bool:
        """True when every earlier response on the connection has been written."""
        slots = self.conn.slots
        return bool(slots) and slots[0] is self
