"""Engine replies → Upstash JSON, with and without base64 (spec §4.2, §4.3)."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.encode import entries_json, entry_json, error_json, result_body, value_json
from pmkv.gateway.resp import BULK_OK, RespError

replies = st.recursive(
    st.one_of(st.binary(max_size=40), st.integers(), st.none()),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=20,
)


def b64_decode(value: Any) -> Any:
    """What the official clients do with a base64 result (recursively)."""
    if isinstance(value, str):
        return base64.b64decode(value)
    if isinstance(value, list):
        return [b64_decode(v) for v in value]
    return value


def plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@given(replies)
def test_base64_round_trip_recovers_raw_bytes(reply: Any) -> None:
    # A top-level OK stays raw by design; every other value decodes back exactly.
    decoded = json.loads(value_json(reply, True))
    if reply == b"OK":
        assert decoded == "OK"
    else:
        assert b64_decode(decoded) == reply


@given(replies)
def test_plain_json_is_lossy_utf8(reply: Any) -> None:
    assert json.loads(value_json(reply, False)) == plain(reply)


def test_spec_nesting_example() -> None:
    # EVAL returning {'OK', 7, {'x'}, false}: OK encoded inside arrays, ints and nil kept.
    assert value_json([b"OK", 7, [b"x"], None], True) == '["T0s=",7,["eA=="],null]'


def test_top_level_ok_is_raw_and_other_strings_are_encoded() -> None:
    assert value_json(b"OK", True) == '"OK"'
    assert value_json(b"v", True) == '"dg=="'
    assert value_json(None, True) == "null"


def test_binary_without_base64_becomes_replacement_character() -> None:
    assert json.loads(value_json(b"\x9e", False)) == "\ufffd"
    assert value_json(b"\x9e", True) == '"ng=="'


def test_errors_are_never_encoded() -> None:
    assert json.loads(entry_json(RespError("WRONGTYPE x"), True)) == {"error": "WRONGTYPE x"}
    assert json.loads(error_json('ERR "quoted" é')) == {"error": 'ERR "quoted" é'}


@given(st.lists(st.one_of(st.binary(max_size=10), st.integers(), st.none()), max_size=10))
def test_entries_are_encoded_one_by_one(results: list[Any]) -> None:
    out = json.loads(entries_json(results, True))
    assert len(out) == len(results)
    for got, want in zip(out, results, strict=True):
        if want == b"OK":
            assert got == {"result": "OK"}
        else:
            assert b64_decode(got["result"]) == want


def test_entries_mix_results_and_errors() -> None:
    out = json.loads(entries_json([b"OK", 2, RespError("ERR no"), None], False))
    assert out == [{"result": "OK"}, {"result": 2}, {"error": "ERR no"}, {"result": None}]


def test_a_stored_ok_value_is_encoded_like_any_value() -> None:
    assert value_json(BULK_OK, True) == '"T0s="'
    assert value_json(BULK_OK, False) == '"OK"'
    assert json.loads(entries_json([BULK_OK, b"OK"], True)) == [
        {"result": "T0s="},
        {"result": "OK"},
    ]


def _slow_plain(reply: Any) -> str:
    """The plain encoding built value by value (the path before the orjson fast path)."""
    if isinstance(reply, list):
        return "[" + ",".join(_slow_plain(r) for r in reply) + "]"
    if isinstance(reply, bytes):
        return json.dumps(reply.decode("utf-8", "replace"), ensure_ascii=False)
    return "null" if reply is None else str(reply)


flat_items = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.integers(-(2**63), 2**64 - 1),
        st.integers(),
        st.none(),
    ),
    max_size=8,
)


@given(flat_items)
def test_flat_arrays_without_base64_match_the_value_by_value_encoding(items: list[Any]) -> None:
    expected = _slow_plain(items).encode()
    assert result_body(items, False) == b'{"result":' + expected + b"}"
    assert entries_json([items, b"x"], False) == b'[{"result":' + expected + b'},{"result":"x"}]'


def test_flat_mget_of_json_records_is_plain_json_text() -> None:
    records = [b'{"t":"a \\"q\\" \xc3\xa9\\n\x01"}', None, b"OK", 7, b"\xff"]
    body = json.loads(entries_json([records], False))
    assert body == [{"result": [records[0].decode(), None, "OK", 7, "\ufffd"]}]
