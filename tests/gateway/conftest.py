"""Fixtures for the gateway's black-box tests: HTTP clients, unique keys, raw sockets.

Everything here talks to the real session ``gateway`` (``python -m pmkv serve``) or to
its engine; nothing is mocked. Tests use unique key prefixes instead of flushing, so
they never disturb other tests sharing the session engine.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.gateway.wire import Call, RawConnection
from tests.support.gateway import RunningGateway


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A key prefix unique to this test run, so tests never collide on the shared engine."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:40]
    return f"pmkvtest-{name}-{uuid.uuid4().hex[:10]}-"


@pytest.fixture(scope="module")
def http(gateway: RunningGateway) -> Iterator[httpx.Client]:
    """An httpx client that sends the read-write token as the official clients do."""
    with httpx.Client(
        base_url=gateway.url,
        headers={"Authorization": f"Bearer {gateway.token}"},
        timeout=10.0,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def anon(gateway: RunningGateway) -> Iterator[httpx.Client]:
    """An httpx client that sends no credentials."""
    with httpx.Client(base_url=gateway.url, timeout=10.0) as client:
        yield client


@pytest.fixture
def call(http: httpx.Client) -> Call:
    """POST a JSON (or raw) body to the gateway: ``call(["GET", "k"], b64=True)``."""

    def _call(
        body: Any = None,
        *,
        path: str = "/",
        raw: str | bytes | None = None,
        b64: bool = False,
        headers: dict[str, str] | None = None,
        method: str = "POST",
    ) -> httpx.Response:
        sent = dict(headers or {})
        if b64:
            sent["Upstash-Encoding"] = "base64"
        if raw is not None:
            content = raw.encode() if isinstance(raw, str) else raw
            sent.setdefault("Content-Type", "application/json")
            return http.request(method, path, content=content, headers=sent)
        if body is None:
            return http.request(method, path, headers=sent)
        return http.request(method, path, json=body, headers=sent)

    return _call


@pytest.fixture
def raw_conn(gateway: RunningGateway) -> Iterator[Callable[..., RawConnection]]:
    """Open raw TCP connections to the gateway; all are closed after the test."""
    opened: list[RawConnection] = []

    def _open(timeout: float = 5.0) -> RawConnection:
        conn = RawConnection(gateway.port, timeout)
        opened.append(conn)
        return conn

    yield _open
    for conn in opened:
        conn.close()
