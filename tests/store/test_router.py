"""The router picks the store exactly as the app does (§4) and guards remote URLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pmkv.settings import Settings, read_env_file
from pmkv.store import router
from pmkv.store.errors import NotAvailableError, RemoteURLRefusedError, StoreError
from pmkv.store.files import FileStore
from pmkv.store.kv import KVStore
from pmkv.store.router import (
    choose_store,
    ensure_local_url,
    is_local_url,
    open_store,
    settings_with_env_file,
)

REMOTE = {"UPSTASH_REDIS_REST_URL": "https://eu1-x.upstash.io", "UPSTASH_REDIS_REST_TOKEN": "t"}
LOCAL = {"UPSTASH_REDIS_REST_URL": "http://localhost:8080", "UPSTASH_REDIS_REST_TOKEN": "t"}


@pytest.mark.parametrize(
    ("env", "backend", "reason"),
    [
        ({}, "file", "no KV variable set"),
        ({"ENVIRONMENT": "PROD"}, "kv", "ENVIRONMENT=PROD"),
        ({"ENVIRONMENT": "DEV"}, "file", "no KV variable set"),
        ({"VERCEL": "1"}, "kv", "VERCEL=1"),
        ({"USE_LOCAL_KV": "true"}, "kv", "USE_LOCAL_KV=true"),
        ({"USE_LOCAL_KV": "false"}, "file", "no KV variable set"),
        ({"DUAL_WRITE": "true", "USE_LOCAL_KV": "true"}, "dual", "DUAL_WRITE=true"),
    ],
)
def test_choice_follows_the_app(env: dict[str, str], backend: str, reason: str) -> None:
    choice = choose_store(Settings.from_env(env))
    assert choice.backend == backend
    assert reason in choice.reason


def test_env_local_is_read_without_touching_os_environ(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.local"
    env_file.write_text(
        "# local stack\nUSE_LOCAL_KV=true\nKV_REST_API_URL=http://127.0.0.1:8080\n"
        'KV_REST_API_TOKEN="from-file"\nPM_DIR=elsewhere\n'
    )
    before = dict(os.environ)
    settings = settings_with_env_file({"PM_DIR": "from-env"}, env_file)
    assert dict(os.environ) == before
    assert settings.use_local_kv
    assert settings.rest_url == "http://127.0.0.1:8080"  # legacy Vercel KV names
    assert settings.rest_token == "from-file"
    assert settings.pm_dir == Path("from-env")  # the environment wins over the file
    assert read_env_file(tmp_path / "missing") == {}


def test_upstash_names_win_over_legacy_names() -> None:
    env = {**LOCAL, "KV_REST_API_URL": "http://127.0.0.1:1", "KV_REST_API_TOKEN": "old"}
    settings = Settings.from_env(env)
    assert (settings.rest_url, settings.rest_token) == ("http://localhost:8080", "t")


def test_file_mode_opens_the_pm_dir(tmp_path: Path) -> None:
    store = open_store(Settings.from_env({"PM_DIR": str(tmp_path / "pm")}))
    assert isinstance(store, FileStore)
    assert store.root == tmp_path / "pm"


def test_local_kv_refuses_a_remote_url_unless_allowed() -> None:
    settings = Settings.from_env({"USE_LOCAL_KV": "true", **REMOTE})
    with pytest.raises(RemoteURLRefusedError) as info:
        open_store(settings)
    assert "https://eu1-x.upstash.io" in info.value.message
    assert "--allow-remote" in (info.value.hint or "")
    store = open_store(settings, allow_remote=True)
    assert isinstance(store, KVStore)
    store.close()


def test_local_kv_and_production_open_kv() -> None:
    local = open_store(Settings.from_env({"USE_LOCAL_KV": "true", **LOCAL}))
    assert isinstance(local, KVStore)
    assert local.url == "http://localhost:8080"
    local.close()
    prod = open_store(Settings.from_env({"VERCEL": "1", **REMOTE}))  # production: remote ok
    assert isinstance(prod, KVStore)
    prod.close()


def test_kv_without_credentials_says_what_to_set() -> None:
    with pytest.raises(StoreError) as info:
        open_store(Settings.from_env({"USE_LOCAL_KV": "true"}))
    assert "USE_LOCAL_KV=true" in info.value.message
    assert "UPSTASH_REDIS_REST_URL" in (info.value.hint or "")


def test_dual_write_without_its_module_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        router, "_OPENERS", {k: v for k, v in router._OPENERS.items() if k != "dual"}
    )
    monkeypatch.setattr(router, "_PLUGIN_MODULES", {"dual": "pmkv.store.no_such_module"})
    with pytest.raises(NotAvailableError, match="DUAL_WRITE=true"):
        open_store(Settings.from_env({"DUAL_WRITE": "true", **LOCAL}))


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:8080", True),
        ("http://127.0.0.1:8080", True),
        ("http://127.1.2.3", True),
        ("http://[::1]:8080/", True),
        ("http://app.localhost:3000", True),
        ("https://eu1-x.upstash.io", False),
        ("http://10.0.0.5:8080", False),
        ("http://localhost.evil.com", False),
        ("not a url", False),
    ],
)
def test_local_urls(url: str, local: bool) -> None:
    assert is_local_url(url) is local
    if local:
        ensure_local_url(url, allow_remote=False)
    else:
        with pytest.raises(RemoteURLRefusedError, match="refusing to use"):
            ensure_local_url(url, allow_remote=False)
        ensure_local_url(url, allow_remote=True)
