"""RESP packing and re-serialization, checked against hiredis's parser."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.resp import (
    BULK_OK,
    NOT_ENOUGH,
    RespError,
    new_reader,
    pack,
    pack_into,
    to_resp2,
    top_level_kinds,
)


def parse_all(data: bytes) -> list[Any]:
    reader = new_reader()
    reader.feed(data)
    out = []
    while (reply := reader.gets()) is not NOT_ENOUGH:
        out.append(reply)
    return out


@given(st.lists(st.binary(max_size=30), min_size=1, max_size=6))
def test_pack_round_trips_through_the_parser(args: list[bytes]) -> None:
    assert parse_all(pack(args)) == [args]


@given(st.lists(st.lists(st.binary(max_size=8), min_size=1, max_size=4), max_size=5))
def test_pack_into_concatenates_commands(commands: list[list[bytes]]) -> None:
    parts: list[bytes] = []
    for c in commands:
        pack_into(parts, c)
    assert parse_all(b"".join(parts)) == commands


replies = st.recursive(
    st.one_of(st.binary(max_size=20), st.integers(min_value=-(2**63), max_value=2**63 - 1),
              st.none()),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=15,
)  # fmt: skip


@given(replies)
def test_to_resp2_round_trips(reply: Any) -> None:
    assert parse_all(to_resp2(reply)) == [reply]


def test_error_replies_come_back_as_values() -> None:
    (err,) = parse_all(b"-ERR bad thing\r\n")
    assert isinstance(err, RespError)
    assert err.message == "ERR bad thing"
    assert to_resp2(err) == b"-ERR bad thing\r\n"


def test_ok_is_written_as_a_status_reply() -> None:
    assert to_resp2(b"OK") == b"+OK\r\n"
    assert to_resp2(b"bar") == b"$3\r\nbar\r\n"


@given(st.lists(replies, max_size=6))
def test_top_level_kinds_follow_the_replies(batch: list[Any]) -> None:
    wire = b"".join(to_resp2(r) for r in batch)
    assert top_level_kinds(wire) == [to_resp2(r)[0] for r in batch]
    # A cut-off last reply is not counted.
    if wire:
        assert len(top_level_kinds(wire[:-1])) == len(batch) - 1


def test_bulk_ok_is_not_a_status_ok() -> None:
    assert top_level_kinds(b"+OK\r\n$2\r\nOK\r\n*1\r\n$2\r\nOK\r\n") == [0x2B, 0x24, 0x2A]
    assert to_resp2(BULK_OK) == b"$2\r\nOK\r\n"
    assert to_resp2([BULK_OK, b"OK"]) == b"*2\r\n$2\r\nOK\r\n+OK\r\n"
