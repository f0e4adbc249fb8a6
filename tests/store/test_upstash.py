"""``store.upstash.connect``: the official client, posting bodies encoded by orjson.

The body must be the very bytes ``httpx`` would have sent for ``json=``; anything orjson
would write differently (floats) or refuses must fall back to httpx's own encoder.
"""

from __future__ import annotations

import json

import httpx
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from pmkv.store import upstash
from tests.support.gateway import RunningGateway


def stock(value: object) -> bytes:
    """What httpx 0.28 sends for ``json=value``."""
    _headers, stream = httpx._content.encode_json(value)
    return b"".join(stream)


scalars = st.one_of(
    st.text(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    st.none(),
)
bodies = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


@given(bodies)
def test_fast_body_is_byte_identical_or_declined(value: object) -> None:
    try:
        expected: bytes | None = stock(value)
    except (ValueError, UnicodeEncodeError):
        expected = None  # httpx itself refuses it (NaN, lone surrogate): not ours to send
    fast = upstash.encode_body(value)
    if fast is not None:
        assert fast == expected
    elif expected is not None:
        assert any(isinstance(v, float) for v in _leaves(value)) or _has_huge_int(value)


def _leaves(value: object) -> list[object]:
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


def _has_huge_int(value: object) -> bool:
    return any(type(v) is int and not -(2**63) <= v < 2**64 for v in _leaves(value))


def test_plain_commands_take_the_fast_path() -> None:
    command = [["MSET", "pm:story:a", '{"title":"Ça \\"marche\\"\\n"}', "n", 12]]
    assert upstash.encode_body(command) == stock(command)
    assert upstash.encode_body(["INCRBYFLOAT", "k", 1.5]) is None  # floats: httpx encodes


def test_connected_client_round_trips_through_the_gateway(
    gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    client = upstash.connect(gateway.url, gateway.token, allow_telemetry=False)
    try:
        assert type(client._http._client) is upstash._FastJsonClient
        value = json.dumps({"t": 'quotes " and \\ and ünïcødé 🎉', "n": [1, None]})
        assert client.set("pm:story:x", value) is True
        assert client.get("pm:story:x") == value
        assert clean_engine.get("pm:story:x") == value.encode()
        assert client.incrbyfloat("f", 1.5) == 1.5  # a float: the stock encoder's path
        answered = client._http._client.post(
            gateway.url,
            json=["GET", "pm:story:x"],
            headers={"Authorization": f"Bearer {gateway.token}"},
        )
        assert type(answered) is upstash._FastJsonResponse  # re-classed in send()
        assert answered.json() == {"result": value}
        pipe = client.pipeline()
        pipe.set("a", "1")
        pipe.get("a")
        assert pipe.exec() == [True, "1"]
    finally:
        client.close()


def test_connect_passes_the_timeout(gateway: RunningGateway) -> None:
    client = upstash.connect(gateway.url, gateway.token, timeout=2.5, allow_telemetry=False)
    try:
        assert client._http._client.timeout == httpx.Timeout(2.5)
    finally:
        client.close()


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=15,
)


@given(json_values)
def test_fast_response_json_equals_the_stock_parser(value: object) -> None:
    """Same values and same types (an int beyond 64 bits stays an exact int)."""
    body = json.dumps(value).encode()
    fast = upstash._FastJsonResponse(200, content=body).json()
    assert json.dumps(fast) == json.dumps(json.loads(body))


def test_fast_response_json_keeps_the_stock_oddities() -> None:
    for body in (b"NaN", b"[1e400]", b'["\\ud800"]', '"é"'.encode("utf-16"), b"2" * 30):
        assert json.dumps(upstash._FastJsonResponse(200, content=body).json()) == json.dumps(
            json.loads(body)
        )


@pytest.mark.parametrize("bad", [b"[1,", b"\xff\xfe\xfd", b""])
def test_fast_response_json_raises_the_stock_errors(bad: bytes) -> None:
    # JSONDecodeError and UnicodeDecodeError are both ValueErrors: the exact type matters
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as stock:
        json.loads(bad)
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as fast:
        upstash._FastJsonResponse(200, content=bad).json()
    assert type(fast.value) is type(stock.value)
    assert str(fast.value) == str(stock.value)


def test_a_self_referencing_body_is_left_to_httpx() -> None:
    body: list[object] = ["x"]
    body.append(body)
    assert upstash.encode_body(body) is None  # httpx then reports the circular reference


def test_the_fast_client_keeps_proxy_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    stock = httpx.Client()
    fast = upstash._FastJsonClient(timeout=None)
    try:
        assert fast._mounts.keys() == stock._mounts.keys()
        assert fast._mounts
    finally:
        stock.close()
        fast.close()
