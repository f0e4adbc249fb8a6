"""Analytics: stories and points by status per epic, by priority, by manager; done vs total.

The headline tables are the store's own ``analytics()`` answer, shown as is; the
per-epic status split (which ``Analytics`` does not carry) comes from one
``load_project`` through the same shared query code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console import charts
from pmkv.console.web import console_of, page
from pmkv.store.interface import ProjectData
from pmkv.store.queries import story_points
from pmkv.store.records import PRIORITIES, STATUSES


@dataclass
class EpicSplit:
    """Stories and points of one epic, per status."""

    count: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)


def split_by_epic(data: ProjectData) -> dict[str, EpicSplit]:
    """Per epic (in index order), counts and points by status (deleted never count)."""
    out = {name: EpicSplit() for name in data.epics}
    for epic, story in data.iter_stories():
        status = str(story.get("status", "todo"))
        entry = out[epic]
        entry.count[status] = entry.count.get(status, 0) + 1
        entry.points[status] = entry.points.get(status, 0) + story_points(story)
    return out


def _ordered(values: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    known = {k: values.get(k, 0) for k in order}
    return known | {k: v for k, v in sorted(values.items()) if k not in known}


async def analytics_page(request: Request) -> Response:
    store = console_of(request).store
    project = request.path_params["project"]
    stats = store.analytics(project)
    split = split_by_epic(store.load_project(project))
    statuses = tuple(dict.fromkeys([*STATUSES, *(k for s in split.values() for k in s.count)]))
    by_priority = _ordered(stats.by_priority.count, PRIORITIES)
    done = {e: (s.points.get("done", 0), sum(s.points.values())) for e, s in split.items()}
    done_stories = {e: (s.count.get("done", 0), sum(s.count.values())) for e, s in split.items()}
    return page(
        request,
        "analytics.html",
        project=project,
        stats=stats,
        split=split,
        statuses=statuses,
        priorities=tuple(by_priority),
        managers=sorted(stats.by_manager.count, key=lambda m: -stats.by_manager.count[m]),
        done=done,
        done_stories=done_stories,
        chart_status_count=charts.stacked(
            "Stories by status per epic", {e: s.count for e, s in split.items()}, statuses
        ),
        chart_status_points=charts.stacked(
            "Story points by status per epic", {e: s.points for e, s in split.items()}, statuses
        ),
        chart_priority=charts.bars("Stories by priority", by_priority),
        chart_manager=charts.bars(
            "Story points by manager",
            dict(sorted(stats.by_manager.points.items(), key=lambda kv: -kv[1])),
        ),
        chart_done=charts.progress("Done vs total story points per epic", done),
    )


routes = [Route("/p/{project}/analytics", analytics_page, name="analytics")]
