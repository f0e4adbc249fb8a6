"""``storyload.story_plain``: the shape-aware shortcut gives the very bytes of the full walk.

The shortcut may only skip the walk when the story then passes validation; these tests
mutate real stories (extra fields, floats, digit-led keys, wrong types, at every level
the shortcut reasons about) and compare ``load_js_utf8`` with and without it on every
story the app's rules accept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pmkv.migrate.storyload import StoryJob, load_story, story_plain
from pmkv.store import records
from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.codec_fast import load_js_utf8, plain
from tests.store.support import edited

BASE: dict[str, Any] = {
    "id": "F-ABC-001",
    "epicId": "checkout",
    "title": "Pay by card",
    "createdAt": "2025-01-02T03:04:05Z",
    "updatedAt": "2025-01-02T03:04:05.123Z",
    "acceptanceCriteria": ["a", "b"],
    "estimate": {"storyPoints": 3, "confidence": "high"},
    "files": [{"path": "src/pay.ts", "role": "primary"}],
    "metadata": {"createdBy": "ana", "lastEditedBy": "ana", "custom": {}},
    "tags": [],
}

odd_keys = st.sampled_from(["0", "10", "x", "storyPoints", "custom", "", "1a", "$"])
odd_values = st.one_of(
    st.sampled_from([1.0, 2.5, 1e21, -0.0, 0.1, 7, 2**60, True, None, "s", "1.0"]),
    st.lists(st.sampled_from([1.0, 1, "a"]), max_size=2),
    st.dictionaries(odd_keys, st.sampled_from([1.0, 1, "a"]), max_size=2),
)
places = st.sampled_from([(), ("estimate",), ("metadata",), ("metadata", "custom"), ("files", 0)])


def _mutated(base: dict[str, Any], edits: list[tuple[tuple[Any, ...], str, Any]]) -> Any:
    return edited(base, [(place, key, value, False) for place, key, value in edits])


def _assert_same(story: Any) -> None:
    data = json.dumps(story, indent=2).encode()
    fast = load_js_utf8(data, "f", story_plain)
    full = load_js_utf8(data, "f")
    # the verdict on the story is the same either way (load_story validates the value)
    valid = not records.validate_story(full[0], "f")
    assert valid == (not records.validate_story(fast[0], "f"))
    if valid:
        assert fast == full
        assert fast[1] == to_js_json(parse_json(data)).encode()
        assert plain(full[0]) or not story_plain(full[0])


@settings(max_examples=300)
@given(st.lists(st.tuples(places, odd_keys, odd_values), max_size=3))
def test_shortcut_equals_the_walk_on_every_valid_story(
    edits: list[tuple[tuple[Any, ...], str, Any]],
) -> None:
    _assert_same(_mutated(BASE, edits))


def test_known_fields_with_floats_fail_validation_so_the_shortcut_is_never_used() -> None:
    for story in (
        _mutated(BASE, [(("estimate",), "confidence", 3.5)]),
        _mutated(BASE, [((), "deleted", 1.0)]),
        _mutated(BASE, [((), "tags", [1.5])]),
    ):
        assert story_plain(story)  # the shortcut trusts the shape...
        assert records.validate_story(story, "f")  # ...which validation then refuses


def test_extra_float_or_index_key_takes_the_walk() -> None:
    for story in (
        _mutated(BASE, [((), "ratio", 1.0)]),
        _mutated(BASE, [(("metadata", "custom"), "2", "x")]),
        _mutated(BASE, [(("files", 0), "weight", 0.5)]),
        _mutated(BASE, [(("estimate",), "storyPoints", 3.0)]),  # the app reads 3: valid
    ):
        # valid as the app reads it (the codec's value), yet not plain: walked
        assert not records.validate_story(parse_json(json.dumps(story).encode()), "f")
        assert not story_plain(story)


def test_every_fixture_story_loads_as_before(fixture_pm: Path) -> None:
    checked = 0
    for path in sorted(fixture_pm.glob("*/*/*.json")):
        if not records.is_story_file(path.name):
            continue
        data = path.read_bytes()
        outcome = load_story(StoryJob(str(path), path.name, "k", path.stem, "p", "e"))
        if outcome.text is not None:
            assert outcome.text == load_js_utf8(data, path.name)[1]
            checked += 1
    assert checked > 40


def test_lone_surrogates_are_reported_not_migrated_nor_fatal(tmp_path: Path) -> None:
    # orjson refuses these files, the codec reads them, msgspec would take the strings:
    # the model must decide (and word the problem), and nothing may raise.
    for field, escaped in (("title", "bad \\ud800 x"), ("status", "do\\ud800ne")):
        story = {**BASE, field: "PLACEHOLDER"}
        path = tmp_path / "F-ABC-001.json"
        path.write_bytes(json.dumps(story).replace("PLACEHOLDER", escaped).encode())
        outcome = load_story(StoryJob(str(path), path.name, "k", "F-ABC-001", "p", "e"))
        assert outcome.text is None
        assert [p.field for p in outcome.problems] == [f"/{field}"]


def test_a_story_nested_too_deeply_is_reported_not_a_crash(tmp_path: Path) -> None:
    """JSON.parse reads 1,000 nested arrays; Python's parser stops short of that: the
    file is reported (and not migrated), the run goes on."""
    story = {
        "id": "F-AB-001",
        "title": "t",
        "createdAt": "2025-01-02T03:04:05Z",
        "updatedAt": "2025-01-02T03:04:05Z",
    }
    deep = json.dumps(story)[:-1] + ',"metadata":{"custom":{"a":' + "[" * 1000 + "]" * 1000
    path = tmp_path / "F-AB-001.json"
    path.write_text(deep + "}}}", encoding="utf-8")
    out = load_story(StoryJob(str(path), "p/e/F-AB-001.json", "k", "F-AB-001", "p", "e"))
    assert out.text is None
    assert [p.code for p in out.problems] == ["invalid-json"]
    assert "too deeply" in out.problems[0].reason
