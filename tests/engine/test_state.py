from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pmkv.engine.state import ProcessState, clear_state, load_state, save_state

_text = st.text(max_size=40)
states = st.builds(
    ProcessState,
    pid=st.integers(1, 2**22),
    port=st.integers(1, 65535),
    create_time=st.floats(0, 2e9, allow_nan=False),
    started_at=_text,
    log_path=_text,
    command=st.lists(_text, max_size=6),
    version=_text,
    binary=_text,
    binary_source=_text,
    data_dir=_text,
    engine_port=st.integers(0, 65535),
    token_sha256=_text,
)


@given(state=states)
def test_state_round_trips_through_its_file(state: ProcessState) -> None:
    # A fresh folder per example (function-scoped tmp_path is shared across examples).
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "engine.json"
        save_state(path, state)
        assert load_state(path) == state


def test_missing_or_garbled_state_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    assert load_state(path) is None
    path.write_text("{not json")
    assert load_state(path) is None
    path.write_text('["a list"]')
    assert load_state(path) is None
    path.write_text('{"pid": 1}')  # fields missing
    assert load_state(path) is None
    clear_state(path)
    clear_state(path)  # twice is fine
    assert not path.exists()


def test_unknown_fields_from_a_newer_pmkv_are_ignored(tmp_path: Path) -> None:
    state = ProcessState(1, 2, 3.0, "t", "log", ["x"])
    path = tmp_path / "engine.json"
    save_state(path, state)
    path.write_text(path.read_text().replace('"pid"', '"future_field": 1, "pid"'))
    assert load_state(path) == state
