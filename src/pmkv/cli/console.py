"""`pmkv console`: serve the web console (a thin skin over :mod:`pmkv.console`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from rich.markup import escape

from pmkv.cli.context import console, load_settings
from pmkv.console.options import DEFAULT_HOST, DEFAULT_PORT, ConsoleOptions, check_bind


@click.command("console")
@click.argument("pm_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--token",
    help="Require this token (open /?token=T once). Needed to listen beyond loopback.",
)
def console_cmd(pm_dir: Path | None, port: int, host: str, token: str | None) -> None:
    """A local web UI over the store the environment selects (files, KV or dual-write)
    and the migration: projects, epics, stories, people, analytics, migration status."""
    import uvicorn

    from pmkv.console.app import create_app

    options = ConsoleOptions(host=host, port=port, token=token)
    check_bind(options)
    settings = load_settings()
    if pm_dir is not None:
        settings = dataclasses.replace(settings, pm_dir=pm_dir)
    app = create_app(settings, options=options)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    label = app.state.console.label
    console.print(
        f"pmkv console on [bold]{escape(url)}[/] over {label.kind} {escape(label.where)}"
        " (Ctrl-C stops it)",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def register(cli: click.Group) -> None:
    cli.add_command(console_cmd)
