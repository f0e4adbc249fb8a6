"""Shared CLI plumbing: settings, consoles, error rendering."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console

from pmkv.errors import PmkvError
from pmkv.settings import ENV_FILE, Settings

console = Console()
err_console = Console(stderr=True)


def load_settings(**overrides: Any) -> Settings:
    """Read settings once per command: the environment over ``.env.local``, as the app does."""
    chosen = {k: v for k, v in overrides.items() if v is not None}
    return Settings.from_env(env_file=ENV_FILE, **chosen)


def render_error(exc: PmkvError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True)
    if exc.hint:
        err_console.print(f"[dim]hint:[/] {exc.hint}", highlight=False)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn a :class:`PmkvError` into a message on stderr and its exit code."""
    try:
        yield
    except PmkvError as exc:
        render_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


def fail(exc: PmkvError) -> None:
    """Render ``exc`` and exit (for use inside click commands)."""
    render_error(exc)
    raise click.exceptions.Exit(exc.exit_code)
