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


class Bulk(bytes):
    """A bulk string that must not pass for a status reply (a stored value "OK")."""


# hiredis parses ``+OK`` and ``$2 OK`` alike; a top-level bulk "OK" is marked as this so
# base64 encodes it and resp2 writes it back as a bulk string (see top_level_kinds).
BULK_OK = Bulk(b"OK")
BULK_OK_WIRE = b"$2\r\nOK\r\n"


def mark_bulk_ok(data: bytes, replies: list[Reply]) -> None:
    """Replace, at any depth, each bulk-string "OK" of ``replies`` by :data:`BULK_OK`.

    ``replies`` are the complete replies hiredis parsed from ``data``, which starts at a
    reply boundary. Only the structure of ``data`` is walked (type bytes, lengths,
    counts); it runs only on the rare reads that contain ``$2\\r\\nOK\\r\\n``.
    """
    pos = 0

    def walk(container: list[Reply], index: int) -> None:
        nonlocal pos
        kind = data[pos]
        line_end = data.find(b"\r\n", pos)
        if kind == 0x24:  # $
            size = int(data[pos + 1 : line_end])
            if size == 2 and data[line_end + 2 : line_end + 4] == b"OK":
                container[index] = BULK_OK
            pos = line_end + 2 + (size + 2 if size >= 0 else 0)
        elif kind == 0x2A:  # *
            count = int(data[pos + 1 : line_end])
            pos = line_end + 2
            child = container[index]
            for j in range(max(count, 0)):
                assert isinstance(child, list)
                walk(child, j)
        else:  # + - : one line
            pos = line_end + 2

    for i in range(len(replies)):
        walk(replies, i)


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
    plain ``OK`` is written as a status reply, a :class:`Bulk` one as a bulk string.
    """
    if type(reply) is bytes:
        if reply == b"OK":
            return b"+OK\r\n"
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    if isinstance(reply, bytes):  # Bulk
        return b"$%d\r\n%s\r\n" % (len(reply), bytes(reply))
    if type(reply) is int:
        return b":%d\r\n" % reply
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, RespError):
        return b"-%s\r\n" % reply.message.encode("utf-8", "replace")
    if isinstance(reply, list):
        return b"*%d\r\n" % len(reply) + b"".join(to_resp2(r) for r in reply)
    return b"$%d\r\n%s\r\n" % (len(str(reply)), str(reply).encode())
