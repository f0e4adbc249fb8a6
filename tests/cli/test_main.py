"""The command group imports a component only when one of its commands runs."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from pmkv.cli.main import cli
cli.main(["{cmd}", "--help"], standalone_mode=False)
print(",".join(sorted(m for m in sys.modules if m.startswith(("pmkv.", "starlette", "pydantic")))))
"""


def loaded_after(cmd: str) -> set[str]:
    out = (
        subprocess.run(
            [sys.executable, "-c", PROBE.format(cmd=cmd)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return set(out.split(","))


def test_engine_commands_do_not_load_the_migration_or_the_console() -> None:
    loaded = loaded_after("up")
    assert "pmkv.cli.engine" in loaded
    assert not {m for m in loaded if m.startswith(("pmkv.migrate", "pmkv.console"))}
    assert not {m for m in loaded if m.startswith(("starlette", "pydantic"))}


def test_migration_commands_load_their_module() -> None:
    loaded = loaded_after("verify")
    assert "pmkv.cli.migrate" in loaded
    assert "pmkv.console.app" not in loaded
