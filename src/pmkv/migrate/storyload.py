"""Reading one story file: read, parse, validate, check its id, serialize.

Stories are nearly all of a tree, so this is the hot loop of discovery. It keeps only the
text to store and its two digests (sha1 for the engine-side compare, sha256 for the
ledger), computed once from the bytes that will be sent, not the parsed value. During a
migration it runs in the story workers (see :mod:`pmkv.migrate.storywork`), which also
write what they read: sending the texts back to one writing process cost more than
parsing them in parallel saved (measured twice).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

from pmkv.store import records
from pmkv.store.codec_fast import load_js_judged, plain
from pmkv.store.errors import InvalidJSONError
from pmkv.store.records_fast import story_certain, story_passes

# Named tuples, not dataclasses: a big tree makes 100,000s of each (cheaper to build,
# and an outcome unpacks in one step).


class StoryJob(NamedTuple):
    path: str  # absolute
    rel: str  # relative to pm/
    key: str
    sid: str  # the story key: the file name without .json
    project: str
    epic: str


class EpicFiles(NamedTuple):
    """An epic folder's story files, as discovery hands them over (one tuple per epic,
    not one per story: what crosses to a worker process stays small)."""

    folder: str  # absolute
    rel: str  # the folder relative to pm/, with a trailing slash
    key_prefix: str  # a story's key is this + its file name without .json
    project: str
    epic: str
    names: list[str]  # story file names, sorted

    def jobs(self) -> list[StoryJob]:
        folder, rel, prefix, project, epic = self[:5]
        return [
            StoryJob(f"{folder}/{name}", rel + name, prefix + name[:-5], name[:-5], project, epic)
            for name in self.names
        ]


class Problem(NamedTuple):
    code: str
    reason: str
    hint: str
    field: str | None = None


class StoryOutcome(NamedTuple):
    text: bytes | None  # UTF-8 of the text to store; None: not migrated (see problems)
    problems: tuple[Problem, ...] = ()
    sha1: str = ""  # of the UTF-8 text (what the engine's redis.sha1hex gives)
    sha256: str = ""  # of the UTF-8 text (the ledger's content hash)
    deleted: bool = False  # soft-deleted: the app keeps it out of epic.storyIds


class ReadStories(NamedTuple):
    """Story files as read, by position in the list of jobs (an epic's file names)."""

    problems: dict[int, tuple[Problem, ...]]  # the files that are not migrated, and why
    deleted: set[int] | frozenset[int]  # soft-deleted stories
    # per file the UTF-8 text to store (None: see problems) and its digests; empty when
    # a story worker read them (and wrote them: the migrating process keeps no text)
    texts: Sequence[bytes | None] = ()
    sha1s: Sequence[str] = ()
    sha256s: Sequence[str] = ()


def read_stories(jobs: list[StoryJob]) -> ReadStories:
    """:func:`load_story` for each job (an epic's, or a worker's chunk)."""
    problems: dict[int, tuple[Problem, ...]] = {}
    deleted: set[int] = set()
    texts: list[bytes | None] = []
    sha1s: list[str] = []
    sha256s: list[str] = []
    for i, job in enumerate(jobs):
        text, found, sha1, sha256, is_deleted = load_story(job)
        if text is None:
            problems[i] = found
        elif is_deleted:
            deleted.add(i)
        texts.append(text)
        sha1s.append(sha1)
        sha256s.append(sha256)
    return ReadStories(problems, deleted, texts, sha1s, sha256s)


_FIRST_READ = 1 << 16  # a story file is ~2-3 KB; bigger ones take more reads


def read_bytes(path: str) -> bytes:
    """The whole file. os.open/os.read skip the buffered file object ``open`` builds,
    which is half the cost of reading a 3 KB file (~4.5 of ~9 µs, measured)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, _FIRST_READ)
        if len(data) < _FIRST_READ:
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


_STORY = frozenset(records.Story.model_fields)
_ESTIMATE = frozenset(records.Estimate.model_fields)
_METADATA = frozenset(records.StoryMetadata.model_fields)
_FILE = frozenset(records.StoryFile.model_fields)


def story_plain(value: Any) -> bool:
    """:func:`~pmkv.store.codec_fast.plain` for a story, without walking all of it.

    Once a story passes the app's rules, every field the model knows holds a string, a
    bool, null, an int or a list of strings, and its keys are field names, never
    digit-led. So a story made only of known fields (with an empty ``metadata.custom``)
    is plain as soon as it validates, and anything else is walked. The one float the
    rules would accept is an integral ``storyPoints`` (``3.0`` is the app's ``3``, once
    the codec has read it): that takes the walk too. Otherwise the answer can only be
    wrong for a story that then fails validation either way, whose text is dropped.
    """
    if type(value) is not dict or not value.keys() <= _STORY:
        return plain(value)
    estimate, metadata, files = value.get("estimate"), value.get("metadata"), value.get("files")
    if type(estimate) is dict and (
        not estimate.keys() <= _ESTIMATE or type(estimate.get("storyPoints")) is float
    ):
        return plain(value)  # a float like 3.0 is the int 3 to the app: the codec decides
    if type(metadata) is dict and (not metadata.keys() <= _METADATA or metadata.get("custom")):
        return plain(value)
    if type(files) is list and not all(type(f) is dict and f.keys() <= _FILE for f in files):
        return plain(value)
    return True


# story_judge's verdicts (load_js_judged answers 0 when the codec read the file)
PLAIN, CERTAIN = 1, 2


def story_judge(value: Any) -> int:
    """The plain test for a story orjson read: :data:`CERTAIN` when the strict mirror
    takes it (valid and plain in one check, the common story), else :func:`story_plain`."""
    if story_certain(value):
        return CERTAIN
    return PLAIN if story_plain(value) else 0


def load_story(job: StoryJob) -> StoryOutcome:
    try:
        data = read_bytes(job.path)
    except OSError as exc:
        return StoryOutcome(None, (Problem("unreadable", str(exc), "check permissions"),))
    try:
        value, raw, verdict = load_js_judged(data, job.rel, story_judge)
    except InvalidJSONError as exc:
        return StoryOutcome(None, (Problem("invalid-json", exc.message, exc.hint or ""),))
    # Certified, or a quick pre-check of what orjson read; the model decides and says
    # why. What the codec read goes straight to the model: it may hold a lone surrogate
    # (orjson refuses those; the codec keeps them), which the mirror would take.
    if verdict != CERTAIN and not (verdict == PLAIN and story_passes(value)):
        found = tuple(
            Problem(
                "invalid-record",
                f"story fails the app's rules: {p.reason}",
                f"fix `{p.field or '/'}` in the file; the app's reader rejects this record",
                p.field or "/",
            )
            for p in records.validate_story(value, job.rel)
        )
        if found:
            return StoryOutcome(None, found)
    if not (isinstance(value, dict) and value.get("id") == job.sid):
        return StoryOutcome(
            None,
            (
                Problem(
                    "id-mismatch",
                    f"the story's id differs from its file name {job.sid!r}",
                    "rename the file to <id>.json or fix `id`; it is not migrated",
                    "id",
                ),
            ),
        )
    return StoryOutcome(
        raw,
        sha1=hashlib.sha1(raw).hexdigest(),
        sha256=hashlib.sha256(raw).hexdigest(),
        deleted=value.get("deleted") is True,
    )
