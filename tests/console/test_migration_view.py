"""The Migration page's pieces: JSON-pointer lookups, side-by-side values, run reports."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pmkv.console.migration_view import MISSING, gather, pointer_get, pretty, side_by_side
from pmkv.migrate.diff import json_diff
from pmkv.migrate.verify import Difference
from pmkv.settings import Settings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet="ab/~", min_size=1, max_size=2), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values, json_values)
def test_every_diff_path_resolves_to_values_that_differ(a: object, b: object) -> None:
    """json_diff writes RFC 6901 pointers; pointer_get reads them back. (Keys are never
    empty here: the toolkit writes "/" for the whole value, which RFC 6901 reads as key "".)"""
    for path in json_diff(a, b):  # type: ignore[arg-type]
        left, right = pointer_get(a, path), pointer_get(b, path)
        if path != "/" and left is not MISSING and right is not MISSING:
            assert json.dumps(left) != json.dumps(right) or type(left) is not type(right)


@given(json_values)
def test_pointer_of_every_leaf_reads_it_back(value: object) -> None:
    def walk(node: object, path: str) -> None:
        assert pointer_get(value, path or "/") == node
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}/{k.replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")

    walk(value, "")


def test_side_by_side_shows_file_and_kv_values() -> None:
    diff = Difference("pm:x", "changed", "pm/x.json", ["/title", "/tags/1", "/new"])
    expected = {"pm:x": json.dumps({"title": "A", "tags": ["a", "b"]})}
    actual = {"pm:x": json.dumps({"title": "B", "tags": ["a"], "new": 1})}
    [view] = side_by_side([diff], expected, actual)
    assert [(s.path, s.file, s.kv) for s in view.sides] == [
        ("/title", '"A"', '"B"'),
        ("/tags/1", '"b"', "(absent)"),
        ("/new", "(absent)", "1"),
    ]
    missing = side_by_side([Difference("pm:y", "missing", None, ["/"])], {"pm:y": "[1]"}, {})
    assert missing[0].sides[0].kv == "(absent)"
    assert missing[0].sides[0].file == pretty([1])


def test_without_kv_the_page_still_has_the_checklist(tmp_path: Path) -> None:
    view = gather(Settings(pm_dir=tmp_path / "pm", home=tmp_path / "home"))
    assert view.verify is None
    assert view.runs == []
    names = [p.name for p in view.phases]
    assert names[0] == "local KV up"
    assert not view.phases[0].done
    assert view.health.outbox == 0
