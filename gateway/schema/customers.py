"""Customers and channel parties: who buys, who sold, and the customer's rolled-up lists."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.policy import PUBLIC
from connectors import models
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.billing import INVOICES, Invoice, InvoiceFilter
from gateway.schema.common import Connection, PartyKind, carrier_node, declare_connection
from gateway.schema.lists import PageArgs
from gateway.schema.nodes import Node, encode_id
from gateway.schema.orders import ORDERS, Order, OrderFilter
from gateway.schema.quotes import QUOTES, Quote, QuoteFilter
from gateway.schema.services import SERVICES, Service, ServiceFilter
from gateway.schema.tickets import TICKETS, TicketFilter, TroubleTicket
from gateway.schema.usage import USAGE, CallRecord, UsageFilter
from gateway.schema.visibility import declare

__all__ = ["Customer", "CustomerFilter", "Party"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="A node of the channel tree: master agent, agent, operator.")
class Party(Node):
    name: str
    kind: PartyKind  # type: ignore[valid-type]

    @classmethod
    def of(cls, party: models.ChannelParty) -> Party:
        return cls(id=encode_id("Party", party.id), name=party.name, kind=party.kind)


@strawberry.federation.type(keys=["id"], description="A business that buys from many carriers.")
class Customer(Node):
    name: str
    party_id: strawberry.Private[str]
    parent_id: strawberry.Private[str | None]

    @classmethod
    def of(cls, party: models.ChannelParty) -> Customer:
        return cls(
            id=encode_id("Customer", party.id),
            name=party.name,
            party_id=party.id,
            parent_id=party.parent_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Customer | None:  # noqa: A002
        from gateway.schema.resolve import resolve_node

        node = await resolve_node(info, id)
        return node if isinstance(node, Customer) else None

    @strawberry.field(description="The agent of record that sold to this customer.")
    def agent(self, info: Ctx) -> Party | None:
        if self.parent_id is None:
            return None
        party = info.context.snapshot.parties.get(self.parent_id)
        return None if party is None else Party.of(party)

    @strawberry.field(description="The customer's accounts at every carrier.")
    def accounts(self, info: Ctx) -> list[CarrierAccount]:
        ctx = info.context
        return [
            CarrierAccount.of(
                carrier_node(ctx, link.carrier), link.account_number, self.party_id, link.carrier
            )
            for link in ctx.rows.links_of(self.party_id)
            if link.carrier in ctx.carriers
        ]

    @strawberry.field(description="Services across all of the customer's carriers.")
    async def services(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ServiceFilter | None = None,  # noqa: A002
    ) -> Connection[Service]:
        links = info.context.rows.links_of(self.party_id)
        return await SERVICES.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Invoices across all of the customer's carriers, newest first.")
    async def invoices(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: InvoiceFilter | None = None,  # noqa: A002
    ) -> Connection[Invoice]:
        links = info.context.rows.links_of(self.party_id)
        return await INVOICES.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Orders across all of the customer's carriers, newest first.")
    async def orders(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: OrderFilter | None = None,  # noqa: A002
    ) -> Connection[Order]:
        links = info.context.rows.links_of(self.party_id)
        return await ORDERS.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Trouble tickets across all of the customer's carriers.")
    async def tickets(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: TicketFilter | None = None,  # noqa: A002
    ) -> Connection[TroubleTicket]:
        links = info.context.rows.links_of(self.party_id)
        return await TICKETS.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Rated calls across the customer's voice carriers.")
    async def usage(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: UsageFilter | None = None,  # noqa: A002
    ) -> Connection[CallRecord]:
        links = info.context.rows.links_of(self.party_id)
        return await USAGE.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Quotes across all of the customer's carriers, newest first.")
    async def quotes(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: QuoteFilter | None = None,  # noqa: A002
    ) -> Connection[Quote]:
        links = info.context.rows.links_of(self.party_id)
        return await QUOTES.of_links(info, links, PageArgs(first, after, last, before), filter)


@strawberry.input(description="Narrow a customer list; every given condition must hold.")
class CustomerFilter:
    agent: strawberry.ID | None = strawberry.field(
        default=None, description="Only customers sold by this agent (a Party id)."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the customer name."
    )


declare(Party, id=PUBLIC, name=PUBLIC, kind=PUBLIC)
declare(
    Customer,
    id=PUBLIC,
    name=PUBLIC,
    agent=PUBLIC,
    accounts=PUBLIC,
    services=PUBLIC,
    invoices=PUBLIC,
    orders=PUBLIC,
    tickets=PUBLIC,
    usage=PUBLIC,
    quotes=PUBLIC,
)
declare_connection("Customer")
