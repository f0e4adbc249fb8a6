"""JSON request bodies → engine arguments (bytes), keeping number lexemes.

Numbers are parsed with ``parse_int=str``/``parse_float=str`` so ``9007199254740993``
or ``1.0`` reach the engine exactly as the client wrote them; booleans become
``true``/``false`` (what the JS and Python clients mean), never Python's ``True``.
"""

from __future__ import annotations

import json
from typing import Any

from pmkv.gateway.errors import BadRequest

Command = list[bytes]

# NaN/Infinity are not JSON, but Python's parser accepts them: keep their lexeme too.
_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


class EntryError(Exception):
    """One command of a batch cannot be built; the rest of the batch still runs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_json(body: bytes) -> Any:
    """Parse a request body as JSON whatever its Content-Type says."""
    try:
        return _DECODER.decode(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest(
            "ERR request body is not valid UTF-8", hint="send the command as a UTF-8 JSON array"
        ) from exc
    except ValueError as exc:
        raise BadRequest(
            f"ERR failed to parse JSON body: {exc}", hint='send a JSON array such as ["GET","key"]'
        ) from exc


def to_arg(value: object) -> bytes:
    """One JSON value → one engine argument, or :class:`EntryError`."""
    # str first: it is the common case, and numbers arrive as str lexemes too.
    if type(value) is str:
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise EntryError("ERR argument is not valid UTF-8 (lone surrogate)") from None
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if value is None:
        raise EntryError("ERR null argument is not allowed")
    raise EntryError(
        f"ERR argument of type {type(value).__name__} is not allowed; "
        "serialize objects and arrays to strings"
    )


def to_command(value: object) -> Command:
    """One JSON array → one command, or :class:`EntryError`."""
    if type(value) is not list or not value:
        raise EntryError("ERR a command must be a non-empty JSON array of strings and numbers")
    return [to_arg(v) for v in value]


def parse_command(body: bytes) -> Command:
    """The body of ``POST /``: one command."""
    try:
        return to_command(parse_json(body))
    except EntryError as exc:
        raise BadRequest(exc.message, hint='send a JSON array such as ["GET","key"]') from None


def parse_batch(body: bytes) -> list[Command | EntryError]:
    """The body of ``/pipeline`` and ``/multi-exec``: a list of commands.

    A malformed entry becomes an :class:`EntryError` in its place so the caller can
    answer it per entry (auto-pipelining batches unrelated calls).
    """
    value = parse_json(body)
    if type(value) is not list:
        raise BadRequest(
            "ERR a pipeline must be a JSON array of commands",
            hint='send [["SET","k","v"],["GET","k"]]',
        )
    out: list[Command | EntryError] = []
    for entry in value:
        try:
            out.append(to_command(entry))
        except EntryError as exc:
            out.append(exc)
    return out
