"""Projects: one card per project with epic/story counts and story-point progress."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmkv.console.web import console_of, page


@dataclass(frozen=True)
class ProjectCard:
    name: str
    title: str
    summary: str
    epics: int
    stories: int
    points: int
    done_points: int
    done_stories: int

    @property
    def percent(self) -> int:
        return round(100 * self.done_points / self.points) if self.points else 0


async def projects_page(request: Request) -> Response:
    store = console_of(request).store
    cards = []
    for name in store.list_projects():
        record = store.read_project(name) or {}
        stats = store.analytics(name)
        cards.append(
            ProjectCard(
                name=name,
                title=str(record.get("name") or name),
                summary=str(record.get("summary") or ""),
                epics=len(store.list_epics(name)),
                stories=stats.stories,
                points=stats.points,
                done_points=stats.by_status.points.get("done", 0),
                done_stories=stats.by_status.count.get("done", 0),
            )
        )
    return page(request, "projects.html", cards=cards)


async def project_page(request: Request) -> Response:
    """A project's epics with their counts (the way into an epic)."""
    store = console_of(request).store
    name = request.path_params["project"]
    data = store.load_project(name)
    if data.record is None and not data.epics:
        from pmkv.console.web import found

        found(None, f"project {name!r}")
    epics = []
    for epic in data.epics.values():
        active = [
            s
            for sid in epic.story_ids
            if (s := epic.stories.get(sid)) and s.get("deleted") is not True
        ]
        record = epic.record or {}
        epics.append(
            {
                "name": epic.name,
                "title": record.get("title") or epic.name,
                "status": record.get("status", ""),
                "stories": len(active),
                "done": sum(1 for s in active if s.get("status") == "done"),
            }
        )
    return page(request, "project.html", project=name, record=data.record or {}, epics=epics)


routes = [
    Route("/", projects_page, name="projects"),
    Route("/p/{project}", project_page, name="project"),
]
