"""The gateway's configuration: one frozen dataclass, validated once."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pmkv.gateway.errors import ConfigError

DEFAULT_MAX_BODY = 10 * 1024 * 1024


@dataclass(frozen=True)
class EngineAddress:
    """Where the engine listens, parsed from a ``redis://`` or ``unix://`` URL."""

    host: str = "127.0.0.1"
    port: int = 6379
    unix_path: str | None = None
    username: str | None = None
    password: str | None = None
    db: int = 0

    @classmethod
    def parse(cls, url: str) -> EngineAddress:
        """Parse ``redis://[user:pass@]host:port[/db]`` or ``unix:///path/to.sock``."""
        parts = urlsplit(url)
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if parts.scheme == "unix":
            if not parts.path:
                raise ConfigError(
                    f"engine URL {url!r} names no socket path",
                    hint="use unix:///path/to/engine.sock",
                )
            return cls(unix_path=parts.path, username=user, password=password)
        if parts.scheme != "redis":
            raise ConfigError(
                f"engine URL {url!r} is not redis:// or unix://",
                hint="TLS (rediss://) is not supported; use redis://host:port",
            )
        try:
            port = parts.port or 6379
        except ValueError as exc:
            raise ConfigError(
                f"engine URL {url!r} has a bad port", hint="use redis://127.0.0.1:6379"
            ) from exc
        db_text = parts.path.strip("/")
        if db_text and not db_text.isdigit():
            raise ConfigError(
                f"engine URL {url!r}: database {db_text!r} is not a number",
                hint="use redis://host:port/0",
            )
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            username=user,
            password=password,
            db=int(db_text or 0),
        )

    def describe(self) -> str:
        return f"unix://{self.unix_path}" if self.unix_path else f"{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway needs; built by the CLI from flags and Settings."""

    token: str
    engine_url: str = "redis://127.0.0.1:6379"
    host: str = "127.0.0.1"
    port: int = 8080
    readonly_token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    max_header_bytes: int = 64 * 1024
    max_url_bytes: int = 1024 * 1024
    # A keep-alive connection with nothing in flight is closed after this long.
    idle_timeout: float = 75.0
    # A started request (headers or body) must arrive completely within this long.
    request_timeout: float = 30.0
    # A client that does not read its responses for this long is dropped.
    write_timeout: float = 30.0
    sse_keepalive: float = 15.0
    # Idle dedicated connections kept for /multi-exec.
    multi_pool_size: int = 8
    # How long a graceful shutdown waits for in-flight requests.
    shutdown_grace: float = 10.0
    connect_timeout: float = 3.0
    # Processes serving one listening socket, each with its own engine connection.
    workers: int = 1

    def __post_init__(self) -> None:
        if not self.token:
            raise ConfigError("the gateway needs a token", hint="pass --token or set PMKV_TOKEN")
        if not is_loopback(self.host) and len(self.token) < 8:
            raise ConfigError(
                f"refusing to listen on {self.host} with a short token",
                hint="use a token of at least 8 characters for a non-loopback bind",
            )
        if self.readonly_token is not None and self.readonly_token == self.token:
            raise ConfigError(
                "the read-only token equals the read-write token", hint="pass two different tokens"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range", hint="use 1-65535")
        if not 1 <= self.workers <= 64:
            raise ConfigError(f"--workers {self.workers} is out of range", hint="use 1-64")
        if self.max_body < 1:
            raise ConfigError("--max-body must be positive", hint="e.g. 10485760")
        self.engine()  # validate now, not at the first request

    def engine(self) -> EngineAddress:
        return EngineAddress.parse(self.engine_url)
