from __future__ import annotations

import threading

from pmkv.engine import manager
from pmkv.engine.config import layout
from pmkv.engine.logs import follow, log_lines
from pmkv.settings import Settings


def test_log_lines_show_the_engine_becoming_ready(settings: Settings) -> None:
    manager.start(settings)
    lines = log_lines(settings, 200)
    assert any("Ready to accept connections" in line for line in lines)
    assert len(log_lines(settings, 2)) == 2


def test_log_lines_of_a_home_without_logs_are_empty(settings: Settings) -> None:
    assert log_lines(settings) == []


def test_follow_yields_lines_appended_later(settings: Settings) -> None:
    log = layout(settings).engine_log
    log.parent.mkdir(parents=True)
    log.write_text("old line\n")

    def append() -> None:
        with log.open("a") as handle:
            handle.write("new line 1\nnew ")
            handle.flush()
            handle.write("line 2\n")

    lines = follow(settings, poll=0.01)
    append_later = threading.Timer(0.1, append)
    append_later.start()
    try:
        assert next(lines) == "new line 1"
        assert next(lines) == "new line 2"
    finally:
        append_later.cancel()
        lines.close()
