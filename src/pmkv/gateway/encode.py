"""Engine replies → the JSON the Upstash clients expect (§4 of the protocol spec).

Written as string building rather than ``json.dumps`` of a converted tree: it is the
hot path, and the only JSON values a RESP2 reply can produce are strings, integers,
null and arrays, so the output is simple to build directly.
"""

from __future__ import annotations

from binascii import b2a_base64
from json.encoder import encode_basestring

import orjson

from pmkv.gateway.resp import Reply, RespError


def json_string(text: str) -> str:
    """A JSON string literal for ``text``."""
    return str(encode_basestring(text))


def _flat_plain(items: list[Reply]) -> bytes | None:
    """A flat array of bulks / nulls / integers without base64 (an MGET of JSON
    records), as UTF-8, or None when an item is anything else. orjson writes the strings
    with the very escapes ``encode_basestring`` uses; on a 1 MB MGET it takes ~1.3 ms
    against ~12 ms value by value (measured 2026-11-26)."""
    decoded: list[object] = []
    append = decoded.append
    for r in items:
        if type(r) is bytes:
            append(r.decode("utf-8", "replace"))
        elif r is None or type(r) is int:
            append(r)
        else:
            return None
    try:
        return orjson.dumps(decoded)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return None


def _plain_array(items: list[Reply]) -> bytes:
    """A plain array, nested ones included, as UTF-8: a flat one (or a flat inner one,
    like SCAN's keys) through :func:`_flat_plain`, anything else item by item. A SCAN
    page of 10,000 keys: 1.35 ms instead of 3.2 ms (measured 2026-11-26)."""
    flat = _flat_plain(items)
    if flat is not None:
        return flat
    return (
        b"["
        + b",".join([_plain_array(r) if type(r) is list else _plain(r).encode() for r in items])
        + b"]"
    )


def _plain(reply: Reply) -> str:
    if type(reply) is bytes:
        return json_string(reply.decode("utf-8", "replace"))
    if type(reply) is int:
        return str(reply)
    if reply is None:
        return "null"
    if isinstance(reply, list):
        return _plain_array(reply).decode()
    if isinstance(reply, bytes):  # Bulk
        return json_string(reply.decode("utf-8", "replace"))
    if isinstance(reply, RespError):  # nested inside an EVAL table: show its text
        return json_string(reply.message)
    return json_string(str(reply))


def _b64(reply: Reply) -> str:
    if type(reply) is bytes:
        return '"' + b2a_base64(reply, newline=False).decode("ascii") + '"'
    if type(reply) is int:
        return str(reply)
    if reply is None:
        return "null"
    if isinstance(reply, list):
        return "[" + ",".join([_b64(r) for r in reply]) + "]"
    if isinstance(reply, bytes):  # Bulk
        return '"' + b2a_base64(reply, newline=False).decode("ascii") + '"'
    if isinstance(reply, RespError):
        return _b64(reply.message.encode("utf-8"))
    return _b64(str(reply).encode("utf-8"))


def value_json(reply: Reply, base64: bool) -> str:
    """The JSON of a ``result`` value; a top-level ``OK`` stays raw under base64.

    Strings inside arrays are all encoded, ``OK`` included: the JS client decodes
    depth-1 array strings without the OK exception (spec §4.3).
    """
    if base64:
        if type(reply) is bytes and reply == b"OK":  # the status reply, not a Bulk value
            return '"OK"'
        return _b64(reply)
    return _plain(reply)


def _flat_b64(items: list[Reply]) -> bytes | None:
    """A flat array of bulks / nulls / integers (MGET, LRANGE, HMGET ...) under base64,
    built as bytes with no str round trip; None when an item is anything else."""
    # Optimistic: every item a bulk (an MGET of existing keys) is one join.
    encoded = [b2a_base64(r, newline=False) if type(r) is bytes else None for r in items]
    if encoded and None not in encoded:
        return b'["' + b'","'.join(encoded) + b'"]'  # type: ignore[arg-type]
    out: list[bytes] = []
    append = out.append
    for r in items:
        if type(r) is bytes:
            append(b'"' + b2a_base64(r, newline=False) + b'"')
        elif r is None:
            append(b"null")
        elif type(r) is int:
            append(b"%d" % r)
        else:
            return None
    return b"[" + b",".join(out) + b"]"


def result_body(reply: Reply, base64: bool) -> bytes:
    """The whole ``{"result":...}`` body of a single command, UTF-8."""
    if type(reply) is list:
        flat = _flat_b64(reply) if base64 else _plain_array(reply)
        if flat is not None:
            return b'{"result":' + flat + b"}"
    return b'{"result":' + value_json(reply, base64).encode() + b"}"


def error_json(message: str) -> str:
    """``{"error": message}``; error strings are never base64-encoded."""
    return '{"error":' + json_string(message) + "}"


def entry_json(reply: Reply, base64: bool) -> str:
    """One ``{"result":...}`` or ``{"error":...}`` object."""
    if isinstance(reply, RespError):
        return error_json(reply.message)
    return '{"result":' + value_json(reply, base64) + "}"


def entries_json(replies: list[Reply], base64: bool) -> bytes:
    """The UTF-8 array of a pipeline or transaction; bulk strings are inlined (hot)."""
    if base64:
        if not replies:
            return b"[]"
        # Optimistic: when every entry is a plain string, one join builds the array.
        encoded = [
            b2a_base64(r, newline=False) if type(r) is bytes and r != b"OK" else None
            for r in replies
        ]
        if None not in encoded:
            return b'[{"result":"' + b'"},{"result":"'.join(encoded) + b'"}]'  # type: ignore[arg-type]
        items = [
            b'{"result":"' + b2a_base64(r, newline=False) + b'"}'
            if type(r) is bytes and r != b"OK"
            else error_json(r.message).encode()
            if isinstance(r, RespError)
            else result_body(r, True)
            for r in replies
        ]
    else:
        items = [
            result_body(r, False) if type(r) is list else entry_json(r, False).encode()
            for r in replies
        ]
    return b"[" + b",".join(items) + b"]"
