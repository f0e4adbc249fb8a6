"""What the engine says about its commands (``COMMAND``), for read-only token checks.

A read-only token may run a command when the engine flags it ``readonly`` and it is
not in the ``@dangerous`` category, plus PING and ECHO; SCAN is refused like on
Upstash ("powerful read commands"). Container commands (OBJECT, XINFO...) are judged
by their subcommand. Deciding from the engine's own flags keeps modules and new
commands right without a hand-kept list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmkv.gateway.resp import RespError

if TYPE_CHECKING:
    from pmkv.gateway.engine_conn import RespConnection

_ALWAYS_READ = frozenset({b"ping", b"echo"})
_NEVER_READ = frozenset({b"scan", b"keys"})


def _read_ok(name: bytes, flags: list[Any], categories: list[Any]) -> bool:
    if name in _ALWAYS_READ:
        return True
    if name in _NEVER_READ:
        return False
    return b"readonly" in flags and b"@dangerous" not in categories and b"@write" not in categories


class CommandTable:
    """Command name (lower-case bytes, ``container|sub`` for subcommands) → read-only ok."""

    def __init__(self) -> None:
        self.read_ok: dict[bytes, bool] = {}
        self.containers: frozenset[bytes] = frozenset()

    async def load(self, conn: RespConnection) -> None:
        """Ask the engine for every command's flags (once per connection)."""
        (reply,) = await conn.call([b"COMMAND"])
        if isinstance(reply, RespError) or not isinstance(reply, list):
            return  # an engine without COMMAND: read-only tokens then only get PING/ECHO
        table: dict[bytes, bool] = {}
        containers = set()
        for entry in reply:
            if not isinstance(entry, list) or len(entry) < 7:
                continue
            name = bytes(entry[0]).lower()
            table[name] = _read_ok(name, entry[2], entry[6])
            subs = entry[9] if len(entry) > 9 else None
            if subs:
                containers.add(name)
                for sub in subs:
                    sub_name = bytes(sub[0]).lower()
                    table[sub_name] = _read_ok(sub_name, sub[2], sub[6])
        self.read_ok = table
        self.containers = frozenset(containers)

    def allowed_readonly(self, name: bytes, args: list[bytes]) -> bool:
        """May a read-only token run ``name args...``? ``name`` is lower-case."""
        if name in self.containers and len(args) > 1:
            return self.read_ok.get(name + b"|" + args[1].lower(), False)
        return self.read_ok.get(name, name in _ALWAYS_READ)

    @staticmethod
    def noperm(name: bytes) -> str:
        text = name.decode("utf-8", "replace")
        return f"NOPERM this user has no permissions to run the '{text}' command or its subcommand"
