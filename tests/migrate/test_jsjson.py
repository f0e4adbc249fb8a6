"""The fast JS-JSON path always equals ``codec.to_js_json``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pmkv.migrate.jsjson import js_json
from pmkv.store.codec import to_js_json

text = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=6),
    st.sampled_from(["\ud800", "a\udfffb", "\ud83d\ude00", "\u2028"]),  # lone surrogates
)
keys = st.one_of(text, st.integers(0, 2**33).map(str), st.sampled_from(["0", "01", "²", "-1"]))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


@given(values)
def test_fast_path_equals_the_codec(value: object) -> None:
    assert js_json(value) == to_js_json(value)  # type: ignore[arg-type]


def test_plain_story_takes_the_fast_path() -> None:
    value = {"id": "F-AB-001", "n": 3, "t": ["é", "✓"], "m": {"custom": {}}}
    assert js_json(value) == '{"id":"F-AB-001","n":3,"t":["é","✓"],"m":{"custom":{}}}'


def _file_variants(value: object) -> list[bytes]:
    import json

    from pmkv.store.codec import to_pretty_json

    pretty = to_pretty_json(value)  # type: ignore[arg-type]
    escaped = json.dumps(value, indent=2)  # \\u escapes, Python number layout
    return [
        pretty.encode("utf-8"),
        b"\xef\xbb\xbf" + pretty.replace("\n", "\r\n").encode("utf-8"),
        escaped.encode("utf-8", "surrogatepass"),
    ]


@given(values)
def test_load_js_equals_parse_then_stringify(value: object) -> None:
    from pmkv.migrate.jsjson import load_js
    from pmkv.store.codec import parse_json
    from pmkv.store.errors import InvalidJSONError

    for data in _file_variants(value):
        try:
            exact = parse_json(data)
        except InvalidJSONError:
            try:
                load_js(data, "f")
            except InvalidJSONError:
                continue
            raise AssertionError("load_js accepted what parse_json rejects") from None
        assert load_js(data, "f") == (exact, to_js_json(exact))


def test_load_js_rejects_like_the_codec() -> None:
    import pytest

    from pmkv.migrate.jsjson import load_js
    from pmkv.store.errors import InvalidJSONError

    for bad in (b'{"a": NaN}', b'{"a": 1', b"\xff{}", b'{"a": "\xed\xa0\x80"}'):
        with pytest.raises(InvalidJSONError):
            load_js(bad, "bad.json")
