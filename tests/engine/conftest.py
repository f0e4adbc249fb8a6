"""Each engine test gets its own PMKV home and free ports, and leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from pmkv.engine import stack
from pmkv.settings import Settings
from tests.support.ports import free_port


def _leftovers(home: Path) -> list[psutil.Process]:
    """Engine processes working in ``home``'s data folder."""
    data_dir = os.path.realpath(home / "engine")
    found = []
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error):
            if os.path.realpath(proc.cwd()) == data_dir and proc.status() != "zombie":
                found.append(proc)
    return found


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a private stack: tmp home, free engine and gateway ports."""
    made = Settings(home=tmp_path / "home", engine_port=free_port(), gateway_port=free_port())
    yield made
    stack.down(made)
    for proc in _leftovers(made.home):  # safety net if a test failed half-way
        proc.kill()


@pytest.fixture
def leftovers() -> Callable[[Path], list[psutil.Process]]:
    return _leftovers


@pytest.fixture
def script(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write an executable shell script (a fake engine binary)."""

    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    return write
