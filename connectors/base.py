"""The connector protocol: declared capabilities plus batch fetches keyed by the caller.

The graph never asks a carrier for one record at a time. A DataLoader gathers every
key asked for in one tick and hands them to :meth:`Connector.fetch` in one call; the
adapter turns that into as few wire requests as its protocol allows (usually one,
plus paging) and answers with the records grouped by key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar, cast

from connectors.models import (
    Carrier,
    CarrierAccount,
    Invoice,
    InvoiceLine,
    Order,
    Quote,
    Resource,
    Service,
    TroubleTicket,
    UsageRecord,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterable, Mapping, Sequence

    from connectors.errors import UpstreamInvalid

__all__ = [
    "ACCOUNTS_BY_ID",
    "INVOICES_BY_ACCOUNT",
    "INVOICES_BY_ID",
    "INVOICE_LINES_BY_INVOICE",
    "ORDERS_BY_ACCOUNT",
    "ORDERS_BY_ID",
    "QUOTES_BY_ACCOUNT",
    "QUOTES_BY_ID",
    "SERVICES_BY_ACCOUNT",
    "SERVICES_BY_ID",
    "TICKETS_BY_ACCOUNT",
    "TICKETS_BY_ID",
    "USAGE_BY_ACCOUNT",
    "Connector",
    "Fetch",
    "Records",
    "chunked",
    "dropped_of",
    "together",
]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")
R = TypeVar("R")

KeyKind = Literal["account", "id", "invoice"]


@dataclass(frozen=True, slots=True)
class Fetch(Generic[T]):
    """One kind of batch question: which resource, keyed by what, answered with which record.

    Example:
        >>> SERVICES_BY_ACCOUNT.resource
        <Resource.SERVICES: 'services'>
    """

    resource: Resource
    key: KeyKind
    record: type[T]

    @property
    def name(self) -> str:
        """A stable label for logs, metrics and loader keys."""
        return f"{self.resource.value}_by_{self.key}"

    def key_of(self, record: T) -> str:
        """The key a record answers: its account for by-account questions, else its own id.

        Invoice lines hold no invoice number; adapters pair them with it themselves.
        """
        field = "account_number" if self.key == "account" else _ID_FIELDS[self.resource]
        return cast("str", getattr(record, field))


_ID_FIELDS: dict[Resource, str] = {
    Resource.ACCOUNTS: "account_number",
    Resource.SERVICES: "service_id",
    Resource.INVOICES: "invoice_number",
    Resource.ORDERS: "order_id",
    Resource.TICKETS: "ticket_id",
    Resource.USAGE: "usage_id",
    Resource.QUOTES: "quote_id",
}


class Records(tuple[T_co, ...]):
    """The records behind one key, plus the records the carrier sent that could not be read.

    A record whose identity (its id, its account link) cannot be read is left out of the
    answer, never a reason to drop its readable neighbours; the error for each such record
    rides along in ``dropped`` so the graph can report it once at the list's path. Adapters
    return a plain tuple or list when nothing was dropped.

    Example:
        >>> bad = UpstreamInvalid("unreadable id", carrier="c", record="x")
        >>> Records((), dropped=[bad]).dropped[0].record
        'x'
    """

    dropped: tuple[UpstreamInvalid, ...]

    def __new__(
        cls, records: Iterable[T_co] = (), *, dropped: Iterable[UpstreamInvalid] = ()
    ) -> Records[T_co]:
        made = super().__new__(cls, records)
        made.dropped = tuple(dropped)
        return made


def dropped_of(records: Sequence[object]) -> tuple[UpstreamInvalid, ...]:
    """The unreadable records reported beside ``records`` (none for a plain sequence)."""
    return records.dropped if isinstance(records, Records) else ()


def chunked(keys: Sequence[str], size: int) -> list[Sequence[str]]:
    """Keys in batches of at most ``size`` (a carrier's ``max_keys_per_call``)."""
    return [keys[start : start + size] for start in range(0, len(keys), size)]


async def together(calls: Sequence[Awaitable[R]]) -> list[R]:
    """``asyncio.gather`` of the calls, without a task when there is only one.

    Most batches are one chunk (a dashboard asks each carrier about one account), and a
    task costs more than the call's own bookkeeping.
    """
    if len(calls) == 1:
        return [await calls[0]]
    return list(await asyncio.gather(*calls))


ACCOUNTS_BY_ID = Fetch(Resource.ACCOUNTS, "id", CarrierAccount)
SERVICES_BY_ACCOUNT = Fetch(Resource.SERVICES, "account", Service)
SERVICES_BY_ID = Fetch(Resource.SERVICES, "id", Service)
INVOICES_BY_ACCOUNT = Fetch(Resource.INVOICES, "account", Invoice)
INVOICES_BY_ID = Fetch(Resource.INVOICES, "id", Invoice)
INVOICE_LINES_BY_INVOICE = Fetch(Resource.INVOICE_LINES, "invoice", InvoiceLine)
ORDERS_BY_ACCOUNT = Fetch(Resource.ORDERS, "account", Order)
ORDERS_BY_ID = Fetch(Resource.ORDERS, "id", Order)
TICKETS_BY_ACCOUNT = Fetch(Resource.TICKETS, "account", TroubleTicket)
TICKETS_BY_ID = Fetch(Resource.TICKETS, "id", TroubleTicket)
USAGE_BY_ACCOUNT = Fetch(Resource.USAGE, "account", UsageRecord)
QUOTES_BY_ACCOUNT = Fetch(Resource.QUOTES, "account", Quote)
QUOTES_BY_ID = Fetch(Resource.QUOTES, "id", Quote)


class Connector(Protocol):
    """What every carrier connector offers, whatever protocol it speaks."""

    @property
    def carrier(self) -> Carrier:
        """The carrier this connector reaches, with its declared capabilities."""
        ...

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        """Answer one batch question for many keys at once.

        Args:
            what: the resource and the kind of key.
            keys: distinct account numbers, record ids or invoice numbers.

        Returns:
            The records for each key; a key with nothing behind it maps to an empty
            sequence (or is absent).

        Raises:
            NotSupportedByCarrier: the carrier does not declare ``what.resource``.
            UpstreamError: the carrier failed, timed out or sent an invalid payload.
        """
        ...

    async def aclose(self) -> None:
        """Release pooled connections."""
        ...
