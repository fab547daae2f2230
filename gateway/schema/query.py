"""The root ``Query``: who am I, nodes, customers, carriers and cross-carrier lists."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.policy import OPERATORS, PUBLIC
from connectors import models
from gateway.context import GatewayContext
from gateway.schema.billing import INVOICES, Invoice, InvoiceFilter
from gateway.schema.common import Carrier, Connection, PartyKind, carrier_node, connection
from gateway.schema.customers import Customer, CustomerFilter, Party
from gateway.schema.errors import bad_user_input
from gateway.schema.lists import PageArgs
from gateway.schema.nodes import Node, decode_id, encode_id, page_of
from gateway.schema.orders import ORDERS, Order, OrderFilter
from gateway.schema.resolve import resolve_node
from gateway.schema.services import SERVICES, Service, ServiceFilter
from gateway.schema.tickets import TICKETS, TicketFilter, TroubleTicket
from gateway.schema.visibility import declare

__all__ = ["Brand", "Query", "Viewer"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="A reseller's private label, shown to its users and its customers'.")
class Brand:
    display_name: str
    logo_url: str | None
    primary_color: str | None
    secondary_color: str | None
    support_email: str | None
    support_phone: str | None


@strawberry.type(description="Who is asking: the authenticated party and the role it acts in.")
class Viewer:
    id: strawberry.ID
    party: Party
    kind: PartyKind  # type: ignore[valid-type]
    role: str
    brand: Brand | None = strawberry.field(
        description="The private label this viewer works under (its own or its reseller's)."
    )


@strawberry.type
class Query:
    @strawberry.field(description="Who is asking.")
    def viewer(self, info: Ctx) -> Viewer:
        p = info.context.principal
        party = Party(id=encode_id("Party", p.party_id), name=p.name, kind=p.kind)
        b = info.context.brand
        brand = (
            None
            if b is None
            else Brand(
                display_name=b.display_name,
                logo_url=b.logo_url,
                primary_color=b.primary_color,
                secondary_color=b.secondary_color,
                support_email=b.support_email,
                support_phone=b.support_phone,
            )
        )
        return Viewer(id=party.id, party=party, kind=p.kind, role=p.role, brand=brand)

    @strawberry.field(description="Any object by its global ID; null if absent or not visible.")
    async def node(self, info: Ctx, id: strawberry.ID) -> Node | None:  # noqa: A002
        return await resolve_node(info, id)

    @strawberry.field(description="Customers in the viewer's slice, by name.")
    def customers(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: CustomerFilter | None = None,  # noqa: A002
    ) -> Connection[Customer]:
        ctx = info.context
        parties = [ctx.snapshot.parties[c] for c in ctx.rows.customers]
        if filter is not None and filter.agent is not None:
            type_name, parts = decode_id(filter.agent)
            if type_name != "Party":
                raise bad_user_input("'agent' must be a Party id", argument="filter.agent")
            agent = parts[0]
            parties = [p for p in parties if agent in (p.parent_id, *ctx.snapshot.chain(p.id))]
        if filter is not None and filter.name_contains:
            needle = filter.name_contains.casefold()
            parties = [p for p in parties if needle in p.name.casefold()]
        parties.sort(key=lambda p: (p.name.casefold(), p.id))
        return connection(
            page_of(parties, Customer.of, first=first, after=after, last=last, before=before)
        )

    @strawberry.field(description="One customer by ID; null if absent or not visible.")
    async def customer(self, info: Ctx, id: strawberry.ID) -> Customer | None:  # noqa: A002
        node = await resolve_node(info, id)
        if node is not None and not isinstance(node, Customer):
            raise bad_user_input("'id' must be a Customer id", argument="id")
        return node

    @strawberry.field(
        description="The carriers the viewer deals with (operators: every carrier reached)."
    )
    def carriers(self, info: Ctx) -> list[Carrier]:
        ctx = info.context
        if ctx.mask is not None:  # a private label shows its brand, once per carrier behind it
            behind = sorted({link.carrier for link in ctx.rows.links})
            return [carrier_node(ctx, code) for code in behind]
        if ctx.principal.kind is models.PartyKind.OPERATOR:
            return [Carrier.of(c) for _, c in sorted(ctx.carriers.items())]
        # Everyone else: the carriers it deals with (a carrier: itself), nothing of the rest.
        dealt = {link.carrier for link in ctx.rows.links}
        if ctx.rows.carrier is not None:
            dealt = {ctx.rows.carrier}
        return [Carrier.of(ctx.carriers[code]) for code in sorted(dealt) if code in ctx.carriers]

    @strawberry.field(description="Services across every carrier account in the viewer's slice.")
    async def services(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ServiceFilter | None = None,  # noqa: A002
    ) -> Connection[Service]:
        links = info.context.rows.links
        return await SERVICES.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Invoices across the viewer's slice, newest first.")
    async def invoices(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: InvoiceFilter | None = None,  # noqa: A002
    ) -> Connection[Invoice]:
        links = info.context.rows.links
        return await INVOICES.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Orders across the viewer's slice, newest first.")
    async def orders(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: OrderFilter | None = None,  # noqa: A002
    ) -> Connection[Order]:
        links = info.context.rows.links
        return await ORDERS.of_links(info, links, PageArgs(first, after, last, before), filter)

    @strawberry.field(description="Trouble tickets across the viewer's slice, newest first.")
    async def tickets(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: TicketFilter | None = None,  # noqa: A002
    ) -> Connection[TroubleTicket]:
        links = info.context.rows.links
        return await TICKETS.of_links(info, links, PageArgs(first, after, last, before), filter)


declare(Viewer, id=PUBLIC, party=PUBLIC, kind=PUBLIC, role=PUBLIC, brand=PUBLIC)
declare(
    Brand,
    display_name=PUBLIC,
    logo_url=PUBLIC,
    primary_color=PUBLIC,
    secondary_color=PUBLIC,
    support_email=PUBLIC,
    support_phone=PUBLIC,
)
declare(
    Query,
    viewer=PUBLIC,
    node=PUBLIC,
    customers=PUBLIC,
    customer=PUBLIC,
    carriers=PUBLIC,
    services=PUBLIC,
    invoices=PUBLIC,
    orders=PUBLIC,
    tickets=PUBLIC,
    _entities=PUBLIC,
)
declare("Query", _service=OPERATORS)
