"""Relay plumbing: the ``Node`` interface, opaque global IDs, cursors and connections.

Global IDs are URL-safe base64 of ``Type:part[:part]`` (for carrier records the
carrier id and the carrier's own key), opaque to clients and stable across
restarts. Connections slice an already filtered and ordered list the way the Relay
cursor connection spec describes (``first``/``after`` and ``last``/``before``), and
build GraphQL objects only for the page they return.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from gateway.schema.errors import bad_user_input

__all__ = [
    "MAX_PAGE_SIZE",
    "Node",
    "PageInfo",
    "decode_id",
    "encode_id",
    "page_of",
]

R = TypeVar("R")
N = TypeVar("N")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_CURSOR_PREFIX = "sb1:"


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@functools.lru_cache(maxsize=65536)
def encode_id(type_name: str, *parts: str) -> strawberry.ID:
    """The opaque global ID of a node (the same records come back request after request)."""
    raw = ":".join((type_name, *parts)).encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode_id(global_id: str) -> tuple[str, list[str]]:
    """Split a global ID into its type name and parts.

    Raises:
        GraphQLError: ``BAD_USER_INPUT`` when the ID is not one this gateway issued.
    """
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise bad_user_input(f"'{global_id[:80]}' is not a valid ID") from None
    type_name, sep, rest = raw.partition(":")
    if not sep or not type_name or not rest:
        raise bad_user_input(f"'{global_id[:80]}' is not a valid ID")
    return type_name, rest.split(":", 1)


@functools.lru_cache(maxsize=4096)
def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def _offset(cursor: str, arg: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
        if raw.startswith(_CURSOR_PREFIX):
            return int(raw[len(_CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise bad_user_input(f"'{arg}' is not a cursor from this connection", argument=arg)


class Page(Generic[N]):
    """One page of a connection: its nodes with their cursors, page info and total."""

    __slots__ = ("edges", "page_info", "total_count")

    def __init__(self, edges: list[tuple[str, N]], page_info: PageInfo, total_count: int) -> None:
        self.edges = edges
        self.page_info = page_info
        self.total_count = total_count


def page_of(
    records: Sequence[R],
    make: Callable[[R], N],
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Page[N]:
    """Slice ``records`` per the Relay cursor connection spec and build only that page.

    Raises:
        GraphQLError: ``BAD_USER_INPUT`` for negative or too large ``first``/``last`` or a
            cursor this gateway did not issue.
    """
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise bad_user_input(f"'{name}' must be between 0 and {MAX_PAGE_SIZE}", argument=name)
    total = len(records)
    start, end = 0, total
    if after is not None:
        start = max(start, min(_offset(after, "after") + 1, total))
    if before is not None:
        end = min(end, max(_offset(before, "before"), 0))
    end = max(end, start)
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    edges = [(_cursor(i), make(records[i])) for i in range(start, end)]
    info = PageInfo(
        has_next_page=end < total,
        has_previous_page=start > 0,
        start_cursor=edges[0][0] if edges else None,
        end_cursor=edges[-1][0] if edges else None,
    )
    return Page(edges, info, total)
