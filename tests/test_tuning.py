"""Process tuning: the collector's settings come back after a migration's block."""

from __future__ import annotations

import gc
import platform

import pytest

from pmkv import tuning


def test_relaxed_gc_restores_the_collector() -> None:
    before = gc.get_threshold()
    with tuning.relaxed_gc():
        assert gc.get_threshold() == tuning.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0  # what was alive is out of the collector's way
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_relaxed_gc_restores_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), tuning.relaxed_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_overlapping_blocks_restore_once_the_last_ends() -> None:
    before = gc.get_threshold()
    first, second = tuning.relaxed_gc(), tuning.relaxed_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # not nested: the first one ends first
    assert gc.get_threshold() == tuning.GC_THRESHOLDS  # the second is still running
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_program_that_froze_its_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        with tuning.relaxed_gc():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_thresholds_apply_on_glibc() -> None:
    assert tuning.tune_malloc() is True
