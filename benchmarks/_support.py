"""Plumbing the benchmark scripts share: free ports, a throwaway engine + gateway, a
scratch folder, the ``--repeat/--json`` command line, timing, reading a JSON tree, and
the ruled plain-text table.

The scripts run as ``python benchmarks/X.py``, so this folder is on ``sys.path`` and
they import it as ``from _support import ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pmkv.engine import stack
from pmkv.engine.stack import StackInfo
from pmkv.settings import Settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def repeat_parser(doc: str | None, repeat: int) -> argparse.ArgumentParser:
    """The command line of the scripts that take only ``--repeat N`` and ``--json``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--json", action="store_true")
    return parser


@contextmanager
def scratch(name: str, base: Path | None = None) -> Iterator[Path]:
    """A new folder ``pmkv-bench-<name>-*`` (under ``base``), removed on exit."""
    with tempfile.TemporaryDirectory(
        prefix=f"pmkv-bench-{name}-", dir=base, ignore_cleanup_errors=True
    ) as tmp:
        yield Path(tmp)


@contextmanager
def local_stack(work: Path) -> Iterator[StackInfo]:
    """valkey + the pmkv gateway (``pmkv.engine.stack``) on free ports, home under
    ``work/stack``; both are stopped on exit, however the benchmark ends."""
    settings = Settings(home=work / "stack", gateway_port=free_port(), engine_port=free_port())
    try:
        yield stack.up(settings)
    finally:
        stack.down(settings)


def elapsed_ms(fn: Callable[[], object]) -> float:
    """Milliseconds one call of ``fn`` takes."""
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def read_json_tree(tree: Path) -> int:
    """Read and ``json.loads`` every ``.json`` file under ``tree`` (the floor any
    migration or generator is compared with); returns how many files."""
    count = 0
    for folder, _dirs, names in os.walk(tree):
        for name in names:
            if name.endswith(".json"):
                with open(os.path.join(folder, name), "rb") as handle:
                    json.loads(handle.read())
                count += 1
    return count


def ruled(head: str, lines: list[str]) -> str:
    """A plain table: the header, a dashed rule as wide as it, then the lines."""
    return "\n".join([head, "-" * len(head), *lines])
