"""The epic list: query string -> filters, sorting, paging, reorder moves."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from pmkv.console.listing import Listing, arrange, moved, parse_listing
from pmkv.store.interface import StoryMatch


def _match(sid: str, **fields: object) -> StoryMatch:
    return StoryMatch("e", sid, {"id": sid, **fields})


def test_query_string_becomes_a_story_query() -> None:
    listing = parse_listing(
        QueryParams(
            "q=+claim+&status=todo&status=bogus&priority=high&manager=p1&tag=RCM"
            "&archived=all&deleted=1&sort=points&dir=desc&page=3&per=20"
        ),
        50,
    )
    query = listing.query("epic-a")
    assert query.text == "claim"
    assert query.status == frozenset({"todo"})
    assert query.priority == frozenset({"high"})
    assert query.manager == frozenset({"p1"})
    assert query.tag == "RCM"
    assert query.archived is None
    assert query.include_deleted
    assert query.epic == "epic-a"
    assert (listing.sort, listing.descending, listing.page, listing.per_page) == (
        "points",
        True,
        3,
        20,
    )


def test_bad_values_fall_back_to_defaults() -> None:
    listing = parse_listing(QueryParams("sort=drop&page=x&per=0&archived=maybe"), 50)
    assert (listing.sort, listing.page, listing.per_page, listing.archived) == (
        "order",
        1,
        1,
        "active",
    )
    assert listing.query("e").archived is False
    assert not listing.filtered


def test_sort_by_points_and_priority_and_default_order() -> None:
    rows = [
        _match("A", priority="low", estimate={"storyPoints": 3}),
        _match("B", priority="critical", estimate={"storyPoints": 8}),
        _match("C", priority="medium"),
    ]
    by_points = arrange(rows, Listing(sort="points", descending=True), ["A", "B", "C"])
    assert [m.id for m in by_points.rows] == ["B", "A", "C"]
    by_priority = arrange(rows, Listing(sort="priority"), [])
    assert [m.id for m in by_priority.rows] == ["A", "C", "B"]
    by_order = arrange(rows, Listing(), ["C", "A", "B"])
    assert [m.id for m in by_order.rows] == ["C", "A", "B"]
    assert by_order.points == 11
    assert by_order.counts == {"todo": 3}


@given(st.integers(0, 120), st.integers(1, 25), st.integers(1, 10))
def test_paging_covers_every_row_once(n: int, per: int, wanted: int) -> None:
    rows = [_match(f"S{i:03d}") for i in range(n)]
    seen: list[str] = []
    first = arrange(rows, Listing(per_page=per, page=1), [])
    for number in range(1, first.pages + 1):
        seen += [m.id for m in arrange(rows, Listing(per_page=per, page=number), []).rows]
    assert seen == [m.id for m in rows]
    assert arrange(rows, Listing(per_page=per, page=wanted), []).page == min(wanted, first.pages)


@given(st.lists(st.text(min_size=1, max_size=4), unique=True, max_size=12), st.data())
def test_moved_is_a_permutation_with_the_story_moved(ids: list[str], data: st.DataObject) -> None:
    if not ids:
        assert moved(ids, "x", 1) == []
        return
    sid = data.draw(st.sampled_from(ids))
    step = data.draw(st.integers(-20, 20))
    out = moved(ids, sid, step)
    assert sorted(out) == sorted(ids)
    assert out.index(sid) == max(0, min(len(ids) - 1, ids.index(sid) + step))
    assert [i for i in out if i != sid] == [i for i in ids if i != sid]
