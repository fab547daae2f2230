"""The carrier account: one customer's account at one carrier, and its lists.

The account's identity (carrier, number, owner) comes from the directory and costs
nothing; its details (name, status, address) come from the carrier's account API
through a loader, only when a query asks for them. The lists are resolved by the
domain modules, imported when first resolved so that their types can point back here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.types import Info

from auth.policy import PUBLIC
from connectors import models
from connectors.base import ACCOUNTS_BY_ID
from gateway.context import GatewayContext
from gateway.schema.common import AccountStatus, Address, Carrier, Connection
from gateway.schema.gather import OnAccount, account_records
from gateway.schema.lists import PageArgs
from gateway.schema.nodes import Node, encode_id
from gateway.schema.problems import field_error
from gateway.schema.visibility import declare

if TYPE_CHECKING:
    from gateway.schema.billing import Invoice, InvoiceFilter
    from gateway.schema.orders import Order, OrderFilter
    from gateway.schema.quotes import Quote, QuoteFilter
    from gateway.schema.services import Service, ServiceFilter
    from gateway.schema.tickets import TicketFilter, TroubleTicket
    from gateway.schema.usage import CallRecord, UsageFilter

__all__ = ["CarrierAccount"]

Ctx = Info[GatewayContext, None]
_SERVICES = "gateway.schema.services"
_BILLING = "gateway.schema.billing"
_ORDERS = "gateway.schema.orders"
_TICKETS = "gateway.schema.tickets"
_USAGE = "gateway.schema.usage"
_QUOTES = "gateway.schema.quotes"


@strawberry.type(description="One customer's account at one carrier.")
class CarrierAccount(Node):
    carrier: Carrier
    account_number: str
    customer_id: strawberry.Private[str]
    carrier_id: strawberry.Private[str]

    @classmethod
    def of(
        cls, carrier: Carrier, account_number: str, customer_id: str, carrier_id: str
    ) -> CarrierAccount:
        """An account at ``carrier_id``, shown with ``carrier`` as the viewer may see it."""
        return cls(
            id=encode_id("CarrierAccount", carrier.code, account_number),
            carrier=carrier,
            account_number=account_number,
            customer_id=customer_id,
            carrier_id=carrier_id,
        )

    @classmethod
    def holding(cls, ctx: GatewayContext, carrier: Carrier, record: OnAccount) -> CarrierAccount:
        """The account a carrier record belongs to, with its owner from the directory.

        One node per account and request: a dashboard's records share a few accounts.
        """
        key = ("account", carrier.code, record.carrier, record.account_number)
        node = ctx.memo.get(key)
        if node is None:
            link = ctx.snapshot.link_by_account.get((record.carrier, record.account_number))
            customer = link.customer_id if link else ""
            node = ctx.memo[key] = cls.of(carrier, record.account_number, customer, record.carrier)
        return cast("CarrierAccount", node)

    async def _record(self, info: Ctx) -> models.CarrierAccount | None:
        found = await account_records(info, self.carrier_id, self.account_number, ACCOUNTS_BY_ID)
        return found[0] if found else None

    async def _value(self, info: Ctx, field: str) -> object:
        record = await self._record(info)
        if record is None:
            return None
        error = field_error(
            info.context, self.carrier_id, self.account_number, record.problems, field
        )
        if error is not None:
            raise error
        return getattr(record, field)

    @strawberry.field(description="The account name on the carrier's books.")
    async def name(self, info: Ctx) -> str | None:
        return cast("str | None", await self._value(info, "name"))

    @strawberry.field
    async def status(self, info: Ctx) -> AccountStatus | None:  # type: ignore[valid-type]
        return cast("models.AccountStatus | None", await self._value(info, "status"))

    @strawberry.field(description="The carrier's own status code, mapped or not.")
    async def status_code(self, info: Ctx) -> str | None:
        return cast("str | None", await self._value(info, "status_code"))

    @strawberry.field
    async def billing_address(self, info: Ctx) -> Address | None:
        address = cast("models.Address | None", await self._value(info, "billing_address"))
        return None if address is None else Address.of(address)

    @strawberry.field
    async def created_at(self, info: Ctx) -> datetime | None:
        return cast("datetime | None", await self._value(info, "created_at"))

    @strawberry.field(description="The ISO 4217 currency the carrier bills this account in.")
    async def currency(self, info: Ctx) -> str | None:
        return cast("str | None", await self._value(info, "currency"))

    @strawberry.field
    async def services(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[ServiceFilter, strawberry.lazy(_SERVICES)] | None = None,  # noqa: A002
    ) -> Connection[Annotated[Service, strawberry.lazy(_SERVICES)]] | None:
        from gateway.schema.services import SERVICES

        args = PageArgs(first, after, last, before)
        return await SERVICES.of_account(info, self.carrier_id, self.account_number, args, filter)

    @strawberry.field
    async def invoices(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[InvoiceFilter, strawberry.lazy(_BILLING)] | None = None,  # noqa: A002
    ) -> Connection[Annotated[Invoice, strawberry.lazy(_BILLING)]] | None:
        from gateway.schema.billing import INVOICES

        args = PageArgs(first, after, last, before)
        return await INVOICES.of_account(info, self.carrier_id, self.account_number, args, filter)

    @strawberry.field
    async def orders(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[OrderFilter, strawberry.lazy(_ORDERS)] | None = None,  # noqa: A002
    ) -> Connection[Annotated[Order, strawberry.lazy(_ORDERS)]] | None:
        from gateway.schema.orders import ORDERS

        args = PageArgs(first, after, last, before)
        return await ORDERS.of_account(info, self.carrier_id, self.account_number, args, filter)

    @strawberry.field
    async def tickets(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[TicketFilter, strawberry.lazy(_TICKETS)] | None = None,  # noqa: A002
    ) -> Connection[Annotated[TroubleTicket, strawberry.lazy(_TICKETS)]] | None:
        from gateway.schema.tickets import TICKETS

        args = PageArgs(first, after, last, before)
        return await TICKETS.of_account(info, self.carrier_id, self.account_number, args, filter)

    @strawberry.field(description="Rated calls on this account's voice services, newest first.")
    async def usage(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[UsageFilter, strawberry.lazy(_USAGE)] | None = None,  # noqa: A002
    ) -> Connection[Annotated[CallRecord, strawberry.lazy(_USAGE)]] | None:
        from gateway.schema.usage import USAGE

        args = PageArgs(first, after, last, before)
        return await USAGE.of_account(info, self.carrier_id, self.account_number, args, filter)

    @strawberry.field(description="Quotes the carrier gave for this account, newest first.")
    async def quotes(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[QuoteFilter, strawberry.lazy(_QUOTES)] | None = None,  # noqa: A002
    ) -> Connection[Annotated[Quote, strawberry.lazy(_QUOTES)]] | None:
        from gateway.schema.quotes import QUOTES

        args = PageArgs(first, after, last, before)
        return await QUOTES.of_account(info, self.carrier_id, self.account_number, args, filter)


declare(
    CarrierAccount,
    id=PUBLIC,
    carrier=PUBLIC,
    account_number=PUBLIC,
    name=PUBLIC,
    status=PUBLIC,
    status_code=PUBLIC,
    billing_address=PUBLIC,
    created_at=PUBLIC,
    currency=PUBLIC,
    services=PUBLIC,
    invoices=PUBLIC,
    orders=PUBLIC,
    tickets=PUBLIC,
    usage=PUBLIC,
    quotes=PUBLIC,
)
