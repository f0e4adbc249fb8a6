"""RESP2 on the wire: packing commands, the error-reply type, re-serializing replies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import hiredis

Reply = object  # bytes | int | None | list[Reply] | RespError


class RespError(Exception):
    """An error reply from the engine (``-ERR ...``), returned as a value, not raised."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


# Returned by Reader.gets() when the buffer holds no complete reply yet.
NOT_ENOUGH = object()


def new_reader() -> hiredis.Reader:
    """A RESP parser that returns error replies as :class:`RespError` values."""
    return hiredis.Reader(notEnoughData=NOT_ENOUGH, replyError=RespError)


def pack(args: Sequence[bytes]) -> bytes:
    """One command as a RESP array of bulk strings (hiredis packs it in C)."""
    return bytes(hiredis.pack_command(tuple(args)))  # type: ignore[arg-type]


def pack_into(parts: list[bytes], args: Sequence[bytes]) -> None:
    """Append one packed command to ``parts`` (one join for a whole pipeline)."""
    parts.append(hiredis.pack_command(tuple(args)))  # type: ignore[arg-type]


def pack_many(commands: Iterable[Sequence[bytes]]) -> bytes:
    return b"".join(pack(c) for c in commands)


def to_resp2(reply: Reply) -> bytes:
    """Serialize a parsed reply back to RESP2 (``Upstash-Response-Format: resp2``).

    hiredis does not keep the raw bytes, and simple and bulk strings parse alike; a
    bare ``OK`` is written as the status reply it almost always was.
    """
    if type(reply) is bytes:
        if reply == b"OK":
            return b"+OK\r\n"
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    if type(reply) is int:
        return b":%d\r\n" % reply
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, RespError):
        return b"-%s\r\n" % reply.message.encode("utf-8", "replace")
    if isinstance(reply, list):
        return b"*%d\r\n" % len(reply) + b"".join(to_resp2(r) for r in reply)
    return b"$%d\r\n%s\r\n" % (len(str(reply)), str(reply).encode())
