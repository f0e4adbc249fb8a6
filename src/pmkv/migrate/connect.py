"""Which store a command talks to: the configured REST URL, or the local stack.

Writing commands refuse a non-local URL unless ``allow_remote`` (non-negotiable: never
migrate into production by accident).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pmkv.migrate.errors import RemoteRefused, StackUnavailable
from pmkv.migrate.kv import KvStore
from pmkv.settings import Settings
from pmkv.store.errors import RemoteURLRefusedError
from pmkv.store.router import ensure_local_url


@dataclass(frozen=True)
class Target:
    url: str
    token: str
    started_stack: bool = False


def resolve(
    settings: Settings,
    *,
    allow_remote: bool,
    writes: bool,
    start_stack: bool = True,
    say: Callable[[str], None] | None = None,
) -> Target | None:
    """The store to use; starts the local stack when none is configured.

    Returns None when nothing is configured and ``start_stack`` is False.
    """
    if settings.rest_url:
        if writes:
            check_local(settings.rest_url, allow_remote)
        return Target(settings.rest_url, settings.rest_token or "")
    try:
        from pmkv.engine.stack import stack_env, up
    except ImportError as exc:  # the engine component is optional in partial installs
        if not start_stack:
            return None
        raise StackUnavailable(
            "no store is configured and the local stack is not available",
            hint="set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (or run `pmkv up`)",
        ) from exc
    if not start_stack:
        # read-only callers (status) use the local stack only if it already runs
        found = stack_env(settings)
        if not found.running:
            return None
        values = found.values
        return Target(values["UPSTASH_REDIS_REST_URL"], values["UPSTASH_REDIS_REST_TOKEN"])
    info = up(settings, say)
    return Target(info.rest_url, info.token, started_stack=True)


def check_local(url: str, allow_remote: bool) -> None:
    """Raise :class:`RemoteRefused` (naming ``url``) for a non-local URL."""
    try:
        ensure_local_url(url, allow_remote)
    except RemoteURLRefusedError as exc:
        raise RemoteRefused(
            f"refusing to write to {url}: it is not a local address",
            hint="this would change a remote (maybe production) store; pass --allow-remote"
            " if that is really what you want",
        ) from exc


def open_store(target: Target) -> KvStore:
    return KvStore(target.url, target.token)
