"""Fast paths to ``codec.parse_json`` / ``codec.to_js_json`` for what real pm/ trees hold.

``codec.to_js_json`` is exact for every value, but it decides between the C encoder and
its careful encoder by scanning the *output text* with a regex, which costs ~140 µs for
a typical 3 KB story -- most of a migration's CPU time. Checking the *value* instead is
~7 µs: when it holds no float, no int beyond 2**53, no array-index-like object key and
no lone surrogate, Python's compact C encoder already writes exactly what
``JSON.stringify`` writes. Anything else goes to ``codec.to_js_json`` unchanged, so the
result is always identical to it (a hypothesis test checks that).

:func:`load_js` goes further for files: it parses with C-only hooks that merely *notice*
floats, long integers and NaN/Infinity, and checks the text for index-like keys and
``\\uD800``-style escapes, so the value never needs a walk; anything noticed (or any
error) is handed to ``codec.parse_json`` + ``to_js_json``, which decide and report.
"""

from __future__ import annotations

import json
import re

from pmkv.store.codec import JsonValue, parse_json, to_js_json

_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_SAFE = 2**53
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _plain_text(text: str) -> bool:
    return text.isascii() or _SURROGATE.search(text) is None


def _plain(value: object) -> bool:
    kind = type(value)
    if kind is str:
        return _plain_text(value)  # type: ignore[arg-type]
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            # str.isdigit is broader than JS's index rule: it only sends more to the slow path
            if key.isdigit() or not _plain_text(key) or not _plain(item):
                return False
        return True
    if kind is list:
        return all(_plain(item) for item in value)  # type: ignore[attr-defined]
    if kind is int:
        return -_MAX_SAFE <= value <= _MAX_SAFE  # type: ignore[operator]
    return kind is bool or value is None


def js_json(value: JsonValue) -> str:
    """``JSON.stringify(value)``, byte-identical to ``codec.to_js_json(value)``."""
    if _plain(value):
        return _ENCODE(value)
    return to_js_json(value)


class _Odd(Exception):
    """Raised by the parse hooks: this file needs the exact (codec) path."""


def _odd_number(_lexeme: str) -> object:
    raise _Odd


def _int(lexeme: str) -> int:
    # beyond 16 digits an int may exceed 2**53, where JavaScript rounds it
    if len(lexeme) > 16:
        raise _Odd
    return int(lexeme)


_FAST_DECODER = json.JSONDecoder(
    parse_float=_odd_number, parse_int=_int, parse_constant=_odd_number
)
# an object key that is an array index ("0", "17": JavaScript enumerates those first)
# or a UTF-16 surrogate escape; false alarms (e.g. inside a string) only cost the exact path
# (two patterns: each has a literal first character, which the regex engine scans for
# quickly; one alternation of both was 3x slower)
_INDEX_KEY = re.compile(r'"(?:0|[1-9][0-9]*)"\s*:')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def load_js(data: bytes, source: str) -> tuple[JsonValue, str]:
    """``(JSON.parse(file), JSON.stringify(that))`` with ``codec``'s exact semantics.

    Raises ``InvalidJSONError`` (from ``codec.parse_json``) for files that are not JSON.
    """
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        odd = _INDEX_KEY.search(text) or ("\\u" in text and _SURROGATE_ESCAPE.search(text))
        if not odd:
            value: JsonValue = _FAST_DECODER.decode(text)
            return value, _ENCODE(value)
    except (_Odd, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        pass
    value = parse_json(data, source=source)
    return value, to_js_json(value)
