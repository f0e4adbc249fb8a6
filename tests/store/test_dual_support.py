"""Helpers shared by the DualStore tests (no tests here; the name keeps it in our files)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pmkv.store.dual import DualStore
from pmkv.store.dual_mirror import Mirror, bound_timeout
from pmkv.store.files import FileStore
from pmkv.store.kv import KVStore
from tests.store.support import StoreSpec


def open_dual(
    root: Path,
    url: str,
    token: str,
    home: Path,
    *,
    lock_path: Path | None = None,
    compare: float = 0.0,
    backoff: float = 0.0,
    timeout: float = 3.0,
) -> DualStore:
    """A DualStore over ``root`` and the REST endpoint ``url`` (what build_dual makes)."""
    files = FileStore(root, lock_path=lock_path)
    kv = KVStore(url, token)
    bound_timeout(kv.client, timeout)
    mirror = Mirror(files, kv)
    return DualStore(files, kv, mirror, home, compare=compare, backoff=backoff, seed=1)


@dataclass(frozen=True)
class DualSpec(StoreSpec):
    """The contract suite's recipe for a DualStore (picklable for its process tests)."""

    home: str | None = None

    def open(self) -> DualStore:  # type: ignore[override]
        assert self.root
        assert self.url
        assert self.token
        assert self.home
        lock = Path(self.lock_path) if self.lock_path else None
        return open_dual(Path(self.root), self.url, self.token, Path(self.home), lock_path=lock)
