"""Reading one story file: read, parse, validate, check its id, serialize.

Stories are nearly all of a tree, so this is the hot loop of discovery. It keeps only the
text to store and its two digests (sha1 for the engine-side compare, sha256 for the
ledger), computed once from the bytes that will be sent, not the parsed value. (A
process pool was tried and measured slower on this 2-core machine: pickling the texts
back cost more than the parallel parsing saved.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pmkv.migrate.jsjson import load_js_utf8
from pmkv.store import records
from pmkv.store.errors import InvalidJSONError


@dataclass(frozen=True)
class StoryJob:
    path: str  # absolute
    rel: str  # relative to pm/
    key: str
    sid: str  # the story key: the file name without .json
    project: str
    epic: str


@dataclass(frozen=True)
class Problem:
    code: str
    reason: str
    hint: str
    field: str | None = None


@dataclass
class StoryOutcome:
    text: str | None  # None: not migrated (see problems)
    problems: list[Problem] = field(default_factory=list)
    sha1: str = ""  # of the UTF-8 text (what the engine's redis.sha1hex gives)
    sha256: str = ""  # of the UTF-8 text (the ledger's content hash)


def load_story(job: StoryJob) -> StoryOutcome:
    try:
        with open(job.path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return StoryOutcome(None, [Problem("unreadable", str(exc), "check permissions")])
    try:
        value, raw = load_js_utf8(data, job.rel)
    except InvalidJSONError as exc:
        return StoryOutcome(None, [Problem("invalid-json", exc.message, exc.hint or "")])
    found = [
        Problem(
            "invalid-record",
            f"story fails the app's rules: {p.reason}",
            f"fix `{p.field or '/'}` in the file; the app's reader rejects this record",
            p.field or "/",
        )
        for p in records.validate_story(value, job.rel)
    ]
    if found:
        return StoryOutcome(None, found)
    if not (isinstance(value, dict) and value.get("id") == job.sid):
        return StoryOutcome(
            None,
            [
                Problem(
                    "id-mismatch",
                    f"the story's id differs from its file name {job.sid!r}",
                    "rename the file to <id>.json or fix `id`; it is not migrated",
                    "id",
                )
            ],
        )
    return StoryOutcome(
        raw.decode("utf-8"),
        sha1=hashlib.sha1(raw).hexdigest(),
        sha256=hashlib.sha256(raw).hexdigest(),
    )
