"""The collector is told what start-up built, and given back its settings on exit."""

from __future__ import annotations

import gc

from gateway.heap import YOUNG_THRESHOLD, settled


def test_settled_freezes_and_widens_the_young_generation_until_exit() -> None:
    before = gc.get_threshold()
    kept = [object() for _ in range(10)]  # something alive to freeze
    with settled():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert kept
