"""Gateway configuration: engine URLs, loopback rule, validation."""

from __future__ import annotations

import pytest

from pmkv.gateway.config import EngineAddress, GatewayConfig, is_loopback
from pmkv.gateway.errors import ConfigError


def test_engine_urls() -> None:
    assert EngineAddress.parse("redis://127.0.0.1:6400") == EngineAddress("127.0.0.1", 6400)
    full = EngineAddress.parse("redis://user:p%40ss@db.local:7000/3")
    assert (full.host, full.port, full.username, full.password, full.db) == (
        "db.local", 7000, "user", "p@ss", 3,
    )  # fmt: skip
    sock = EngineAddress.parse("unix:///tmp/engine.sock")
    assert sock.unix_path == "/tmp/engine.sock"
    assert sock.describe() == "unix:///tmp/engine.sock"


@pytest.mark.parametrize("url", ["rediss://h:1", "http://h:1", "redis://h:99999", "redis://h/x"])
def test_bad_engine_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        EngineAddress.parse(url)


def test_loopback() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.2")


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        GatewayConfig(token="")
    with pytest.raises(ConfigError):
        GatewayConfig(token="short", host="0.0.0.0")
    with pytest.raises(ConfigError):
        GatewayConfig(token="same-token", readonly_token="same-token")
    with pytest.raises(ConfigError):
        GatewayConfig(token="t", engine_url="nope://x")
    assert GatewayConfig(token="long-enough-token", host="0.0.0.0").host == "0.0.0.0"
