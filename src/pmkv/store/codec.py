"""JSON in and out exactly as the app (JavaScript) sees it.

Public API (stable; the migration toolkit and the generator depend on it):

- ``parse_json(data, source=None) -> JsonValue``: bytes or text of a file or KV value to
  Python values. A UTF-8 BOM is skipped; CRLF is ordinary JSON whitespace; object key
  order is kept (duplicate keys: last value wins at the first key's position, like
  ``JSON.parse``). Raises :class:`~pmkv.store.errors.InvalidJSONError` naming ``source``.
- ``to_js_json(value) -> str``: byte-for-byte ``JSON.stringify(value)``, which is what
  ``@upstash/redis`` stores for an object.
- ``to_pretty_json(value) -> str``: ``JSON.stringify(value, null, 2) + "\\n"``, the app's
  file format.
- ``content_hash(value) -> str``: hex sha256 of ``to_js_json(value)`` in UTF-8.
- ``codec_fast.load_js(data, source)`` / ``load_js_utf8``: ``parse_json`` then
  ``to_js_json`` in one step, through orjson when that is byte-identical (a sibling module
  only to keep this one small).

Numbers follow JavaScript, where every number is a double. ``parse_json`` turns each
number into the double ``JSON.parse`` would hold and then gives it back as an ``int`` when
that double is integral and within +-2**53 (so ``1.0``, ``1e2`` and ``-0`` become ``1``,
``100`` and ``0``), else as a ``float`` (``1.5``; ``12345678901234567890`` becomes
``1.2345678901234567e19`` -- the precision JavaScript loses is lost here too).
``to_js_json`` formats numbers with JavaScript's ``Number.prototype.toString`` rules
(``1e+21``, ``1e-7``, ``0.000001``, ``100000000000000000000``); an ``int`` beyond 2**53 is
first rounded to a double, as JavaScript would; NaN and infinities become ``null``.
Keys that are array indexes (``"0"``, ``"17"``) come first in ascending order, because
JavaScript objects enumerate them that way; every other key keeps its order. Lone UTF-16
surrogates are written as ``\\udxxx`` escapes (well-formed ``JSON.stringify``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any, TypeAlias

from pmkv.store.errors import InvalidJSONError

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"

_MAX_SAFE = 2**53
_MAX_INDEX = 2**32 - 2  # the largest array index a JS object key can be


def _number_from_int(lexeme: str) -> int | float:
    if len(lexeme) <= 16:
        return int(lexeme)
    return _integral_or_float(float(lexeme))


def _number_from_float(lexeme: str) -> int | float:
    return _integral_or_float(float(lexeme))


def _integral_or_float(value: float) -> int | float:
    if value.is_integer() and -_MAX_SAFE <= value <= _MAX_SAFE:
        return int(value)
    return value


def _reject_constant(name: str) -> JsonValue:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(
    parse_float=_number_from_float,
    parse_int=_number_from_int,
    parse_constant=_reject_constant,
)


def parse_json(data: bytes | str, source: str | None = None) -> JsonValue:
    """Parse JSON file bytes (or text) the way the app's ``JSON.parse`` reads them."""
    where = source or "value"
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise InvalidJSONError(
            f"{where} is not UTF-8 (byte {exc.start})",
            hint="re-save the file as UTF-8",
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value: JsonValue = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="fix the JSON syntax (a JSON linter shows the exact spot)",
        ) from exc
    except ValueError as exc:  # NaN / Infinity, which Python's json would accept
        raise InvalidJSONError(f"{where} is not valid JSON: {exc}", hint="use null") from exc
    except RecursionError as exc:  # ~1,000 arrays/objects deep: past Python's stack
        raise InvalidJSONError(
            f"{where} nests arrays and objects too deeply to be read here",
            hint="flatten the deepest value (pmkv reads up to ~990 levels)",
        ) from exc
    return value


def js_number(value: float | int) -> str:
    """Format a number as JavaScript's ``Number.prototype.toString`` does."""
    if isinstance(value, int):
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return str(value)
        value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    if value == 0:
        return "0"
    if value.is_integer() and -_MAX_SAFE <= value <= _MAX_SAFE:
        return str(int(value))
    # Python's repr and JavaScript both give the shortest digits that round-trip;
    # only the layout differs, so take the digits from repr and lay them out as JS.
    text = repr(abs(value))
    mantissa, _, exp_text = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    point = len(whole) + (int(exp_text) if exp_text else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        exp = n - 1
        sign = "+" if exp >= 0 else "-"
        head = digits if k == 1 else digits[0] + "." + digits[1:]
        out = f"{head}e{sign}{abs(exp)}"
    return "-" + out if value < 0 else out


_SURROGATES = re.compile("[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]")


def _fix_surrogate(match: re.Match[str]) -> str:
    pair = match.group()
    if len(pair) == 2:  # a split pair is one character to JavaScript
        high, low = ord(pair[0]), ord(pair[1])
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    return f"\\u{ord(pair):04x}"


def js_string(text: str) -> str:
    """Quote ``text`` as ``JSON.stringify`` does (non-ASCII as-is)."""
    quoted: str = encode_basestring(text)
    return _SURROGATES.sub(_fix_surrogate, quoted)


_INDEX_KEY = re.compile(r"(?:0|[1-9][0-9]{0,9})\Z")


def _is_index(key: str) -> bool:
    return _INDEX_KEY.match(key) is not None and int(key) <= _MAX_INDEX


def js_key_order(keys: list[str]) -> list[str]:
    """Order keys as a JavaScript object enumerates them."""
    indexes = [k for k in keys if _is_index(k)]
    if not indexes:
        return keys
    indexes.sort(key=int)
    return indexes + [k for k in keys if not _is_index(k)]


def _encode(value: object, indent: str, level: str, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(js_string(value))
    elif isinstance(value, int | float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = level + indent
        sep = ",\n" + inner if indent else ","
        out.append("{\n" + inner if indent else "{")
        keys = list(value)
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
        for i, key in enumerate(js_key_order(keys)):
            if i:
                out.append(sep)
            out.append(js_string(key) + (": " if indent else ":"))
            _encode(value[key], indent, inner, out)
        out.append("\n" + level + "}" if indent else "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = level + indent
        sep = ",\n" + inner if indent else ","
        out.append("[\n" + inner if indent else "[")
        for i, item in enumerate(value):
            if i:
                out.append(sep)
            _encode(item, indent, inner, out)
        out.append("\n" + level + "]" if indent else "]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


# The C encoder is ~5x faster than _encode and agrees with JavaScript except for floats
# (layout), NaN/Infinity, ints beyond 2**53, index-like keys and lone surrogates. One
# walk over the containers (strings are not entered) finds the first three; surrogates
# show up as a failed UTF-8 encode of the output. Either sends us down the slow path,
# which is always correct. (A regex over the output cost 5x more than this walk.)
def _fast_path_differs(value: object) -> bool:
    stack: list[Any] = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            for key in item:
                if type(key) is not str or key[:1].isdigit():
                    return True
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        elif kind is int:
            if not -_MAX_SAFE <= item <= _MAX_SAFE:
                return True
        elif kind not in _PLAIN:
            return True  # floats, subclasses, foreign types: the slow path judges
    return False


_PLAIN = frozenset({str, bool, type(None)})
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=True)
_PRETTY = json.JSONEncoder(ensure_ascii=False, indent=2, allow_nan=True)


def _serialize(value: JsonValue, fast: Callable[[object], str], indent: str) -> str:
    if not _fast_path_differs(value):
        text = fast(value)
        if text.isascii():
            return text
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: JavaScript escapes it
        else:
            return text
    out: list[str] = []
    _encode(value, indent, "", out)
    return "".join(out)


def to_js_json(value: JsonValue) -> str:
    """``JSON.stringify(value)``: compact, key order kept, non-ASCII as-is."""
    return _serialize(value, _COMPACT.encode, "")


def to_pretty_json(value: JsonValue) -> str:
    """``JSON.stringify(value, null, 2) + "\\n"``: how the app writes its files."""
    return _serialize(value, _PRETTY.encode, "  ") + "\n"


def content_hash(value: JsonValue) -> str:
    """Hex sha256 of the canonical JS-JSON bytes of ``value``."""
    return hashlib.sha256(to_js_json(value).encode("utf-8")).hexdigest()
