"""The collector pause around an import: always undone, and only by the last of several."""

from __future__ import annotations

import gc

import pytest

from bot.workflows.gc_pause import gc_paused


def test_paused_inside_and_resumed_after_even_on_failure() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("MSX went away")
    assert gc.isenabled()


def test_overlapping_pauses_resume_when_the_last_ends() -> None:
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # two refreshes at once: the first ends early
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
