"""Where the engine keeps things and how it is configured.

Everything goes on the command line (no generated conf file to drift from what we
run); the exact argv is recorded in ``engine.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pmkv.settings import DEFAULT_ENGINE_PORT, Settings

HOST = "127.0.0.1"
# Process names we accept as an engine (valkey-server, redis-server, a wrapper).
ENGINE_NAMES = ("valkey", "redis")


@dataclass(frozen=True)
class Layout:
    """The files under ``<home>`` that the engine manager and the stack own."""

    home: Path

    @property
    def data_dir(self) -> Path:
        return self.home / "engine"

    @property
    def engine_log(self) -> Path:
        return self.data_dir / "engine.log"

    @property
    def engine_state(self) -> Path:
        return self.home / "engine.json"

    @property
    def engine_lock(self) -> Path:
        return self.home / "engine.lock"

    @property
    def gateway_state(self) -> Path:
        return self.home / "gateway.json"

    @property
    def gateway_log(self) -> Path:
        return self.home / "gateway.log"

    @property
    def stack_lock(self) -> Path:
        return self.home / "stack.lock"

    @property
    def token_file(self) -> Path:
        return self.home / "token"


def layout(settings: Settings) -> Layout:
    # Absolute, so state files stay valid whatever the caller's working directory.
    return Layout(settings.home.expanduser().absolute())


def default_port(settings: Settings) -> int:
    return settings.engine_port if settings.engine_port is not None else DEFAULT_ENGINE_PORT


def engine_argv(binary: Path, port: int, where: Layout) -> list[str]:
    """The engine's command line: loopback only, AOF every second, we manage the process."""
    options = {
        "port": str(port),
        "bind": HOST,
        "protected-mode": "yes",
        "daemonize": "no",
        "dir": str(where.data_dir),
        "logfile": str(where.engine_log),
        "appendonly": "yes",
        "appendfsync": "everysec",
        # The AOF is the persistence; periodic RDB snapshots would only duplicate it.
        "save": "",
        # A migration writes a whole tree in one burst (100,000 stories: ~200 MB of
        # log). At the default 64 MB floor the engine rewrote the log in a forked child
        # two or three times mid-burst, and that child's compression took as much CPU
        # as the engine itself (measured): on a developer machine, let the log reach
        # 1 GB (and double its last rewritten size) before compacting it.
        "auto-aof-rewrite-min-size": "1gb",
    }
    argv = [str(binary)]
    for name, value in options.items():
        argv += [f"--{name}", value]
    return argv
