"""Path-style command parsing: raw split first, then percent-decoding (spec §1.2)."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.paths import query_args, query_token, segments, split_target

segment_bytes = st.binary(min_size=1, max_size=20)


@given(st.lists(segment_bytes, min_size=1, max_size=6))
def test_encoded_segments_round_trip(parts: list[bytes]) -> None:
    path = b"/" + b"/".join(quote_from_bytes(p, safe="").encode() for p in parts)
    assert segments(path) == parts


def test_encoded_slash_stays_inside_one_argument() -> None:
    assert segments(b"/set/a%2Fb/x%20y") == [b"set", b"a/b", b"x y"]


def test_root_and_trailing_slash() -> None:
    assert segments(b"/") == []
    assert segments(b"") == []
    assert segments(b"/pipeline/") == [b"pipeline"]


def test_split_target_drops_fragment() -> None:
    assert split_target(b"/get/k?x=1#frag") == (b"/get/k", b"x=1")
    assert split_target(b"/get/k") == (b"/get/k", b"")


@given(st.lists(st.tuples(segment_bytes, st.one_of(st.none(), st.binary(max_size=10))),
                max_size=5))  # fmt: skip
def test_query_pairs_round_trip(pairs: list[tuple[bytes, bytes | None]]) -> None:
    pairs = [(n, v) for n, v in pairs if n != b"_token"]
    query = b"&".join(
        quote_from_bytes(n, safe="").encode()
        + (b"" if v is None else b"=" + quote_from_bytes(v, safe="").encode())
        for n, v in pairs
    )
    expected: list[bytes] = []
    for n, v in pairs:
        expected.append(n)
        if v is not None:
            expected.append(v)
    assert query_args(query) == (expected, None)


def test_query_plus_is_space_and_token_is_removed() -> None:
    args, token = query_args(b"EX=100&_token=s%20ecret&NX&a+b=c")
    assert args == [b"EX", b"100", b"NX", b"a b", b"c"]
    assert token == b"s ecret"
    assert query_token(b"_token=abc") == b"abc"
    assert query_token(b"x=1") is None
