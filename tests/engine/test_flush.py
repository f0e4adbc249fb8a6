from __future__ import annotations

import json

import pytest
import redis

from pmkv.engine import manager
from pmkv.engine.config import layout
from pmkv.engine.errors import NotRunning
from pmkv.engine.flush import flush
from pmkv.settings import Settings
from tests.support.engine import run_engine


def test_flush_removes_everything_and_counts_it(settings: Settings) -> None:
    info = manager.start(settings)
    client = redis.Redis(port=info.port)
    client.mset({f"pm:story:{i}": "x" for i in range(7)})
    result = flush(settings)
    assert (result.removed, result.port, result.pid) == (7, info.port, info.pid)
    assert client.dbsize() == 0
    client.close()


def test_flush_without_an_engine_refuses(settings: Settings) -> None:
    with pytest.raises(NotRunning) as caught:
        flush(settings)
    assert caught.value.hint is not None
    assert "pmkv redis start" in caught.value.hint


def test_flush_refuses_an_engine_that_is_not_ours(settings: Settings) -> None:
    ours = manager.start(settings)
    where = layout(settings)
    with run_engine(where.home / "foreign") as foreign:
        client = redis.Redis(port=foreign.port)
        client.set("someone-elses", "data")
        # Our state file, but pointing at the foreign engine's port.
        state = json.loads(where.engine_state.read_text())
        state["port"] = foreign.port
        where.engine_state.write_text(json.dumps(state))
        with pytest.raises(NotRunning):
            flush(settings)
        assert client.get("someone-elses") == b"data"
        client.close()
    state["port"] = ours.port
    where.engine_state.write_text(json.dumps(state))
