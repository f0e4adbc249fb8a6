"""A quick first check of a Story against the app's rules, for bulk reads.

Part of ``records`` (split out like ``codec_fast``): the pydantic models in
:mod:`pmkv.store.records` are the one authority on the rules and the only source of
problem reports. This module mirrors the Story model as ``msgspec`` structs, which check a
parsed story about twice as fast (measured on the generated stories, 2026-11-26: ~4 µs
against ~7.6 µs; at 100,000 stories that is ~0.4 s of a migration's single-core time).

Public API: ``story_passes(value) -> bool`` (and ``story_certain``, below). True means
the pydantic model accepts the story too; False means "ask the model", which then says
why (or accepts it: this check is allowed to be stricter, never looser). A hypothesis
test holds that direction.

Not for strings holding lone surrogates (``"\ud800"``, which the codec can read from a
file's escapes): msgspec takes them as strings, the model refuses them. Callers check
only values orjson parsed (it refuses such files), as ``storyload`` does.

Where the two libraries differ, the mirror takes the stricter side: patterns end in
``\\Z`` (pydantic's regex engine has no "before a final newline" ``$``), and msgspec's
strict conversion refuses bools and floats for ints and anything but ``str`` for strings,
as the models' ``strict=True`` does. Unknown fields are ignored by both.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from pmkv.store.codec_fast import plain
from pmkv.store.records import (
    _DATE,
    _DATE_OR_DATETIME,
    _DATETIME,
    STORY_ID_RE,
    Confidence,
    FileRole,
    Priority,
    RequirementType,
    Status,
)


def _exact(pattern: str) -> str:
    """``^...$`` as pydantic reads it: the end of the text, never before a newline."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern


NonEmpty = Annotated[str, Meta(min_length=1)]
DateTime = Annotated[str, Meta(pattern=_exact(_DATETIME))]
Date = Annotated[str, Meta(pattern=_exact(_DATE))]
DateOrDateTime = Annotated[str, Meta(pattern=_exact(_DATE_OR_DATETIME))]
StoryId = Annotated[str, Meta(pattern=STORY_ID_RE.pattern)]
Count = Annotated[int, Meta(ge=0)]


class _Estimate(Struct):
    storyPoints: Count = 0
    confidence: Confidence | None = None


class _StoryFile(Struct):
    path: NonEmpty
    role: FileRole


class _StoryMetadata(Struct):
    createdBy: str = ""
    lastEditedBy: str = ""
    custom: dict[str, Any] = {}


class _Story(Struct):
    id: StoryId
    title: NonEmpty
    createdAt: DateTime
    updatedAt: DateTime
    epicId: str | None = None
    requirementType: RequirementType = "functional"
    summary: str = ""
    description: str = ""
    acceptanceCriteria: list[str] = []
    status: Status = "todo"
    priority: Priority = "medium"
    manager: str = ""
    plannedStartDate: Date | None = None
    plannedDueDate: Date | None = None
    actualStartDate: Date | None = None
    actualDueDate: Date | None = None
    dueDate: DateOrDateTime | None = None
    tags: list[str] = []
    relatedStories: list[str] = []
    mentions: list[str] = []
    estimate: _Estimate | None = None
    files: list[_StoryFile] = []
    metadata: _StoryMetadata | None = None
    deleted: bool = False
    archived: bool = False


# The strict mirror: the same rules, and nothing the model does not name (no unknown
# field at any level). A story it accepts is valid, and plain but for what
# ``metadata.custom`` holds (any JSON): every other key is a field name (never digit-led),
# every other number an int (strict conversion refuses floats, ``3.0`` included).
class _StrictEstimate(_Estimate, forbid_unknown_fields=True):
    pass


class _StrictStoryFile(_StoryFile, forbid_unknown_fields=True):
    pass


class _StrictStoryMetadata(_StoryMetadata, forbid_unknown_fields=True):
    pass


class _StrictStory(_Story, forbid_unknown_fields=True):
    estimate: _StrictEstimate | None = None
    files: list[_StrictStoryFile] = []  # type: ignore[assignment]  # narrower on purpose
    metadata: _StrictStoryMetadata | None = None


def story_certain(value: object) -> bool:
    """True when ``value`` (a story orjson parsed) certainly passes
    ``records.validate_story`` and is plain (:func:`pmkv.store.codec_fast.plain`): one
    check for the common story, where :func:`story_passes` and a walk of the whole story
    take two (only a non-empty ``metadata.custom`` is walked)."""
    if type(value) is not dict:
        return False
    try:
        story = msgspec.convert(value, _StrictStory)
    except (msgspec.ValidationError, UnicodeError):
        return False
    custom = story.metadata.custom if story.metadata is not None else None
    return not custom or plain(custom)


def story_passes(value: object) -> bool:
    """True when ``value`` (a parsed story) certainly passes ``records.validate_story``."""
    if type(value) is not dict:
        return False
    try:
        msgspec.convert(value, _Story)
    except (msgspec.ValidationError, UnicodeError):  # a lone surrogate in a Literal field
        return False
    return True
