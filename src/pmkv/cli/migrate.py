"""`pmkv migrate|verify|backup|rollback|archive|status`: the migration toolkit's CLI skin."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pmkv import tuning
from pmkv.cli.context import console, err_console, load_settings
from pmkv.errors import UsageError
from pmkv.migrate import archive as archive_mod
from pmkv.migrate import backup as backup_mod
from pmkv.migrate import connect
from pmkv.migrate import rollback as rollback_mod
from pmkv.migrate import status as status_mod
from pmkv.migrate.discover import discover
from pmkv.migrate.errors import MigrateAborted
from pmkv.migrate.kv import KvStore
from pmkv.migrate.plan import Plan
from pmkv.migrate.result import MigrateResult
from pmkv.migrate.runner import MigrateOptions, migrate
from pmkv.migrate.verify import VerifyResult, verify
from pmkv.settings import Settings
from pmkv.store.keyspace import Keyspace

ProgressFn = Callable[[str, int, int], None]
LABELS = {
    "backup": "backing up",
    "discover": "reading stories",
    "write": "writing keys",
    "verify": "verifying",
    "rollback": "rolling back",
}


@contextmanager
def progress_bars(enabled: bool) -> Iterator[ProgressFn | None]:
    """A rich progress bar per phase (counts and rate); None when not a terminal."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    bars = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[dim]{task.fields[rate]}[/]"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in LABELS:
            return
        # total 0: not known yet (discovery streams), shown as an open-ended bar
        if phase not in tasks:
            tasks[phase] = bars.add_task(LABELS[phase], total=total or None, rate="")
        task = bars.tasks[tasks[phase]]
        elapsed = task.elapsed or 0.0
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
        bars.update(tasks[phase], completed=done, total=total or None, rate=rate)

    with bars:
        yield update


def print_json(data: object) -> None:
    # plain text, not rich's print_json: a dry run's plan can hold 100,000 entries
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def say(message: str) -> None:
    err_console.print(f"[dim]{escape(message)}[/]", highlight=False)


def _open(settings: Settings, *, allow_remote: bool, writes: bool) -> KvStore:
    target = connect.resolve(settings, allow_remote=allow_remote, writes=writes, say=say)
    assert target is not None  # start_stack=True always yields a target
    if target.started_stack:
        say(f"no store configured: using the local stack at {target.url}")
    return connect.open_store(target)


def _keyspace(settings: Settings) -> Keyspace:
    return Keyspace.named(settings.keyspace)


def exit_with(code: int) -> None:
    if code:
        raise click.exceptions.Exit(code)


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{question} (no terminal to ask)", hint="pass --yes to confirm")
    return click.confirm(question, default=False, err=True)


# ---------------------------------------------------------------- rendering


def render_verify(result: VerifyResult, limit: int = 30) -> None:
    state = "[green]PASSED[/]" if result.ok else "[red]FAILED[/]"
    console.print(
        f"verify {state}: {result.checked:,} keys checked,"
        f" {len(result.differences)} difference(s) in {result.seconds:.2f}s"
        + (
            f" ({result.proven_at_write:,} of them read back when written)"
            if result.proven_at_write
            else ""
        ),
        highlight=False,
    )
    table = Table("project", "files: epics", "stories", "KV: epics", "stories", box=None)
    for c in result.counts:
        mark = "" if c.ok else " [red]≠[/]"
        table.add_row(
            escape(c.project),
            str(c.files.get("epics")),
            str(c.files.get("stories")),
            str(c.kv["epics"]),
            f"{c.kv['stories']}{mark}",
        )
    console.print(table)
    for d in result.differences[:limit]:
        console.print(
            f"  [red]{d.kind}[/] {escape(d.key)} ({escape(d.file or 'no file')}):"
            f" {escape(', '.join(d.paths[:8]))} {escape(d.detail)}",
            highlight=False,
        )
    if len(result.differences) > limit:
        console.print(f"  ... and {len(result.differences) - limit} more (see --json)")


def _render_migrate(result: MigrateResult, quiet: bool) -> None:
    inv = result.inventory
    if result.dry_run:
        console.print("[bold]dry run[/]: the exact plan (nothing is written)")
        for entry in result.plan.entries:
            why = f"  [dim]{escape(entry.reason)}[/]" if entry.reason else ""
            console.print(f"{entry.action:<9} {escape(entry.key)}{why}", highlight=False)
    counts = result.plan.counts()
    if not quiet:
        table = Table("project", "epics", "stories", "story files", "errors", "warnings", box=None)
        for name, row in result.project_summary().items():
            table.add_row(
                escape(name),
                *(str(row[k]) for k in ("epics", "stories", "story_files")),
                str(row["errors"]),
                str(row["warnings"]),
            )
        console.print(table)
        for a in inv.anomalies[:40]:
            color = "red" if a.severity == "error" else "yellow"
            where = f"{a.file}" + (f" {a.field}" if a.field else "")
            console.print(
                f"[{color}]{a.severity}[/] {escape(where)}: {escape(a.reason)}\n"
                f"    [dim]hint: {escape(a.hint)}[/]",
                highlight=False,
            )
        if len(inv.anomalies) > 40:
            console.print(f"... and {len(inv.anomalies) - 40} more anomalies (see the report)")
        for entry in result.plan.conflicts:
            state = "overwritten (--force)" if entry.write else "left as is; --force overwrites"
            console.print(f"[red]conflict[/] {escape(entry.key)}: {state}", highlight=False)
    total = result.timings.get("total", 0.0)
    stories = inv.story_count()
    console.print(
        "plan: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        + f" | written {result.write.written:,} keys in {result.write.batches} batches"
        + f" | {stories:,} stories in {total:.2f}s"
        + (f" ({stories / total:,.0f} stories/s)" if total > 0 else ""),
        highlight=False,
    )
    if result.verify is not None:
        render_verify(result.verify)
    if result.report_path:
        console.print(f"report: {escape(result.report_path)}  (run {result.run_id})")


# ---------------------------------------------------------------- commands

pm_dir_arg = click.argument("pm_dir", required=False, type=click.Path(path_type=Path))
project_opt = click.option(
    "--project", "projects", multiple=True, help="Only this project (repeatable)."
)
json_opt = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.command("migrate")
@pm_dir_arg
@project_opt
@click.option("--dry-run", is_flag=True, help="Print the exact plan; change nothing.")
@click.option("--force", is_flag=True, help="Overwrite KV values that conflict with files.")
@click.option("--no-backup", is_flag=True, help="Skip the backup of pm/ taken first.")
@json_opt
@click.option("--yes", is_flag=True, help="Do not ask before overwriting conflicts.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-local REST URL.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 5000),
    default=500,
    show_default=True,
    help="Keys per /pipeline request (fewer when their values pass 4 MB).",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 16),
    default=None,
    help="Processes that read and write the story files (default: CPUs + 1, at most 4,"
    " for trees of 20,000 story files or more; none on one CPU). 0: all in this process.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only the summary.")
def migrate_cmd(
    pm_dir: Path | None,
    projects: tuple[str, ...],
    dry_run: bool,
    force: bool,
    no_backup: bool,
    as_json: bool,
    yes: bool,
    allow_remote: bool,
    batch_size: int,
    workers: int | None,
    quiet: bool,
) -> None:
    """Back up PM_DIR, migrate it into KV, verify, and write a report."""
    tuning.tune_malloc()  # this process's choice: its write requests and replies are MBs
    settings = load_settings()
    source = pm_dir or settings.pm_dir
    store = None
    if not dry_run or settings.rest_url:
        store = _open(settings, allow_remote=allow_remote, writes=not dry_run)

    def confirm(plan: Plan) -> bool:
        forced = [e for e in plan.conflicts if e.write]
        if not forced:
            return True
        return _confirm(
            f"overwrite {len(forced)} conflicting key(s) in {store.url if store else ''}?", yes
        )

    options = MigrateOptions(
        pm_dir=source,
        home=settings.home,
        projects=list(projects) or None,
        dry_run=dry_run,
        force=force,
        backup=not no_backup,
        batch_size=batch_size,
        keyspace=_keyspace(settings),
        confirm=None if yes else confirm,
        workers=workers,
    )
    try:
        with progress_bars(not (quiet or as_json)) as progress:
            result = migrate(store, options, progress)
    except MigrateAborted:
        err_console.print("aborted: nothing was written")
        raise click.exceptions.Exit(1) from None
    finally:
        if store is not None:
            store.close()
    if as_json:
        print_json(result.as_dict())
    else:
        _render_migrate(result, quiet)
    exit_with(result.exit_code)


@click.command("verify")
@pm_dir_arg
@project_opt
@click.option("--sample", type=click.IntRange(1), help="Check N random records (lists always).")
@json_opt
def verify_cmd(
    pm_dir: Path | None, projects: tuple[str, ...], sample: int | None, as_json: bool
) -> None:
    """Compare PM_DIR with KV, both directions, field by field (exit 3 on differences)."""
    settings = load_settings()
    ks = _keyspace(settings)
    with (
        _open(settings, allow_remote=True, writes=False) as store,
        progress_bars(not as_json) as bar,
    ):
        source = pm_dir or status_mod.default_pm_dir(settings.pm_dir, settings.home)
        inv = discover(source, list(projects) or None, keyspace=ks)
        result = verify(store, inv, ks, sample=sample, progress=bar)
    if as_json:
        print_json(result.as_dict())
    else:
        render_verify(result)
    exit_with(0 if result.ok else 3)


@click.group("backup")
def backup_group() -> None:
    """Checksummed snapshots of pm/: create, list, restore."""


@backup_group.command("create")
@pm_dir_arg
@json_opt
def backup_create(pm_dir: Path | None, as_json: bool) -> None:
    """Snapshot PM_DIR into <home>/backups (tar.gz + sha256 manifest)."""
    settings = load_settings()
    info = backup_mod.create_backup(pm_dir or settings.pm_dir, settings.home)
    if as_json:
        print_json(asdict(info))
    else:
        console.print(f"backup {info.backup_id}: {info.files} files, {info.bytes:,} bytes")


@backup_group.command("list")
@json_opt
def backup_list(as_json: bool) -> None:
    """List backups, oldest first."""
    found = backup_mod.list_backups(load_settings().home)
    if as_json:
        print_json([asdict(b) for b in found])
        return
    table = Table("id", "created", "files", "bytes", "source", box=None)
    for b in found:
        table.add_row(b.backup_id, b.created_at, str(b.files), f"{b.bytes:,}", escape(b.source))
    console.print(table)


@backup_group.command("restore")
@click.argument("backup_id", required=False)
@click.option("--target", type=click.Path(path_type=Path), help="Restore here (default: origin).")
@click.option("--overwrite", is_flag=True, help="Move an existing target aside first.")
@json_opt
def backup_restore(
    backup_id: str | None, target: Path | None, overwrite: bool, as_json: bool
) -> None:
    """Restore a backup (default: the latest), checking every file's checksum."""
    result = backup_mod.restore_backup(load_settings().home, backup_id, target, overwrite=overwrite)
    if as_json:
        print_json(asdict(result))
        return
    console.print(f"restored {result.backup_id}: {result.files} files to {escape(result.target)}")
    if result.moved_aside:
        console.print(f"the previous folder was moved to {escape(result.moved_aside)}")


@click.command("rollback")
@click.argument("run_id", required=False)
@click.option("--yes", is_flag=True, help="Do not ask first.")
@click.option("--force", is_flag=True, help="Also restore keys changed after the run.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-local REST URL.")
@json_opt
def rollback_cmd(
    run_id: str | None, yes: bool, force: bool, allow_remote: bool, as_json: bool
) -> None:
    """Return every key a migrate run touched to its previous state (default: latest run)."""
    settings = load_settings()
    with _open(settings, allow_remote=allow_remote, writes=True) as store:
        what = f"run {run_id}" if run_id else "the latest run"
        if not _confirm(f"roll back {what} in {store.url}?", yes):
            raise click.exceptions.Exit(1)
        with progress_bars(not as_json) as progress:
            result = rollback_mod.rollback(
                store, settings.home, run_id, force=force, progress=progress
            )
    if as_json:
        print_json(asdict(result))
        return
    console.print(
        f"rolled back run {result.run_id}: {result.restored} restored, {result.deleted} deleted,"
        f" {result.already} already in their previous state"
        + (f", {len(result.drifted)} drifted (forced)" if result.drifted else "")
    )


@click.command("archive")
@pm_dir_arg
@click.option("--yes", is_flag=True, help="Do not ask first.")
@click.option("--dry-run", is_flag=True, help="Check everything, rename nothing.")
@click.option("--undo", is_flag=True, help="Rename pm-backup/ back to pm/.")
@json_opt
def archive_cmd(pm_dir: Path | None, yes: bool, dry_run: bool, undo: bool, as_json: bool) -> None:
    """Rename PM_DIR to PM_DIR-backup after a passing verify of every project."""
    settings = load_settings()
    source = pm_dir or settings.pm_dir
    if undo:
        result = archive_mod.unarchive(source, dry_run=dry_run)
    else:
        with _open(settings, allow_remote=True, writes=False) as store:
            check = archive_mod.archive(source, store, _keyspace(settings), dry_run=True)
            if not dry_run:
                if not _confirm(f"rename {check.source} to {check.target}?", yes):
                    raise click.exceptions.Exit(1)
                result = archive_mod.archive(source, store, _keyspace(settings))
            else:
                result = check
    if as_json:
        data: dict[str, Any] = asdict(result)
        data["verify"] = result.verify.as_dict() if result.verify else None
        print_json(data)
        return
    verb = "would rename" if not result.done else "renamed"
    console.print(f"{verb} {escape(result.source)} -> {escape(result.target)}")


@click.command("status")
@pm_dir_arg
@click.option("--sample", type=click.IntRange(1), help="Verify N random records only.")
@json_opt
def status_cmd(pm_dir: Path | None, sample: int | None, as_json: bool) -> None:
    """Where the migration stands: each phase, checked live, and the next step."""
    settings = load_settings()
    target = connect.resolve(settings, allow_remote=True, writes=False, start_stack=False)
    store = connect.open_store(target) if target else None
    kv_mode = settings.use_local_kv or settings.vercel or settings.environment == "PROD"
    ctx = status_mod.StatusContext(
        status_mod.default_pm_dir(settings.pm_dir, settings.home) if pm_dir is None else pm_dir,
        settings.home,
        store,
        _keyspace(settings),
        settings.dual_write,
        kv_mode,
        sample,
    )
    try:
        result = status_mod.status(ctx)
    finally:
        if store is not None:
            store.close()
    if as_json:
        print_json({"phases": [asdict(p) for p in result.phases], "next": result.next_step})
        return
    for phase in result.phases:
        mark = "[green]✓[/]" if phase.done else "[red]✗[/]"
        console.print(f"{mark} {phase.name:<12} {escape(phase.detail)}", highlight=False)
    if result.next_step:
        console.print(f"next: [bold]{escape(result.next_step)}[/]")
    else:
        console.print("all phases done")


def register(cli: click.Group) -> None:
    for command in (migrate_cmd, verify_cmd, backup_group, rollback_cmd, archive_cmd, status_cmd):
        cli.add_command(command)
