"""The operation deadline, seen from below the schema.

A request has one deadline (an absolute ``loop.time()``); the loaders run each carrier
batch under it, and set it in a context variable so the transport can keep retry
back-offs inside it. Tasks an adapter starts inherit it, like any context variable.
"""

from __future__ import annotations

import asyncio
import contextvars
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["remaining", "within"]

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "switchboard_deadline", default=None
)


@contextmanager
def within(deadline: float | None) -> Iterator[None]:
    """Make ``deadline`` (``loop.time()`` based; None: none) the current one."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (None without one; may be negative)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    return deadline - asyncio.get_running_loop().time()
