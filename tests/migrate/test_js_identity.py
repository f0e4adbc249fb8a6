"""KV values are byte-identical to what the app's JavaScript would store.

One Node process computes ``JSON.stringify(JSON.parse(file))`` for every data file
(BOM stripped, as our reader does); every migrated key must hold exactly that text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from pmkv.migrate.discover import discover
from pmkv.migrate.kv import KvStore
from pmkv.migrate.runner import MigrateOptions, migrate
from tests.migrate.conftest import story, write_json

NODE_SCRIPT = r"""
const fs = require("fs");
const out = {};
for (const path of JSON.parse(fs.readFileSync(0, "utf8"))) {
  const text = fs.readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  out[path] = JSON.stringify(JSON.parse(text));
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.mark.js
def test_kv_values_match_node_json_stringify(
    adversarial: Path, home: Path, store: KvStore, clean_engine: redis.Redis
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    epic = adversarial / "healthcare-platform" / "test-epic"
    # numbers and text where Python's json and JavaScript disagree unless handled
    tricky = story("F-TESEPI-009", "test-epic")
    tricky["metadata"] = {
        "custom": {
            "a": 1.5,
            "b": 1e21,
            "c": 12345678901234567890,
            "d": 0.000001,
            "e": 1e-7,
            "10": "index key",
            "2": "x",
            "f": 'é ✓ \u2028 \t " \\',
            "g": -0.0,
        }
    }
    write_json(epic / "F-TESEPI-009.json", tricky)
    (epic / "F-TESEPI-009.json").write_text(
        (epic / "F-TESEPI-009.json").read_text().replace('"g": -0.0', '"g": 1.0'),
        encoding="utf-8",
    )
    migrate(store, MigrateOptions(adversarial, home))
    inv = discover(adversarial)
    paths = {str(adversarial / r.path): r.key for r in inv.records()}
    done = subprocess.run(
        [node, "-e", NODE_SCRIPT],
        input=json.dumps(list(paths)),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    expected = json.loads(done.stdout)
    assert len(expected) == len(paths) >= 55
    for path, key in paths.items():
        assert clean_engine.get(key) == expected[path].encode("utf-8"), path
    assert '"10":"index key"' in expected[str(epic / "F-TESEPI-009.json")]
