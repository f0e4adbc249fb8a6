"""`pmkv reconcile`: the dual-write period's repair command (a thin skin over the library)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.markup import escape

from pmkv.cli.context import console, err_console, load_settings

# the same settings (with .env.local) as `pmkv migrate`; shared, not copied
from pmkv.errors import UsageError
from pmkv.migrate import connect
from pmkv.migrate.reconcile import (
    ReconcileOptions,
    ReconcilePreview,
    ReconcileResult,
    reconcile,
)
from pmkv.store.keyspace import Keyspace


def _ask(yes: bool) -> Callable[[ReconcilePreview], bool]:
    def confirm(preview: ReconcilePreview) -> bool:
        if yes:
            return True
        counts = preview.plan.counts()
        question = (
            f"rewrite {len(preview.plan.to_write())} key(s) from the files"
            f" ({counts['create']} missing, {counts['update'] + counts['conflict']} changed),"
            f" delete {len(preview.extras)} key(s) with no file, replay"
            f" {preview.outbox} outbox entr(ies)?"
        )
        if not sys.stdin.isatty():
            raise UsageError(f"{question} (no terminal to ask)", hint="pass --yes to confirm")
        return click.confirm(question, default=False, err=True)

    return confirm


def _render(result: ReconcileResult) -> None:
    plan = result.migrate.plan if result.migrate else None
    verb = "would rewrite" if result.dry_run else "rewrote"
    for entry in plan.entries if plan else []:
        if entry.write:
            console.print(f"  {verb} {escape(entry.key)} ({entry.action})", highlight=False)
    verb = "would delete" if result.dry_run else "deleted"
    for key in result.extras:
        console.print(f"  {verb} {escape(key)} (no file)", highlight=False)
    for diff in result.kept:
        console.print(
            f"  [yellow]kept[/] {escape(diff.key)}: {escape(diff.detail)}", highlight=False
        )
    if result.dry_run:
        console.print(f"  would replay {result.drained.remaining} outbox entr(ies)")
    else:
        console.print(
            f"  replayed {result.drained.replayed} outbox entr(ies),"
            f" {result.drained.remaining} left"
            + (f" ({escape(result.drained.error)})" if result.drained.error else "")
        )
    if result.saved:
        console.print(f"  old values of deleted keys: {escape(result.saved)}")
    if result.equal:
        console.print("[green]files and KV are equal[/]")
    else:
        left = result.after or result.before
        console.print(
            f"[red]files and KV differ[/]: {len(left.differences)} difference(s),"
            f" outbox {result.drained.remaining}"
        )
        for diff in left.differences[:20]:
            console.print(
                f"    {diff.kind} {escape(diff.key)} {escape(', '.join(diff.paths[:5]))}",
                highlight=False,
            )


@click.command("reconcile")
@click.argument("pm_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before writing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--allow-remote", is_flag=True, help="Allow writing to a non-local REST URL.")
def reconcile_cmd(
    pm_dir: Path | None, dry_run: bool, yes: bool, as_json: bool, allow_remote: bool
) -> None:
    """Repair every difference between the files and KV (files win); drain the outbox.

    Exit 0 when files and KV are equal afterwards, 3 when differences remain.
    """
    settings = load_settings()
    target = connect.resolve(
        settings, allow_remote=allow_remote, writes=not dry_run, start_stack=False
    )
    if target is None:
        raise UsageError(
            "no KV store is configured",
            hint="set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (or .env.local)",
        )
    options = ReconcileOptions(
        settings.pm_dir if pm_dir is None else pm_dir,
        settings.home,
        dry_run=dry_run,
        keyspace=Keyspace.named(settings.keyspace),
        confirm=_ask(yes),
    )
    result = reconcile(target, options)
    if as_json:
        console.print_json(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        _render(result)
    if result.exit_code:
        err_console.print("[dim]hint:[/] fix or inspect the keys above, then re-run")
        raise click.exceptions.Exit(result.exit_code)


def register(cli: click.Group) -> None:
    cli.add_command(reconcile_cmd)
