"""The official ``upstash-redis`` client, with cheaper JSON in both directions.

``upstash_redis.Redis`` posts every command with ``httpx``'s ``json=``, which encodes the
body with the standard library's ``json.dumps``. For bulk writes that is most of the
client's cost: a 500-story ``MSET`` (about 1 MB of JSON text, full of quotes to escape)
takes ~6 ms in ``json.dumps`` and ~0.6 ms in ``orjson.dumps`` (measured 2026-11-26),
which at 100,000 stories is over a second of the interpreter's time.

:func:`connect` builds the stock client and swaps the ``httpx.Client`` it posts with for
one whose ``json=`` bodies are encoded by ``orjson`` -- the exact bytes ``httpx`` would
send (compact separators, UTF-8 as-is, the same escapes) -- whenever orjson agrees with
``json.dumps`` by construction: the body holds only strings, ints within 64 bits, bools,
``None``, lists and dicts with string keys. Anything else (a float, whose text the two
libraries write differently, or a value orjson refuses) goes through ``httpx``'s own
encoder, unchanged. Everything else -- commands, headers, retries, sync tokens, base64
responses -- is the official client's own code. A test pins the byte equality.

Responses: the client parses each body with ``httpx``'s ``Response.json()``, the standard
library's ``json.loads``. The session here returns responses whose ``json()`` tries
``orjson.loads`` first: an Upstash reply holds strings, integers, null, arrays and
objects, which both parse to the same Python values. Whatever orjson refuses (``NaN``,
a lone surrogate escape, bytes that are not UTF-8, ...) and any body in which it finds a
float (which is also how it reads an integer beyond 64 bits, where ``json.loads`` keeps
the exact int) is handed to ``json.loads``, so the result or the error is exactly the
stock one. On a 500-story
``MGET`` without base64 that is ~0.9 ms instead of ~5.8 ms (measured 2026-11-26), which
is what makes plain responses (``rest_encoding=None``) cheaper than base64 ones, whose
per-value decoding in the client costs ~3.4 ms.

The client object is private to ``upstash_redis`` (``Redis._http._client``); when a
release moves it, :func:`connect` leaves the client stock instead of failing.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from upstash_redis import Redis

_PLAIN = (str, int, bool, type(None))


# Items (commands, arguments that are not strings, nested values) looked at before
# giving up and leaving the body to httpx: a body that refers to itself would loop
# forever (httpx then reports the circular reference). A pipeline of thousands of
# commands is far below it; a bigger one is only encoded by httpx, as before.
_MAX_ITEMS = 100_000


def _orjson_safe(value: Any) -> bool:
    """True when ``value`` holds only types orjson writes exactly like ``json.dumps``."""
    stack = [value]
    budget = _MAX_ITEMS
    while stack:
        budget -= 1
        if budget < 0:
            return False
        item = stack.pop()
        kind = type(item)
        if kind is list or kind is tuple:
            for child in item:
                if type(child) is str:
                    continue  # the common case, checked without a push
                stack.append(child)
        elif kind is dict:
            if any(type(k) is not str for k in item):
                return False
            stack.extend(item.values())
        elif kind not in _PLAIN:
            return False
    return True


def encode_body(value: Any) -> bytes | None:
    """The bytes ``httpx`` would send for ``json=value``, or None to let it encode."""
    if not _orjson_safe(value):
        return None
    try:
        return orjson.dumps(value)  # ints up to 64 bits: written exactly as json.dumps does
    except orjson.JSONEncodeError:  # e.g. a lone surrogate or an int beyond 64 bits
        return None


def _has_float(value: Any) -> bool:
    """A float anywhere in a parsed JSON value (lists and dicts walked, C-level per level)."""
    stack = [value]
    while stack:
        item = stack.pop()
        children = item.values() if type(item) is dict else item
        kinds = set(map(type, children))
        if float in kinds:
            return True
        if list in kinds or dict in kinds:
            stack.extend(c for c in children if type(c) is list or type(c) is dict)
    return False


class _FastJsonResponse(httpx.Response):
    """``httpx.Response`` whose ``json()`` parses with orjson when that is exact."""

    def json(self, **kwargs: Any) -> Any:
        if not kwargs:
            try:
                value = orjson.loads(self.content)
            except orjson.JSONDecodeError:
                pass  # the stock parser decides (and raises its own error)
            else:
                # orjson reads an integer beyond 64 bits as a float, json.loads as the
                # exact int; replies hold no floats (RESP2 numbers are 64-bit integers),
                # so any float sends the body to the stock parser
                nested = type(value) in (list, dict)
                if type(value) is not float and not (nested and _has_float(value)):
                    return value
        return super().json(**kwargs)


class _FastJsonClient(httpx.Client):
    """``httpx.Client`` whose ``json=`` request bodies are encoded by :func:`encode_body`
    and whose responses parse with orjson (see :class:`_FastJsonResponse`).

    The stock transports are kept (a custom ``transport=`` would turn off the proxy
    settings httpx reads from the environment); each response is re-classed instead,
    which adds no state: ``_FastJsonResponse`` only overrides ``json()``.
    """

    def __init__(self, *, timeout: float | None, verify: bool = True) -> None:
        super().__init__(timeout=timeout, verify=verify)

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = super().send(request, **kwargs)
        response.__class__ = _FastJsonResponse
        return response

    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        payload = kwargs.get("json")
        if payload is not None and kwargs.get("content") is None:
            body = encode_body(payload)
            if body is not None:
                kwargs["json"] = None
                kwargs["content"] = body
                headers = httpx.Headers(kwargs.get("headers"))
                headers["Content-Type"] = "application/json"
                kwargs["headers"] = headers
        return super().build_request(method, url, **kwargs)


def connect(url: str, token: str, *, timeout: float | None = None, **options: Any) -> Redis:
    """``upstash_redis.Redis(url, token, **options)`` posting with the faster encoder.

    ``timeout`` (seconds) bounds every request; the official client has no such option
    and waits forever (``httpx`` ``timeout=None``), which is also the default here.
    """
    client = Redis(url, token, **options)
    http = getattr(client, "_http", None)
    stock = getattr(http, "_client", None)
    if type(stock) is httpx.Client:
        stock.close()
        # plain http has no TLS to verify: skip building a certificate store (~45 ms
        # of CPU per client, paid again by every migration worker process)
        verify = not url.startswith("http://")
        http._client = _FastJsonClient(timeout=timeout, verify=verify)  # type: ignore[union-attr]
    return client
