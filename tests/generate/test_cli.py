"""`pmkv generate` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pmkv.cli.main import cli
from pmkv.errors import ExitCode


def test_generate_writes_a_tree_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "pm"
    result = CliRunner().invoke(
        cli, ["generate", "--out", str(out), "--stories", "40", "--epics", "3", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 40 stories" in result.output
    assert "3 epics" in result.output
    assert "\r" not in result.output  # no progress bar when stdout is not a terminal
    assert len(list(out.glob("*/*/[FN]*-*.json"))) == 40
    assert json.loads((out / "people.json").read_text(encoding="utf-8"))


def _pmkv(*args: str) -> tuple[int, str]:
    """Run the real entry point (the user's error rendering and exit codes).

    Returns the exit code and stderr with rich's line wrapping undone.
    """
    done = subprocess.run(
        [sys.executable, "-m", "pmkv", *args], capture_output=True, text=True, timeout=60
    )
    return done.returncode, " ".join(done.stderr.split())


def test_generate_refuses_a_non_empty_folder_with_usage_exit_code(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    code, stderr = _pmkv("generate", "--out", str(tmp_path), "--stories", "5")
    assert code == ExitCode.USAGE
    assert f"error: {tmp_path} is not empty" in stderr
    assert "hint: choose an empty or new folder, or pass --force" in stderr
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_generate_explains_when_stories_do_not_fit(tmp_path: Path) -> None:
    code, stderr = _pmkv(
        "generate", "--out", str(tmp_path / "pm"), "--stories", "5000", "--epics", "2"
    )
    assert code == ExitCode.USAGE
    assert "5000 stories do not fit in 1 project(s) x 2 epic(s)" in stderr
    assert "hint: use --epics 5 or more" in stderr
    assert not (tmp_path / "pm").exists()
