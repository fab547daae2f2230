"""Orders with their provisioning milestones: the types, the filter and the list recipe."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from auth.policy import INTERNAL_NOTES, PUBLIC
from connectors import models
from connectors.base import ORDERS_BY_ACCOUNT
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.common import (
    Carrier,
    MilestoneKind,
    Note,
    OrderKind,
    OrderStatus,
    Product,
    carrier_node,
    declare_connection,
    notes_of,
)
from gateway.schema.lists import (
    RecordList,
    among,
    between,
    day_of,
    equals,
    narrow,
    newest_first,
)
from gateway.schema.nodes import Node, encode_id
from gateway.schema.problems import flag_problems
from gateway.schema.visibility import declare

__all__ = ["ORDERS", "Order", "OrderFilter"]


Ctx = Info[GatewayContext, None]


@strawberry.type(description="A provisioning step: planned date, and actual date once done.")
class OrderMilestone:
    kind: MilestoneKind  # type: ignore[valid-type]
    planned_at: datetime | None
    actual_at: datetime | None
    missed: bool = strawberry.field(
        description="The planned date passed without the step happening."
    )
    note: str | None
    name: str | None = strawberry.field(
        description="The carrier's own name for the milestone (kind OTHER when unmapped)."
    )


@strawberry.type(description="One line of an order, with its own state.")
class OrderItem:
    item_id: str
    action: OrderKind | None  # type: ignore[valid-type]
    product: Product | None  # type: ignore[valid-type]
    status: OrderStatus | None  # type: ignore[valid-type]
    status_code: str | None = strawberry.field(
        description="The carrier's own status code, mapped or not."
    )
    service_id: str | None


@strawberry.federation.type(
    keys=["id"], description="A product order at one carrier and its provisioning progress."
)
class Order(Node):
    carrier: Carrier
    account: CarrierAccount
    order_id: str
    purchase_order_number: str | None
    kind: OrderKind | None  # type: ignore[valid-type]
    kind_code: str | None = strawberry.field(
        description="The carrier's own order category, mapped or not (TMF622 `category`)."
    )
    status: OrderStatus | None  # type: ignore[valid-type]
    status_code: str | None = strawberry.field(
        description="The carrier's own status code, mapped or not."
    )
    ordered_at: datetime | None
    requested_date: date | None = strawberry.field(description="Customer requested date (CRD).")
    committed_date: date | None = strawberry.field(description="Carrier committed date.")
    in_jeopardy: bool = strawberry.field(
        description="Open, with a planned milestone passed without its actual date."
    )
    items: list[OrderItem]
    milestones: list[OrderMilestone]
    notes: list[Note] = strawberry.field(description="Remarks written for the customer.")
    internal_notes: list[Note] = strawberry.field(description="The carrier's internal remarks.")

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Order | None:  # noqa: A002
        from gateway.schema.resolve import resolve_node

        node = await resolve_node(info, id)
        return node if isinstance(node, Order) else None

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.Order) -> Order:
        carrier = carrier_node(ctx, r.carrier)
        now = ctx.now
        node = cls(
            id=encode_id("Order", carrier.code, r.order_id),
            carrier=carrier,
            account=CarrierAccount.holding(ctx, carrier, r),
            order_id=r.order_id,
            purchase_order_number=r.purchase_order_number,
            kind=r.kind,
            kind_code=r.kind_code,
            status=r.status,
            status_code=r.status_code,
            ordered_at=r.ordered_at,
            requested_date=r.requested_date,
            committed_date=r.committed_date,
            in_jeopardy=r.in_jeopardy(now),
            items=[
                OrderItem(
                    item_id=i.item_id,
                    action=i.action,
                    product=i.product,
                    status=i.status,
                    status_code=i.status_code,
                    service_id=i.service_id,
                )
                for i in r.items
            ],
            milestones=[
                OrderMilestone(
                    kind=m.kind,
                    planned_at=m.planned_at,
                    actual_at=m.actual_at,
                    missed=m.missed(now),
                    note=m.note,
                    name=m.name,
                )
                for m in r.milestones
            ],
            notes=notes_of(ctx, r.carrier, r.notes),
            internal_notes=notes_of(ctx, r.carrier, r.notes, models.NoteVisibility.INTERNAL),
        )
        return flag_problems(ctx, node, r.carrier, r.order_id, r.problems)


@strawberry.input(description="Narrow an order list; every given condition must hold.")
class OrderFilter:
    status: list[OrderStatus] | None = None  # type: ignore[valid-type]
    open: bool | None = strawberry.field(
        default=None, description="true: only orders still being worked; false: only final ones."
    )
    in_jeopardy: bool | None = None
    carrier: list[str] | None = strawberry.field(
        default=None, description="Carrier codes (see `Carrier.code`)."
    )
    ordered_from: date | None = None
    ordered_to: date | None = None


def _select(
    records: Iterable[models.Order], f: OrderFilter | None, now: datetime
) -> list[models.Order]:
    f = f or OrderFilter()
    chosen = narrow(
        records,
        among(f.status, lambda r: r.status),
        equals(f.open, lambda r: r.status is None or r.status.is_open),
        among(f.carrier, lambda r: r.carrier),
        between(f.ordered_from, f.ordered_to, lambda r: day_of(r.ordered_at)),
        equals(f.in_jeopardy, lambda r: r.in_jeopardy(now)),
    )
    chosen.sort(key=lambda r: (newest_first(r.ordered_at), r.carrier, r.order_id))
    return chosen


declare(
    OrderMilestone,
    kind=PUBLIC,
    name=PUBLIC,
    planned_at=PUBLIC,
    actual_at=PUBLIC,
    missed=PUBLIC,
    note=PUBLIC,
)
declare(
    OrderItem,
    item_id=PUBLIC,
    action=PUBLIC,
    product=PUBLIC,
    status=PUBLIC,
    status_code=PUBLIC,
    service_id=PUBLIC,
)
declare(
    Order,
    id=PUBLIC,
    carrier=PUBLIC,
    account=PUBLIC,
    order_id=PUBLIC,
    purchase_order_number=PUBLIC,
    kind=PUBLIC,
    kind_code=PUBLIC,
    status=PUBLIC,
    status_code=PUBLIC,
    ordered_at=PUBLIC,
    requested_date=PUBLIC,
    committed_date=PUBLIC,
    in_jeopardy=PUBLIC,
    items=PUBLIC,
    milestones=PUBLIC,
    notes=PUBLIC,
    internal_notes=INTERNAL_NOTES,
)
declare_connection("Order")

ORDERS: RecordList[models.Order, Order, OrderFilter] = RecordList(
    ORDERS_BY_ACCOUNT, _select, Order.of
)
