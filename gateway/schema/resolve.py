"""Global ID -> node, through the same loaders and row slice as every list.

Used by ``Query.node`` and by federation's ``_entities``. A malformed ID or one of a
type this gateway does not issue is ``BAD_USER_INPUT``; a well-formed ID of a record
that does not exist, or that lies outside the viewer's slice, is ``null`` (the two
cannot be told apart).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from strawberry.types import Info

from connectors.base import (
    INVOICES_BY_ID,
    ORDERS_BY_ID,
    QUOTES_BY_ID,
    SERVICES_BY_ID,
    TICKETS_BY_ID,
    Fetch,
)
from connectors.models import PartyKind
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.billing import Invoice, prepare_invoices
from gateway.schema.common import Carrier, carrier_node, public_carrier
from gateway.schema.customers import Customer, Party
from gateway.schema.errors import bad_user_input
from gateway.schema.gather import OnAccount, record_by_id
from gateway.schema.nodes import Node, decode_id
from gateway.schema.orders import Order
from gateway.schema.quotes import Quote
from gateway.schema.services import Service
from gateway.schema.tickets import TroubleTicket

__all__ = ["resolve_node", "visible_parties"]

Ctx = Info[GatewayContext, None]
A = TypeVar("A", bound=OnAccount)


def visible_parties(ctx: GatewayContext) -> frozenset[str]:
    """Parties the viewer may see: itself, its visible customers and their agents' chain."""
    seen = {ctx.principal.party_id}
    for customer in ctx.rows.customers:
        seen.add(customer)
        seen.update(ctx.snapshot.chain(customer))
    return frozenset(seen)


async def _customer(info: Ctx, parts: list[str]) -> Node | None:
    ctx = info.context
    party = ctx.snapshot.parties.get(parts[0])
    if party is None or not ctx.rows.sees_customer(party.id):
        return None
    return Customer.of(party)


async def _party(info: Ctx, parts: list[str]) -> Node | None:
    ctx = info.context
    party = ctx.snapshot.parties.get(parts[0])
    if party is None or party.id not in visible_parties(ctx):
        return None
    return Party.of(party)


async def _carrier(info: Ctx, parts: list[str]) -> Node | None:
    ctx = info.context
    if ctx.mask is not None:  # only the brand's stand-ins, for carriers the viewer deals with
        for link in ctx.rows.links:
            if public_carrier(ctx, link.carrier) == parts[0]:
                return carrier_node(ctx, link.carrier)
        return None
    carrier = ctx.carriers.get(parts[0])
    if carrier is None:
        return None
    if ctx.principal.kind is not PartyKind.OPERATOR and not any(
        link.carrier == carrier.id for link in ctx.rows.links
    ):
        return None  # a carrier it does not deal with behaves as one that does not exist
    return Carrier.of(carrier)


def _real_carrier(ctx: GatewayContext, code: str) -> str | None:
    """The carrier behind a code this viewer was given (its own stand-in when masked)."""
    if ctx.mask is None:
        return code if code in ctx.carriers else None
    for link in ctx.rows.links:
        if public_carrier(ctx, link.carrier) == code:
            return link.carrier
    return None


async def _account(info: Ctx, parts: list[str]) -> Node | None:
    ctx = info.context
    carrier = _real_carrier(ctx, parts[0]) if len(parts) == 2 else None
    if carrier is None:
        return None
    link = ctx.snapshot.link_by_account.get((carrier, parts[1]))
    if link is None or not ctx.rows.sees_account(carrier, parts[1]):
        return None
    return CarrierAccount.of(carrier_node(ctx, carrier), parts[1], link.customer_id, carrier)


def _record(
    make: Callable[[GatewayContext, A], Node],
    what: Fetch[A],
    prepare: Callable[[Ctx, Sequence[A]], Awaitable[None]] | None = None,
) -> Callable[[Ctx, list[str]], Awaitable[Node | None]]:
    async def resolve(info: Ctx, parts: list[str]) -> Node | None:
        carrier = _real_carrier(info.context, parts[0]) if len(parts) == 2 else None
        if carrier is None:
            return None
        record = await record_by_id(info, carrier, parts[1], what)
        if record is None:
            return None
        if prepare is not None:
            await prepare(info, [record])
        return make(info.context, record)

    return resolve


_RESOLVERS: dict[str, Callable[[Ctx, list[str]], Awaitable[Node | None]]] = {
    "Customer": _customer,
    "Party": _party,
    "Carrier": _carrier,
    "CarrierAccount": _account,
    "Service": _record(Service.of, SERVICES_BY_ID),
    "Invoice": _record(Invoice.of, INVOICES_BY_ID, prepare_invoices),
    "Order": _record(Order.of, ORDERS_BY_ID),
    "TroubleTicket": _record(TroubleTicket.of, TICKETS_BY_ID),
    "Quote": _record(Quote.of, QUOTES_BY_ID),
}


async def resolve_node(info: Ctx, global_id: str) -> Node | None:
    """The node behind a global ID, or None when it does not exist for this viewer.

    Raises:
        GraphQLError: ``BAD_USER_INPUT`` for an ID this gateway did not issue.
    """
    type_name, parts = decode_id(global_id)
    resolver = _RESOLVERS.get(type_name)
    if resolver is None:
        raise bad_user_input(f"'{global_id[:80]}' is not a valid ID")
    return await resolver(info, parts)
