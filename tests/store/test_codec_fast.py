"""Reading a file through ``codec_fast`` always equals ``codec.parse_json`` + ``to_js_json``."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmkv.store import codec_fast
from pmkv.store.codec import parse_json, to_js_json, to_pretty_json
from pmkv.store.codec_fast import load_js, load_js_utf8
from pmkv.store.errors import InvalidJSONError

text = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=6),
    st.sampled_from(["\ud800", "a\udfffb", "\ud83d\ude00", "\u2028", "\x7f", "\x1f"]),
)
keys = st.one_of(
    text, st.integers(0, 2**33).map(str), st.sampled_from(["0", "01", "²", "-1", "", "$a"])
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**53, 2**53 + 1, -(2**53), 2**64, -(2**63) - 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, -0.0, 1e21, 1e-7, 1e16, 0.1]),
    text,
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


def _file_variants(value: object) -> list[bytes]:
    pretty = to_pretty_json(value)  # type: ignore[arg-type]
    escaped = json.dumps(value, indent=2)  # \\u escapes, Python number layout
    return [
        pretty.encode("utf-8", "surrogatepass"),
        b"\xef\xbb\xbf" + pretty.replace("\n", "\r\n").encode("utf-8", "surrogatepass"),
        escaped.encode("utf-8", "surrogatepass"),
        json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    ]


def _check(data: bytes) -> None:
    try:
        exact = parse_json(data)
    except InvalidJSONError:
        with pytest.raises(InvalidJSONError):
            load_js_utf8(data, "f")
        return
    assert load_js_utf8(data, "f") == (exact, to_js_json(exact).encode("utf-8"))
    assert load_js(data, "f") == (exact, to_js_json(exact))


@given(values)
def test_load_js_equals_parse_then_stringify(value: object) -> None:
    for data in _file_variants(value):
        _check(data)


@given(st.dictionaries(keys, values, max_size=5))
def test_records_equal_parse_then_stringify(value: dict[str, object]) -> None:
    for data in _file_variants(value):
        _check(data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "b": 2, "a": 3}',  # duplicate key: last value, first position
        b'{"a": 1.0, "b": -0, "c": 1e2, "d": 2.5}',
        b'{"b": 1, "10": 2, "a": 3, "2": 4}',  # index keys enumerate first in JS
        b'{"b": 1, "\\u0031": 2}',  # an escaped index key (the old text check missed it)
        b'{"n": 9007199254740993, "m": 123456789012345678901234567890}',
        b'{"s": "\\ud83d\\ude00 \\u00e9 \\/ \\u001f \\u2028"}',
        b'{"s": "\\ud800"}',  # lone surrogate escape: JSON.stringify escapes it back
        b'[{"x": [1, [2, {"y": 0.5}]]}]',
        b'{"deep": {"k": [true, false, null, {"1": 2}]}}',
    ],
)
def test_awkward_files_match_the_codec(data: bytes) -> None:
    _check(data)


def test_plain_story_takes_the_fast_path() -> None:
    if codec_fast.orjson is None:
        pytest.skip("orjson is not installed: every file takes the codec path")
    value = {"id": "F-AB-001", "n": 3, "t": ["é", "✓"], "m": {"custom": {}}}
    assert codec_fast.plain(value)
    assert not codec_fast.plain({"m": {"custom": {"x": [1.5]}}})
    assert not codec_fast.plain({"m": [{"0": 1}]})
    assert load_js(json.dumps(value).encode(), "f")[1] == (
        '{"id":"F-AB-001","n":3,"t":["é","✓"],"m":{"custom":{}}}'
    )


def test_load_js_rejects_like_the_codec() -> None:
    for bad in (
        b'{"a": NaN}',
        b'{"a": 1',
        b"\xff{}",
        b'{"a": "\xed\xa0\x80"}',
        b'{"a": "tab\tinside"}',
        b"{'a': 1}",
        b'{"a": 1,}',
        b"",
    ):
        with pytest.raises(InvalidJSONError):
            load_js(bad, "bad.json")


def test_judged_says_which_parser_read_the_file() -> None:
    from pmkv.store.codec_fast import load_js_judged

    assert load_js_judged(b'{"a": "b"}', "f", lambda v: 7) == ({"a": "b"}, b'{"a":"b"}', 7)
    # refused by the judge, or a lone surrogate orjson refuses: the codec read it (0)
    assert load_js_judged(b'{"a": 1.5}', "f", lambda v: 0)[2] == 0
    value, raw, verdict = load_js_judged(b'{"a": "\\ud800"}', "f", lambda v: 7)
    assert verdict == 0
    assert value == {"a": "\ud800"}
    assert raw == b'{"a":"\\ud800"}'
