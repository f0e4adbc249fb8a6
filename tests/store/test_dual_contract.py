"""The store contract suite, run once more against DualStore.

Every test of ``tests/store/test_contract.py`` is imported here and runs with this
module's ``store_spec`` (a DualStore over real files in ``tmp_path`` and the real
gateway + engine), which overrides the suite's parametrized one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.support import StoreSpec
from tests.store.test_contract import *  # noqa: F403  -- the same tests, on DualStore
from tests.store.test_dual_support import DualSpec
from tests.support.gateway import RunningGateway


@pytest.fixture
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    gateway: RunningGateway = request.getfixturevalue("gateway")
    request.getfixturevalue("clean_engine")
    root = tmp_path / "pm"
    root.mkdir()
    return DualSpec(
        "dual",
        root=str(root),
        lock_path=str(tmp_path / "pm.lock"),
        url=gateway.url,
        token=gateway.token,
        home=str(tmp_path / "home"),
    )
