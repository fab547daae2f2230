"""The cyclic garbage collector, told what start-up built.

Start-up builds a few hundred thousand long-lived objects (the schema and its audience
views, the directory snapshot, carrier specs and clients) that no request frees. Left in
the collector's generations, every full collection walks all of them again: measured on
the dashboard, collections cost as much CPU as executing the query. Once the runtime is
built, :func:`settled` moves everything alive into the permanent generation
(``gc.freeze``), and raises the young-generation threshold so a request's short-lived
records, which reference counting frees anyway, do not trigger collections every few
hundred allocations. Leaving the context unfreezes, so a stopped runtime can be freed.
"""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["YOUNG_THRESHOLD", "settled"]

YOUNG_THRESHOLD = 50_000
"""Allocations (net of frees) of container objects between young collections (700 by default)."""


@contextlib.contextmanager
def settled() -> Iterator[None]:
    """Freeze what exists now and collect the young generation less often, until exit."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
