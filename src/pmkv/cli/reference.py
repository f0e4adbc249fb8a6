"""Render the CLI reference (docs/cli.md) from the commands' own ``--help``.

The reference is generated, never written by hand, so it cannot drift from the code;
a test fails when docs/cli.md is stale (regenerate with ``python -m pmkv.cli.reference``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

HEADER = """# CLI reference

Generated from `pmkv --help` by `python -m pmkv.cli.reference > docs/cli.md`;
a test keeps it in sync. Exit codes: 0 ok · 1 failure · 2 usage error ·
3 verification found differences · 4 the source had invalid records ·
5 the store is unreachable.
"""


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def render(root: click.Group) -> str:
    """Return the markdown reference for every command under ``root``."""
    parts = [HEADER]
    for path, command in _walk(root, ["pmkv"]):
        name = " ".join(path)
        with click.Context(command, info_name=name, terminal_width=100) as ctx:
            text = command.get_help(ctx)
        level = "#" * min(2 + len(path) - 1, 4)
        parts.append(f"{level} `{name}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def main() -> None:
    from pmkv.cli.main import cli

    sys.stdout.write(render(cli))


if __name__ == "__main__":
    main()
