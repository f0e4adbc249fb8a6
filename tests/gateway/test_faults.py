"""Engine faults and shutdown: the gateway answers JSON 5xx while its engine is down,
recovers without a restart, and drains in-flight requests on SIGTERM.

These tests start their own engine and gateway (tests/support helpers), because they
stop the engine and the gateway on purpose.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.gateway.wire import RawConnection, SseStream, assert_json_error, request_bytes
from tests.support.engine import RunningEngine, run_engine, stop_process
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.ports import free_port, wait_for_port


@pytest.fixture(scope="module")
def own_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    with run_engine(tmp_path_factory.mktemp("fault-engine")) as running:
        yield running


@pytest.fixture(autouse=True)
def engine_is_up(own_engine: RunningEngine, tmp_path: Path) -> None:
    """Bring the engine back if an earlier test failed while it was stopped."""
    if own_engine.process is None or own_engine.process.poll() is not None:
        own_engine.start()


@pytest.fixture(scope="module")
def own_gateway(
    own_engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    with run_gateway(own_engine.url, tmp_path_factory.mktemp("fault-gateway")) as running:
        yield running


def client_for(gateway: RunningGateway) -> httpx.Client:
    return httpx.Client(
        base_url=gateway.url,
        headers={"Authorization": f"Bearer {gateway.token}", "Upstash-Encoding": "base64"},
        timeout=10.0,
    )


def wait_for_pong(client: httpx.Client, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # The clients here ask for base64, so PONG comes back encoded.
            if client.post("/", json=["PING"]).json() == {"result": "UE9ORw=="}:
                return True
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    return False


def test_engine_down_is_json_503_then_recovers_without_restart(
    own_engine: RunningEngine, own_gateway: RunningGateway, tmp_path: Path
) -> None:
    with client_for(own_gateway) as client:
        assert client.post("/", json=["SET", "fault:k", "before"]).json() == {"result": "OK"}
        healthy = client.get("/healthz")
        assert healthy.status_code == 200

        own_engine.stop()

        started = time.monotonic()
        down = client.post("/", json=["GET", "fault:k"])
        assert time.monotonic() - started < 8, "the gateway hung on a dead engine"
        assert 500 <= down.status_code < 600
        assert_json_error(down)
        assert down.headers.get("upstash-sync-token")

        pipe = client.post("/pipeline", json=[["GET", "fault:k"], ["PING"]])
        assert pipe.status_code >= 500 or all("error" in entry for entry in pipe.json())
        assert "error" in pipe.text
        tx = client.post("/multi-exec", json=[["GET", "fault:k"]])
        assert 500 <= tx.status_code < 600
        assert_json_error(tx)
        path_style = client.get("/get/fault:k")
        assert 500 <= path_style.status_code < 600
        assert_json_error(path_style)
        sub = client.post(
            "/subscribe/fault-ch", content=b"[]", headers={"Accept": "text/event-stream"}
        )
        assert 500 <= sub.status_code < 600
        assert_json_error(sub)

        unhealthy = client.get("/healthz")
        assert unhealthy.status_code != 200 or unhealthy.content != healthy.content
        assert client.get("/").status_code == 200, "the gateway itself must stay up"

        own_engine.start()
        assert wait_for_pong(client), "the gateway did not reconnect to the engine"
        assert client.post("/", json=["SET", "fault:k", "after"]).json() == {"result": "OK"}
        assert client.post("/", json=["GET", "fault:k"]).json() == {"result": "YWZ0ZXI="}
        assert client.post("/pipeline", json=[["INCR", "fault:n"]]).json() == [{"result": 1}]
        assert client.post("/multi-exec", json=[["INCR", "fault:n"]]).json() == [{"result": 2}]
        assert client.get("/healthz").status_code == 200

    stream = SseStream(
        own_gateway.url, "/subscribe/fault-ch", {"Authorization": f"Bearer {own_gateway.token}"}
    )
    try:
        assert stream.next_data() == "subscribe,fault-ch,1"
    finally:
        stream.close()


def test_engine_down_twice_recovers_twice(
    own_engine: RunningEngine, own_gateway: RunningGateway, tmp_path: Path
) -> None:
    with client_for(own_gateway) as client:
        for _ in range(2):
            assert wait_for_pong(client)
            own_engine.stop()
            assert 500 <= client.post("/", json=["PING"]).status_code < 600
            own_engine.start()
            assert wait_for_pong(client)


# Busy for 0.8 s of engine CPU time (TIME is frozen inside a script; os.clock is not).
SLOW_SCRIPT = "local s = os.clock() while os.clock() - s < 0.8 do end return 'done'"


def test_sigterm_drains_in_flight_requests(
    own_engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with run_gateway(own_engine.url, tmp_path_factory.mktemp("drain")) as gateway:
        with client_for(gateway) as probe:
            assert wait_for_pong(probe)
        replies: list[httpx.Response] = []

        def slow() -> None:
            with client_for(gateway) as client:
                replies.append(client.post("/", json=["EVAL", SLOW_SCRIPT, 0]))

        worker = threading.Thread(target=slow)
        worker.start()
        time.sleep(0.3)
        gateway.process.send_signal(signal.SIGTERM)
        worker.join(timeout=15)
        assert replies, "the in-flight request got no answer"
        assert replies[0].status_code == 200
        assert replies[0].json() == {"result": "ZG9uZQ=="}
        answered = time.monotonic()
        gateway.process.wait(timeout=10)
        assert time.monotonic() - answered < 3, "the gateway lingered after draining"


# timeouts: a gateway with tight limits, so the tests stay short


@pytest.fixture(scope="module")
def tight_gateway(
    own_engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    with run_gateway(
        own_engine.url,
        tmp_path_factory.mktemp("tight-gateway"),
        "--idle-timeout", "0.5",
        "--request-timeout", "1",
        "--max-body", "4096",
    ) as running:  # fmt: skip
        yield running


def test_body_cap_is_configurable(tight_gateway: RunningGateway) -> None:
    headers = {"Authorization": f"Bearer {tight_gateway.token}"}
    with httpx.Client(base_url=tight_gateway.url, headers=headers) as client:
        fits = client.post("/", json=["ECHO", "x" * 4000])
        assert fits.json() == {"result": "x" * 4000}
        over = client.post("/", json=["ECHO", "x" * 5000])
        assert over.status_code in (400, 413)
        assert assert_json_error(over) == "ERR max request size exceeded"


def test_idle_keep_alive_connection_is_closed(tight_gateway: RunningGateway) -> None:
    conn = RawConnection(tight_gateway.port)
    try:
        conn.send(request_bytes("POST", "/", token=tight_gateway.token, body=b'["PING"]'))
        assert conn.read_response().json() == {"result": "PONG"}
        started = time.monotonic()
        assert conn.is_closed_by_peer(timeout=4), "an idle connection was kept open"
        assert time.monotonic() - started >= 0.3, "closed before the idle timeout"
    finally:
        conn.close()


@pytest.mark.parametrize(
    "partial",
    [
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor",
        b'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n["PI',
    ],
    ids=["headers", "body"],
)
def test_slow_client_is_cut_off(tight_gateway: RunningGateway, partial: bytes) -> None:
    conn = RawConnection(tight_gateway.port)
    try:
        conn.send(partial)
        started = time.monotonic()
        conn.sock.settimeout(5)
        received = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := conn.sock.recv(65536):
                received += chunk
        assert time.monotonic() - started < 4.5, "a stalled request held its connection"
        if received:  # an answer is optional, but when there is one it is a JSON error
            head, _, body = received.partition(b"\r\n\r\n")
            assert head.split(b" ")[1].startswith(b"4"), head
            assert "error" in json.loads(body)
    finally:
        conn.close()


def test_quiet_event_stream_outlives_the_idle_timeout(tight_gateway: RunningGateway) -> None:
    stream = SseStream(
        tight_gateway.url, "/subscribe/quiet", {"Authorization": f"Bearer {tight_gateway.token}"}
    )
    try:
        assert stream.next_data() == "subscribe,quiet,1"
        time.sleep(1.6)
        with httpx.Client(base_url=tight_gateway.url) as client:
            reply = client.post(
                "/",
                json=["PUBLISH", "quiet", "still here"],
                headers={"Authorization": f"Bearer {tight_gateway.token}"},
            )
        assert reply.json() == {"result": 1}
        assert stream.next_data() == "message,quiet,still here"
    finally:
        stream.close()


# security and start-up


def serve(
    engine: RunningEngine, cwd: Path, *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``python -m pmkv serve`` with a clean environment (no PMKV_* from the caller)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMKV_")}
    env["PMKV_HOME"] = str(cwd / "home")
    env.update(env_extra or {})
    return subprocess.Popen(
        [sys.executable, "-m", "pmkv", "serve", "--engine-url", engine.url, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _refused_output(proc: subprocess.Popen[bytes], still_running: str) -> bytes:
    """The output of a gateway that must exit on its own; fails with ``still_running`` if not."""
    try:
        output, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        stop_process(proc)
        pytest.fail(still_running)
    return output


def test_non_loopback_bind_without_token_is_refused(
    own_engine: RunningEngine, tmp_path: Path
) -> None:
    proc = serve(own_engine, tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    output = _refused_output(proc, "the gateway accepted a non-loopback bind without a token")
    assert proc.returncode != 0
    assert b"token" in output.lower()


def test_default_bind_is_loopback_only(own_engine: RunningEngine, tmp_path: Path) -> None:
    port = free_port()
    proc = serve(own_engine, tmp_path, "--port", str(port), "--token", "loopback-token")
    try:
        wait_for_port(port)
        listening = [
            conn.laddr
            for conn in psutil.Process(proc.pid).net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN
        ]
        assert listening, "the gateway listens nowhere"
        assert {addr.ip for addr in listening} == {"127.0.0.1"}, listening
    finally:
        stop_process(proc)


def test_token_from_the_environment(own_engine: RunningEngine, tmp_path: Path) -> None:
    port = free_port()
    proc = serve(own_engine, tmp_path, "--port", str(port), env_extra={"PMKV_TOKEN": "env-token"})
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/"
        good = httpx.post(url, json=["PING"], headers={"Authorization": "Bearer env-token"})
        assert good.json() == {"result": "PONG"}
        bad = httpx.post(url, json=["PING"], headers={"Authorization": "Bearer other"})
        assert bad.status_code == 401
    finally:
        stop_process(proc)


def test_busy_port_is_a_clear_error(own_engine: RunningEngine, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve(own_engine, tmp_path, "--port", str(port), "--token", "busy-token")
        output = _refused_output(proc, "the gateway did not notice that its port was busy")
    assert proc.returncode != 0
    assert str(port).encode() in output, output


def serve_flags() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pmkv", "serve", "--help"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return done.stdout


@pytest.mark.slow
def test_quiet_event_stream_gets_keepalive_comments(
    own_engine: RunningEngine, own_gateway: RunningGateway, tmp_path: Path
) -> None:
    # With a flag for the interval the test takes a second; without one it waits for the
    # default (15 s, like UPREST).
    fast = "--sse-keepalive" in serve_flags()
    with contextlib.ExitStack() as stack:
        gateway = own_gateway
        if fast:
            gateway = stack.enter_context(
                run_gateway(own_engine.url, tmp_path, "--sse-keepalive", "0.5")
            )
        stream = SseStream(
            gateway.url, "/subscribe/keepalive", {"Authorization": f"Bearer {gateway.token}"}
        )
        stack.callback(stream.close)
        assert stream.next_data() == "subscribe,keepalive,1"
        limit = 5 if fast else 20
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                line = stream.next_line(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            assert line is not None, "the stream ended"
            if line.startswith(":"):
                return
        pytest.fail(f"no SSE comment line within {limit} s")


def rss(pid: int) -> int:
    """Resident memory of a process and its children, in bytes."""
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


def test_a_client_that_never_reads_does_not_balloon_the_gateway(
    own_gateway: RunningGateway,
) -> None:
    headers = {"Authorization": f"Bearer {own_gateway.token}"}
    with httpx.Client(base_url=own_gateway.url, headers=headers, timeout=10) as client:
        assert client.post("/", json=["SET", "bp:big", "x" * (1024 * 1024)]).json() == {
            "result": "OK"
        }
        before = rss(own_gateway.process.pid)
        greedy = RawConnection(own_gateway.port)
        try:
            greedy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            # 300 pipelined GETs of 1 MiB each, never read: 300 MiB if nothing pushes back.
            request = request_bytes("POST", "/", token=own_gateway.token, body=b'["GET","bp:big"]')
            greedy.send(request * 300)
            time.sleep(1)
            started = time.monotonic()
            pong = client.post("/", json=["PING"]).json()
            waited = time.monotonic() - started
            time.sleep(1)
            grown = rss(own_gateway.process.pid) - before
            assert grown < 100 * 1024 * 1024, f"the gateway buffered {grown >> 20} MiB for it"
            assert pong == {"result": "PONG"}
            assert waited < 1, f"one stalled reader held others up for {waited:.1f} s"
        finally:
            greedy.close()
