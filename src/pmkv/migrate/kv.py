"""The one boundary between the migration toolkit and the REST store.

Everything goes through the official ``upstash-redis`` client (the same client the app
uses in production); transport failures and store errors are translated here, once,
into :class:`StoreUnreachable` / :class:`StoreRejected`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
from upstash_redis.errors import UpstashError

from pmkv.migrate.errors import StoreRejected, StoreUnreachable
from pmkv.store import upstash

# Keys per MGET/HMGET command and commands per /pipeline request: big enough that a
# 100,000-story tree needs few round trips, small enough to keep each response a few MB.
READ_CHUNK = 1000
READS_PER_REQUEST = 5
# Read-only: for each key, compare the engine's sha1 of its value with the expected sha1
# in ARGV. One character per key: "a" absent, "=" identical, "d" different -- so a
# compare of 1,000 keys answers with one 1,000-character string, not 1,000 digests.
COMPARE_SCRIPT = (
    "local out = {} "
    "for i, key in ipairs(KEYS) do "
    "local v = redis.call('GET', key) "
    "if not v then out[i] = 'a' "
    "elseif redis.sha1hex(v) == ARGV[i] then out[i] = '=' "
    "else out[i] = 'd' end "
    "end return table.concat(out)"
)
ABSENT, SAME, DIFFERENT = "a", "=", "d"


@contextmanager
def _translated(url: str, what: str) -> Iterator[None]:
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout) as exc:
        raise StoreUnreachable(
            f"the KV store at {url} is unreachable while {what}: {exc}",
            hint="start it with `pmkv up` (or check UPSTASH_REDIS_REST_URL), then re-run",
        ) from exc
    except httpx.HTTPError as exc:
        raise StoreUnreachable(
            f"HTTP error talking to {url} while {what}: {exc}",
            hint="check that UPSTASH_REDIS_REST_URL points at a running REST server",
        ) from exc
    except UpstashError as exc:
        raise StoreRejected(
            f"the KV store at {url} refused a command while {what}: {exc}",
            hint="check UPSTASH_REDIS_REST_TOKEN (it must be the read-write token)",
        ) from exc
    except AttributeError as exc:
        # the official client reads a pipeline's answer as one result per command; an
        # error object instead (a 413 for a body over the server's limit) breaks it there
        raise StoreRejected(
            f"the KV store at {url} answered with an error instead of results while {what}",
            hint="most often a request bigger than the store accepts (the local gateway"
            " takes up to 10 MiB, Upstash less on some plans): look for a very large file,"
            " or lower --batch-size",
        ) from exc
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise StoreRejected(
            f"the server at {url} did not answer like an Upstash REST API while {what}",
            hint="check UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN",
        ) from exc


def compare_command(keys: Sequence[str], sha1s: Sequence[str]) -> list[Any]:
    """The command answering one status character per key (see :meth:`KvStore.compare`)."""
    # numkeys as a string: a body of strings only takes the gateway's fast JSON path
    return ["EVAL", COMPARE_SCRIPT, str(len(keys)), *keys, *sha1s]


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class KvStore:
    """A thin, typed facade over ``upstash_redis.Redis`` with batched reads and writes."""

    def __init__(self, url: str, token: str, *, retries: int = 0) -> None:
        self.url = url.rstrip("/")
        # kept so worker processes can open their own client on the same store
        self.token = token
        self.retries = retries
        self._client = upstash.connect(
            self.url,
            token,
            # plain JSON responses (parsed by orjson, see store.upstash): a verify's SCAN
            # of 100,000 keys is then one parse, not 100,000 base64 decodes in the client
            rest_encoding=None,
            rest_retries=retries,
            rest_retry_interval=0.2,
            allow_telemetry=False,
        )

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> KvStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> bool:
        with _translated(self.url, "sending PING"):
            return bool(self._client.execute(["PING"]) == "PONG")

    def pipeline(self, commands: Sequence[Sequence[Any]], what: str) -> list[Any]:
        """Send ``commands`` in one ``/pipeline`` request and return the results in order."""
        if not commands:
            return []
        with _translated(self.url, what):
            pipe = self._client.pipeline()
            for command in commands:
                pipe.execute(list(command))
            return list(pipe.exec())

    def _each(self, commands: Sequence[Sequence[Any]], what: str) -> list[Any]:
        """Every command's result, ``READS_PER_REQUEST`` commands a request."""
        out: list[Any] = []
        for start in range(0, len(commands), READS_PER_REQUEST):
            out.extend(self.pipeline(commands[start : start + READS_PER_REQUEST], what))
        return out

    def _batched_reads(self, commands: Sequence[Sequence[Any]], what: str) -> list[Any]:
        return [value for result in self._each(commands, what) for value in result]

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """GET every key (MGET in chunks, several chunks per request)."""
        commands = [["MGET", *chunk] for chunk in _chunks(keys, READ_CHUNK)]
        return self._batched_reads(commands, f"reading {len(keys)} keys")

    def compare(self, keys: Sequence[str], sha1s: Sequence[str]) -> str:
        """One status character per key (:data:`ABSENT`, :data:`SAME`, :data:`DIFFERENT`).

        The engine reads every value and hashes it (``redis.sha1hex``) against the sha1 of
        the text we expect there, so plans and verifies of large trees move 41 bytes per
        key instead of every value; values are fetched only for keys that differ.
        """
        commands = [
            compare_command(keys[start : start + READ_CHUNK], sha1s[start : start + READ_CHUNK])
            for start in range(0, len(keys), READ_CHUNK)
        ]
        found = "".join(self._each(commands, f"comparing {len(keys)} keys"))
        if len(found) != len(keys):
            raise StoreRejected(
                f"the store at {self.url} answered {len(found)} statuses for {len(keys)} keys",
                hint="check that UPSTASH_REDIS_REST_URL points at a Redis-compatible REST API",
            )
        return found

    def count_existing(self, keys: Sequence[str]) -> int:
        """How many of ``keys`` exist (EXISTS in chunks): a first run's plan asks this
        before comparing, since a native EXISTS costs the engine far less than the compare
        script and most often answers 0."""
        commands = [["EXISTS", *chunk] for chunk in _chunks(keys, READ_CHUNK)]
        return sum(int(n) for n in self._each(commands, f"checking {len(keys)} keys"))

    def hget_many(self, hash_key: str, fields: Sequence[str]) -> list[str | None]:
        """HMGET ``fields`` of ``hash_key`` in chunks."""
        commands = [["HMGET", hash_key, *chunk] for chunk in _chunks(fields, READ_CHUNK)]
        return self._batched_reads(commands, f"reading {len(fields)} fields of {hash_key}")

    def hgetall(self, hash_key: str) -> dict[str, str]:
        with _translated(self.url, f"reading {hash_key}"):
            raw: Any = self._client.execute(["HGETALL", hash_key])
        # the client already pairs HGETALL's flat reply into a dict
        return {str(k): str(v) for k, v in dict(raw or {}).items()}

    def scan(self, match: str, count: int = 10_000, *, ordered: bool = True) -> list[str]:
        """Every key matching ``match`` (SCAN, never KEYS: safe on a shared store), once
        each; sorted unless ``ordered`` is False."""
        keys: list[str] = []
        cursor = "0"
        with _translated(self.url, f"scanning {match}"):
            while True:
                reply: Any = self._client.execute(["SCAN", cursor, "MATCH", match, "COUNT", count])
                cursor, batch = str(reply[0]), reply[1]
                keys.extend(batch)
                if cursor == "0":
                    break
        return sorted(set(keys)) if ordered else list(dict.fromkeys(keys))
