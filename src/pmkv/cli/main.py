"""Entry point of the ``pmkv`` console script."""

from __future__ import annotations

import importlib
import sys

import click

from pmkv import __version__
from pmkv.cli.context import err_console, handle_errors

# Which module owns each command. A module is imported only when one of its commands
# runs (or for --help), so `pmkv up` does not pay for the migration's or the console's
# imports at start-up. Each module exposes ``register(group)``.
COMMAND_MODULES: dict[str, str] = {
    "redis": "pmkv.cli.engine",
    "up": "pmkv.cli.engine",
    "down": "pmkv.cli.engine",
    "env": "pmkv.cli.engine",
    "serve": "pmkv.cli.serve",
    "generate": "pmkv.cli.generate",
    "migrate": "pmkv.cli.migrate",
    "verify": "pmkv.cli.migrate",
    "backup": "pmkv.cli.migrate",
    "rollback": "pmkv.cli.migrate",
    "archive": "pmkv.cli.migrate",
    "status": "pmkv.cli.migrate",
    "export": "pmkv.cli.export",
    "reconcile": "pmkv.cli.dual",
    "console": "pmkv.cli.console",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module the first time it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name]).register(self)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmkv")
def cli() -> None:
    """pmkv: a local Upstash-compatible KV for your pm/ data, and the tools to move it there."""


def main() -> None:
    """Run the CLI, turning pmkv errors into messages and exit codes."""
    with handle_errors():
        try:
            code = cli.main(standalone_mode=False)
        except click.exceptions.Abort as exc:
            # click turns Ctrl-C into Abort; keep the shell's convention for it (130).
            interrupted = isinstance(exc.__context__, KeyboardInterrupt)
            err_console.print("interrupted" if interrupted else "aborted")
            sys.exit(130 if interrupted else 1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
