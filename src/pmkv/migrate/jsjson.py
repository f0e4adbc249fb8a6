"""A fast path to ``codec.to_js_json`` for the values real pm/ trees hold.

``codec.to_js_json`` is exact for every value, but it decides between the C encoder and
its careful encoder by scanning the *output text* with a regex, which costs ~140 µs for
a typical 3 KB story -- most of a migration's CPU time. Checking the *value* instead is
~7 µs: when it holds no float, no int beyond 2**53, no array-index-like object key and
no lone surrogate, Python's compact C encoder already writes exactly what
``JSON.stringify`` writes. Anything else goes to ``codec.to_js_json`` unchanged, so the
result is always identical to it (a hypothesis test checks that).
"""

from __future__ import annotations

import json
import re

from pmkv.store.codec import JsonValue, to_js_json

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
