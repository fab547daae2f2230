"""The cyclic garbage collector, told what start-up built.

Start-up builds a few hundred thousand long-lived objects (the schema and its audience
views, the directory snapshot, carrier specs and clients) that no request frees. Left in
the collector's generations, every full collection walks all of them again (~160 ms each,
measured from outside: the dashboard's latency tail). Once the runtime is built,
:func:`settled` moves everything alive into the permanent generation (``gc.freeze``);
leaving the context unfreezes, so a stopped runtime can be freed.

While it is settled, the young generation is collected after 5,000 net allocations
instead of 700. A dashboard request holds a few thousand young objects until it is
answered (records, nodes, futures), and at 700 the collector walked them several times
per request, about 0.4 ms of the W1 dashboard's CPU. Once an answered request lets go of
what it fetched (``GatewayContext.release``) it leaves a few dozen objects of cyclic
garbage, so a larger young generation costs little memory. (Before that release, a
larger threshold let whole requests' records pile up in cycles: more CPU and 25-35 MiB.)
"""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["YOUNG_THRESHOLD", "settled"]

YOUNG_THRESHOLD = 5_000
"""Net allocations between collections of the youngest generation, once settled."""


@contextlib.contextmanager
def settled() -> Iterator[None]:
    """Freeze what exists now and widen the young generation, until exit."""
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
