"""Server-sent-events pub/sub (spec §1.5, §11.13): raw payloads, patterns, and release of
the dedicated engine connection once the client goes away."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from tests.gateway.wire import Call, SseStream, assert_json_error
from tests.support.gateway import RunningGateway

OpenSse = Callable[..., SseStream]


@pytest.fixture
def sse(gateway: RunningGateway) -> Iterator[OpenSse]:
    """Open event streams the way @upstash/redis does; all are dropped after the test."""
    opened: list[SseStream] = []

    def _open(path: str, token: str | None = None, b64: bool = True) -> SseStream:
        headers = {"Authorization": f"Bearer {token or gateway.token}", "upstash-sync-token": ""}
        if b64:
            headers["Upstash-Encoding"] = "base64"
        stream = SseStream(gateway.url, path, headers)
        opened.append(stream)
        return stream

    yield _open
    for stream in opened:
        stream.close()


def pubsub_clients(engine_client: redis.Redis) -> int:
    """How many engine connections currently hold a channel or pattern subscription."""
    return sum(
        1
        for client in engine_client.client_list()
        if int(client.get("sub", 0)) > 0 or int(client.get("psub", 0)) > 0
    )


def numsub(engine_client: redis.Redis, channel: str) -> int:
    return int(engine_client.pubsub_numsub(channel)[0][1])


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_subscribe_answers_an_event_stream(sse: OpenSse, key: str) -> None:
    stream = sse(f"/subscribe/{key}")
    assert stream.response.status_code == 200
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    assert stream.response.headers.get("upstash-sync-token")
    assert stream.next_data() == f"subscribe,{key},1"


def test_published_object_arrives_raw_not_base64(sse: OpenSse, call: Call, key: str) -> None:
    stream = sse(f"/subscribe/{key}")
    assert stream.next_data() == f"subscribe,{key},1"
    assert call(["PUBLISH", key, '{"a":1}'], b64=True).json() == {"result": 1}
    assert stream.next_data() == f'message,{key},{{"a":1}}'
    call(["PUBLISH", key, "plain, with commas é"], b64=True)
    assert stream.next_data() == f"message,{key},plain, with commas é"


def test_messages_arrive_in_publish_order(sse: OpenSse, call: Call, key: str) -> None:
    stream = sse(f"/subscribe/{key}")
    stream.next_data()
    call([["PUBLISH", key, str(i)] for i in range(50)], path="/pipeline")
    assert [stream.next_data() for _ in range(50)] == [f"message,{key},{i}" for i in range(50)]


def test_psubscribe_yields_pmessage(sse: OpenSse, call: Call, key: str) -> None:
    stream = sse(f"/psubscribe/{key}*")
    assert stream.next_data() == f"psubscribe,{key}*,1"
    assert call(["PUBLISH", f"{key}one", "hello"]).json() == {"result": 1}
    assert stream.next_data() == f"pmessage,{key}*,{key}one,hello"


def test_percent_encoded_channel_names(sse: OpenSse, call: Call, key: str) -> None:
    stream = sse(f"/subscribe/{key}chan%20one%C3%A9")
    assert stream.next_data() == f"subscribe,{key}chan oneé,1"
    call(["PUBLISH", f"{key}chan oneé", "x"])
    assert stream.next_data() == f"message,{key}chan oneé,x"


def test_slash_in_a_channel_name_is_part_of_the_channel(sse: OpenSse, call: Call, key: str) -> None:
    # @upstash/redis does not escape "/" in channel names (spec §1.5): the rest of the
    # path is the channel.
    stream = sse(f"/subscribe/{key}a/b")
    assert stream.next_data() == f"subscribe,{key}a/b,1"
    call(["PUBLISH", f"{key}a/b", "x"])
    assert stream.next_data() == f"message,{key}a/b,x"


def test_every_subscriber_gets_the_message(sse: OpenSse, call: Call, key: str) -> None:
    streams = [sse(f"/subscribe/{key}") for _ in range(3)]
    for stream in streams:
        assert stream.next_data() == f"subscribe,{key},1"
    assert call(["PUBLISH", key, "all"]).json() == {"result": 3}
    for stream in streams:
        assert stream.next_data() == f"message,{key},all"


def test_query_token_opens_a_stream(gateway: RunningGateway, key: str) -> None:
    stream = SseStream(gateway.url, f"/subscribe/{key}?_token={gateway.token}", {})
    try:
        assert stream.next_data() == f"subscribe,{key},1"
    finally:
        stream.close()


def test_subscribe_without_token_is_401_json(anon: httpx.Client, key: str) -> None:
    reply = anon.post(f"/subscribe/{key}", content=b"[]", headers={"Accept": "text/event-stream"})
    assert reply.status_code == 401
    assert_json_error(reply)


def test_closing_the_client_releases_the_engine_connection(
    sse: OpenSse, engine_client: redis.Redis, key: str
) -> None:
    baseline = pubsub_clients(engine_client)
    stream = sse(f"/subscribe/{key}")
    stream.next_data()
    assert numsub(engine_client, key) == 1
    assert pubsub_clients(engine_client) >= 1
    stream.close()
    assert wait_until(lambda: numsub(engine_client, key) == 0), "still subscribed"
    # Streams of earlier tests may still be closing, so the count may drop below it.
    assert wait_until(lambda: pubsub_clients(engine_client) <= baseline)


def test_closing_a_pattern_stream_releases_it(
    sse: OpenSse, engine_client: redis.Redis, key: str
) -> None:
    baseline = int(engine_client.pubsub_numpat())
    stream = sse(f"/psubscribe/{key}*")
    stream.next_data()
    assert int(engine_client.pubsub_numpat()) == baseline + 1
    stream.close()
    assert wait_until(lambda: int(engine_client.pubsub_numpat()) == baseline)


def test_many_streams_do_not_starve_commands_or_leak(
    sse: OpenSse, call: Call, engine_client: redis.Redis, key: str
) -> None:
    baseline = pubsub_clients(engine_client)
    for round_ in range(2):
        streams = [sse(f"/subscribe/{key}{i}") for i in range(20)]
        for i, stream in enumerate(streams):
            assert stream.next_data() == f"subscribe,{key}{i},1"
        assert call(["SET", f"{key}r{round_}", "ok"]).json() == {"result": "OK"}
        assert call([["GET", f"{key}r{round_}"]], path="/pipeline").json() == [{"result": "ok"}]
        assert call([["GET", f"{key}r{round_}"]], path="/multi-exec").json() == [{"result": "ok"}]
        for stream in streams:
            stream.close()
        assert wait_until(lambda: pubsub_clients(engine_client) <= baseline), round_
