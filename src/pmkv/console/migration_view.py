"""What the Migration page shows, gathered through the migration toolkit's own library.

- the live phase checklist of ``pmkv status`` (:func:`pmkv.migrate.status.status`);
- verify differences side by side: for each JSON-pointer path, the file's value and the
  KV value (one verify serves both the checklist and the differences);
- recent runs (``<home>/runs/<run-id>/``) and dual-write health (``<home>/dual``);
- read-only key browsing of the ``pm:`` keyspace through the official client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pmkv.migrate import connect
from pmkv.migrate import runs as runs_mod
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import MigrateError
from pmkv.migrate.kv import KvStore
from pmkv.migrate.lists import expected_values
from pmkv.migrate.status import PhaseStatus, StatusContext, status
from pmkv.migrate.verify import Difference, VerifyResult, verify
from pmkv.settings import Settings
from pmkv.store import dual_stats
from pmkv.store.keyspace import Keyspace

MAX_SHOWN_CHARS = 4000
MAX_PATHS = 20
MISSING = object()


@dataclass(frozen=True)
class Side:
    """One JSON-pointer path of one differing key: the file's value and the KV value."""

    path: str
    file: str
    kv: str


@dataclass
class DiffView:
    difference: Difference
    sides: list[Side] = field(default_factory=list)


@dataclass
class MigrationView:
    kv_url: str | None
    phases: list[PhaseStatus]
    next_step: str | None
    verify: VerifyResult | None
    diffs: list[DiffView]
    runs: list[runs_mod.RunMeta]
    health: dual_stats.DualHealth
    error: str = ""


def open_kv(settings: Settings) -> KvStore | None:
    """The KV ``pmkv status`` would look at: the configured REST URL, else a local stack
    that already runs (never started from here); None when there is neither."""
    target = connect.resolve(settings, allow_remote=True, writes=False, start_stack=False)
    return None if target is None else connect.open_store(target)


def pointer_get(value: Any, pointer: str) -> Any:
    """The value at an RFC 6901 ``pointer`` (``MISSING`` when absent; ``/`` = whole)."""
    if pointer in ("", "/"):
        return value
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return MISSING
    return value


def pretty(value: Any) -> str:
    """Indented JSON for display (truncated); ``(absent)`` for a missing value."""
    if value is MISSING:
        return "(absent)"
    shown = json.dumps(value, indent=2, ensure_ascii=False)
    return shown if len(shown) <= MAX_SHOWN_CHARS else shown[:MAX_SHOWN_CHARS] + "\n…"


def pretty_text(text: str | None) -> str:
    """A stored value pretty-printed when it is JSON, else as is."""
    if text is None:
        return "(no such key)"
    try:
        return pretty(json.loads(text))
    except json.JSONDecodeError:
        return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "\n…"


def _parse(text: str | None) -> Any:
    if text is None:
        return MISSING
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def side_by_side(
    differences: list[Difference], expected: Mapping[str, str], actual: dict[str, str | None]
) -> list[DiffView]:
    """Each difference with the file value and the KV value at each of its paths."""
    out = []
    for d in differences:
        file_value, kv_value = _parse(expected.get(d.key)), _parse(actual.get(d.key))
        sides = [
            Side(path, pretty(pointer_get(file_value, path)), pretty(pointer_get(kv_value, path)))
            for path in d.paths[:MAX_PATHS]
        ]
        out.append(DiffView(d, sides))
    return out


def gather(settings: Settings) -> MigrationView:
    """Everything the Migration page shows, checked now."""
    keyspace = Keyspace.named(settings.keyspace)
    kv = open_kv(settings)
    kv_url = kv.url if kv is not None else None
    kv_mode = settings.use_local_kv or settings.vercel or settings.environment == "PROD"
    ctx = StatusContext(settings.pm_dir, settings.home, kv, keyspace, settings.dual_write, kv_mode)
    result: VerifyResult | None = None
    diffs: list[DiffView] = []
    error = ""
    try:
        source = ctx.source
        if kv is not None and source is not None and ctx.reachable():
            inv = discover(source, keyspace=keyspace)
            current = kv.get_many([keyspace.projects_list()])[0]
            expected = expected_values(inv, keyspace, current)
            result = verify(kv, inv, keyspace, expected=expected)
            ctx.cache["verify"] = result  # the checklist reuses this verify
            keys = [d.key for d in result.differences]
            actual = dict(zip(keys, kv.get_many(keys), strict=True))
            diffs = side_by_side(result.differences, expected, actual)
        checklist = status(ctx)
    except MigrateError as exc:
        error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        checklist = status(StatusContext(*_offline(ctx)))
    finally:
        if kv is not None:
            kv.close()
    return MigrationView(
        kv_url=kv_url,
        phases=checklist.phases,
        next_step=checklist.next_step,
        verify=result,
        diffs=diffs,
        runs=list(reversed(runs_mod.list_runs(settings.home)))[:20],
        health=dual_stats.health(settings.home, settings.dual_write),
        error=error,
    )


def _offline(ctx: StatusContext) -> tuple[Any, ...]:
    return (ctx.pm_dir, ctx.home, None, ctx.keyspace, ctx.dual_write, ctx.kv_mode)


def run_report(settings: Settings, run_id: str) -> tuple[runs_mod.RunMeta, str] | None:
    """A run's metadata and its markdown report ("" when it wrote none)."""
    if run_id not in {r.run_id for r in runs_mod.list_runs(settings.home)}:
        return None
    folder = runs_mod.run_dir(settings.home, run_id)
    report = folder / runs_mod.REPORT_FILE
    text = report.read_text(encoding="utf-8") if report.is_file() else ""
    return runs_mod.read_meta(settings.home, run_id), text
