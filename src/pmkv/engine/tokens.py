"""The gateway's token: PMKV_TOKEN, or one generated once and kept in ``<home>/token``."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from pmkv.engine.errors import DataDirError
from pmkv.settings import Settings

TOKEN_BYTES = 32


def fingerprint(token: str) -> str:
    """What state files record instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def gateway_token(settings: Settings, token_file: Path) -> str:
    """``settings.token`` if set, else the kept token (created on first use, mode 0600)."""
    if settings.token:
        return settings.token
    try:
        kept = token_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        kept = ""
    except OSError as exc:
        raise DataDirError(
            f"cannot read the token file {token_file}: {exc.strerror or exc}",
            hint="fix its permissions, delete it to get a new token, or set PMKV_TOKEN",
        ) from exc
    if kept:
        return kept
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        token_file.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the start: there is no moment when others could read it.
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
        os.chmod(token_file, 0o600)  # O_CREAT's mode does not apply to an existing file
    except OSError as exc:
        raise DataDirError(
            f"cannot write the token file {token_file}: {exc.strerror or exc}",
            hint="set PMKV_HOME to a writable folder, or set PMKV_TOKEN",
        ) from exc
    return token
