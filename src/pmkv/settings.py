"""Settings, read once from the environment into one immutable object.

Nothing else in pmkv reads ``os.environ``: the CLI builds a :class:`Settings` with
:func:`Settings.from_env` and passes it (or the pieces it needs) explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_GATEWAY_PORT = 8080
DEFAULT_ENGINE_PORT = 6379
DEFAULT_HOST = "127.0.0.1"


ENV_FILE = Path(".env.local")


def _app_flag(value: str | None) -> bool:
    # The app tests these variables with `=== "true"`; anything else means off.
    return (value or "").strip() == "true"


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a dotenv file such as ``.env.local`` (empty when there is none)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        from pmkv.errors import UsageError

        raise UsageError(
            f"{name}={raw!r} is not a whole number", hint=f"set {name} to a port number"
        ) from None


@dataclass(frozen=True)
class Settings:
    """Everything pmkv takes from the environment."""

    # Where pmkv keeps its own state: engine data, tokens, ledgers, backups, reports.
    home: Path = field(default_factory=lambda: Path(".pmkv"))
    # An engine binary the user names (PMKV_ENGINE); None = search for one.
    engine_binary: Path | None = None
    # Engine port; None = the default port if free, else any free port.
    engine_port: int | None = None
    gateway_host: str = DEFAULT_HOST
    gateway_port: int = DEFAULT_GATEWAY_PORT
    # The gateway's token (PMKV_TOKEN); None = generate one and keep it under ``home``.
    token: str | None = None
    readonly_token: str | None = None
    # The app's own variables (see pm-data-model.md §4).
    rest_url: str | None = None
    rest_token: str | None = None
    environment: str | None = None
    vercel: bool = False
    use_local_kv: bool = False
    dual_write: bool = False
    dual_compare: float = 0.0
    pm_dir: Path = field(default_factory=lambda: Path("pm"))
    keyspace: str = "production"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        env_file: Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``) layered over ``env_file``.

        As in Next.js, the process environment wins over ``.env.local``; pass
        ``env_file=ENV_FILE`` to read it (the CLI does), or leave it out for tests.
        """
        env = os.environ if env is None else env
        if env_file is not None:
            env = {**read_env_file(env_file), **env}
        rest_url = env.get("UPSTASH_REDIS_REST_URL") or env.get("KV_REST_API_URL") or None
        rest_token = env.get("UPSTASH_REDIS_REST_TOKEN") or env.get("KV_REST_API_TOKEN") or None
        try:
            compare = float(env.get("DUAL_COMPARE", "0") or 0)
        except ValueError:
            compare = 0.0
        settings = cls(
            home=Path(env.get("PMKV_HOME", ".pmkv")),
            engine_binary=Path(env["PMKV_ENGINE"]) if env.get("PMKV_ENGINE") else None,
            engine_port=_int(env, "PMKV_ENGINE_PORT", None),
            gateway_host=env.get("PMKV_HOST", DEFAULT_HOST) or DEFAULT_HOST,
            gateway_port=_int(env, "PMKV_PORT", DEFAULT_GATEWAY_PORT) or DEFAULT_GATEWAY_PORT,
            token=env.get("PMKV_TOKEN") or None,
            readonly_token=env.get("PMKV_READONLY_TOKEN") or None,
            rest_url=rest_url,
            rest_token=rest_token,
            environment=env.get("ENVIRONMENT") or None,
            vercel=env.get("VERCEL", "") == "1",
            use_local_kv=_app_flag(env.get("USE_LOCAL_KV")),
            dual_write=_app_flag(env.get("DUAL_WRITE")),
            dual_compare=max(0.0, min(1.0, compare)),
            pm_dir=Path(env.get("PM_DIR", "pm")),
            keyspace=env.get("PMKV_KEYSPACE", "production") or "production",
        )
        return replace(settings, **overrides) if overrides else settings
