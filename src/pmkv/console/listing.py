"""The epic page's story list: query-string filters to a StoryQuery, sorting, paging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from pmkv.store.interface import StoryMatch, StoryQuery
from pmkv.store.queries import story_points
from pmkv.store.records import PRIORITIES, STATUSES

SORTS = ("order", "id", "title", "status", "priority", "manager", "points", "updated")
ARCHIVED = {"active": False, "archived": True, "all": None}
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class Listing:
    """What the user asked the list to show."""

    text: str = ""
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    manager: tuple[str, ...] = ()
    tag: str = ""
    archived: str = "active"
    deleted: bool = False
    sort: str = "order"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    def query(self, epic: str) -> StoryQuery:
        return StoryQuery(
            text=self.text or None,
            status=frozenset(self.status) or None,
            priority=frozenset(self.priority) or None,
            manager=frozenset(self.manager) or None,
            tag=self.tag or None,
            archived=ARCHIVED.get(self.archived, False),
            epic=epic,
            include_deleted=self.deleted,
        )

    @property
    def filtered(self) -> bool:
        return (
            bool(self.text or self.status or self.priority or self.manager or self.tag)
            or self.archived != "active"
            or self.deleted
        )


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(raw or default)))
    except ValueError:
        return default


def parse_listing(params: QueryParams, default_per_page: int) -> Listing:
    """A :class:`Listing` from the query string (unknown values are ignored)."""
    return Listing(
        text=params.get("q", "").strip(),
        status=tuple(s for s in params.getlist("status") if s in STATUSES),
        priority=tuple(p for p in params.getlist("priority") if p in PRIORITIES),
        manager=tuple(m for m in params.getlist("manager") if m),
        tag=params.get("tag", "").strip(),
        archived=params.get("archived", "active")
        if params.get("archived") in ARCHIVED
        else "active",
        deleted=params.get("deleted") == "1",
        sort=params.get("sort", "order") if params.get("sort") in SORTS else "order",
        descending=params.get("dir") == "desc",
        page=_int(params.get("page"), 1, 1, 10**6),
        per_page=_int(params.get("per"), default_per_page, 1, MAX_PER_PAGE),
    )


def _sort_key(name: str, order: Mapping[str, int]) -> Any:
    rank_status = {s: i for i, s in enumerate(STATUSES)}
    rank_priority = {p: i for i, p in enumerate(PRIORITIES)}

    def key(m: StoryMatch) -> Any:
        r = m.record
        if name == "id":
            return m.id
        if name == "title":
            return str(r.get("title", "")).casefold()
        if name == "status":
            return rank_status.get(str(r.get("status", "todo")), 99)
        if name == "priority":
            return rank_priority.get(str(r.get("priority", "medium")), 99)
        if name == "manager":
            return str(r.get("manager", "unassigned"))
        if name == "points":
            return story_points(r)
        if name == "updated":
            return str(r.get("updatedAt", ""))
        return order.get(m.id, len(order))

    return key


@dataclass
class Page:
    """One page of sorted matches."""

    rows: list[StoryMatch]
    total: int
    page: int
    pages: int
    points: int
    counts: dict[str, int] = field(default_factory=dict)


def arrange(matches: Sequence[StoryMatch], listing: Listing, order: Sequence[str]) -> Page:
    """Sort ``matches`` (``order`` = the epic's storyIds, the default order) and page them."""
    positions = {sid: i for i, sid in enumerate(order)}
    ranked = sorted(matches, key=_sort_key(listing.sort, positions), reverse=listing.descending)
    pages = max(1, -(-len(ranked) // listing.per_page))
    current = min(listing.page, pages)
    start = (current - 1) * listing.per_page
    counts: dict[str, int] = {}
    for m in ranked:
        status = str(m.record.get("status", "todo"))
        counts[status] = counts.get(status, 0) + 1
    return Page(
        rows=ranked[start : start + listing.per_page],
        total=len(ranked),
        page=current,
        pages=pages,
        points=sum(story_points(m.record) for m in ranked),
        counts=counts,
    )


def moved(order: Sequence[str], story_id: str, step: int) -> list[str]:
    """``order`` with ``story_id`` moved ``step`` places (clamped); unchanged if absent."""
    ids = list(order)
    if story_id not in ids:
        return ids
    i = ids.index(story_id)
    j = max(0, min(len(ids) - 1, i + step))
    ids.insert(j, ids.pop(i))
    return ids
