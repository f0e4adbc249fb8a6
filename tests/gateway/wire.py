"""Raw HTTP/1.1 over a socket, and the JSON-error check, for the gateway's tests."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Call = Callable[..., httpx.Response]
"""The ``call`` fixture's type: ``call(body, path=..., raw=..., b64=..., headers=...)``."""


@dataclass
class RawResponse:
    """One HTTP/1.1 response read off a raw socket."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """A plain TCP connection that writes bytes and reads back whole HTTP responses.

    Hand-written because httpx/h11 never put two requests on the wire before the first
    answer arrives, which is exactly what the pipelining tests must do.
    """

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"connection closed before {marker!r}: {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise ConnectionError("connection closed inside a response body")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_response(self, *, head_request: bool = False) -> RawResponse:
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        _version, status, *reason = status_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        response = RawResponse(int(status), reason[0] if reason else "", headers)
        if head_request or response.status in (204, 304) or 100 <= response.status < 200:
            return response
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_exact(size)
                self._read_exact(2)
            response.body = body
        elif "content-length" in headers:
            response.body = self._read_exact(int(headers["content-length"]))
        else:
            while self._fill():
                pass
            response.body, self.buffer = self.buffer, b""
        return response

    def is_closed_by_peer(self, timeout: float = 3.0) -> bool:
        """True when the server closes the connection within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def request_bytes(
    method: str,
    target: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    version: str = "HTTP/1.1",
) -> bytes:
    """Serialize one HTTP request exactly as given (no normalization of the target)."""
    lines = [f"{method} {target} {version}", "Host: 127.0.0.1"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def assert_json_error(response: httpx.Response | RawResponse) -> str:
    """Assert the body is a JSON object with a string ``error`` (and no ``result``)."""
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str), body
    assert body["error"], body
    assert "result" not in body, body
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), content_type
    return str(body["error"])


class SseStream:
    """One server-sent-events request, read line by line on a background thread.

    A thread (rather than httpx's iterator in the test) lets a test wait for the next
    line with a timeout, and close the stream from outside like an aborted fetch.
    """

    def __init__(self, base_url: str, path: str, headers: dict[str, str]) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(10.0, read=None))
        sent = {
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            "Content-Type": "application/json",
            **headers,
        }
        request = self.client.build_request("POST", path, content=b"[]", headers=sent)
        self.response = self.client.send(request, stream=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.closed = False
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        try:
            for line in self.response.iter_lines():
                self.lines.put(line)
        except (httpx.HTTPError, OSError, RuntimeError, ValueError):
            pass  # closed from outside, or the server went away
        finally:
            self.lines.put(None)

    def next_line(self, timeout: float = 5.0) -> str | None:
        """The next line (``None`` once the stream has ended)."""
        return self.lines.get(timeout=timeout)

    def next_data(self, timeout: float = 5.0) -> str:
        """The payload of the next ``data:`` line, skipping comments and blank lines."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no data line in time")
            line = self.next_line(remaining)
            if line is None:
                raise ConnectionError("the event stream ended")
            if line.startswith("data: "):
                return line[len("data: ") :]

    def close(self) -> None:
        """Drop the connection, as a browser or Node does when a fetch is aborted."""
        if self.closed:
            return
        self.closed = True
        # Closing a socket another thread is blocked on does not wake it, and the kernel
        # keeps the connection open; shutdown() sends the FIN and ends the pump's recv.
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=5)
        self.response.close()
        self.client.close()
