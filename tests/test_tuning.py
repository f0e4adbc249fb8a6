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


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_thresholds_apply_on_glibc() -> None:
    assert tuning.tune_malloc() is True
