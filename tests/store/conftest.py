"""Fixtures of the store contract suite: one parametrized ``store`` over every backend."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pmkv.store.base import BaseStore
from pmkv.store.files import FileStore
from pmkv.store.keyspace import Keyspace
from tests.store.support import StoreSpec


def _file_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    root = tmp_path / "pm"
    root.mkdir()
    return StoreSpec("file", root=str(root), lock_path=str(tmp_path / "pm.lock"))


def _kv_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    gateway = request.getfixturevalue("gateway")
    request.getfixturevalue("clean_engine")
    return StoreSpec("kv", url=gateway.url, token=gateway.token)


def _kv_legacy_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    # also the run with base64 responses (the official client's default; "kv" uses plain)
    spec = _kv_spec(request, tmp_path)
    options = {"keyspace": Keyspace.legacy(), "encoding": "base64"}
    return StoreSpec("kv", url=spec.url, token=spec.token, options=options)


# One line per backend; the future DualStore adds its own.
STORE_KINDS: dict[str, Callable[[pytest.FixtureRequest, Path], StoreSpec]] = {
    "file": _file_spec,
    "kv": _kv_spec,
    "kv-legacy-keys": _kv_legacy_spec,
}


# The legacy layout repeats the whole suite: `-m "not slow"` skips it.
SLOW_KINDS = {"kv-legacy-keys"}


@pytest.fixture(
    params=[
        pytest.param(kind, marks=[pytest.mark.slow] if kind in SLOW_KINDS else [])
        for kind in sorted(STORE_KINDS)
    ]
)
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    return STORE_KINDS[request.param](request, tmp_path)


@pytest.fixture
def store(store_spec: StoreSpec) -> Iterator[BaseStore]:
    opened = store_spec.open()
    yield opened
    opened.close()


@pytest.fixture
def fixture_tree(fixture_pm: Path, tmp_path: Path) -> Path:
    """A writable copy of the real fixture tree."""
    copy = tmp_path / "fixture" / "pm"
    shutil.copytree(fixture_pm, copy)
    return copy


@pytest.fixture
def loaded_store(store: BaseStore, fixture_tree: Path) -> BaseStore:
    """``store`` holding the real fixture data, loaded through the store's own writes."""
    source = FileStore(fixture_tree, lock_path=fixture_tree.parent / "src.lock")
    store.write_people(source.read_people())
    for project in source.list_projects():
        store.import_project(source.load_project(project))
    return store
