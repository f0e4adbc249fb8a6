"""docs/cli.md must be exactly what the commands' --help says."""

from __future__ import annotations

from pathlib import Path

import click

from pmkv.cli.main import cli
from pmkv.cli.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_in_sync() -> None:
    expected = render(cli)
    assert DOC.exists(), "docs/cli.md is missing: python -m pmkv.cli.reference > docs/cli.md"
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is stale: run `python -m pmkv.cli.reference > docs/cli.md`"
    )


def test_every_command_has_help() -> None:
    text = render(cli)
    assert "`pmkv`" in text
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, f"pmkv {name} is listed but its module has no such command"
        assert command.help or command.short_help, f"pmkv {name} has no help text"
