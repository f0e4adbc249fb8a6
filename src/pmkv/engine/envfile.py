"""Merging the stack's variables into a dotenv file such as ``.env.local``.

python-dotenv's ``set_key`` does the rewrite (atomic, other lines kept verbatim).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values, set_key

from pmkv.engine.errors import EngineError

# Values made only of these need no quotes; anything else is single-quoted.
_PLAIN = re.compile(r"[A-Za-z0-9_\-.:/@+=~]*")


@dataclass(frozen=True)
class EnvWriteResult:
    path: Path
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


def merge_env_file(path: Path, values: Mapping[str, str]) -> EnvWriteResult:
    """Set ``values`` in the dotenv file at ``path`` (created if missing)."""
    try:
        existing = dotenv_values(path) if path.exists() else {}
        added, updated, unchanged = [], [], []
        for key, value in values.items():
            if key not in existing:
                added.append(key)
            elif existing[key] != value:
                updated.append(key)
            else:
                unchanged.append(key)
                continue
            quote = "never" if _PLAIN.fullmatch(value) else "always"
            set_key(path, key, value, quote_mode=quote)
    except OSError as exc:
        raise EngineError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check the folder exists and is writable, or pick another file with --write",
        ) from exc
    return EnvWriteResult(path, tuple(added), tuple(updated), tuple(unchanged))
