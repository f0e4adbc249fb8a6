"""Where each record lives in KV: the app's production layout and the strategy's older one.

Public API (stable; the migration toolkit depends on it):

- ``Keyspace.production()`` (the default; data model §3) and ``Keyspace.legacy()`` (the
  strategy document's appendix A layout, which the running app does NOT read);
  ``Keyspace.named("production" | "legacy")``.
- key builders: ``people()``, ``projects_list()``, ``project(p)``, ``epics_list(p)``
  (``None`` in the legacy layout, which has no epics list), ``epic(p, e)``,
  ``stories_list(p, e)``, ``story(p, e, s)``.
- ``parse(key) -> KeyRef | None``: a key back to ``(kind, project, epic, story)``;
  ``None`` for keys outside the layout. ``kind`` is one of :data:`KINDS`.
- ``project_patterns(p)``: glob patterns (for SCAN MATCH) that together match every key
  of project ``p`` and nothing of other projects; ``epic_pattern(p)`` matches the epic
  record keys of ``p`` (how the legacy layout lists epics).
- ``check_name(name, what)``: raises :class:`InvalidNameError` for names that cannot be
  a key segment or a folder name (empty, ``:``, ``/``, ``\\``, ``.``/``..``, control chars).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pmkv.store.errors import InvalidNameError

Kind = Literal["people", "projects_list", "project", "epics_list", "epic", "stories_list", "story"]
KINDS: tuple[Kind, ...] = (
    "people",
    "projects_list",
    "project",
    "epics_list",
    "epic",
    "stories_list",
    "story",
)

_BAD_NAME = re.compile(r"[:/\\\x00-\x1f]")
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def check_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it can be a key segment and a folder name, else raise."""
    if not name or name in (".", "..") or _BAD_NAME.search(name):
        raise InvalidNameError(
            f"{what} {name!r} cannot be used as a key or folder name",
            hint="use a kebab-case name without ':', '/', '\\' or control characters",
        )
    return name


def glob_escape(text: str) -> str:
    """Escape Redis glob specials so ``text`` matches only itself."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class KeyRef:
    """What a key holds: its kind and the names it is made of."""

    kind: Kind
    project: str | None = None
    epic: str | None = None
    story: str | None = None


@dataclass(frozen=True)
class Keyspace:
    """One key layout. Build with :meth:`production` or :meth:`legacy`."""

    name: str

    @classmethod
    def production(cls) -> Keyspace:
        """The layout the running app reads (data model §3)."""
        return cls("production")

    @classmethod
    def legacy(cls) -> Keyspace:
        """The strategy document's older layout (no epics list)."""
        return cls("legacy")

    @classmethod
    def named(cls, name: str) -> Keyspace:
        """``production`` or ``legacy`` (e.g. from ``Settings.keyspace``)."""
        if name not in ("production", "legacy"):
            raise InvalidNameError(
                f"unknown keyspace {name!r}", hint="use 'production' (default) or 'legacy'"
            )
        return cls(name)

    @property
    def is_legacy(self) -> bool:
        return self.name == "legacy"

    def people(self) -> str:
        return "pm:people:global" if self.is_legacy else "pm:people"

    def projects_list(self) -> str:
        return "pm:projects:list"

    def project(self, project: str) -> str:
        return f"pm:project:{project}"

    def epics_list(self, project: str) -> str | None:
        return None if self.is_legacy else f"pm:project:{project}:epics:list"

    def epic(self, project: str, epic: str) -> str:
        if self.is_legacy:
            return f"pm:epic:{project}:{epic}"
        return f"pm:project:{project}:epic:{epic}"

    def stories_list(self, project: str, epic: str) -> str:
        if self.is_legacy:
            return f"pm:epic:{project}:{epic}:stories"
        return f"pm:project:{project}:epic:{epic}:stories:list"

    def story(self, project: str, epic: str, story: str) -> str:
        if self.is_legacy:
            return f"pm:story:{project}:{epic}:{story}"
        return f"pm:project:{project}:epic:{epic}:story:{story}"

    def story_prefix(self, project: str, epic: str) -> str:
        """What every story key of an epic starts with: the key is this + the story id."""
        return self.story(project, epic, "")

    def project_patterns(self, project: str) -> list[str]:
        p = glob_escape(project)
        if self.is_legacy:
            return [f"pm:project:{p}", f"pm:epic:{p}:*", f"pm:story:{p}:*"]
        return [f"pm:project:{p}", f"pm:project:{p}:*"]

    def epic_pattern(self, project: str) -> str:
        p = glob_escape(project)
        return f"pm:epic:{p}:*" if self.is_legacy else f"pm:project:{p}:epic:*"

    def all_patterns(self) -> list[str]:
        """Patterns matching every key this layout can hold."""
        if self.is_legacy:
            return [
                "pm:people:global",
                "pm:projects:list",
                "pm:project:*",
                "pm:epic:*",
                "pm:story:*",
            ]
        return ["pm:people", "pm:projects:list", "pm:project:*"]

    def parse(self, key: str) -> KeyRef | None:
        """The kind and names of ``key``, or None when it is not part of this layout."""
        if key == self.people():
            return KeyRef("people")
        if key == self.projects_list():
            return KeyRef("projects_list")
        parts = key.split(":")
        if len(parts) < 3 or parts[0] != "pm" or any(not part for part in parts):
            return None
        return self._parse_legacy(parts) if self.is_legacy else self._parse_production(parts)

    @staticmethod
    def _parse_production(parts: list[str]) -> KeyRef | None:
        if parts[1] != "project":
            return None
        rest, project = parts[3:], parts[2]
        if not rest:
            return KeyRef("project", project)
        if rest == ["epics", "list"]:
            return KeyRef("epics_list", project)
        if len(rest) < 2 or rest[0] != "epic":
            return None
        epic, tail = rest[1], rest[2:]
        if not tail:
            return KeyRef("epic", project, epic)
        if tail == ["stories", "list"]:
            return KeyRef("stories_list", project, epic)
        if len(tail) == 2 and tail[0] == "story":
            return KeyRef("story", project, epic, tail[1])
        return None

    @staticmethod
    def _parse_legacy(parts: list[str]) -> KeyRef | None:
        head, names = parts[1], parts[2:]
        if head == "project" and len(names) == 1:
            return KeyRef("project", names[0])
        if head == "epic" and len(names) == 2:
            return KeyRef("epic", names[0], names[1])
        if head == "epic" and len(names) == 3 and names[2] == "stories":
            return KeyRef("stories_list", names[0], names[1])
        if head == "story" and len(names) == 3:
            return KeyRef("story", names[0], names[1], names[2])
        return None
