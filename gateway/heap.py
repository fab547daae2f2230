"""The cyclic garbage collector, told what start-up built.

Start-up builds a few hundred thousand long-lived objects (the schema and its audience
views, the directory snapshot, carrier specs and clients) that no request frees. Left in
the collector's generations, every full collection walks all of them again (~160 ms each,
measured from outside: the dashboard's latency tail). Once the runtime is built,
:func:`settled` moves everything alive into the permanent generation (``gc.freeze``);
leaving the context unfreezes, so a stopped runtime can be freed.

The young-generation threshold stays Python's: raising it (5,000 and 20,000 were tried on
the W1 dashboard) let cyclic garbage pile up between collections, which cost more CPU
per request than the collections saved and 25-35 MiB of RSS (BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["settled"]


@contextlib.contextmanager
def settled() -> Iterator[None]:
    """Freeze what exists now out of the collector's reach, until exit."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
