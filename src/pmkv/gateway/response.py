"""HTTP/1.1 response bytes: status line, the headers every reply carries, body."""

from __future__ import annotations

import itertools
import secrets

from pmkv.gateway.encode import error_json

JSON = b"application/json"
OCTETS = b"application/octet-stream"

_REASONS = {
    100: b"Continue",
    200: b"OK",
    204: b"No Content",
    400: b"Bad Request",
    401: b"Unauthorized",
    404: b"Not Found",
    405: b"Method Not Allowed",
    408: b"Request Timeout",
    413: b"Payload Too Large",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
    503: b"Service Unavailable",
}

CORS = b"Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: upstash-sync-token\r\n"
PREFLIGHT = (
    b"Access-Control-Allow-Methods: GET, POST, PUT, HEAD, OPTIONS\r\n"
    b"Access-Control-Allow-Headers: authorization, content-type, upstash-encoding, "
    b"upstash-sync-token, upstash-response-format, upstash-telemetry-sdk, "
    b"upstash-telemetry-runtime, upstash-telemetry-platform, cache-control, accept\r\n"
    b"Access-Control-Max-Age: 86400\r\n"
)

# A fresh opaque sync token per response: random per process, then a counter. Clients
# only echo it back; the engine is a single node, so every read already sees every write.
_PREFIX = secrets.token_hex(6).encode("ascii") + b"-"
_counter = itertools.count(1)


def sync_token() -> bytes:
    return _PREFIX + b"%x" % next(_counter)


def reseed() -> None:
    """Pick a new random prefix: each forked worker must issue its own tokens."""
    global _PREFIX
    _PREFIX = secrets.token_hex(6).encode("ascii") + b"-"
    _HEADS.clear()
    _set_ok_json()


def status_line(status: int) -> bytes:
    return b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))


_HEADS: dict[tuple[int, bytes], bytes] = {}


def _head(status: int, content_type: bytes) -> bytes:
    """Everything before the sync token's value, cached per (status, type)."""
    key = (status, content_type)
    head = _HEADS.get(key)
    if head is None:
        head = _HEADS[key] = (
            status_line(status)
            + b"Content-Type: "
            + content_type
            + b"\r\n"
            + CORS
            + b"upstash-sync-token: "
            + _PREFIX
        )
    return head


_OK_JSON = b""


def _set_ok_json() -> None:
    # The whole 200 JSON keep-alive response as one %-template (% escaped in the prefix
    # parts, which are hex and fixed header text anyway).
    global _OK_JSON
    _OK_JSON = _head(200, JSON).replace(b"%", b"%%") + b"%x\r\nContent-Length: %d\r\n\r\n%s"


_set_ok_json()


def build(
    status: int,
    body: bytes,
    *,
    content_type: bytes = JSON,
    close: bool = False,
    head: bool = False,
    extra: bytes = b"",
) -> bytes:
    """A complete response; ``head`` keeps Content-Length but drops the body."""
    return b"".join((
        _head(status, content_type),
        b"%x\r\nContent-Length: %d\r\n" % (next(_counter), len(body)),
        extra,
        b"Connection: close\r\n\r\n" if close else b"\r\n",
        b"" if head else body,
    ))  # fmt: skip


def ok_json(body: bytes) -> bytes:
    """``build(200, body)`` on a keep-alive connection: the hot path, in one format."""
    return _OK_JSON % (next(_counter), len(body), body)


def error_body(message: str) -> bytes:
    return error_json(message).encode("utf-8")


def stream_head(content_type: bytes = b"text/event-stream") -> bytes:
    """Headers of a chunked server-sent-events response."""
    return (
        b"%sContent-Type: %s\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
        b"upstash-sync-token: %s\r\n%s\r\n"
        % (
            status_line(200),
            content_type,
            sync_token(),
            CORS,
        )
    )


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
