"""Files one request already downloaded, for its later batches to read again.

Some carriers publish one file for many questions: a CSV carrier in the one-row-per-line
layout answers both invoices and their lines from the same monthly bill files, and its
index of files serves every export. A request asks those questions in different batches
(the lines only once the invoices are known), so without a memory shared between the
batches it downloads every month twice. The loaders of one request run each batch
:func:`within` the request's :class:`Downloads`; an adapter that reads shared files
asks :func:`current` for it. Outside a request (a lone ``fetch``, the naive benchmark)
there is none and every call goes to the carrier, as before.

Only complete answers are kept, so a failed download is tried again by the next batch,
and nothing outlives the request: a file is never older than the request reading it.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Downloads", "current", "within"]


class Downloads:
    """The bodies of the files a request downloaded, by carrier and path."""

    __slots__ = ("_bodies",)

    def __init__(self) -> None:
        self._bodies: dict[tuple[str, str], bytes] = {}

    def get(self, carrier: str, path: str) -> bytes | None:
        """What ``path`` of ``carrier`` answered earlier in this request, if it was fetched."""
        return self._bodies.get((carrier, path))

    def keep(self, carrier: str, path: str, body: bytes) -> None:
        """Remember what ``path`` answered, for the rest of the request."""
        self._bodies[(carrier, path)] = body

    def clear(self) -> None:
        """Forget every body (the request is answered)."""
        self._bodies.clear()


_CURRENT: contextvars.ContextVar[Downloads | None] = contextvars.ContextVar(
    "switchboard_downloads", default=None
)


@contextmanager
def within(downloads: Downloads | None) -> Iterator[None]:
    """Make ``downloads`` the current request's (None: none)."""
    token = _CURRENT.set(downloads)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Downloads | None:
    """The current request's downloads, or None outside a request's batches."""
    return _CURRENT.get()
