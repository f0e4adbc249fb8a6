"""`pmkv redis ...`, `pmkv up`, `pmkv down`, `pmkv env`: the local engine and stack."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from pmkv.cli.context import console, err_console, load_settings
from pmkv.engine import flush as flush_mod
from pmkv.engine import logs as logs_mod
from pmkv.engine import manager, stack
from pmkv.engine import status as status_mod
from pmkv.engine.envfile import merge_env_file
from pmkv.engine.status import EngineStatus


def _say(message: str) -> None:
    err_console.print(f"[dim]{escape(message)}[/]", highlight=False)


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _status_table(found: EngineStatus) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows: list[tuple[str, str]] = [
        ("engine", found.version or "-"),
        ("state", "[green]running[/]" if found.running else "[red]stopped[/]"),
    ]
    if found.running:
        aof = "on" if found.aof_enabled else "[red]off[/]"
        if found.aof_last_write_status:
            aof += f", last write {found.aof_last_write_status}"
        if found.aof_rewrite_in_progress:
            aof += ", rewriting"
        rows += [
            ("pid", str(found.pid)),
            ("address", f"127.0.0.1:{found.port}"),
            ("uptime", _duration(found.uptime_seconds or 0)),
            ("keys", f"{found.keys:,}"),
            ("memory", found.used_memory_human or "-"),
            ("AOF", aof),
            ("binary", f"{found.binary} ({found.binary_source})"),
        ]
    rows += [("data folder", str(found.data_dir)), ("log", str(found.log_path))]
    for name, value in rows:
        table.add_row(name, value)
    return table


@click.group("redis")
def redis_group() -> None:
    """Run the local engine (valkey-server) in the background: start, stop, inspect.

    The engine alone, without the gateway (`pmkv up` starts both). Its data, log and
    state live under PMKV_HOME (default ./.pmkv).
    """


@redis_group.command("start")
@click.option(
    "--port",
    "port",
    type=int,
    help="Engine port (default: PMKV_ENGINE_PORT, else 6379 if free, else a free port).",
)
def redis_start(port: int | None) -> None:
    """Start the engine (no-op when it already runs)."""
    info = manager.start(load_settings(engine_port=port), progress=_say)
    _notes(info.notes if info.already_running else ())
    verb = "already running" if info.already_running else "started"
    console.print(
        f"engine {escape(info.version)} {verb} on 127.0.0.1:{info.port} (pid {info.pid}); "
        f"data in {escape(str(info.data_dir))}",
        highlight=False,
    )


@redis_group.command("stop")
def redis_stop() -> None:
    """Stop the engine gracefully (SHUTDOWN flushes the AOF)."""
    settings = load_settings()
    result = manager.stop(settings, progress=_say)
    _notes(result.notes)
    gateway = stack.gateway_running(settings)
    if gateway is not None:
        _notes(
            (
                f"the gateway (pid {gateway}) still runs and now has no engine; `pmkv down` "
                "stops both, `pmkv up` starts the engine again",
            )
        )
    if result.pid is None:
        console.print("the engine is not running")
    else:
        console.print(f"engine stopped (pid {result.pid}, {result.method})", highlight=False)


@redis_group.command(
    "status", short_help="Show the engine's version, pid, port, keys, memory, AOF."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def redis_status(as_json: bool) -> None:
    """Show version, pid, port, uptime, keys, memory, AOF state and data folder.

    Exits with 5 when the engine is not running.
    """
    found = status_mod.status(load_settings())
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=2))
    else:
        _notes(found.notes)
        console.print(_status_table(found))
    if not found.running:
        raise click.exceptions.Exit(5)


@redis_group.command("flush")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def redis_flush(yes: bool) -> None:
    """Remove every key from the local engine (asks first)."""
    settings = load_settings()
    if not yes:
        found = status_mod.status(settings)
        if found.running:
            click.confirm(
                f"Remove all {found.keys:,} keys from the local engine on 127.0.0.1:{found.port}?",
                abort=True,
            )
    result = flush_mod.flush(settings)
    noun = "key" if result.removed == 1 else "keys"
    console.print(f"removed {result.removed:,} {noun} from 127.0.0.1:{result.port}")


@redis_group.command("logs")
@click.option(
    "-n",
    "lines",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="How many lines to print.",
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
def redis_logs(lines: int, follow: bool) -> None:
    """Print the last lines of the engine log."""
    settings = load_settings()
    for line in logs_mod.log_lines(settings, lines):
        click.echo(line)
    if follow:
        try:
            for line in logs_mod.follow(settings):
                click.echo(line)
        except KeyboardInterrupt:
            pass


@click.command("up")
@click.option("--port", type=int, help="Gateway port (default: PMKV_PORT or 8080).")
@click.option(
    "--engine-port",
    type=int,
    help="Engine port (default: PMKV_ENGINE_PORT, else 6379 if free, else a free port).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the stack as JSON instead.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the env lines (or the JSON).")
def up_command(port: int | None, engine_port: int | None, as_json: bool, quiet: bool) -> None:
    """Start the engine and the gateway in the background; print the env lines to use.

    Idempotent: what already runs is left as it is. The env lines go to stdout,
    progress to stderr, so `pmkv up -q >> .env.local` works (see also `pmkv env`).
    """
    settings = load_settings(gateway_port=port, engine_port=engine_port)
    info = stack.up(settings, progress=None if quiet else _say)
    if not quiet:
        _notes(info.notes)
        state = "already running" if info.already_running else "up"
        err_console.print(
            f"[green]stack {state}[/]: gateway {info.rest_url} (pid {info.gateway_pid}) → "
            f"engine {escape(info.engine_version)} on 127.0.0.1:{info.engine_port} "
            f"(pid {info.engine_pid})",
            highlight=False,
        )
    if as_json:
        click.echo(json.dumps({**asdict(info), "env": info.env()}, indent=2))
        return
    for line in info.env_lines():
        click.echo(line)


@click.command("down")
def down_command() -> None:
    """Stop the gateway, then the engine."""
    result = stack.down(load_settings(), progress=_say)
    _notes(result.notes + result.engine.notes)
    if result.gateway_pid is None and result.engine.pid is None:
        console.print("nothing was running")
    else:
        console.print("stack stopped")


@click.command("env")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the variables and `running`.")
@click.option(
    "--write",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Merge the variables into this dotenv file (e.g. .env.local), keeping its other lines.",
)
def env_command(as_json: bool, target: Path | None) -> None:
    """Print UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN and USE_LOCAL_KV=true.

    The values are those of the local stack as configured (PMKV_PORT, PMKV_TOKEN or
    the token kept in PMKV_HOME), whether or not it is running right now.
    """
    found = stack.stack_env(load_settings())
    if not found.running:
        err_console.print("[yellow]note:[/] the stack is not running; start it with `pmkv up`")
    if as_json:
        click.echo(json.dumps({"running": found.running, "env": found.values}, indent=2))
        return
    if target is None:
        for line in found.lines():
            click.echo(line)
        return
    result = merge_env_file(target, found.values)
    changed = [*result.added, *result.updated]
    summary = ", ".join(changed) if changed else "nothing changed"
    console.print(f"wrote {escape(str(result.path))}: {summary}", highlight=False)


def register(cli: click.Group) -> None:
    cli.add_command(redis_group)
    cli.add_command(up_command)
    cli.add_command(down_command)
    cli.add_command(env_command)
