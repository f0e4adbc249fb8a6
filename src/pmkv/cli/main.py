"""Entry point of the ``pmkv`` console script."""

from __future__ import annotations

import importlib
import sys

import click

from pmkv import __version__
from pmkv.cli.context import err_console, handle_errors

# One module per component; each exposes ``register(group)``.
COMMAND_MODULES = (
    "pmkv.cli.engine",
    "pmkv.cli.serve",
    "pmkv.cli.generate",
    "pmkv.cli.migrate",
    "pmkv.cli.dual",
    "pmkv.cli.console",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmkv")
def cli() -> None:
    """pmkv: a local Upstash-compatible KV for your pm/ data, and the tools to move it there."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # component not built yet
                continue
            raise
        module.register(cli)


_register_all()


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
