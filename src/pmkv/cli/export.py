"""``pmkv export``: the KV back into a new pm/ folder (rolling back after KV-only writes)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from pmkv.cli.context import console, load_settings
from pmkv.cli.migrate import exit_with, json_opt, print_json, progress_bars, render_verify, say
from pmkv.migrate import connect
from pmkv.migrate.export import ExportResult, export
from pmkv.store.keyspace import Keyspace


@click.command("export")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--project", "projects", multiple=True, help="Only this project (repeatable).")
@click.option("--dry-run", is_flag=True, help="Read the KV and count; write nothing.")
@json_opt
def export_cmd(out_dir: Path, projects: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Write the KV's projects and people into OUT_DIR (a new folder), then verify it.

    Files come out in the app's format; OUT_DIR must not exist. To go back to files
    after KV-only writes: `pmkv export pm-from-kv`, check it, then swap it for pm/.
    Exit 3 when the new folder and the KV differ (e.g. keys no list names).
    """
    settings = load_settings()
    target = connect.resolve(settings, allow_remote=True, writes=False, say=say)
    assert target is not None  # start_stack=True always yields a target
    if target.started_stack:
        say(f"no store configured: exporting from the local stack at {target.url}")
    with progress_bars(not as_json) as bar:
        result = export(
            target,
            out_dir,
            Keyspace.named(settings.keyspace),
            projects=list(projects) or None,
            dry_run=dry_run,
            progress=bar,
        )
    if as_json:
        print_json(result.as_dict())
    else:
        _render(result)
    exit_with(result.exit_code)


def _render(result: ExportResult) -> None:
    verb = "would write" if result.dry_run else "wrote"
    table = Table("project", "epics", "stories", box=None)
    for name, counts in result.projects.items():
        table.add_row(escape(name), str(counts["epics"]), str(counts["stories"]))
    console.print(table)
    people = "no people key" if result.people is None else f"{result.people} people"
    console.print(
        f"{verb} {len(result.projects)} project(s) and {people} to {escape(result.out_dir)}"
        f" in {result.seconds:.2f}s",
        highlight=False,
    )
    for key, why in list(result.missing.items())[:30]:
        console.print(f"[yellow]not exported[/] {escape(key)}: {escape(why)}", highlight=False)
    if result.verify is not None:
        render_verify(result.verify)
        if result.verify.ok:
            console.print(
                f"next: keep pm/ aside (e.g. `mv pm pm-stale`), then `mv {result.out_dir} pm`",
                highlight=False,
            )


def register(cli: click.Group) -> None:
    cli.add_command(export_cmd)
