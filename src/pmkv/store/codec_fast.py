"""Reading a JSON file as ``(JSON.parse(file), JSON.stringify(that))``, fast.

Part of the codec (split out only to keep ``codec.py`` small). ``codec.parse_json`` +
``codec.to_js_json`` are the one exact implementation; this module only decides when a
C library gives the very same answer and is cheaper. With ``orjson`` installed, a file
whose parsed value is an object or array holding no float, no int beyond 2**53 and no
key that starts with a digit (JavaScript enumerates array-index keys first) is parsed
and serialized by orjson, whose compact output is then byte-identical to
``JSON.stringify`` (keys in order, non-ASCII as-is, the same escapes). Anything else --
and any file orjson rejects (a BOM, a lone surrogate escape, bad JSON) -- goes to the
codec, which decides and reports. A hypothesis test checks both paths agree.

Public API: ``load_js_utf8(data, source) -> (value, utf8 bytes)``,
``load_js(data, source) -> (value, text)``, and ``load_js_judged`` (which parser read it).

Why: per 2 KB story, ``parse_json`` + ``to_js_json`` cost ~29 µs and this path ~12 µs
(measured 2026-11-26), which at 100,000 stories is ~1.7 s of a ~5 s migration budget.
Without orjson the codec is used for everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmkv.store.codec import JsonValue, parse_json, to_js_json

try:  # optional: the codec alone is exact, only slower
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None  # type: ignore[assignment]


def plain(value: object) -> bool:
    """No float and no digit-led key anywhere in ``value`` (ints are checked by orjson):
    then orjson's compact output for it is exactly ``JSON.stringify``'s."""
    stack: list[Any] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if type(item) is dict:
            # min() of the keys is below ":" iff some key starts with a digit (or is
            # empty, or starts with punctuation below "0"): those only take the codec path
            if not item or min(item) < ":":
                if item:
                    return False
                continue
            items = item.values()
        else:
            items = item
        kinds = set(map(type, items))
        if float in kinds:
            return False
        if dict in kinds or list in kinds:
            for child in items:
                if type(child) is dict or type(child) is list:
                    push(child)
    return True


def load_js_judged(
    data: bytes, source: str, judge: Callable[[Any], int]
) -> tuple[JsonValue, bytes, int]:
    """:func:`load_js_utf8`, saying which parser read the file: ``judge``'s verdict on the
    value orjson read (truthy: that value and orjson's bytes were used), or 0 when the
    codec read it (a value ``judge`` refused, or a file orjson rejects -- then the value
    may hold what orjson never does, like a lone surrogate)."""
    if orjson is not None:
        try:
            value: JsonValue = orjson.loads(data)
            if type(value) in (dict, list):
                verdict = judge(value)
                if verdict:
                    raw = orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
                    return value, raw, verdict
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            pass  # the codec decides (and words the error)
    value = parse_json(data, source=source)
    return value, to_js_json(value).encode("utf-8"), 0


def load_js_utf8(
    data: bytes, source: str, is_plain: Callable[[Any], bool] = plain
) -> tuple[JsonValue, bytes]:
    """The parsed value and the UTF-8 bytes of its ``JSON.stringify``.

    ``is_plain`` may replace :func:`plain` (a walk of the whole value) with a quicker
    test that knows the record's shape; it must never answer True for a value
    :func:`plain` rejects, except for values the caller then refuses anyway (like
    ``storyload``'s, whose bytes are dropped when the story fails validation).
    Raises ``InvalidJSONError`` (from ``codec.parse_json``) for files that are not JSON.
    """
    value, raw, _verdict = load_js_judged(data, source, is_plain)
    return value, raw


def load_js(data: bytes, source: str) -> tuple[JsonValue, str]:
    """``(JSON.parse(file), JSON.stringify(that))`` with ``codec``'s exact semantics."""
    value, raw = load_js_utf8(data, source)
    return value, raw.decode("utf-8")
