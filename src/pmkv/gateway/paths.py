"""Request targets → path segments and query arguments (path-style commands, §1.2).

The raw path is split on ``/`` first and each segment percent-decoded after, so an
encoded ``%2F`` stays inside its argument.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

TOKEN_PARAM = b"_token"


def split_target(url: bytes) -> tuple[bytes, bytes]:
    """``/a/b?x=1#frag`` → (``/a/b``, ``x=1``)."""
    hash_at = url.find(b"#")
    if hash_at >= 0:
        url = url[:hash_at]
    path, _, query = url.partition(b"?")
    return path, query


def segments(path: bytes) -> list[bytes]:
    """Decoded segments of a raw path; ``/`` → []. One trailing ``/`` is ignored."""
    if path.startswith(b"/"):
        path = path[1:]
    if path.endswith(b"/"):
        path = path[:-1]
    if not path:
        return []
    return [unquote_to_bytes(s) if b"%" in s else s for s in path.split(b"/")]


def _form_decode(text: bytes) -> bytes:
    text = text.replace(b"+", b" ")
    return unquote_to_bytes(text) if b"%" in text else text


def query_args(query: bytes) -> tuple[list[bytes], bytes | None]:
    """Form-decoded query → (arguments, ``_token`` value).

    ``name=value`` gives two arguments, a bare ``name`` one; ``_token`` is taken out.
    """
    args: list[bytes] = []
    token: bytes | None = None
    if not query:
        return args, token
    for pair in query.split(b"&"):
        if not pair:
            continue
        name, eq, value = pair.partition(b"=")
        name = _form_decode(name)
        if name == TOKEN_PARAM:
            token = _form_decode(value)
            continue
        args.append(name)
        if eq:
            args.append(_form_decode(value))
    return args, token


def query_token(query: bytes) -> bytes | None:
    """Only the ``_token`` parameter (for endpoints that take no query arguments)."""
    if TOKEN_PARAM not in query:
        return None
    return query_args(query)[1]
