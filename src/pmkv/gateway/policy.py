"""Commands the gateway refuses (protocol spec §7).

Everything else passes through to the engine. Refused: commands that change the state
of a connection (they would poison the shared multiplexed connection) and commands
that block (they would stall every request queued behind them on it).
"""

from __future__ import annotations

_STATE = "it changes connection state, and the gateway shares its engine connection"
_BLOCKING = "blocking commands are not supported over REST (they would stall the gateway)"
_TX = "use the /multi-exec endpoint for transactions"

REFUSED: dict[bytes, str] = {
    b"select": _STATE,
    b"auth": "the gateway authenticates with tokens, not AUTH",
    b"hello": _STATE,
    b"reset": _STATE,
    b"quit": _STATE,
    b"client": _STATE,
    b"readonly": _STATE,
    b"readwrite": _STATE,
    b"multi": _TX,
    b"exec": _TX,
    b"discard": _TX,
    b"watch": _TX,
    b"unwatch": _TX,
    b"subscribe": "use the /subscribe/<channel> endpoint (server-sent events)",
    b"psubscribe": "use the /psubscribe/<pattern> endpoint (server-sent events)",
    b"ssubscribe": "sharded pub/sub is not supported over REST",
    b"unsubscribe": "close the /subscribe stream to unsubscribe",
    b"punsubscribe": "close the /psubscribe stream to unsubscribe",
    b"sunsubscribe": "sharded pub/sub is not supported over REST",
    b"monitor": "use the /monitor endpoint (server-sent events)",
    b"sync": "replication commands are not supported over REST",
    b"psync": "replication commands are not supported over REST",
    b"replconf": "replication commands are not supported over REST",
    b"blpop": _BLOCKING,
    b"brpop": _BLOCKING,
    b"brpoplpush": _BLOCKING,
    b"blmove": _BLOCKING,
    b"blmpop": _BLOCKING,
    b"bzpopmin": _BLOCKING,
    b"bzpopmax": _BLOCKING,
    b"bzmpop": _BLOCKING,
    b"wait": _BLOCKING,
    b"waitaof": _BLOCKING,
}

# Answered by the gateway itself: the JS client calls CLIENT SETINFO on some setups.
OK_LOCALLY = b"setinfo"


def _has_block(args: list[bytes]) -> bool:
    """XREAD / XREADGROUP with a BLOCK option (looked for before STREAMS)."""
    for a in args[1:]:
        low = a.lower()
        if low == b"streams":
            return False
        if low == b"block":
            return True
    return False


def refusal(name: bytes, cmd: list[bytes]) -> str | None:
    """The error for a refused command, ``""`` for one answered OK locally, else None.

    ``name`` is the lower-case command name.
    """
    reason = REFUSED.get(name)
    if reason is None:
        if (name == b"xread" or name == b"xreadgroup") and _has_block(cmd):
            return f"ERR {name.decode().upper()} with BLOCK is not supported: {_BLOCKING}"
        return None
    if name == b"client" and len(cmd) > 1 and cmd[1].lower() == OK_LOCALLY:
        return ""
    text = name.decode("utf-8", "replace").upper()
    return f"ERR Command '{text}' is not allowed by the REST gateway: {reason}"
