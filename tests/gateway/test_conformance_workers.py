"""The same protocol guarantees with several gateway worker processes (``--workers 2``):
script aliases, sync tokens, transactions and pub/sub must not depend on which worker
happens to accept a connection."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.gateway.wire import SseStream
from tests.support.engine import RunningEngine
from tests.support.gateway import RunningGateway, run_gateway

FLAGGED = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) -- workers"


@pytest.fixture(scope="module")
def workers_gateway(
    engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    with run_gateway(engine.url, tmp_path_factory.mktemp("workers"), "--workers", "2") as gw:
        yield gw


def fresh_post(gateway: RunningGateway, path: str, body: object) -> httpx.Response:
    """One request on a new connection, so successive calls spread over the workers."""
    headers = {"Authorization": f"Bearer {gateway.token}", "Connection": "close"}
    return httpx.post(gateway.url + path, json=body, headers=headers, timeout=10)


def test_flagged_script_alias_is_known_to_every_worker(
    workers_gateway: RunningGateway, key: str
) -> None:
    script = FLAGGED + key
    sha = hashlib.sha1(script.encode()).hexdigest()
    assert fresh_post(workers_gateway, "/", ["SCRIPT", "LOAD", script]).json() == {"result": sha}
    results = [fresh_post(workers_gateway, "/", ["EVALSHA", sha, 1, key]).json() for _ in range(20)]
    assert results == [{"result": n} for n in range(1, 21)]


def test_eval_alias_is_known_to_every_worker(workers_gateway: RunningGateway, key: str) -> None:
    script = FLAGGED + key + " eval"
    sha = hashlib.sha1(script.encode()).hexdigest()
    assert fresh_post(workers_gateway, "/", ["EVAL", script, 1, key]).json() == {"result": 1}
    replies = [
        fresh_post(workers_gateway, "/pipeline", [["EVALSHA", sha, 1, key]]) for _ in range(10)
    ]
    assert [r.json() for r in replies] == [[{"result": n}] for n in range(2, 12)]


def test_sync_tokens_are_unique_across_workers(workers_gateway: RunningGateway, key: str) -> None:
    def token(i: int) -> str:
        return fresh_post(workers_gateway, "/", ["SET", f"{key}{i}", "v"]).headers[
            "upstash-sync-token"
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(token, range(40)))
    assert len(set(tokens)) == 40


def test_concurrent_transactions_across_workers(workers_gateway: RunningGateway, key: str) -> None:
    def transaction(_: int) -> list[int]:
        reply = fresh_post(workers_gateway, "/multi-exec", [["INCR", key]] * 3)
        return [entry["result"] for entry in reply.json()]

    with ThreadPoolExecutor(max_workers=20) as pool:
        runs = list(pool.map(transaction, range(20)))
    for values in runs:
        assert values == [values[0], values[0] + 1, values[0] + 2]
    assert sorted(v for values in runs for v in values) == list(range(1, 61))


def test_publish_from_any_worker_reaches_a_stream(
    workers_gateway: RunningGateway, key: str
) -> None:
    stream = SseStream(
        workers_gateway.url,
        f"/subscribe/{key}",
        {"Authorization": f"Bearer {workers_gateway.token}"},
    )
    try:
        assert stream.next_data() == f"subscribe,{key},1"
        for i in range(6):
            assert fresh_post(workers_gateway, "/", ["PUBLISH", key, str(i)]).json() == {
                "result": 1
            }
        assert [stream.next_data() for _ in range(6)] == [f"message,{key},{i}" for i in range(6)]
    finally:
        stream.close()
