"""The bytes fast path for flat base64 arrays (MGET, LRANGE, HMGET ...) encodes exactly
what the general encoder does, alone and inside a pipeline."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.encode import entries_json, entry_json, result_body, value_json
from pmkv.gateway.resp import BULK_OK, Bulk, RespError

bulks = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b"OK", b"\xff\xfe\x80", b'"\\/', b"\x00\n"]),
    st.just(BULK_OK),
    st.binary(max_size=8).map(Bulk),
)
# The items a flat engine array can hold; integers take the fast path's slow branch.
flat_items = st.one_of(bulks, st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1))
flat_arrays = st.lists(flat_items, max_size=12)
all_bulk_arrays = st.lists(bulks, min_size=1, max_size=12)


def _general_body(reply: Any, base64: bool) -> Any:
    return json.loads('{"result":' + value_json(reply, base64) + "}")


@given(flat_arrays)
def test_flat_array_body_equals_general_encoder(reply: list[Any]) -> None:
    assert json.loads(result_body(reply, True)) == _general_body(reply, True)


@given(all_bulk_arrays)
def test_all_bulk_array_body_equals_general_encoder(reply: list[Any]) -> None:
    assert json.loads(result_body(reply, True)) == _general_body(reply, True)


@given(flat_arrays)
def test_flat_array_plain_body_equals_general_encoder(reply: list[Any]) -> None:
    assert json.loads(result_body(reply, False)) == _general_body(reply, False)


def _decoded(reply: Any) -> Any:
    """What a plain reply means, item by item: bulks as lossy UTF-8 text."""
    if isinstance(reply, list):
        return [_decoded(r) for r in reply]
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply


nested_arrays = st.recursive(flat_items, lambda inner: st.lists(inner, max_size=5), max_leaves=20)


@given(st.lists(nested_arrays, max_size=6))
def test_nested_array_plain_body_equals_general_encoder(reply: list[Any]) -> None:
    """SCAN's [cursor, [keys]] and EVAL tables take the flat path for their inner arrays."""
    assert json.loads(result_body(reply, False)) == {"result": _decoded(reply)}
    assert json.loads(result_body(reply, False)) == _general_body(reply, False)
    assert json.loads(result_body(reply, True)) == _general_body(reply, True)


pipeline_entries = st.one_of(
    flat_arrays,
    bulks,
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=20).map(lambda m: RespError("ERR " + m)),
)


@given(st.lists(pipeline_entries, max_size=6))
def test_pipeline_entries_equal_general_encoder(replies: list[Any]) -> None:
    for base64 in (True, False):
        general = [json.loads(entry_json(r, base64)) for r in replies]
        assert json.loads(entries_json(replies, base64)) == general


@given(st.lists(all_bulk_arrays, min_size=1, max_size=4))
def test_pipeline_of_mgets_equals_general_encoder(replies: list[Any]) -> None:
    general = [json.loads(entry_json(r, True)) for r in replies]
    assert json.loads(entries_json(replies, True)) == general
