"""Argument coercion: JSON bodies → engine arguments, number lexemes kept."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.coerce import EntryError, parse_batch, parse_command, parse_json, to_arg
from pmkv.gateway.errors import BadRequest

# Strings the JSON text can carry (no lone surrogates, which cannot become UTF-8).
texts = st.text(st.characters(blacklist_categories=("Cs",)))


@given(st.lists(texts, min_size=1, max_size=8))
def test_string_arguments_round_trip_as_utf8(args: list[str]) -> None:
    body = json.dumps(args).encode()
    assert parse_command(body) == [a.encode("utf-8") for a in args]


@given(st.integers())
def test_integer_lexeme_is_kept(n: int) -> None:
    assert parse_command(json.dumps(["SET", "k", n]).encode())[2] == str(n).encode()


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_lexeme_is_kept(x: float) -> None:
    text = json.dumps(x)
    assert parse_command(f'["SET","k",{text}]'.encode())[2] == text.encode()


@pytest.mark.parametrize(
    ("lexeme", "expected"),
    [("1.0", b"1.0"), ("9007199254740993", b"9007199254740993"), ("1e-07", b"1e-07"),
     ("-0", b"-0"), ("13.361389", b"13.361389")],
)  # fmt: skip
def test_spec_number_examples(lexeme: str, expected: bytes) -> None:
    assert parse_command(f'["SET","k",{lexeme}]'.encode())[2] == expected


def test_booleans_are_true_false_not_python_spelling() -> None:
    assert parse_command(b'["SET","k",true]')[2] == b"true"
    assert parse_command(b'["SET","k",false]')[2] == b"false"


@pytest.mark.parametrize("arg", ["null", '{"a":1}', "[1]"])
def test_null_object_array_arguments_are_errors(arg: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_command(f'["SET","k",{arg}]'.encode())
    assert caught.value.message.startswith("ERR")
    assert caught.value.http_status == 400


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_command(b'["SET","k","\\ud800"]')


@pytest.mark.parametrize("body", [b"", b"{", b'{"a":1}', b"[]", b"\xff\xfe", b'"GET"'])
def test_bad_single_bodies_are_bad_requests(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_command(body)


def test_whitespace_around_the_body_is_fine() -> None:
    assert parse_command(b' \n["GET", "k"]\n ') == [b"GET", b"k"]


def test_trailing_garbage_is_rejected() -> None:
    with pytest.raises(BadRequest):
        parse_json(b'["GET","k"] x')


def test_batch_keeps_malformed_entries_in_place() -> None:
    out = parse_batch(b'[["GET","a"],[],"x",["SET","b",null],["PING"]]')
    assert out[0] == [b"GET", b"a"]
    assert [type(e) for e in out[1:4]] == [EntryError, EntryError, EntryError]
    assert out[4] == [b"PING"]


def test_batch_must_be_an_array() -> None:
    with pytest.raises(BadRequest):
        parse_batch(b'{"a":1}')
    assert parse_batch(b"[]") == []


def test_to_arg_rejects_other_types() -> None:
    with pytest.raises(EntryError):
        to_arg(1.5)


args = st.one_of(
    texts,
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


def _exact(body: bytes) -> object:
    decoder = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)
    return decoder.decode(body.decode())


@given(st.lists(st.lists(args, max_size=5), max_size=5), st.booleans())
def test_fast_and_lexeme_parsers_agree_on_every_body(
    batch: list[list[object]], escape: bool
) -> None:
    """Whichever parser a body goes to (orjson for long strings), the commands are the
    same as the lexeme-keeping parser alone would give."""
    long_batch = [[a + "·" * 90 if isinstance(a, str) else a for a in c] for c in batch]
    filler = ["SET", "pad", "p" * 5000]  # makes every body long enough for orjson
    for commands in (batch, [*long_batch, filler], [filler, *batch]):
        body = json.dumps(commands, ensure_ascii=escape).encode()
        assert parse_json(body) == _exact(body)
        single = json.dumps(commands[0] if commands else ["PING"], ensure_ascii=escape).encode()
        assert parse_json(single) == _exact(single)


def test_long_string_bodies_take_orjson_and_short_ones_the_scanner() -> None:
    from pmkv.gateway.coerce import _long_strings

    story = json.dumps({"title": "a " * 2000, "n": 1})
    assert _long_strings(json.dumps([["MSET", "k1", story, "k2", story]]).encode())
    assert not _long_strings(json.dumps([["GET", f"key:{i}"] for i in range(500)]).encode())
    assert not _long_strings(b'["SET","k","v"]')


def test_minus_zero_and_big_numbers_keep_their_lexeme_in_batches() -> None:
    body = b'[["SET","k","v"],["INCRBY","n",-0],["SET","b",123456789012345678901234]]'
    assert parse_batch(body)[1] == [b"INCRBY", b"n", b"-0"]
    assert parse_batch(body)[2] == [b"SET", b"b", b"123456789012345678901234"]
