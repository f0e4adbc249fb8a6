"""Pick and open the store the way the app does (data model §4).

- ``DUAL_WRITE=true`` -> the dual-write store (:mod:`pmkv.store.dual_open`, imported on
  demand; it registers itself with :func:`register_backend`).
- KV when ``ENVIRONMENT=PROD`` or ``VERCEL=1`` (production) or ``USE_LOCAL_KV=true``
  (local development against the local REST server); the URL and token come from
  ``UPSTASH_REDIS_REST_URL`` / ``_TOKEN``, else ``KV_REST_API_URL`` / ``_TOKEN``.
- otherwise files under ``PM_DIR`` (default ``./pm``).

``.env.local`` is read with python-dotenv into a mapping (``os.environ`` is never
changed); as in Next.js, variables already in the environment win over the file. In
local-KV mode a non-local REST URL is refused unless ``allow_remote=True``.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pmkv.settings import Settings
from pmkv.store.errors import NotAvailableError, RemoteURLRefusedError, StoreError
from pmkv.store.files import FileStore
from pmkv.store.interface import Store
from pmkv.store.keyspace import Keyspace
from pmkv.store.kv import KVStore

Backend = Literal["file", "kv", "dual"]
ENV_FILE = ".env.local"


@dataclass(frozen=True)
class StoreChoice:
    """Which store the environment selects, and why (for ``pmkv status`` and errors)."""

    backend: Backend
    reason: str
    local_kv: bool  # KV chosen by USE_LOCAL_KV only (not production)


Opener = Callable[[Settings, StoreChoice, bool], Store]
_OPENERS: dict[Backend, Opener] = {}
# Backends that live in their own module and register themselves when imported.
_PLUGIN_MODULES: dict[Backend, str] = {"dual": "pmkv.store.dual_open"}


def register_backend(backend: Backend, opener: Opener) -> None:
    """Let a store module (e.g. the dual-write store) plug itself into the router."""
    _OPENERS[backend] = opener


def settings_with_env_file(env: Mapping[str, str], env_file: Path = Path(ENV_FILE)) -> Settings:
    """Settings from ``env`` layered over ``env_file`` (the environment wins)."""
    return Settings.from_env(env, env_file=env_file)


def choose_store(settings: Settings) -> StoreChoice:
    """The backend the app would use with these settings."""
    if settings.dual_write:
        return StoreChoice("dual", "DUAL_WRITE=true", local_kv=False)
    if settings.environment == "PROD":
        return StoreChoice("kv", "ENVIRONMENT=PROD", local_kv=False)
    if settings.vercel:
        return StoreChoice("kv", "VERCEL=1", local_kv=False)
    if settings.use_local_kv:
        return StoreChoice("kv", "USE_LOCAL_KV=true", local_kv=True)
    return StoreChoice("file", f"no KV variable set: files under {settings.pm_dir}", False)


def is_local_url(url: str) -> bool:
    """True for http(s) URLs on this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ensure_local_url(url: str, allow_remote: bool) -> None:
    """Raise unless ``url`` is local or the caller explicitly allows a remote one."""
    if allow_remote or is_local_url(url):
        return
    raise RemoteURLRefusedError(
        f"refusing to use {url}: it is not on this machine",
        hint="point UPSTASH_REDIS_REST_URL at the local gateway (pmkv up), or pass "
        "--allow-remote if you really mean that endpoint",
    )


def open_store(settings: Settings, *, allow_remote: bool = False) -> Store:
    """Open the store the environment selects (see the module docstring)."""
    choice = choose_store(settings)
    opener = _OPENERS.get(choice.backend)
    module = _PLUGIN_MODULES.get(choice.backend)
    if opener is None and module is not None:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
        opener = _OPENERS.get(choice.backend)
    if opener is None:
        raise NotAvailableError(
            f"{choice.reason} asks for the {choice.backend} store, which is not installed",
            hint="reinstall pmkv, or unset DUAL_WRITE to use the KV or file store",
        )
    return opener(settings, choice, allow_remote)


def _open_file(settings: Settings, choice: StoreChoice, allow_remote: bool) -> Store:
    return FileStore(settings.pm_dir)


def _open_kv(settings: Settings, choice: StoreChoice, allow_remote: bool) -> Store:
    if not settings.rest_url or not settings.rest_token:
        raise StoreError(
            f"{choice.reason} selects the KV store, but no REST URL and token are set",
            hint="set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (for the local "
            "stack: pmkv env --write .env.local)",
        )
    if choice.local_kv:
        ensure_local_url(settings.rest_url, allow_remote)
    return KVStore(
        settings.rest_url, settings.rest_token, keyspace=Keyspace.named(settings.keyspace)
    )


register_backend("file", _open_file)
register_backend("kv", _open_kv)
