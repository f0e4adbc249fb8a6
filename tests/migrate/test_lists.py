"""The stories list of an epic: storyIds first (once each, with a valid file), then the
other valid story files sorted."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pmkv.migrate.inventory import EpicInventory, Record
from pmkv.migrate.lists import story_order


def _rule(listed: Any, stories: dict[str, Record]) -> list[str]:
    """The rule, one id at a time."""
    order: list[str] = []
    for sid in listed if isinstance(listed, list) else []:
        if isinstance(sid, str) and sid in stories and sid not in order:
            order.append(sid)
    return order + sorted(s for s in stories if s not in order)


ids = st.sampled_from(["F-AB-001", "F-AB-002", "F-AB-003", "NFR-AB-001", "STORY-x", ""])


@given(
    st.one_of(st.lists(st.one_of(ids, st.integers(), st.none()), max_size=8), ids, st.none()),
    st.lists(ids, max_size=6, unique=True),
)
def test_story_order_follows_the_rule(listed: Any, files: list[str]) -> None:
    stories = {sid: Record("story", f"k:{sid}", f"p/e/{sid}.json", None, "{}") for sid in files}
    epic = EpicInventory(
        "e", Record("epic", "k:e", "p/e/epic.json", {"storyIds": listed}, "{}"), stories
    )
    assert story_order(epic) == _rule(listed, stories)
