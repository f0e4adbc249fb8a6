"""Raw-HTTP cases of issue 3: path-style, query token, CORS, health, resp2, policy list,
body and header limits, keep-alive and HTTP pipelining (spec §1.2, §2, §4.4, §5.3, §7, §11)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
import redis

from tests.gateway.wire import (
    Call,
    RawConnection,
    RawResponse,
    assert_json_error,
    request_bytes,
)
from tests.support.gateway import RunningGateway

OpenRaw = Callable[..., RawConnection]

# §11.10 path-style


def test_path_style_set_then_get(http: httpx.Client, key: str) -> None:
    assert http.get(f"/set/{key}/bar").json() == {"result": "OK"}
    reply = http.get(f"/get/{key}")
    assert reply.status_code == 200
    assert reply.json() == {"result": "bar"}


def test_path_style_is_case_insensitive_and_encodes(http: httpx.Client, key: str) -> None:
    assert http.post(f"/SET/{key}/abc").json() == {"result": "OK"}
    reply = http.get(f"/GET/{key}", headers={"Upstash-Encoding": "base64"})
    assert reply.json() == {"result": "YWJj"}


def test_percent_decoding_per_segment(
    raw_conn: OpenRaw, gateway: RunningGateway, key: str, engine_client: redis.Redis
) -> None:
    conn = raw_conn()
    conn.send(request_bytes("GET", f"/set/{key}a%2Fb/x%20y", token=gateway.token))
    assert conn.read_response().json() == {"result": "OK"}
    assert engine_client.get(f"{key}a/b") == b"x y"
    conn.send(request_bytes("GET", f"/set/{key}u/%C3%A9+%2B", token=gateway.token))
    assert conn.read_response().json() == {"result": "OK"}
    assert engine_client.get(f"{key}u") == "é++".encode()


def test_post_body_is_the_last_argument_and_query_follows(
    http: httpx.Client, key: str, engine_client: redis.Redis
) -> None:
    reply = http.post(f"/set/{key}?EX=100", content=b'{"x":1}')
    assert reply.json() == {"result": "OK"}
    assert engine_client.get(key) == b'{"x":1}'
    assert 90 <= engine_client.ttl(key) <= 100


def test_post_body_is_stored_byte_for_byte(
    http: httpx.Client, key: str, engine_client: redis.Redis
) -> None:
    payload = bytes(range(256)) + b"\r\n\x00 trailing"
    assert http.post(f"/set/{key}", content=payload).json() == {"result": "OK"}
    assert engine_client.get(key) == payload


def test_empty_post_body_adds_no_argument(http: httpx.Client, key: str) -> None:
    assert http.post(f"/publish/{key}ch/hi").json() == {"result": 0}
    info = http.post("/info/server")
    assert info.status_code == 200
    assert "_version:" in info.json()["result"]


def test_query_arguments_are_form_decoded(
    http: httpx.Client, key: str, engine_client: redis.Redis
) -> None:
    assert http.get(f"/hset/{key}?f%201=v+2").json() == {"result": 1}
    assert engine_client.hgetall(key) == {b"f 1": b"v 2"}
    assert http.get(f"/set/{key}s/first?NX").json() == {"result": "OK"}
    assert http.get(f"/set/{key}s/second?NX").json() == {"result": None}
    assert http.get(f"/set/{key}s/third?XX&GET").json() == {"result": "first"}
    assert engine_client.get(f"{key}s") == b"third"


def test_query_token_is_never_an_argument(anon: httpx.Client, gateway: RunningGateway) -> None:
    reply = anon.get("/echo/hi", params={"_token": gateway.token})
    assert reply.status_code == 200
    assert reply.json() == {"result": "hi"}
    reply = anon.post("/echo/body", params={"_token": gateway.token}, content=b"raw")
    assert reply.json().get("error", "").startswith("ERR wrong number")


def test_put_works_like_post(http: httpx.Client, key: str, engine_client: redis.Redis) -> None:
    assert http.put(f"/set/{key}?EX=50", content=b"put-body").json() == {"result": "OK"}
    assert engine_client.get(key) == b"put-body"
    assert 40 <= engine_client.ttl(key) <= 50


def test_head_answers_without_body(raw_conn: OpenRaw, gateway: RunningGateway, key: str) -> None:
    conn = raw_conn()
    conn.send(request_bytes("HEAD", f"/get/{key}", token=gateway.token))
    head = conn.read_response(head_request=True)
    assert head.status == 200
    conn.send(request_bytes("GET", "/ping", token=gateway.token))
    assert conn.read_response().json() == {"result": "PONG"}


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "TRACE"])
def test_other_methods_are_405_json(http: httpx.Client, key: str, method: str) -> None:
    reply = http.request(method, f"/get/{key}")
    assert reply.status_code == 405
    assert_json_error(reply)


def test_path_style_errors_are_400_json(http: httpx.Client, key: str) -> None:
    reply = http.get("/get")
    assert reply.status_code == 400
    assert assert_json_error(reply).startswith("ERR wrong number")
    bogus = http.get(f"/nosuchcommand/{key}")
    assert bogus.status_code == 400
    assert "nosuchcommand" in assert_json_error(bogus).lower()


# §2 auth: query token and precedence


def test_query_token_works_everywhere(
    anon: httpx.Client, gateway: RunningGateway, key: str
) -> None:
    params = {"_token": gateway.token}
    assert anon.post("/", params=params, json=["SET", key, "q"]).json() == {"result": "OK"}
    assert anon.post("/pipeline", params=params, json=[["GET", key]]).json() == [{"result": "q"}]
    tx = anon.post("/multi-exec", params=params, json=[["GET", key]])
    assert tx.json() == [{"result": "q"}]
    assert anon.get(f"/get/{key}", params=params).json() == {"result": "q"}


def test_header_wins_over_query_token(anon: httpx.Client, gateway: RunningGateway) -> None:
    good, bad = gateway.token, "not-the-token"
    ok = anon.post("/", params={"_token": bad}, json=["PING"], headers=_bearer(good))
    assert ok.json() == {"result": "PONG"}
    denied = anon.post("/", params={"_token": good}, json=["PING"], headers=_bearer(bad))
    assert denied.status_code == 401
    assert assert_json_error(denied) == "WRONGPASS invalid or missing auth token"


def test_wrong_query_token_is_401(anon: httpx.Client, key: str) -> None:
    reply = anon.get(f"/get/{key}", params={"_token": "nope"})
    assert reply.status_code == 401
    assert_json_error(reply)


def test_readonly_query_token_cannot_write(
    anon: httpx.Client, gateway: RunningGateway, key: str, engine_client: redis.Redis
) -> None:
    params = {"_token": gateway.readonly_token}
    assert anon.get(f"/get/{key}", params=params).json() == {"result": None}
    denied = anon.get(f"/set/{key}/x", params=params)
    assert assert_json_error(denied).startswith("NOPERM")
    assert engine_client.exists(key) == 0


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# §1.7 health


def test_root_get_answers_without_auth(anon: httpx.Client) -> None:
    reply = anon.get("/")
    assert reply.status_code == 200


def test_healthz_reports_a_reachable_engine(http: httpx.Client) -> None:
    reply = http.get("/healthz")
    assert reply.status_code == 200
    assert reply.content


# §5.3 CORS

SENT_HEADERS = [
    "authorization",
    "content-type",
    "upstash-encoding",
    "upstash-sync-token",
    "upstash-telemetry-sdk",
    "upstash-telemetry-runtime",
    "upstash-telemetry-platform",
]


@pytest.mark.parametrize("path", ["/", "/pipeline", "/multi-exec", "/subscribe/ch", "/get/k"])
def test_cors_preflight_needs_no_auth(anon: httpx.Client, path: str) -> None:
    origin = "http://localhost:3000"
    reply = anon.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ",".join(SENT_HEADERS),
        },
    )
    assert reply.status_code in (200, 204)
    assert reply.headers.get("access-control-allow-origin") in ("*", origin)
    methods = reply.headers.get("access-control-allow-methods", "").upper()
    assert "POST" in methods or "*" in methods
    allowed = {
        h.strip().lower() for h in reply.headers.get("access-control-allow-headers", "").split(",")
    }
    # A "*" wildcard never covers Authorization (Fetch spec), so it must be named.
    assert "authorization" in allowed
    assert all(h in allowed or "*" in allowed for h in SENT_HEADERS), allowed


def test_cors_headers_on_answers_and_errors(
    http: httpx.Client, anon: httpx.Client, key: str
) -> None:
    origin = {"Origin": "http://localhost:3000"}
    for reply in (
        http.post("/", json=["GET", key], headers=origin),
        http.post("/", json=["SET", key], headers=origin),
        anon.post("/", json=["GET", key], headers=origin),
    ):
        assert reply.headers.get("access-control-allow-origin") in ("*", origin["Origin"])
        exposed = reply.headers.get("access-control-expose-headers", "").lower()
        assert "upstash-sync-token" in exposed


# every error body is JSON


def test_every_error_body_is_json(
    http: httpx.Client, anon: httpx.Client, call: Call, key: str
) -> None:
    replies = {
        "DELETE /": http.delete("/"),
        "PATCH path": http.patch(f"/set/{key}/v"),
        "DELETE /pipeline": http.delete("/pipeline"),
        "GET /pipeline": http.get("/pipeline"),
        "GET /multi-exec": http.get("/multi-exec"),
        "POST /subscribe": http.post("/subscribe", content=b"[]"),
        "unknown path command": http.post("/no/such/thing"),
        "bad json": call(raw=b"{nope"),
        "no auth": anon.post("/pipeline", json=[["PING"]]),
        "bad format": call(["PING"], headers={"Upstash-Response-Format": "xml"}),
        "resp2+base64": call(["PING"], b64=True, headers={"Upstash-Response-Format": "resp2"}),
    }
    for name, reply in replies.items():
        assert reply.status_code >= 400, (name, reply.status_code, reply.text)
        assert_json_error(reply)
        assert reply.headers.get("upstash-sync-token"), name


# §4.4 resp2


def test_resp2_replies_are_raw_resp(call: Call, key: str) -> None:
    fmt = {"Upstash-Response-Format": "resp2"}
    ok = call(["SET", key, "bar"], headers=fmt)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/octet-stream")
    assert ok.content == b"+OK\r\n"
    assert call(["GET", key], headers=fmt).content == b"$3\r\nbar\r\n"
    assert call(["GET", key + "nope"], headers=fmt).content == b"$-1\r\n"
    assert call(["INCR", key + "n"], headers=fmt).content == b":1\r\n"
    call(["RPUSH", key + "l", "a", "bc"])
    assert (
        call(["LRANGE", key + "l", 0, -1], headers=fmt).content == b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"
    )


def test_resp2_keeps_binary_bytes(call: Call, key: str) -> None:
    call(["SET", key + "s", "a"])
    call(["BITOP", "NOT", key + "t", key + "s"])
    reply = call(["GET", key + "t"], headers={"Upstash-Response-Format": "resp2"})
    assert reply.content == b"$1\r\n\x9e\r\n"


def test_explicit_json_format_is_json(call: Call, key: str) -> None:
    reply = call(["SET", key, "x"], headers={"Upstash-Response-Format": "json"})
    assert reply.json() == {"result": "OK"}


def test_resp2_is_refused_on_multi_exec(call: Call, key: str) -> None:
    reply = call([["GET", key]], path="/multi-exec", headers={"Upstash-Response-Format": "resp2"})
    assert reply.status_code == 400
    assert_json_error(reply)


# §7 policy list

POLICY = [
    ["SELECT", "1"],
    ["select", "0"],
    ["AUTH", "x"],
    ["HELLO", "3"],
    ["RESET"],
    ["QUIT"],
    ["CLIENT", "LIST"],
    ["CLIENT", "SETNAME", "x"],
    ["MULTI"],
    ["EXEC"],
    ["DISCARD"],
    ["WATCH", "{key}"],
    ["UNWATCH"],
    ["SUBSCRIBE", "{key}"],
    ["PSUBSCRIBE", "{key}*"],
    ["UNSUBSCRIBE"],
    ["PUNSUBSCRIBE"],
    ["SSUBSCRIBE", "{key}"],
    ["MONITOR"],
    ["BLPOP", "{key}", "5"],
    ["BRPOP", "{key}", "5"],
    ["BLMOVE", "{key}", "{key}2", "LEFT", "RIGHT", "5"],
    ["BLMPOP", "5", "1", "{key}", "LEFT"],
    ["BRPOPLPUSH", "{key}", "{key}2", "5"],
    ["BZPOPMIN", "{key}", "5"],
    ["BZPOPMAX", "{key}", "5"],
    ["BZMPOP", "5", "1", "{key}", "MIN"],
    ["WAIT", "1", "5000"],
    ["WAITAOF", "1", "0", "5000"],
    ["XREAD", "BLOCK", "5000", "STREAMS", "{key}", "$"],
    ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "5000", "STREAMS", "{key}", ">"],
]


@pytest.mark.parametrize("command", POLICY, ids=lambda c: "-".join(c[:2]))
def test_policy_commands_get_a_clear_error(call: Call, key: str, command: list[str]) -> None:
    sent = [arg.replace("{key}", key) for arg in command]
    started = time.monotonic()
    reply = call(sent)
    # Every blocking form above waits 5 s if it reaches the engine.
    assert time.monotonic() - started < 3, "a blocking command reached the engine"
    assert reply.status_code == 400
    error = assert_json_error(reply)
    name = sent[0].lower()
    assert name in error.lower() or ("block" in error.lower() and name.startswith("x")), error


def test_policy_commands_fail_only_their_pipeline_entry(call: Call, key: str) -> None:
    entries = call(
        [["SET", key, "1"], ["SELECT", "1"], ["BLPOP", key + "l", "1"], ["GET", key]],
        path="/pipeline",
    ).json()
    assert entries[0] == {"result": "OK"}
    assert set(entries[1]) == {"error"}
    assert set(entries[2]) == {"error"}
    assert entries[3] == {"result": "1"}


def test_policy_commands_never_poison_the_connection(
    call: Call, key: str, engine_client: redis.Redis
) -> None:
    for _ in range(3):
        call(["SELECT", "5"])
        call([["SELECT", "5"]], path="/pipeline")
        call([["SET", key + "tx", "1"], ["SELECT", "5"]], path="/multi-exec")
        call(["CLIENT", "REPLY", "OFF"])
        call(["MULTI"])
    for i in range(10):
        assert call(["SET", f"{key}{i}", "v"]).json() == {"result": "OK"}
    assert engine_client.mget([f"{key}{i}" for i in range(10)]) == [b"v"] * 10


def test_non_blocking_stream_reads_pass(call: Call, key: str) -> None:
    call(["XADD", key, "1-1", "f", "v"])
    reply = call(["XREAD", "COUNT", 1, "STREAMS", key, "0"])
    assert reply.json() == {"result": [[key, [["1-1", ["f", "v"]]]]]}


# limits: body cap and header limits


def _answer_while_sending(conn: RawConnection, data: bytes, timeout: float) -> RawResponse:
    """Send ``data`` from a thread and read the reply meanwhile: a server that refuses a
    large request may answer (and close) before it has read all of it."""

    def send() -> None:
        with contextlib.suppress(OSError):
            conn.send(data)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    reply = conn.read_response()
    thread.join(timeout=timeout)
    return reply


@pytest.mark.parametrize("path", ["/", "/pipeline", "/set/k"])
def test_body_over_the_cap_is_a_json_error(
    raw_conn: OpenRaw, gateway: RunningGateway, http: httpx.Client, path: str
) -> None:
    body = b'["SET","k","' + b"x" * (10 * 1024 * 1024 + 1024) + b'"]'
    request = request_bytes("POST", path, token=gateway.token, body=body)
    reply = _answer_while_sending(raw_conn(timeout=20), request, timeout=20)
    assert reply.status in (400, 413)
    assert assert_json_error(reply) == "ERR max request size exceeded"
    assert http.post("/", json=["PING"]).json() == {"result": "PONG"}


def test_chunked_body_over_the_cap_is_a_json_error(
    raw_conn: OpenRaw, gateway: RunningGateway, http: httpx.Client
) -> None:
    chunk = b"x" * (1024 * 1024)
    head = request_bytes("POST", "/", token=gateway.token, headers={"Transfer-Encoding": "chunked"})
    pieces = [head, b"d\r\n" + b'["SET","k","x' + b"\r\n"]
    pieces += [b"%x\r\n" % len(chunk) + chunk + b"\r\n"] * 11
    pieces.append(b'2\r\n"]\r\n0\r\n\r\n')
    reply = _answer_while_sending(raw_conn(timeout=20), b"".join(pieces), timeout=20)
    assert reply.status in (400, 413)
    assert assert_json_error(reply) == "ERR max request size exceeded"
    assert http.post("/", json=["PING"]).json() == {"result": "PONG"}


def test_chunked_body_under_the_cap_works(
    raw_conn: OpenRaw, gateway: RunningGateway, key: str
) -> None:
    body = f'["SET","{key}","chunked"]'.encode()
    head = request_bytes("POST", "/", token=gateway.token, headers={"Transfer-Encoding": "chunked"})
    conn = raw_conn()
    conn.send(
        head
        + b"%x\r\n" % 5
        + body[:5]
        + b"\r\n"
        + b"%x\r\n" % (len(body) - 5)
        + body[5:]
        + b"\r\n0\r\n\r\n"
    )
    assert conn.read_response().json() == {"result": "OK"}


def test_huge_header_is_refused_with_json(
    raw_conn: OpenRaw, gateway: RunningGateway, http: httpx.Client
) -> None:
    big = {"X-Padding": "p" * (1024 * 1024)}
    request = request_bytes("GET", "/ping", token=gateway.token, headers=big)
    reply = _answer_while_sending(raw_conn(timeout=10), request, timeout=10)
    assert 400 <= reply.status < 500
    assert_json_error(reply)
    assert http.post("/", json=["PING"]).json() == {"result": "PONG"}


# keep-alive and HTTP pipelining


def test_keep_alive_serves_many_requests_on_one_socket(
    raw_conn: OpenRaw, gateway: RunningGateway, key: str
) -> None:
    conn = raw_conn()
    for i in range(1, 21):
        conn.send(
            request_bytes("POST", "/", token=gateway.token, body=f'["INCR","{key}"]'.encode())
        )
        reply = conn.read_response()
        assert reply.status == 200
        assert reply.json() == {"result": i}
        assert reply.headers.get("connection", "").lower() != "close"


def test_http_pipelining_answers_in_order(
    raw_conn: OpenRaw, gateway: RunningGateway, key: str
) -> None:
    t = gateway.token
    batch = [
        request_bytes("POST", "/", token=t, body=f'["SET","{key}","a"]'.encode()),
        request_bytes("POST", "/", token=t, body=f'["GET","{key}"]'.encode()),
        request_bytes("GET", f"/set/{key}/b", token=t),
        request_bytes("POST", "/pipeline", token=t, body=f'[["GET","{key}"]]'.encode()),
        request_bytes("POST", "/", body=b'["PING"]'),
        request_bytes("POST", "/multi-exec", token=t, body=f'[["GET","{key}"]]'.encode()),
    ]
    batch += [
        request_bytes("POST", "/", token=t, body=f'["INCR","{key}n"]'.encode()) for _ in range(50)
    ]
    conn = raw_conn()
    conn.send(b"".join(batch))
    replies = [conn.read_response() for _ in batch]
    assert replies[0].json() == {"result": "OK"}
    assert replies[1].json() == {"result": "a"}
    assert replies[2].json() == {"result": "OK"}
    assert replies[3].json() == [{"result": "b"}]
    assert replies[4].status == 401
    assert replies[5].json() == [{"result": "b"}]
    assert [r.json()["result"] for r in replies[6:]] == list(range(1, 51))


def test_request_split_into_tiny_segments(
    raw_conn: OpenRaw, gateway: RunningGateway, key: str
) -> None:
    data = request_bytes("POST", "/", token=gateway.token, body=f'["SET","{key}","slow"]'.encode())
    conn = raw_conn()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(0, len(data), 7):
        conn.send(data[i : i + 7])
        time.sleep(0.002)
    assert conn.read_response().json() == {"result": "OK"}


def test_connection_close_is_honoured(raw_conn: OpenRaw, gateway: RunningGateway) -> None:
    conn = raw_conn()
    conn.send(
        request_bytes(
            "POST", "/", token=gateway.token, body=b'["PING"]', headers={"Connection": "close"}
        )
    )
    assert conn.read_response().json() == {"result": "PONG"}
    assert conn.is_closed_by_peer()


def test_http_1_0_gets_an_answer_then_close(raw_conn: OpenRaw, gateway: RunningGateway) -> None:
    conn = raw_conn()
    conn.send(request_bytes("POST", "/", token=gateway.token, body=b'["PING"]', version="HTTP/1.0"))
    reply: RawResponse = conn.read_response()
    assert reply.json() == {"result": "PONG"}
    assert conn.is_closed_by_peer()


def test_garbage_request_line_does_not_hurt_the_server(
    raw_conn: OpenRaw, http: httpx.Client
) -> None:
    conn = raw_conn()
    conn.send(b"\x16\x03\x01\x02\x00 this is not http\r\n\r\n")
    try:
        reply = conn.read_response()
    except (ConnectionError, OSError, ValueError):
        reply = None
    if reply is not None:
        assert 400 <= reply.status < 500
    assert http.post("/", json=["PING"]).json() == {"result": "PONG"}


def test_odd_key_names_round_trip_through_percent_encoding(http: httpx.Client, key: str) -> None:
    odd = key + "sp ace/é?#"
    assert http.post("/", json=["SET", odd, "v"]).json() == {"result": "OK"}
    assert http.get(f"/get/{quote(odd, safe='')}").json() == {"result": "v"}
