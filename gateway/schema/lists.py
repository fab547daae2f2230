"""One recipe for every record list: fetch, filter, order, slice into a connection.

Each domain module declares a :class:`RecordList` (which batch question, how to
filter and order, how to build a node) and gets both list shapes from it: one
account's records, and many accounts merged across carriers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from strawberry.types import Info

from connectors.base import Fetch
from connectors.models import AccountLink
from gateway.context import GatewayContext
from gateway.schema.common import Connection, connection, public_carrier
from gateway.schema.gather import account_records, merged_records
from gateway.schema.nodes import Page, page_of

__all__ = [
    "PageArgs",
    "RecordList",
    "among",
    "between",
    "day_of",
    "equals",
    "narrow",
    "newest_first",
]

R = TypeVar("R")
N = TypeVar("N")
F = TypeVar("F", bound="CarrierFiltered")
Ctx = Info[GatewayContext, None]


V = TypeVar("V")
Condition = Callable[[R], bool] | None


def narrow(records: Iterable[R], *conditions: Condition[R]) -> list[R]:
    """The records meeting every condition asked for (``None``: not asked), in one pass."""
    asked = [c for c in conditions if c is not None]
    return [r for r in records if all(c(r) for c in asked)]


def among(values: Iterable[V] | None, key: Callable[[R], V | None]) -> Condition[R]:
    """``key(record)`` is one of ``values`` (no condition when ``values`` is None)."""
    if values is None:
        return None
    wanted = set(values)
    return lambda r: key(r) in wanted


def equals(value: V | None, key: Callable[[R], V | None]) -> Condition[R]:
    """``key(record)`` is ``value`` (no condition when ``value`` is None)."""
    if value is None:
        return None
    return lambda r: key(r) == value


def between(start: date | None, end: date | None, day: Callable[[R], date | None]) -> Condition[R]:
    """``day(record)`` within ``[start, end]``, either end open (a record without one: out)."""
    if start is None and end is None:
        return None

    def within(record: R) -> bool:
        value = day(record)
        return (
            value is not None
            and (start is None or value >= start)
            and (end is None or value <= end)
        )

    return within


def day_of(instant: datetime | None) -> date | None:
    """The UTC calendar day of an instant a carrier may not have given."""
    return None if instant is None else instant.date()


def newest_first(instant: datetime | None) -> float:
    """Sort key: later instants first, records without one last."""
    return math.inf if instant is None else -instant.timestamp()


class CarrierFiltered(Protocol):
    """A filter input that can narrow by carrier code."""

    carrier: list[str] | None


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Relay paging arguments of one connection field."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class RecordList(Generic[R, N, F]):
    """How one kind of record becomes a connection."""

    what: Fetch[R]
    select: Callable[[Iterable[R], F | None, datetime], list[R]]
    make: Callable[[GatewayContext, R], N]
    prepare: Callable[[Ctx, Sequence[R]], Awaitable[None]] | None = None
    """Loads what ``make`` needs beyond the records, for one page at once (optional)."""

    async def _connection(
        self, info: Ctx, records: Sequence[R], f: F | None, args: PageArgs
    ) -> Connection[N]:
        ctx = info.context
        page = page_of(
            self.select(records, f, ctx.now),
            lambda r: r,
            first=args.first,
            after=args.after,
            last=args.last,
            before=args.before,
        )
        if self.prepare is not None:
            await self.prepare(info, [r for _, r in page.edges])
        make = self.make
        return connection(
            Page([(c, make(ctx, r)) for c, r in page.edges], page.page_info, page.total_count)
        )

    async def of_account(
        self, info: Ctx, carrier: str, account_number: str, args: PageArgs, f: F | None
    ) -> Connection[N]:
        """One account's records; a carrier failure is this field's error."""
        records = await account_records(info, carrier, account_number, self.what)
        return await self._connection(info, records, f, args)

    async def of_links(
        self, info: Ctx, links: Iterable[AccountLink], args: PageArgs, f: F | None
    ) -> Connection[N]:
        """Records of many accounts across carriers; failing carriers are reported."""
        if f is not None and f.carrier is not None:
            ctx = info.context
            asked = set(f.carrier)
            wanted = {link.carrier for link in links if public_carrier(ctx, link.carrier) in asked}
            links = [link for link in links if link.carrier in wanted]
            if ctx.mask is not None:  # the records carry real ids: filter on those
                f = dataclasses.replace(f, carrier=sorted(wanted))  # type: ignore[type-var]
        records = await merged_records(info, links, self.what)
        return await self._connection(info, records, f, args)
