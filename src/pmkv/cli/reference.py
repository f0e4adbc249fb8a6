"""Render the CLI reference (docs/cli.md) from the commands' own ``--help``.

The reference is generated, never written by hand, so it cannot drift from the code;
a test fails when docs/cli.md is stale (regenerate with ``python -m pmkv.cli.reference``).
"""

from __future__ import annotations

import sys

import click

HEADER = """# CLI reference

Generated from `pmkv --help` by `python -m pmkv.cli.reference > docs/cli.md`;
a test keeps it in sync. Exit codes: 0 ok · 1 failure · 2 usage error ·
3 verification found differences · 4 the source had invalid records ·
5 the store is unreachable.
"""


def _render(
    command: click.Command, name: str, depth: int, parent: click.Context | None, out: list[str]
) -> None:
    # Contexts are chained to their parent, as when the command really runs, so that
    # inherited settings (``-h`` as a help option, the terminal width) apply to every level.
    with command.make_context(
        name,
        [],
        parent=parent,
        resilient_parsing=True,
        terminal_width=100,
        max_content_width=100,
    ) as ctx:
        title = ctx.command_path
        level = "#" * min(2 + depth, 4)
        out.append(f"{level} `{title}`\n\n```text\n{command.get_help(ctx)}\n```\n")
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                found = command.get_command(ctx, sub)
                if found is not None:
                    _render(found, sub, depth + 1, ctx, out)


def render(root: click.Group) -> str:
    """Return the markdown reference for every command under ``root``."""
    parts = [HEADER]
    _render(root, "pmkv", 0, None, parts)
    return "\n".join(parts)


def main() -> None:
    from pmkv.cli.main import cli

    sys.stdout.write(render(cli))


if __name__ == "__main__":
    main()
