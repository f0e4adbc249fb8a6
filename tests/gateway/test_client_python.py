"""End-to-end with the real Python client, ``upstash-redis``, in its default configuration
(base64 responses, read-your-writes, telemetry headers), sync and async (spec §6.2, §11.15)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from upstash_redis import Redis
from upstash_redis.asyncio import Redis as AsyncRedis
from upstash_redis.errors import UpstashError

from tests.support.gateway import RunningGateway


@pytest.fixture
def client(gateway: RunningGateway) -> Iterator[Redis]:
    with Redis(url=gateway.url, token=gateway.token) as redis:
        yield redis


@pytest_asyncio.fixture
async def aclient(gateway: RunningGateway) -> AsyncIterator[AsyncRedis]:
    async with AsyncRedis(url=gateway.url, token=gateway.token) as redis:
        yield redis


# sync client


def test_strings(client: Redis, key: str) -> None:
    assert client.set(key, "hello") is True
    assert client.get(key) == "hello"
    assert client.set(key + "ex", "v", ex=100) is True
    assert 90 <= client.ttl(key + "ex") <= 100
    assert client.incr(key + "n") == 1
    assert client.incrby(key + "n", 41) == 42
    assert client.incrbyfloat(key + "f", 1.5) == 1.5
    assert client.mset({key + "a": "1", key + "b": "2"}) is True
    assert client.mget(key + "a", key + "b", key + "missing") == ["1", "2", None]
    assert client.get(key + "missing") is None
    assert client.set(key, "x", nx=True) is False
    assert client.append(key, " world") == 11
    assert client.getrange(key, 0, 4) == "hello"
    assert client.delete(key, key + "a") == 2
    assert client.exists(key) == 0


def test_unicode_and_json_objects(client: Redis, key: str) -> None:
    text = "héllo 世界 🎉"
    client.set(key, text)
    assert client.get(key) == text
    record = {"id": "S-1", "title": 'Ünïcode, "quotes"', "points": 3, "tags": ["a", "b"]}
    client.set(key + "obj", json.dumps(record))
    assert json.loads(client.get(key + "obj")) == record
    client.set(key + "bool", True)
    assert client.get(key + "bool") == "true"
    client.set(key + "float", 1.0)
    assert client.get(key + "float") == "1.0"


def test_hashes(client: Redis, key: str) -> None:
    assert client.hset(key, values={"name": "Ada", "age": "36"}) == 2
    assert client.hset(key, "city", "London") == 1
    assert client.hget(key, "name") == "Ada"
    assert client.hgetall(key) == {"name": "Ada", "age": "36", "city": "London"}
    assert client.hincrby(key, "age", 1) == 37
    assert sorted(client.hkeys(key)) == ["age", "city", "name"]
    assert client.hmget(key, "name", "nope") == ["Ada", None]
    assert client.hdel(key, "city") == 1
    assert client.hlen(key) == 2


def test_lists(client: Redis, key: str) -> None:
    assert client.rpush(key, "a", "b", "c") == 3
    assert client.lpush(key, "z") == 4
    assert client.lrange(key, 0, -1) == ["z", "a", "b", "c"]
    assert client.lpop(key) == "z"
    assert client.rpop(key) == "c"
    assert client.llen(key) == 2
    assert client.lindex(key, 1) == "b"


def test_sets(client: Redis, key: str) -> None:
    assert client.sadd(key, "a", "b", "c") == 3
    assert client.sadd(key, "a") == 0
    assert sorted(client.smembers(key)) == ["a", "b", "c"]
    assert client.sismember(key, "b") is True
    assert client.scard(key) == 3
    client.sadd(key + "2", "b", "x")
    assert client.sinter(key, key + "2") == ["b"]


def test_sorted_sets_with_float_scores(client: Redis, key: str) -> None:
    assert client.zadd(key, {"a": 1.5, "b": 2, "c": 13.361389}) == 3
    assert client.zscore(key, "a") == 1.5
    assert client.zscore(key, "c") == 13.361389
    assert client.zrange(key, 0, -1) == ["a", "b", "c"]
    assert client.zrange(key, 0, -1, withscores=True) == [("a", 1.5), ("b", 2.0), ("c", 13.361389)]
    assert client.zincrby(key, 0.25, "a") == 1.75
    assert client.zrank(key, "b") == 1
    assert client.zcard(key) == 3


def test_scan_finds_every_key(client: Redis, key: str) -> None:
    for i in range(25):
        client.set(f"{key}{i}", "v")
    found: set[str] = set()
    cursor = 0
    for _ in range(1000):
        cursor, keys = client.scan(cursor, match=f"{key}*", count=10)
        found.update(keys)
        if cursor == 0:
            break
    assert found == {f"{key}{i}" for i in range(25)}


def test_scripts(client: Redis, key: str) -> None:
    assert client.eval("return ARGV[1]", args=["hello"]) == "hello"
    assert client.eval("return redis.call('INCR', KEYS[1])", keys=[key]) == 1
    script = f"return redis.call('GET', KEYS[1]) -- {key}"
    sha = client.script_load(script)
    assert sha == hashlib.sha1(script.encode()).hexdigest()
    assert client.evalsha(sha, keys=[key]) == "1"
    assert client.script_exists(sha) == [True]


def test_flagged_script_like_ratelimit(client: Redis, key: str) -> None:
    script = f"#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) -- {key}"
    sha = hashlib.sha1(script.encode()).hexdigest()
    with pytest.raises(UpstashError, match="NOSCRIPT"):
        client.evalsha(sha, keys=[key])
    assert client.eval(script, keys=[key]) == 1
    assert client.evalsha(sha, keys=[key]) == 2


def test_pipeline(client: Redis, key: str) -> None:
    pipe = client.pipeline()
    pipe.set(key, "1")
    pipe.incr(key)
    pipe.get(key)
    pipe.hset(key + "h", values={"f": "v"})
    pipe.hgetall(key + "h")
    pipe.zadd(key + "z", {"m": 0.5})
    pipe.zscore(key + "z", "m")
    assert pipe.exec() == [True, 2, "2", 1, {"f": "v"}, 1, 0.5]


def test_multi_transaction(client: Redis, key: str) -> None:
    tx = client.multi()
    tx.set(key, "10")
    tx.incrby(key, 5)
    tx.get(key)
    tx.lpush(key + "l", "x")
    assert tx.exec() == [True, 15, "15", 1]


def test_errors_raise_upstash_error(client: Redis, key: str) -> None:
    with pytest.raises(UpstashError, match="wrong number of arguments"):
        client.execute(["SET", key])
    client.set(key, "s")
    with pytest.raises(UpstashError, match="WRONGTYPE"):
        client.hget(key, "f")
    with pytest.raises(UpstashError):
        client.execute(["NOSUCHCOMMAND"])
    pipe = client.pipeline()
    pipe.set(key + "p", "1")
    pipe.hget(key, "f")
    with pytest.raises(UpstashError, match="WRONGTYPE"):
        pipe.exec()
    assert client.get(key + "p") == "1"


def test_bad_token_raises(gateway: RunningGateway, key: str) -> None:
    with Redis(url=gateway.url, token="definitely-wrong") as bad:
        with pytest.raises(UpstashError, match=r"WRONGPASS|nauthorized"):
            bad.get(key)
        with pytest.raises(UpstashError, match=r"WRONGPASS|nauthorized"):
            bad.set(key, "x")


def test_readonly_token_reads_only(gateway: RunningGateway, client: Redis, key: str) -> None:
    client.set(key, "v")
    with Redis(url=gateway.url, token=gateway.readonly_token) as ro:
        assert ro.get(key) == "v"
        with pytest.raises(UpstashError, match="NOPERM"):
            ro.set(key, "w")
    assert client.get(key) == "v"


def test_read_your_writes_token_changes(client: Redis, key: str) -> None:
    first = client._sync_token
    client.set(key, "1")
    after_set = client._sync_token
    assert after_set
    assert after_set != first
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.exec()
    after_pipeline = client._sync_token
    assert after_pipeline not in (first, after_set)
    tx = client.multi()
    tx.incr(key)
    tx.exec()
    after_multi = client._sync_token
    assert after_multi not in (first, after_set, after_pipeline)
    client.eval("return redis.call('INCR', KEYS[1])", keys=[key])
    assert client._sync_token not in (first, after_set, after_pipeline, after_multi)


# async client


@pytest.mark.asyncio
async def test_async_strings_hashes_and_sets(aclient: AsyncRedis, key: str) -> None:
    assert await aclient.set(key, "hello") is True
    assert await aclient.get(key) == "hello"
    assert await aclient.get(key + "missing") is None
    assert await aclient.hset(key + "h", values={"a": "1", "b": "2"}) == 2
    assert await aclient.hgetall(key + "h") == {"a": "1", "b": "2"}
    assert await aclient.sadd(key + "s", "x", "y") == 2
    assert sorted(await aclient.smembers(key + "s")) == ["x", "y"]
    assert await aclient.rpush(key + "l", "1", "2") == 2
    assert await aclient.lrange(key + "l", 0, -1) == ["1", "2"]


@pytest.mark.asyncio
async def test_async_sorted_sets_and_scripts(aclient: AsyncRedis, key: str) -> None:
    await aclient.zadd(key, {"a": 2.5, "b": 1})
    assert await aclient.zrange(key, 0, -1, withscores=True) == [("b", 1.0), ("a", 2.5)]
    assert await aclient.zscore(key, "a") == 2.5
    assert await aclient.eval("return redis.call('INCR', KEYS[1])", keys=[key + "n"]) == 1
    sha = await aclient.script_load("return 'loaded'")
    assert await aclient.evalsha(sha) == "loaded"


@pytest.mark.asyncio
async def test_async_concurrent_commands(aclient: AsyncRedis, key: str) -> None:
    results = await asyncio.gather(*(aclient.incr(key) for _ in range(50)))
    assert sorted(results) == list(range(1, 51))


@pytest.mark.asyncio
async def test_async_pipeline_and_multi(aclient: AsyncRedis, key: str) -> None:
    pipe = aclient.pipeline()
    pipe.set(key, "1")
    pipe.incr(key)
    assert await pipe.exec() == [True, 2]
    tx = aclient.multi()
    tx.incr(key)
    tx.get(key)
    assert await tx.exec() == [3, "3"]


@pytest.mark.asyncio
async def test_async_errors_and_bad_token(
    gateway: RunningGateway, aclient: AsyncRedis, key: str
) -> None:
    with pytest.raises(UpstashError, match="wrong number of arguments"):
        await aclient.execute(["GET"])
    async with AsyncRedis(url=gateway.url, token="nope") as bad:
        with pytest.raises(UpstashError, match=r"WRONGPASS|nauthorized"):
            await bad.get(key)


@pytest.mark.asyncio
async def test_async_read_your_writes(aclient: AsyncRedis, key: str) -> None:
    before = aclient._sync_token
    await aclient.set(key, "1")
    assert aclient._sync_token
    assert aclient._sync_token != before
