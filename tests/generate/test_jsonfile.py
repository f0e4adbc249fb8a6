from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmkv.generate.errors import WriteFailedError
from pmkv.generate.jsonfile import encode, write_new

# Everything a pm record can hold: no floats (the app's numbers are integers).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


@given(json_values)
def test_encode_matches_json_dumps_indent_2(value: object) -> None:
    assert encode(value) == (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


@given(json_values)
def test_encode_round_trips_through_json_loads(value: object) -> None:
    assert json.loads(encode(value)) == value


def test_encode_keeps_non_ascii_as_is_and_ends_with_newline() -> None:
    data = encode({"name": "Zoë 山田 🚀", "n": [1, True, None], "e": {}})
    assert "Zoë 山田 🚀".encode() in data
    assert data.endswith(b"}\n")
    expected = (
        '{\n  "name": "Zoë 山田 🚀",\n  "n": [\n    1,\n    true,\n    null\n  ],\n  "e": {}\n}\n'
    )
    assert data == expected.encode()


def test_encode_rejects_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        encode({"x": 1.5})


def test_write_new_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    write_new(target, b"{}\n")
    with pytest.raises(WriteFailedError, match=r"a\.json"):
        write_new(target, b"[]\n")
    assert target.read_bytes() == b"{}\n"
