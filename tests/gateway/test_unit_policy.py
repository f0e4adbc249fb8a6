"""The refused-commands policy (spec §7) and token checks."""

from __future__ import annotations

import pytest

from pmkv.gateway.auth import FULL, READONLY, WRONGPASS, Auth
from pmkv.gateway.errors import Unauthorized
from pmkv.gateway.policy import refusal


@pytest.mark.parametrize(
    "name", [b"select", b"auth", b"hello", b"multi", b"watch", b"subscribe", b"blpop",
             b"bzpopmin", b"wait", b"monitor", b"client"],
)  # fmt: skip
def test_state_and_blocking_commands_are_refused(name: bytes) -> None:
    message = refusal(name, [name.upper(), b"x"])
    assert message
    assert message.startswith("ERR ")
    assert name.decode().upper() in message


def test_client_setinfo_is_ok_locally() -> None:
    assert refusal(b"client", [b"CLIENT", b"SETINFO", b"lib-name", b"x"]) == ""


def test_xread_block_only_is_refused() -> None:
    assert refusal(b"xread", [b"XREAD", b"COUNT", b"1", b"STREAMS", b"s", b"0"]) is None
    assert refusal(b"xread", [b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"0"])
    # "block" as a stream key after STREAMS is not the option.
    assert refusal(b"xread", [b"XREAD", b"STREAMS", b"block", b"0"]) is None


def test_ordinary_commands_pass() -> None:
    assert refusal(b"get", [b"GET", b"k"]) is None


def test_auth_header_query_and_precedence() -> None:
    auth = Auth("good-token", "ro-token")
    assert auth.access(b"Bearer good-token", None) == FULL
    assert auth.access(b"bearer ro-token", None) == READONLY
    assert auth.access(None, b"good-token") == FULL
    with pytest.raises(Unauthorized) as caught:
        auth.access(b"Bearer wrong", b"good-token")  # the header wins
    assert caught.value.message == WRONGPASS
    assert caught.value.http_status == 401
    for header, query in [(None, None), (b"Bearer undefined", None), (b"Basic good-token", None)]:
        with pytest.raises(Unauthorized):
            auth.access(header, query)


def test_no_readonly_token_means_only_the_full_one() -> None:
    auth = Auth("good-token", None)
    with pytest.raises(Unauthorized):
        auth.access(b"Bearer ", None)
