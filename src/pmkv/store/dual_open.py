"""Opening the dual-write store from settings (``DUAL_WRITE=true``).

The router imports this module on demand; it registers the ``dual`` backend.
"""

from __future__ import annotations

from pmkv.settings import Settings
from pmkv.store.dual import DualStore
from pmkv.store.dual_mirror import Mirror, bound_timeout
from pmkv.store.errors import NotAvailableError
from pmkv.store.files import FileStore
from pmkv.store.interface import Store
from pmkv.store.keyspace import Keyspace
from pmkv.store.kv import KVStore
from pmkv.store.router import StoreChoice, register_backend


def build_dual(settings: Settings, *, timeout: float = 5.0) -> DualStore:
    """The DualStore ``DUAL_WRITE=true`` asks for (called by the store router)."""
    if not settings.rest_url:
        raise NotAvailableError(
            "DUAL_WRITE=true needs a KV store, but UPSTASH_REDIS_REST_URL is not set",
            hint="start the local stack (`pmkv up`) and set UPSTASH_REDIS_REST_URL and"
            " UPSTASH_REDIS_REST_TOKEN (or unset DUAL_WRITE)",
        )
    keyspace = Keyspace.named(settings.keyspace)
    files = FileStore(settings.pm_dir)
    kv = KVStore(settings.rest_url, settings.rest_token or "", keyspace=keyspace)
    bound_timeout(kv.client, timeout)
    mirror = Mirror(files, kv)
    return DualStore(files, kv, mirror, settings.home, compare=settings.dual_compare)


def _open_dual(settings: Settings, choice: StoreChoice, allow_remote: bool) -> Store:
    # No local-only rule here: dual-write also runs against production (files + Upstash).
    return build_dual(settings)


register_backend("dual", _open_dual)
