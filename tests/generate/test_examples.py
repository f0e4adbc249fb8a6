"""examples/pm is exactly what the command in examples/README.md writes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from pmkv.cli.main import cli
from tests.generate.conftest import read_tree

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _documented_command() -> list[str]:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    lines = [
        line for line in readme.splitlines() if line.startswith("pmkv generate --out examples/pm")
    ]
    assert len(lines) == 1, "examples/README.md must show the one command that made examples/pm"
    return shlex.split(lines[0])[1:]


def test_committed_examples_equal_a_fresh_run_of_the_documented_command(tmp_path: Path) -> None:
    args = _documented_command()
    args[args.index("--out") + 1] = str(tmp_path / "pm")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    fresh = read_tree(tmp_path / "pm")
    committed = read_tree(EXAMPLES / "pm")
    assert sorted(fresh) == sorted(committed)
    changed = [path for path in fresh if fresh[path] != committed[path]]
    assert changed == []
    # the README's numbers are the run's numbers
    summary = " ".join(result.output.split())
    readme = " ".join((EXAMPLES / "README.md").read_text(encoding="utf-8").split())
    deleted, archived = re.search(r"\((\d+) deleted, (\d+) archived\)", summary).groups()  # type: ignore[union-attr]
    assert f"({deleted} soft-deleted, {archived} archived)" in readme


def test_examples_are_big_enough_for_the_demo() -> None:
    stories = [p for p in (EXAMPLES / "pm").rglob("*.json") if re.match(r"(F|NFR)-", p.name)]
    epics = list((EXAMPLES / "pm").rglob("epic.json"))
    assert len(stories) >= 500
    assert 12 <= len(epics) <= 20
    assert (EXAMPLES / "pm" / "people.json").is_file()
