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


def top_level_kinds(data: bytes) -> list[int]:
    """The type byte of each complete top-level reply in ``data`` (from a boundary).

    Only structure is walked (lengths and counts), no values are built; it runs only
    on the rare reads that contain a bulk "OK", to tell it from a status OK.
    """
    kinds: list[int] = []
    pos, end = 0, len(data)
    pending = 0  # elements still to skip inside the current top-level array(s)
    while pos < end:
        kind = data[pos]
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            break
        if pending == 0:
            start_kind = kind
        if kind in (0x2B, 0x2D, 0x3A):  # + - :
            pos = line_end + 2
            pending -= 1 if pending else 0
        elif kind == 0x24:  # $
            size = int(data[pos + 1 : line_end])
            nxt = line_end + 2 + (size + 2 if size >= 0 else 0)
            if nxt > end:
                break
            pos = nxt
            pending -= 1 if pending else 0
        elif kind == 0x2A:  # *
            count = int(data[pos + 1 : line_end])
            pos = line_end + 2
            pending = pending - 1 + count if pending else count
            if pending > 0:
                continue
        else:
            break  # not RESP2 we understand: stop (callers then treat OK as status)
        if pending == 0:
            kinds.append(start_kind)
    return kinds


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
