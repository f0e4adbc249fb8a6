"""Process settings for bulk work: the cyclic garbage collector and glibc's malloc.

Applied where pmkv owns the process (the gateway, the story workers, the ``pmkv migrate``
command) or, for the collector, for the length of a migration.

**Garbage collection.** CPython's cyclic collector runs every 700 net allocations of
container objects, and now and then walks every tracked object. Bulk work allocates by
the million objects that hold no reference cycles (per request in the gateway; records,
plan entries and digests in a migration), freed by reference counting, so those runs
find nothing: they only rescan what is alive. Measured on a 100,000-story migration:
~300 collections taking 0.3-0.7 s of the migrating process (2026-11-26); with the
objects alive at the start frozen and the thresholds below, 4 and < 0.15 s.

**malloc.** Requests and replies of a few MB (a 500-value MGET answer, a 500-story MSET
body) are short-lived buffers. glibc serves blocks above its mmap threshold (128 KiB,
raised dynamically up to a few MB) with fresh ``mmap`` pages and gives the heap top back
to the kernel past its trim threshold, so each large buffer paid for its pages again:
page faults, which are slow in a VM. Measured on this machine (2 cores, a VM), building
that MGET answer took 3.0 ms with the defaults and 1.3 ms with the thresholds below;
encoding a story worker's write request 3.65 against 2.8-3.1 µs a story. The cost is that
up to ``TRIM`` bytes of freed heap stay with the process.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("pmkv")

# a young collection every 50,000 net allocations instead of 700; the older
# generations as often as before, relative to it
GC_THRESHOLDS = (50_000, 20, 100)

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks below this come from the heap, which reuses freed memory without faults.
MMAP_THRESHOLD = 16 * 1024 * 1024
# Free memory at the heap top is given back only past this.
TRIM = 64 * 1024 * 1024


def relax_gc() -> None:
    """For the rest of this process: what is alive now is never scanned again, and the
    collector runs less often (a server, a worker process)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


_relaxed_lock = threading.Lock()
_relaxed_depth = 0
_relaxed_before: tuple[tuple[int, ...], bool] = ((), False)


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """:func:`relax_gc` for the length of a ``with`` block, then the previous thresholds.

    Blocks may overlap (two migrations on two threads): the last one out restores. What
    was frozen is unfrozen only if nothing was frozen before the first block began (a
    program that freezes its own objects keeps them frozen).
    """
    global _relaxed_depth, _relaxed_before
    with _relaxed_lock:
        if _relaxed_depth == 0:
            _relaxed_before = (gc.get_threshold(), gc.get_freeze_count() == 0)
            relax_gc()
        _relaxed_depth += 1
    try:
        yield
    finally:
        with _relaxed_lock:
            _relaxed_depth -= 1
            if _relaxed_depth == 0:
                thresholds, unfreeze = _relaxed_before
                gc.set_threshold(*thresholds)
                if unfreeze:
                    gc.unfreeze()


def tune_malloc() -> bool:
    """Apply the malloc thresholds; False (and nothing changed) where libc is not glibc."""
    try:
        # the symbols this process already has (libc's among them): no library search,
        # which runs ldconfig (~10 ms, paid again by every worker process)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows): defaults
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM))
    log.debug("malloc thresholds %s", "set" if ok else "refused")
    return ok
