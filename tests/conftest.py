"""Session-wide real parts: one engine and one gateway in front of it.

Tests that need isolation from each other flush the engine themselves (see the
``clean_engine`` fixture) or start their own with the helpers in ``tests.support``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.engine import RunningEngine, run_engine
from tests.support.gateway import RunningGateway, run_gateway

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def fixture_pm() -> Path:
    """The real pm/ tree from the app's public history (read-only)."""
    candidates = [
        REPO.parent / "shared" / "fixtures" / "pm-public-2025-12-10" / "pm",
        REPO / "tests" / "data" / "pm-public-2025-12-10" / "pm",
    ]
    for path in candidates:
        if path.is_dir():
            return path
    pytest.fail("the fixture tree pm-public-2025-12-10 is missing")


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    with run_engine(tmp_path_factory.mktemp("engine")) as running:
        yield running


@pytest.fixture(scope="session")
def gateway(
    engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    with run_gateway(engine.url, tmp_path_factory.mktemp("gateway")) as running:
        yield running


@pytest.fixture
def engine_client(engine: RunningEngine) -> Iterator[redis.Redis]:
    """A direct RESP client for assertions about what reached the engine."""
    client = redis.Redis(port=engine.port, decode_responses=False)
    yield client
    client.close()


@pytest.fixture
def clean_engine(engine_client: redis.Redis) -> redis.Redis:
    engine_client.flushall()
    return engine_client
