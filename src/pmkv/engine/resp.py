"""The engine manager's few RESP calls (PING, INFO, SHUTDOWN, FLUSHALL) via redis-py.

This is the one boundary where redis-py exceptions become engine errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from pmkv.engine.config import HOST
from pmkv.engine.errors import EngineError, NotRunning


@contextmanager
def _client(port: int, timeout: float = 2.0) -> Iterator[redis.Redis]:
    client = redis.Redis(
        host=HOST,
        port=port,
        socket_connect_timeout=min(timeout, 0.5),
        socket_timeout=timeout,
        decode_responses=True,
        # No retries: a refused connection is an answer here ("not running"), and
        # redis-py's default retries would turn SHUTDOWN's closed socket into seconds.
        retry=Retry(NoBackoff(), 0),
    )
    try:
        yield client
    finally:
        client.close()


def probe(port: int) -> str:
    """'ready', 'loading' (still reading its AOF) or 'down'."""
    try:
        with _client(port, timeout=1.0) as client:
            client.ping()
            return "ready"
    except redis.BusyLoadingError:
        return "loading"
    except redis.RedisError:
        return "down"


def info(port: int) -> dict[str, Any]:
    """``INFO`` (all default sections) as a dict."""
    try:
        with _client(port) as client:
            return dict(client.info())
    except redis.RedisError as exc:
        raise NotRunning(
            f"the engine on 127.0.0.1:{port} does not answer INFO: {exc}",
            hint="see `pmkv redis logs`; restart it with `pmkv redis stop && pmkv redis start`",
        ) from exc


def server_pid(port: int) -> int | None:
    """The pid of whatever Redis-compatible server answers on ``port`` (None if none)."""
    try:
        with _client(port, timeout=1.0) as client:
            raw: Any = client.info("server")
    except redis.RedisError:
        return None
    value = raw.get("process_id")
    return int(value) if value is not None else None


def key_count(data: dict[str, Any]) -> int:
    """Keys in every database, from an INFO reply (DBSIZE only counts db0)."""
    total = 0
    for name, value in data.items():
        if name.startswith("db") and name[2:].isdigit() and isinstance(value, dict):
            total += int(value.get("keys", 0))
    return total


def shutdown(port: int) -> bool:
    """Ask the engine to fsync its AOF and exit; False if it refused or did not answer."""
    try:
        with _client(port, timeout=10.0) as client:
            client.shutdown()
    except redis.RedisError:
        return False
    return True


def flushall(port: int) -> int:
    """Remove every key; returns how many there were just before."""
    try:
        with _client(port, timeout=30.0) as client:
            before = key_count(dict(client.info("keyspace")))
            client.flushall()
    except redis.RedisError as exc:
        raise EngineError(
            f"FLUSHALL on the engine at 127.0.0.1:{port} failed: {exc}",
            hint="check `pmkv redis status` and `pmkv redis logs`",
        ) from exc
    return before
