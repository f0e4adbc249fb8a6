"""RESP packing and re-serialization, checked against hiredis's parser."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.resp import (
    BULK_OK,
    NOT_ENOUGH,
    Bulk,
    RespError,
    mark_bulk_ok,
    new_reader,
    pack,
    pack_into,
    to_resp2,
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


def shape(reply: Any) -> Any:
    """The reply with each string tagged by its exact type (Bulk vs bytes)."""
    if isinstance(reply, list):
        return [shape(r) for r in reply]
    if isinstance(reply, bytes):
        return (type(reply).__name__, bytes(reply))
    return reply


with_bulk_ok = st.recursive(
    st.one_of(st.sampled_from([b"OK", BULK_OK]), st.binary(max_size=5),
              st.integers(min_value=-(2**63), max_value=2**63 - 1), st.none()),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=15,
)  # fmt: skip


@given(st.lists(with_bulk_ok, max_size=6))
def test_mark_bulk_ok_recovers_bulk_vs_status(batch: list[Any]) -> None:
    wire = b"".join(to_resp2(r) for r in batch)
    parsed = parse_all(wire)
    mark_bulk_ok(wire, parsed)
    # Plain bytes "OK" went out as a status reply and must come back as plain bytes.
    assert shape(parsed) == shape(batch)


def test_bulk_ok_is_not_a_status_ok() -> None:
    wire = b"+OK\r\n$2\r\nOK\r\n*2\r\n$2\r\nOK\r\n+OK\r\n"
    parsed = parse_all(wire)
    mark_bulk_ok(wire, parsed)
    assert [type(parsed[0]), type(parsed[1])] == [bytes, Bulk]
    assert [type(x) for x in parsed[2]] == [Bulk, bytes]
    assert to_resp2(BULK_OK) == b"$2\r\nOK\r\n"
