"""Paginators: every way a carrier splits a list, driven by the carrier file's ``paging``.

One function walks any of them: :func:`collect` asks for the first page, then the
rest as the paging style allows: all at once when the carrier says up front how many
there are (``offset`` with a total header, ``page`` with a page count), one after
another when each page names the next (``cursor``, ``link_header``). Adapters supply
how to fetch a page and where the records sit in it; they never loop themselves.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connectors.errors import UpstreamInvalid
from connectors.specs.common import (
    CursorPaging,
    LinkHeaderPaging,
    NoPaging,
    OffsetPaging,
    PagePaging,
)

if TYPE_CHECKING:
    from connectors.specs.common import PagingSpec
    from connectors.transport import JsonPage

__all__ = ["FetchPage", "Items", "collect", "field_at"]

FetchPage = Callable[[Mapping[str, str], str | None], Awaitable["JsonPage"]]
"""Fetch one page: query parameters, and an absolute URL when the carrier gave one."""

Items = Callable[["JsonPage"], Sequence[Any]]
"""The records of one page (raises UpstreamInvalid when the page has the wrong shape)."""

_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def field_at(body: object, path: str) -> object:
    """The value at a dotted path of a JSON document (None when any step is missing)."""
    value = body
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _int(value: object, carrier: str, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise UpstreamInvalid(
        f"carrier '{carrier}' sent a non-numeric {field}", carrier=carrier, field=field
    )


def _too_many(carrier: str, limit: int) -> UpstreamInvalid:
    return UpstreamInvalid(f"carrier '{carrier}' kept paging past {limit} pages", carrier=carrier)


async def collect(
    paging: PagingSpec,
    fetch: FetchPage,
    items: Items,
    params: Mapping[str, str],
    *,
    carrier: str,
) -> list[Any]:
    """Every record of a list, however the carrier pages it.

    Raises:
        UpstreamInvalid: a page of the wrong shape, an unreadable total or cursor, or
            more pages than ``paging.max_pages``.
        UpstreamError: any page failed (from ``fetch``).
    """
    match paging:
        case NoPaging():
            return list(items(await fetch(params, None)))
        case OffsetPaging():
            return await _offset(paging, fetch, items, params, carrier)
        case PagePaging():
            return await _numbered(paging, fetch, items, params, carrier)
        case CursorPaging():
            return await _cursor(paging, fetch, items, params, carrier)
        case LinkHeaderPaging():
            return await _links(paging, fetch, items, params, carrier)


async def _offset(
    paging: OffsetPaging, fetch: FetchPage, items: Items, params: Mapping[str, str], carrier: str
) -> list[Any]:
    size = paging.page_size
    base = {**params, paging.limit_param: str(size)}
    first = await fetch(base | {paging.offset_param: "0"}, None)
    records = list(items(first))
    header = paging.total_header
    raw = first.headers.get(header) if header else None
    total = None if raw is None else _int(raw, carrier, str(header))
    if total is not None and len(records) == size:
        offsets = range(len(records), total, size)
        if len(offsets) >= paging.max_pages:
            raise _too_many(carrier, paging.max_pages)
        pages = await asyncio.gather(
            *(fetch(base | {paging.offset_param: str(o)}, None) for o in offsets)
        )
        for page in pages:
            records.extend(items(page))
        return records
    count, last = 1, len(records)
    while total is None and last == size:
        if count >= paging.max_pages:
            raise _too_many(carrier, paging.max_pages)
        found = items(await fetch(base | {paging.offset_param: str(len(records))}, None))
        records.extend(found)
        count, last = count + 1, len(found)
    return records


async def _numbered(
    paging: PagePaging, fetch: FetchPage, items: Items, params: Mapping[str, str], carrier: str
) -> list[Any]:
    size = paging.page_size
    base = {**params, paging.size_param: str(size)}
    first_number = paging.first_page
    first = await fetch(base | {paging.page_param: str(first_number)}, None)
    records = list(items(first))
    if paging.total_pages_field is not None:
        pages_total = _int(
            field_at(first.body, paging.total_pages_field), carrier, paging.total_pages_field
        )
        numbers = range(first_number + 1, first_number + pages_total)
        if len(numbers) >= paging.max_pages:
            raise _too_many(carrier, paging.max_pages)
        pages = await asyncio.gather(
            *(fetch(base | {paging.page_param: str(n)}, None) for n in numbers)
        )
        for page in pages:
            records.extend(items(page))
        return records
    number, last = first_number, len(records)
    while last == size:
        number += 1
        if number - first_number >= paging.max_pages:
            raise _too_many(carrier, paging.max_pages)
        found = items(await fetch(base | {paging.page_param: str(number)}, None))
        records.extend(found)
        last = len(found)
    return records


async def _cursor(
    paging: CursorPaging, fetch: FetchPage, items: Items, params: Mapping[str, str], carrier: str
) -> list[Any]:
    base = {**params, paging.limit_param: str(paging.page_size)}
    page = await fetch(base, None)
    records = list(items(page))
    for _ in range(paging.max_pages):
        cursor = field_at(page.body, paging.next_cursor_field)
        if cursor is None or cursor == "":
            return records
        if not isinstance(cursor, str | int):
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent an unreadable paging cursor",
                carrier=carrier,
                field=paging.next_cursor_field,
            )
        page = await fetch(base | {paging.cursor_param: str(cursor)}, None)
        records.extend(items(page))
    raise _too_many(carrier, paging.max_pages)


async def _links(
    paging: LinkHeaderPaging,
    fetch: FetchPage,
    items: Items,
    params: Mapping[str, str],
    carrier: str,
) -> list[Any]:
    base = {**params, paging.limit_param: str(paging.page_size)}
    page = await fetch(base, None)
    records = list(items(page))
    for _ in range(paging.max_pages):
        match = _NEXT_LINK.search(page.headers.get("link", ""))
        if match is None:
            return records
        page = await fetch({}, match.group(1))
        records.extend(items(page))
    raise _too_many(carrier, paging.max_pages)
