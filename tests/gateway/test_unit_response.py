"""HTTP response bytes and SSE event lines."""

from __future__ import annotations

from typing import Any

import httptools
from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway import response
from pmkv.gateway.resp import BULK_OK, RespError
from pmkv.gateway.sse import event_line


class Collect:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.body = b""
        self.done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


def parse(data: bytes) -> tuple[int, Collect]:
    seen = Collect()
    parser = httptools.HttpResponseParser(seen)
    parser.feed_data(data)
    assert seen.done
    return parser.get_status_code(), seen


@given(st.sampled_from([200, 400, 401, 404, 405, 503]), st.binary(max_size=200), st.booleans())
def test_built_responses_parse_back(status: int, body: bytes, close: bool) -> None:
    code, seen = parse(response.build(status, body, close=close))
    assert code == status
    assert seen.body == body
    assert seen.headers[b"content-length"] == str(len(body)).encode()
    assert seen.headers[b"upstash-sync-token"]
    assert seen.headers[b"access-control-allow-origin"] == b"*"
    assert (seen.headers.get(b"connection") == b"close") == close


def test_sync_token_is_fresh_every_time() -> None:
    tokens = {
        parse(response.build(200, b"{}"))[1].headers[b"upstash-sync-token"] for _ in range(50)
    }
    assert len(tokens) == 50


def test_head_keeps_length_without_body() -> None:
    data = response.build(200, b'{"result":1}', head=True)
    assert data.endswith(b"\r\n\r\n")
    assert b"Content-Length: 12\r\n" in data


def test_event_lines() -> None:
    assert event_line([b"subscribe", b"ch", 1]) == b"data: subscribe,ch,1\n\n"
    assert (
        event_line([b"pmessage", b"p*", b"pa", b'{"a":1}']) == b'data: pmessage,p*,pa,{"a":1}\n\n'
    )
    assert event_line(RespError("ERR x")) == b"data: ERR x\n\n"


@given(st.binary(max_size=100))
def test_chunks_frame_their_payload(payload: Any) -> None:
    framed = response.chunk(payload)
    size, _, rest = framed.partition(b"\r\n")
    assert int(size, 16) == len(payload)
    assert rest == payload + b"\r\n"


def test_event_lines_write_stored_ok_as_text() -> None:
    assert event_line([b"message", b"ch", BULK_OK]) == b"data: message,ch,OK\n\n"
