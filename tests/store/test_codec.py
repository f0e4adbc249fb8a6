"""The codec against its own inverse and against real Node ``JSON.stringify``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmkv.store.codec import (
    JsonValue,
    _encode,
    content_hash,
    js_number,
    parse_json,
    to_js_json,
    to_pretty_json,
)
from pmkv.store.errors import InvalidJSONError

_SPLIT_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")

# Text with the awkward parts: controls, DEL, line separators, astral chars, lone
# surrogates (but no split pair: JavaScript would read that as one character).
texts = (
    st.text(
        st.characters(codec=None, exclude_categories=())
        | st.sampled_from(['"', "\\", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f"])
        | st.sampled_from(["\u2028", "\u2029", "é", "😀", "\ud800", "\udfff", "\ufeff"]),
        max_size=20,
    )
).filter(lambda s: _SPLIT_PAIR.search(s) is None)
keys = texts | st.sampled_from(["0", "1", "2", "10", "007", "4294967294", "4294967295", "-1"])
numbers = (
    st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e21, 1e-7, 1e-6, 1e20, 123456789012345680000.0, 5e-324, -0.0, 0.1])
)
values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none() | st.booleans() | numbers | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


def _number_lexemes() -> st.SearchStrategy[str]:
    ints = st.integers(min_value=-(2**80), max_value=2**80).map(str)
    floats = st.floats(allow_nan=False, allow_infinity=False).map(repr)
    written = st.builds(
        lambda i, frac, exp: f"{i}{frac}{exp}",
        st.integers(min_value=-999, max_value=10**22),
        st.sampled_from(["", ".0", ".5", ".000", ".25", ".1"]),
        st.sampled_from(["", "e0", "E+5", "e-7", "e21", "e400", "e-400", "E-3"]),
    )
    return ints | floats | written | st.sampled_from(["-0", "-0.0", "0e0", "1E21"])


def _json_texts() -> st.SearchStrategy[str]:
    space = st.sampled_from(["", " ", "\r\n", "\n  ", "\t"])
    scalar = (
        st.sampled_from(["null", "true", "false"])
        | _number_lexemes()
        | texts.map(lambda s: json.dumps(s, ensure_ascii=True))
    )

    def containers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arrays = st.lists(st.tuples(space, inner), max_size=4).map(
            lambda items: "[" + ",".join(s + v for s, v in items) + "]"
        )
        members = st.tuples(keys.map(json.dumps), space, inner)
        objects = st.lists(members, max_size=4).map(
            lambda items: "{" + ",".join(f"{k}{s}:{s}{v}" for k, s, v in items) + "}"
        )
        return arrays | objects

    return st.recursive(scalar, containers, max_leaves=15)


@given(values)
def test_parse_inverts_to_js_json(value: JsonValue) -> None:
    assert parse_json(to_js_json(value)) == value
    assert parse_json(to_pretty_json(value).encode("utf-8")) == value


@given(values)
def test_fast_and_slow_paths_agree(value: JsonValue) -> None:
    out: list[str] = []
    _encode(value, "", "", out)
    assert to_js_json(value) == "".join(out)
    pretty: list[str] = []
    _encode(value, "  ", "", pretty)
    assert to_pretty_json(value) == "".join(pretty) + "\n"


@given(values)
def test_content_hash_follows_the_canonical_bytes(value: JsonValue) -> None:
    assert content_hash(parse_json(to_js_json(value))) == content_hash(value)


def _node_roundtrip(texts_in: list[str]) -> list[list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = (
        "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>{"
        "const out=JSON.parse(d).map(t=>{const v=JSON.parse(t);"
        "return [JSON.stringify(v), JSON.stringify(v,null,2)+'\\n'];});"
        "process.stdout.write(JSON.stringify(out));});"
    )
    proc = subprocess.run(
        [node, "-e", script],
        input=json.dumps(texts_in, ensure_ascii=True).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    result: list[list[str]] = json.loads(proc.stdout)
    return result


@pytest.mark.js
@settings(max_examples=10, deadline=None)
@given(st.lists(_json_texts(), min_size=20, max_size=30))
def test_matches_node_json_stringify(batch: list[str]) -> None:
    expected = _node_roundtrip(batch)
    for text, (compact, pretty) in zip(batch, expected, strict=True):
        value = parse_json(text)
        assert to_js_json(value) == compact, text
        assert to_pretty_json(value) == pretty, text


@pytest.mark.js
def test_matches_node_on_the_fixture(fixture_pm: object) -> None:
    from pathlib import Path

    files = sorted(Path(str(fixture_pm)).rglob("*.json"))
    texts_in = [f.read_bytes().decode("utf-8") for f in files]
    expected = _node_roundtrip(texts_in)
    for f, text, (compact, pretty) in zip(files, texts_in, expected, strict=True):
        assert to_js_json(parse_json(f.read_bytes(), str(f))) == compact, f
        assert to_pretty_json(parse_json(text)) == pretty, f


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1e20, "100000000000000000000"),
        (2**60, "1152921504606847000"),
        (-0.0, "0"),
        (100.0, "100"),
        (-1.5e-10, "-1.5e-10"),
        (float("nan"), "null"),
        (float("-inf"), "null"),
    ],
)
def test_js_number_layout(value: float, expected: str) -> None:
    assert js_number(value) == expected


def test_parse_normalises_numbers_as_javascript_holds_them() -> None:
    value = parse_json(b'{"a": 1.0, "b": 1e2, "c": -0, "d": 12345678901234567890, "e": 2.5}')
    assert value == {"a": 1, "b": 100, "c": 0, "d": 1.2345678901234567e19, "e": 2.5}
    assert isinstance(value, dict)
    assert [type(value[k]) for k in "abcde"] == [int, int, int, float, float]
    assert to_js_json(value) == '{"a":1,"b":100,"c":0,"d":12345678901234567000,"e":2.5}'


def test_bom_crlf_and_key_order_are_transparent() -> None:
    raw = '\ufeff{\r\n  "z": "é",\r\n  "a": [1, {"y": null, "b": true}]\r\n}\r\n'.encode()
    value = parse_json(raw)
    assert list(value) == ["z", "a"]  # type: ignore[arg-type]
    assert to_js_json(value) == '{"z":"é","a":[1,{"y":null,"b":true}]}'


def test_index_keys_come_first_like_javascript() -> None:
    assert to_js_json({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5}) == (
        '{"2":4,"10":2,"b":1,"a":3,"01":5}'
    )


def test_escapes_match_javascript() -> None:
    text = '"\\\b\f\n\r\t\x01\x1f\x7f\u2028é😀\ud800'
    assert to_js_json(text) == '"\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\u2028é😀\\ud800"'


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"a": 1,}', "line 1"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": NaN}', "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_invalid_input_names_the_source(raw: bytes, fragment: str) -> None:
    with pytest.raises(InvalidJSONError) as info:
        parse_json(raw, source="pm/p/e/F-AB-001.json")
    assert "pm/p/e/F-AB-001.json" in info.value.message
    assert fragment in info.value.message
    assert info.value.hint


def test_unserialisable_values_are_refused() -> None:
    with pytest.raises(TypeError):
        to_js_json({"a": {1, 2}})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="keys must be str"):
        to_js_json({1: "a"})  # type: ignore[dict-item]
