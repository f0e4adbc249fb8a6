"""The JSON conformance cases of the protocol spec §11 (cases 1-9, 11, 12, 14), over raw HTTP.

Path-style, auth details, CORS, limits and raw sockets are in test_conformance_http.py,
server-sent events in test_conformance_sse.py, engine faults in test_faults.py, and the
official clients (case 15) in test_client_python.py / test_client_js.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.gateway.wire import Call, assert_json_error
from tests.support.engine import RunningEngine
from tests.support.gateway import RunningGateway


def b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(data).decode()


def walk(value: Any) -> list[Any]:
    """Every scalar inside a (nested) JSON value."""
    if isinstance(value, list):
        return [leaf for item in value for leaf in walk(item)]
    return [value]


# §11.1 basic round trip, both encodings


def test_set_then_get_plain(call: Call, key: str) -> None:
    set_reply = call(["SET", key, "v"])
    assert set_reply.status_code == 200
    assert set_reply.json() == {"result": "OK"}
    assert set_reply.headers["content-type"].startswith("application/json")
    get_reply = call(["GET", key])
    assert get_reply.status_code == 200
    assert get_reply.json() == {"result": "v"}


def test_set_then_get_base64(call: Call, key: str) -> None:
    assert call(["SET", key, "v"], b64=True).json() == {"result": "OK"}
    assert call(["GET", key], b64=True).json() == {"result": "dg=="}


def test_command_names_are_case_insensitive(call: Call, key: str) -> None:
    assert call(["set", key, "lower"]).json() == {"result": "OK"}
    assert call(["gEt", key]).json() == {"result": "lower"}


# §11.2 nil


@pytest.mark.parametrize("encoded", [False, True])
def test_missing_key_gives_explicit_null_result(call: Call, key: str, encoded: bool) -> None:
    reply = call(["GET", key + "missing"], b64=encoded)
    assert reply.status_code == 200
    assert reply.json() == {"result": None}
    assert '"result"' in reply.text


def test_null_inside_arrays_is_kept(call: Call, key: str) -> None:
    call(["SET", key + "a", "v"])
    reply = call(["MGET", key + "a", key + "nope"], b64=True)
    assert reply.json() == {"result": ["dg==", None]}


# §11.3 base64 nesting


def test_base64_nesting_of_script_reply(call: Call) -> None:
    script = "return {'OK', 7, {'x'}, false}"
    reply = call(["EVAL", script, 0], b64=True)
    assert reply.status_code == 200
    assert reply.json() == {"result": ["T0s=", 7, ["eA=="], None]}


def test_plain_nested_reply_has_no_floats_booleans_or_objects(call: Call, key: str) -> None:
    call(["ZADD", key, 1.5, "a", 2, "b"])
    call(["HSET", key + "h", "f", "1"])
    replies = [
        call(["ZRANGE", key, 0, -1, "WITHSCORES"]).json()["result"],
        call(["ZSCORE", key, "a"]).json()["result"],
        call(["INCRBYFLOAT", key + "f", "0.5"]).json()["result"],
        call(["HGETALL", key + "h"]).json()["result"],
        call(["EVAL", "return {1, 'two', {3.7}}", 0]).json()["result"],
    ]
    assert replies[0] == ["a", "1.5", "b", "2"]
    assert replies[1] == "1.5"
    assert replies[2] == "0.5"
    assert replies[3] == ["f", "1"]
    assert replies[4] == [1, "two", [3]]
    for leaf in walk(replies):
        assert leaf is None or type(leaf) in (str, int), leaf


# §11.4 argument coercion keeps lexemes


@pytest.mark.parametrize(
    ("lexeme", "stored"),
    [
        ("1.5", "1.5"),
        ("true", "true"),
        ("false", "false"),
        ("9007199254740993", "9007199254740993"),
        ("1.0", "1.0"),
        ("-42", "-42"),
        ("1e-07", "1e-07"),
        ("0", "0"),
    ],
)
def test_json_scalars_are_sent_as_their_lexeme(
    call: Call, key: str, engine_client: redis.Redis, lexeme: str, stored: str
) -> None:
    reply = call(raw=f'["SET",{json.dumps(key)},{lexeme}]')
    assert reply.json() == {"result": "OK"}
    assert engine_client.get(key) == stored.encode()
    assert call(["GET", key]).json() == {"result": stored}


def test_float_score_is_accepted(call: Call, key: str) -> None:
    reply = call(raw=f'["ZADD",{json.dumps(key)},13.361389,"m"]')
    assert reply.json() == {"result": 1}
    assert call(["ZSCORE", key, "m"]).json() == {"result": "13.361389"}


def test_numbers_in_pipelines_keep_their_lexeme(call: Call, key: str) -> None:
    k = json.dumps(key)
    reply = call(path="/pipeline", raw=f'[["SET",{k},12345678901234567890],["GET",{k}]]')
    assert reply.json() == [{"result": "OK"}, {"result": "12345678901234567890"}]


def test_null_argument_is_never_stored_as_none(
    call: Call, key: str, engine_client: redis.Redis
) -> None:
    reply = call(["SET", key, None])
    if reply.status_code == 200 and "result" in reply.json():
        assert engine_client.get(key) not in (b"None", b"none")
    else:
        assert_json_error(reply)


def test_object_argument_is_rejected(call: Call, key: str, engine_client: redis.Redis) -> None:
    reply = call(["SET", key, {"a": 1}])
    assert reply.status_code == 400
    assert_json_error(reply)
    assert engine_client.exists(key) == 0


# §11.5 single-command errors


def test_wrong_arity_is_400_with_the_engine_error(
    call: Call, key: str, engine_client: redis.Redis
) -> None:
    reply = call(["SET", key])
    assert reply.status_code == 400
    error = assert_json_error(reply)
    assert error == "ERR wrong number of arguments for 'set' command"
    with pytest.raises(redis.ResponseError) as direct:
        engine_client.execute_command("SET", key)
    assert error.endswith(str(direct.value))  # redis-py drops the "ERR " prefix


def test_unknown_command_is_400(call: Call) -> None:
    reply = call(["NOSUCHCOMMAND", "x"])
    assert reply.status_code == 400
    error = assert_json_error(reply)
    assert error.startswith("ERR")
    assert "nosuchcommand" in error.lower()


def test_wrongtype_is_400(call: Call, key: str) -> None:
    call(["SET", key, "s"])
    reply = call(["HGET", key, "f"])
    assert reply.status_code == 400
    assert assert_json_error(reply).startswith("WRONGTYPE")


# §11.6 pipelines


def test_pipeline_semantics_in_order(call: Call, key: str) -> None:
    body = [["SET", key, "1"], ["INCR", key], ["HGET", key, "f"], ["GET", key]]
    reply = call(body, path="/pipeline")
    assert reply.status_code == 200
    entries = reply.json()
    assert entries[0] == {"result": "OK"}
    assert entries[1] == {"result": 2}
    assert set(entries[2]) == {"error"}
    assert entries[2]["error"].startswith("WRONGTYPE")
    assert entries[3] == {"result": "2"}


def test_pipeline_base64_per_entry(call: Call, key: str) -> None:
    body = [["SET", key, "1"], ["INCR", key], ["GET", key], ["MGET", key, key + "x"]]
    entries = call(body, path="/pipeline", b64=True).json()
    assert entries[0]["result"] in ("OK", "T0s=")
    assert entries[1:] == [{"result": 2}, {"result": "Mg=="}, {"result": ["Mg==", None]}]


def test_empty_pipeline_is_200_empty_array(call: Call) -> None:
    reply = call([], path="/pipeline")
    assert reply.status_code == 200
    assert reply.json() == []


def test_unknown_command_in_pipeline_fails_only_its_entry(call: Call, key: str) -> None:
    body = [["SET", key, "a"], ["NOSUCHCOMMAND"], ["GET", key]]
    entries = call(body, path="/pipeline").json()
    assert entries[0] == {"result": "OK"}
    assert set(entries[1]) == {"error"}
    assert entries[2] == {"result": "a"}


def test_malformed_pipeline_entry_fails_only_its_entry(call: Call, key: str) -> None:
    body: list[Any] = [["SET", key, "a"], "GET", [], ["GET", key]]
    reply = call(body, path="/pipeline")
    assert reply.status_code == 200
    entries = reply.json()
    assert len(entries) == 4
    assert entries[0] == {"result": "OK"}
    assert set(entries[1]) == {"error"}
    assert set(entries[2]) == {"error"}
    assert entries[3] == {"result": "a"}


def test_pipeline_of_a_thousand_commands(call: Call, key: str) -> None:
    body = [["INCR", key] for _ in range(1000)]
    entries = call(body, path="/pipeline").json()
    assert entries == [{"result": n} for n in range(1, 1001)]


# §11.7 multi-exec


def test_multi_exec_runtime_error_is_per_entry(call: Call, key: str) -> None:
    body = [["SET", key, "1"], ["HGET", key, "f"], ["INCR", key]]
    reply = call(body, path="/multi-exec")
    assert reply.status_code == 200
    entries = reply.json()
    assert entries[0] == {"result": "OK"}
    assert entries[1]["error"].startswith("WRONGTYPE")
    assert entries[2] == {"result": 2}


def test_multi_exec_base64_per_entry(call: Call, key: str) -> None:
    body = [["SET", key, "abc"], ["GET", key], ["STRLEN", key]]
    entries = call(body, path="/multi-exec", b64=True).json()
    assert entries[0]["result"] in ("OK", "T0s=")
    assert entries[1:] == [{"result": "YWJj"}, {"result": 3}]


def test_multi_exec_queue_error_discards_everything(
    call: Call, key: str, engine_client: redis.Redis
) -> None:
    reply = call([["SET", key, "1"], ["SET", key + "x"]], path="/multi-exec")
    assert reply.status_code == 400
    assert assert_json_error(reply).startswith("EXECABORT")
    assert engine_client.exists(key) == 0


def test_multi_exec_leaves_no_transaction_open(call: Call, key: str) -> None:
    call([["SET", key, "1"], ["SET", key + "x"]], path="/multi-exec")
    # If a MULTI leaked onto a shared connection, these would answer "QUEUED".
    for _ in range(5):
        assert call(["INCR", key + "n"]).json()["result"] in range(1, 6)
    assert call(["GET", key + "n"]).json() == {"result": "5"}


def test_twenty_concurrent_transactions_are_atomic(gateway: RunningGateway, key: str) -> None:
    counter = key + "c"
    per_tx = 5

    def transaction(_: int) -> httpx.Response:
        with httpx.Client(
            base_url=gateway.url, headers={"Authorization": f"Bearer {gateway.token}"}
        ) as client:
            body = [["INCR", counter] for _ in range(per_tx)]
            return client.post("/multi-exec", json=body, timeout=20)

    def interloper(_: int) -> httpx.Response:
        with httpx.Client(
            base_url=gateway.url, headers={"Authorization": f"Bearer {gateway.token}"}
        ) as client:
            return client.post("/pipeline", json=[["INCR", counter]], timeout=20)

    with ThreadPoolExecutor(max_workers=40) as pool:
        tx_futures = [pool.submit(transaction, i) for i in range(20)]
        other_futures = [pool.submit(interloper, i) for i in range(20)]
        tx_replies = [f.result() for f in tx_futures]
        other_replies = [f.result() for f in other_futures]

    seen: list[int] = []
    for reply in tx_replies:
        assert reply.status_code == 200, reply.text
        values = [entry["result"] for entry in reply.json()]
        assert values == list(range(values[0], values[0] + per_tx)), values
        seen.extend(values)
    for reply in other_replies:
        assert reply.status_code == 200, reply.text
        seen.append(reply.json()[0]["result"])
    assert sorted(seen) == list(range(1, 20 * per_tx + 20 + 1))


# §11.8 auth (JSON side; query token and precedence are in test_conformance_http.py)


def test_missing_token_is_401_json(anon: httpx.Client, key: str) -> None:
    reply = anon.post("/", json=["GET", key])
    assert reply.status_code == 401
    assert assert_json_error(reply) == "WRONGPASS invalid or missing auth token"


@pytest.mark.parametrize(
    "authorization", ["Bearer wrong-token", "Bearer", "Bearer undefined", "Basic abc", "wrong"]
)
def test_wrong_token_is_401_json(anon: httpx.Client, key: str, authorization: str) -> None:
    for path, body in (("/", ["GET", key]), ("/pipeline", [["GET", key]])):
        reply = anon.post(path, json=body, headers={"Authorization": authorization})
        assert reply.status_code == 401
        assert assert_json_error(reply) == "WRONGPASS invalid or missing auth token"
    tx = anon.post("/multi-exec", json=[["GET", key]], headers={"Authorization": authorization})
    assert tx.status_code == 401


def test_token_prefix_is_not_enough(anon: httpx.Client, gateway: RunningGateway) -> None:
    for candidate in (gateway.token[:-1], gateway.token + "x", gateway.token.upper()):
        if candidate == gateway.token:
            continue
        reply = anon.post("/", json=["PING"], headers={"Authorization": f"Bearer {candidate}"})
        assert reply.status_code == 401


def test_readonly_token_reads_but_cannot_write(
    anon: httpx.Client, gateway: RunningGateway, call: Call, key: str, engine_client: redis.Redis
) -> None:
    call(["SET", key, "before"])
    ro = {"Authorization": f"Bearer {gateway.readonly_token}"}
    assert anon.post("/", json=["GET", key], headers=ro).json() == {"result": "before"}
    denied = anon.post("/", json=["SET", key, "after"], headers=ro)
    assert denied.status_code in (400, 403)
    assert assert_json_error(denied).startswith("NOPERM")
    assert engine_client.get(key) == b"before"


def test_readonly_token_cannot_write_through_pipeline_or_transaction(
    anon: httpx.Client, gateway: RunningGateway, key: str, engine_client: redis.Redis
) -> None:
    ro = {"Authorization": f"Bearer {gateway.readonly_token}"}
    pipe = anon.post("/pipeline", json=[["GET", key], ["SET", key, "x"]], headers=ro)
    assert "NOPERM" in pipe.text
    tx = anon.post("/multi-exec", json=[["GET", key], ["SET", key, "x"]], headers=ro)
    assert "NOPERM" in tx.text
    script = anon.post(
        "/", json=["EVAL", "return redis.call('SET', KEYS[1], 'x')", 1, key], headers=ro
    )
    assert script.status_code >= 400
    assert engine_client.exists(key) == 0


# §11.9 read-your-writes sync token


def test_every_response_carries_a_fresh_sync_token(
    call: Call, anon: httpx.Client, key: str
) -> None:
    replies = [
        call(["SET", key, "1"]),
        call(["GET", key]),
        call(["SET", key]),
        call([["INCR", key]], path="/pipeline"),
        call([["INCR", key]], path="/multi-exec"),
        call([["SET", key], ["INCR", key]], path="/multi-exec"),
        call(["EVAL", "return redis.call('INCR', KEYS[1])", 1, key]),
        call(["SCRIPT", "LOAD", "return 1"]),
        call(method="GET", path=f"/get/{key}"),
        anon.post("/", json=["GET", key]),
    ]
    tokens = [reply.headers.get("upstash-sync-token") for reply in replies]
    assert all(tokens), tokens
    assert len(set(tokens)) == len(tokens), tokens


@pytest.mark.parametrize("incoming", ["", "garbage", "x" * 200, "12345"])
def test_any_incoming_sync_token_is_accepted(call: Call, key: str, incoming: str) -> None:
    headers = {"upstash-sync-token": incoming}
    assert call(["SET", key, "v"], headers=headers).json() == {"result": "OK"}
    assert call(["GET", key], headers=headers).json() == {"result": "v"}


def test_sync_token_changes_after_each_of_concurrent_writes(
    gateway: RunningGateway, key: str
) -> None:
    headers = {"Authorization": f"Bearer {gateway.token}", "Upstash-Encoding": "base64"}

    def write(i: int) -> str:
        with httpx.Client(base_url=gateway.url, headers=headers) as client:
            reply = client.post("/", json=["SET", f"{key}{i}", "v"])
            return reply.headers["upstash-sync-token"]

    with ThreadPoolExecutor(max_workers=3) as pool:
        tokens = list(pool.map(write, range(3)))
    assert len(set(tokens)) == 3


# §11.11 content-type leniency


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_json_body_is_parsed_whatever_the_content_type(
    gateway: RunningGateway, key: str, content_type: str | None
) -> None:
    headers = {"Authorization": f"Bearer {gateway.token}"}
    if content_type:
        headers["Content-Type"] = content_type
    with httpx.Client(base_url=gateway.url, headers=headers) as client:
        assert client.post("/", content=json.dumps(["SET", key, "v"])).json() == {"result": "OK"}
        pipe = client.post("/pipeline", content=json.dumps([["GET", key]]))
        assert pipe.json() == [{"result": "v"}]
        tx = client.post("/multi-exec", content=json.dumps([["GET", key]]))
        assert tx.json() == [{"result": "v"}]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'"GET"', b"[]", b"[[]]", b"[1, 2", b'["\\ud800"]', b"\xff\xfe"],
)
def test_bad_single_command_bodies_are_400_json(call: Call, body: bytes) -> None:
    reply = call(raw=body)
    assert reply.status_code == 400
    assert_json_error(reply)


@pytest.mark.parametrize("path", ["/pipeline", "/multi-exec"])
@pytest.mark.parametrize("body", [b"not json", b'{"a": 1}', b'"x"'])
def test_bad_batch_bodies_are_400_json(call: Call, path: str, body: bytes) -> None:
    reply = call(path=path, raw=body)
    assert reply.status_code == 400
    assert_json_error(reply)


def test_large_value_round_trips(call: Call, key: str) -> None:
    value = "é" * (1024 * 1024)
    assert call(["SET", key, value]).json() == {"result": "OK"}
    assert call(["GET", key]).json() == {"result": value}
    assert call(["GET", key], b64=True).json() == {"result": b64(value)}


# §11.12 binary safety


def test_binary_reply_is_base64_of_raw_bytes(call: Call, key: str) -> None:
    call(["SET", key + "s", "a"])
    assert call(["BITOP", "NOT", key + "t", key + "s"]).json() == {"result": 1}
    assert call(["GET", key + "t"], b64=True).json() == {"result": "ng=="}
    assert call(["GET", key + "t"]).json() == {"result": "\ufffd"}


def test_utf8_round_trips_in_both_encodings(call: Call, key: str) -> None:
    text = 'héllo 世界 🎉 "quoted" \\ back\nnewline'
    call(["SET", key, text])
    assert call(["GET", key]).json() == {"result": text}
    assert call(["GET", key], b64=True).json() == {"result": b64(text)}


# §11.14 Lua flag normalization

FLAGGED = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])"
FLAGGED_RO = "#!lua flags=no-writes,allow-key-locking\nreturn redis.call('GET', KEYS[1])"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def test_eval_with_allow_key_locking_runs(call: Call, key: str) -> None:
    assert call(["EVAL", FLAGGED, 1, key]).json() == {"result": 1}
    assert call(["EVAL", FLAGGED, "1", key]).json() == {"result": 2}


def test_eval_ro_with_flags_runs(call: Call, key: str) -> None:
    call(["SET", key, "v"])
    assert call(["EVAL_RO", FLAGGED_RO, 1, key]).json() == {"result": "v"}


def test_script_load_then_evalsha_of_the_original_sha(call: Call, key: str) -> None:
    script = FLAGGED + f" -- {key}"
    loaded = call(["SCRIPT", "LOAD", script])
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {"result": sha1(script)}
    assert call(["EVALSHA", sha1(script), 1, key]).json() == {"result": 1}
    assert call(["evalsha", sha1(script), 1, key], b64=True).json() == {"result": 2}


def test_evalsha_ro_of_the_original_sha(call: Call, key: str) -> None:
    script = FLAGGED_RO + f" -- {key}"
    call(["SET", key, "v"])
    call(["SCRIPT", "LOAD", script])
    assert call(["EVALSHA_RO", sha1(script), 1, key]).json() == {"result": "v"}


def test_eval_registers_the_original_sha(call: Call, key: str) -> None:
    script = FLAGGED + f" -- eval {key}"
    assert call(["EVAL", script, 1, key]).json() == {"result": 1}
    assert call(["EVALSHA", sha1(script), 1, key]).json() == {"result": 2}


def test_flagged_scripts_in_pipeline_and_transaction(call: Call, key: str) -> None:
    script = FLAGGED + f" -- pipe {key}"
    pipe = call(
        [["SCRIPT", "LOAD", script], ["EVALSHA", sha1(script), 1, key], ["EVAL", script, 1, key]],
        path="/pipeline",
    ).json()
    assert pipe == [{"result": sha1(script)}, {"result": 1}, {"result": 2}]
    tx = call([["EVALSHA", sha1(script), 1, key], ["EVAL", FLAGGED, 1, key]], path="/multi-exec")
    assert tx.json() == [{"result": 3}, {"result": 4}]


def test_unknown_sha_still_answers_noscript(call: Call, key: str) -> None:
    reply = call(["EVALSHA", sha1(f"never loaded {key}"), 0])
    assert reply.status_code == 400
    assert assert_json_error(reply).startswith("NOSCRIPT")


def test_unflagged_shebang_still_works(call: Call, key: str) -> None:
    script = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])"
    call(["SET", key, "x"])
    assert call(["EVAL_RO", script, 1, key]).json() == {"result": "x"}


# round trips (property-based): whatever goes in comes back, in both encodings

PROPERTY = settings(max_examples=40, deadline=None)


@PROPERTY
@given(value=st.text())
def test_any_text_round_trips(http: httpx.Client, value: str) -> None:
    key = f"pmkvtest-prop-text-{uuid.uuid4().hex}"
    assert http.post("/", json=["SET", key, value]).json() == {"result": "OK"}
    assert http.post("/", json=["GET", key]).json() == {"result": value}
    encoded = http.post("/", json=["GET", key], headers={"Upstash-Encoding": "base64"})
    assert base64.b64decode(encoded.json()["result"]).decode() == value


@PROPERTY
@given(value=st.binary(min_size=1))
def test_any_bytes_round_trip_through_a_raw_body(http: httpx.Client, value: bytes) -> None:
    key = f"pmkvtest-prop-bytes-{uuid.uuid4().hex}"
    assert http.post(f"/set/{key}", content=value).json() == {"result": "OK"}
    encoded = http.post("/", json=["GET", key], headers={"Upstash-Encoding": "base64"})
    assert base64.b64decode(encoded.json()["result"]) == value
    raw = http.post("/", json=["GET", key], headers={"Upstash-Response-Format": "resp2"})
    assert raw.content == b"$%d\r\n%s\r\n" % (len(value), value)


@PROPERTY
@given(number=st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_any_json_number_keeps_its_lexeme(http: httpx.Client, number: float) -> None:
    key = f"pmkvtest-prop-num-{uuid.uuid4().hex}"
    lexeme = json.dumps(number)
    reply = http.post("/", content=f'["SET","{key}",{lexeme}]'.encode())
    assert reply.json() == {"result": "OK"}
    assert http.post("/", json=["GET", key]).json() == {"result": lexeme}


@pytest.mark.parametrize("encoding", ["", "none", "NONE"])
def test_other_encodings_mean_plain_json(call: Call, key: str, encoding: str) -> None:
    call(["SET", key, "v"])
    reply = call(["GET", key], headers={"Upstash-Encoding": encoding})
    assert reply.json() == {"result": "v"}


# every (non-policy) command passes through: the gateway's answer is the engine's answer

READS = [
    ["GET", "{k}s"],
    ["STRLEN", "{k}s"],
    ["GETRANGE", "{k}s", 1, 3],
    ["MGET", "{k}s", "{k}none"],
    ["HGETALL", "{k}h"],
    ["HMGET", "{k}h", "a", "zz"],
    ["HSTRLEN", "{k}h", "a"],
    ["LRANGE", "{k}l", 0, -1],
    ["LPOS", "{k}l", "b"],
    ["SMEMBERS", "{k}set"],
    ["SINTERCARD", 1, "{k}set"],
    ["ZRANGE", "{k}z", 0, -1, "WITHSCORES"],
    ["ZRANGEBYSCORE", "{k}z", "(1", "+inf", "LIMIT", 0, 5],
    ["ZMSCORE", "{k}z", "a", "nope"],
    ["XRANGE", "{k}x", "-", "+"],
    ["XLEN", "{k}x"],
    ["PFCOUNT", "{k}hll"],
    ["GEODIST", "{k}geo", "Palermo", "Catania", "km"],
    ["GEOPOS", "{k}geo", "Palermo", "Nowhere"],
    ["GEOSEARCH", "{k}geo", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC", "WITHDIST"],
    ["BITCOUNT", "{k}s"],
    ["GETBIT", "{k}s", 1],
    ["TYPE", "{k}z"],
    ["OBJECT", "ENCODING", "{k}l"],
    ["TTL", "{k}s"],
    ["EXISTS", "{k}s", "{k}h", "{k}none"],
    ["SORT", "{k}l", "ALPHA", "DESC"],
    ["LCS", "{k}s", "{k}s2"],
    ["DUMP", "{k}s"],
    ["ECHO", "héllo"],
    ["PING"],
    ["COMMAND", "COUNT"],
]


def plain(reply: Any) -> Any:
    """A raw engine reply as the gateway must render it in JSON (spec §4.2)."""
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    if isinstance(reply, list):
        return [plain(item) for item in reply]
    return reply


def encoded(reply: Any, top: bool = True) -> Any:
    """The same reply with ``Upstash-Encoding: base64`` (spec §4.3)."""
    if isinstance(reply, bytes):
        return "OK" if top and reply == b"OK" else base64.b64encode(reply).decode()
    if isinstance(reply, list):
        return [encoded(item, top=False) for item in reply]
    return reply


@pytest.fixture
def dataset(key: str, engine_client: redis.Redis) -> str:
    engine_client.set(f"{key}s", "hello world")
    engine_client.set(f"{key}s2", "hollow word")
    engine_client.hset(f"{key}h", mapping={"a": "1", "b": "two"})
    engine_client.rpush(f"{key}l", "c", "b", "a", "b")
    engine_client.sadd(f"{key}set", "x", "y", "z")
    engine_client.zadd(f"{key}z", {"a": 1, "b": 2.5, "c": 3})
    engine_client.xadd(f"{key}x", {"f": "v"}, id="1-1")
    engine_client.xadd(f"{key}x", {"g": "w"}, id="2-1")
    engine_client.pfadd(f"{key}hll", "a", "b", "c")
    engine_client.geoadd(
        f"{key}geo", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"]
    )
    return key


@pytest.mark.parametrize("command", READS, ids=lambda c: "-".join(str(a) for a in c[:2]))
def test_commands_answer_what_the_engine_answers(
    call: Call, engine: RunningEngine, dataset: str, command: list[Any]
) -> None:
    sent = [arg.replace("{k}", dataset) if isinstance(arg, str) else arg for arg in command]
    # RESP2, raw replies: no response callbacks, no RESP3 maps or doubles.
    direct = redis.Redis(port=engine.port, protocol=2)
    try:
        conn = direct.connection_pool.get_connection()
        conn.send_command(*sent)
        expected = conn.read_response()
        direct.connection_pool.release(conn)
    finally:
        direct.close()
    assert call(sent).json() == {"result": plain(expected)}
    assert call(sent, b64=True).json() == {"result": encoded(expected)}


def test_error_strings_are_never_base64(call: Call, key: str) -> None:
    call(["SET", key, "s"])
    single = call(["HGET", key, "f"], b64=True).json()
    assert single["error"].startswith("WRONGTYPE")
    entries = call([["GET", key], ["HGET", key, "f"]], path="/pipeline", b64=True).json()
    assert entries[0] == {"result": "cw=="}
    assert entries[1]["error"].startswith("WRONGTYPE")
    discarded = call([["SET", key]], path="/multi-exec", b64=True).json()
    assert discarded["error"].startswith("EXECABORT")


def test_only_a_top_level_ok_status_stays_raw(call: Call) -> None:
    ok = call(["EVAL", "return redis.status_reply('OK')", 0], b64=True).json()
    assert ok == {"result": "OK"}
    fine = call(["EVAL", "return redis.status_reply('FINE')", 0], b64=True).json()
    assert fine == {"result": b64("FINE")}
    nested = call(["EVAL", "return {redis.status_reply('OK')}", 0], b64=True).json()
    assert nested == {"result": ["T0s="]}


def test_replies_never_cross_between_concurrent_clients(gateway: RunningGateway, key: str) -> None:
    """The engine connection is shared: every client must still get its own replies."""

    def client_run(client_id: int) -> list[str]:
        problems: list[str] = []
        headers = {"Authorization": f"Bearer {gateway.token}"}
        with httpx.Client(base_url=gateway.url, headers=headers, timeout=20) as client:
            for i in range(30):
                mine = f"{key}{client_id}"
                value = f"value-{client_id}-{i}"
                pipe = client.post("/pipeline", json=[["SET", mine, value], ["GET", mine]])
                if pipe.json() != [{"result": "OK"}, {"result": value}]:
                    problems.append(f"pipeline {pipe.text}")
                single = client.post("/", json=["GET", mine])
                if single.json() != {"result": value}:
                    problems.append(f"single {single.text}")
                if i % 5 == 0:
                    bad = client.post("/", json=["HGET", mine, "f"])
                    if bad.status_code != 400 or "WRONGTYPE" not in bad.text:
                        problems.append(f"error {bad.text}")
                echo = client.post(
                    "/", json=["ECHO", value], headers={"Upstash-Encoding": "base64"}
                )
                if echo.json() != {"result": b64(value)}:
                    problems.append(f"echo {echo.text}")
        return problems

    with ThreadPoolExecutor(max_workers=16) as pool:
        problems = [p for found in pool.map(client_run, range(16)) for p in found]
    assert problems == []
