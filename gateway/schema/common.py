"""Value types and enums shared by every domain module of the schema.

The enums are the normalized ones from ``connectors.models`` exposed as they are, so
a status has one spelling from the carrier file to the client.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Generic, TypeVar

import strawberry
from strawberry.schema.name_converter import NameConverter

from auth.policy import OPERATORS, PUBLIC
from connectors import models
from gateway.schema.nodes import Node, Page, PageInfo, encode_id

if TYPE_CHECKING:
    from strawberry.types.base import StrawberryObjectDefinition, StrawberryType

    from auth.commercial import Brand
    from gateway.context import GatewayContext
from gateway.schema.visibility import declare

__all__ = [
    "Address",
    "Carrier",
    "Connection",
    "Edge",
    "ListNames",
    "Money",
    "Period",
    "connection",
]

N = TypeVar("N")

Protocol = strawberry.enum(models.Protocol, description="The wire family a carrier speaks.")
Capability = strawberry.enum(
    models.Resource, name="Capability", description="A kind of record a carrier can be asked for."
)
PartyKind = strawberry.enum(models.PartyKind, description="Where a party sits in the channel tree.")
AccountStatus = strawberry.enum(models.AccountStatus)
ServiceStatus = strawberry.enum(models.ServiceStatus)
Product = strawberry.enum(models.Product)
InvoiceStatus = strawberry.enum(models.InvoiceStatus)
InvoiceLineKind = strawberry.enum(models.InvoiceLineKind)
OrderKind = strawberry.enum(models.OrderKind)
OrderStatus = strawberry.enum(models.OrderStatus)
MilestoneKind = strawberry.enum(models.MilestoneKind)
TicketType = strawberry.enum(models.TicketType)
TicketSeverity = strawberry.enum(models.TicketSeverity)
TicketPriority = strawberry.enum(models.TicketPriority)
ObservedImpact = strawberry.enum(models.ObservedImpact)
TicketStatus = strawberry.enum(models.TicketStatus)
NoteVisibility = strawberry.enum(models.NoteVisibility)
CallDirection = strawberry.enum(models.CallDirection)
CallType = strawberry.enum(models.CallType)
QuoteStatus = strawberry.enum(models.QuoteStatus)


@strawberry.type(description="A decimal amount in an ISO 4217 currency.")
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, value: models.Money) -> Money:
        return cls(amount=value.amount, currency=value.currency)


@strawberry.type(description="A postal location; carriers may leave any part out.")
class Address:
    street: str | None
    city: str | None
    state: str | None
    postcode: str | None
    country: str | None

    @classmethod
    def of(cls, value: models.Address) -> Address:
        return cls(
            street=value.street,
            city=value.city,
            state=value.state,
            postcode=value.postcode,
            country=value.country,
        )


@strawberry.type(description="A span of calendar days, both ends included.")
class Period:
    start: date | None
    end: date | None


@strawberry.type(description="A remark on an order or ticket.")
class Note:
    author: str | None
    organization: str
    created_at: datetime | None
    text: str
    visibility: NoteVisibility  # type: ignore[valid-type]


def notes_of(
    ctx: GatewayContext,
    carrier: str,
    notes: Iterable[models.Note],
    visibility: models.NoteVisibility = models.NoteVisibility.PUBLIC,
) -> list[Note]:
    """GraphQL notes written for one readership; a masked carrier's name is masked."""
    hidden = ctx.carriers[carrier].name if ctx.mask is not None else None
    label = ctx.mask.display_name if ctx.mask is not None else ""
    return [
        Note(
            author=n.author,
            organization=label if n.organization == hidden else n.organization,
            created_at=n.created_at,
            text=n.text,
            visibility=n.visibility,
        )
        for n in notes
        if n.visibility is visibility
    ]


@strawberry.type(description="A supplier whose back office Switchboard reaches.")
class Carrier(Node):
    code: str = strawberry.field(description="The carrier's id in carrier files and filters.")
    name: str
    protocol: Protocol  # type: ignore[valid-type]
    capabilities: list[Capability]  # type: ignore[valid-type]

    @classmethod
    def of(cls, value: models.Carrier) -> Carrier:
        # Carriers change only with the registry: one shared object per carrier.
        node = _CARRIER_NODES.get(value)
        if node is None:
            node = _CARRIER_NODES[value] = _carrier_node(value)
        return node


_CARRIER_NODES: dict[models.Carrier, Carrier] = {}


def masked_code(mask: Brand, carrier_id: str) -> str:
    """The opaque stand-in code of a carrier behind a reseller's brand (stable, one-way)."""
    digest = hashlib.sha256(f"{mask.party_id}/{carrier_id}".encode()).hexdigest()[:12]
    return f"{mask.party_id}-{digest}"


def carrier_node(ctx: GatewayContext, carrier_id: str) -> Carrier:
    """The carrier as this viewer may see it: itself, or its reseller's brand."""
    carrier = ctx.carriers[carrier_id]
    if ctx.mask is None:
        return Carrier.of(carrier)
    code = masked_code(ctx.mask, carrier_id)
    return Carrier(
        id=encode_id("Carrier", code),
        code=code,
        name=ctx.mask.display_name,
        protocol=carrier.protocol,
        capabilities=sorted(carrier.capabilities),
    )


def public_carrier(ctx: GatewayContext, carrier_id: str) -> str:
    """The carrier code this viewer may be told (errors, filters)."""
    return carrier_id if ctx.mask is None else masked_code(ctx.mask, carrier_id)


def _carrier_node(value: models.Carrier) -> Carrier:
    return Carrier(
        id=encode_id("Carrier", value.id),
        code=value.id,
        name=value.name,
        protocol=value.protocol,
        capabilities=sorted(value.capabilities),
    )


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    nodes: list[N]
    page_info: PageInfo
    total_count: int


def connection(page: Page[N]) -> Connection[N]:
    """A GraphQL connection for a page built by :func:`gateway.schema.nodes.page_of`."""
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in page.edges],
        nodes=[n for _, n in page.edges],
        page_info=page.page_info,
        total_count=page.total_count,
    )


_LIST_NAMES: dict[str, str] = {}
"""Node type -> the stem of its connection and edge types, where the contract gives one."""


def declare_connection(node_type: str, stem: str | None = None) -> None:
    """Connections and edges show whatever their nodes show.

    ``stem`` names a node's connection and edge types when the schema contract
    (DOMAIN.md) names them apart from the node: ``TicketConnection`` of ``TroubleTicket``.
    """
    if stem is not None:
        _LIST_NAMES[node_type] = stem
    stem = stem or node_type
    declare(f"{stem}Connection", edges=PUBLIC, nodes=PUBLIC, page_info=PUBLIC, total_count=PUBLIC)
    declare(f"{stem}Edge", cursor=PUBLIC, node=PUBLIC)


class ListNames(NameConverter):
    """Names ``Connection[N]`` and ``Edge[N]`` with the stem :func:`declare_connection` gave N."""

    def from_generic(
        self, generic_type: StrawberryObjectDefinition, types: list[StrawberryType | type]
    ) -> str:
        generic = generic_type.concrete_of or generic_type
        if generic.origin in (Connection, Edge) and len(types) == 1:
            node = self.get_name_from_type(types[0])
            return _LIST_NAMES.get(node, node) + generic_type.name
        return super().from_generic(generic_type, types)


declare("Node", id=PUBLIC)
declare(
    PageInfo, has_next_page=PUBLIC, has_previous_page=PUBLIC, start_cursor=PUBLIC, end_cursor=PUBLIC
)
declare(Money, amount=PUBLIC, currency=PUBLIC)
declare(Address, street=PUBLIC, city=PUBLIC, state=PUBLIC, postcode=PUBLIC, country=PUBLIC)
declare(Period, start=PUBLIC, end=PUBLIC)
declare(Note, author=PUBLIC, organization=PUBLIC, created_at=PUBLIC, text=PUBLIC, visibility=PUBLIC)
declare(Carrier, id=PUBLIC, code=PUBLIC, name=PUBLIC, protocol=PUBLIC, capabilities=PUBLIC)
declare("_Service", sdl=OPERATORS)
