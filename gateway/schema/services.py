"""Services (circuits, trunks, lines): the type, its filter and its list resolvers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from auth.policy import CHANNEL_PRICE, CUSTOMER_PRICE, PUBLIC, WHOLESALE
from auth.pricing import NO_PRICES
from connectors import models
from connectors.base import SERVICES_BY_ACCOUNT
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.common import (
    Address,
    Carrier,
    Money,
    Product,
    ServiceStatus,
    carrier_node,
    declare_connection,
)
from gateway.schema.lists import RecordList, among, narrow
from gateway.schema.nodes import Node, encode_id
from gateway.schema.problems import PRICE_FIELDS, flag_problems
from gateway.schema.visibility import declare

__all__ = ["SERVICES", "Service", "ServiceFilter"]

Ctx = Info[GatewayContext, None]


@strawberry.federation.type(
    keys=["id"], description="An installed (or pending) circuit, trunk or line at one carrier."
)
class Service(Node):
    carrier: Carrier
    account: CarrierAccount
    service_id: str
    circuit_id: str | None
    telephone_numbers: list[str]
    product: Product | None  # type: ignore[valid-type]
    product_code: str | None = strawberry.field(
        description="The carrier's own product code, mapped or not."
    )
    bandwidth_mbps: int | None
    status: ServiceStatus | None  # type: ignore[valid-type]
    status_code: str | None = strawberry.field(
        description="The carrier's own status code, mapped or not."
    )
    service_address: Address | None
    z_address: Address | None
    activated_at: datetime | None
    wholesale_cost: Money | None = strawberry.field(
        description="The carrier's monthly recurring charge to the channel."
    )
    wholesale_install: Money | None = strawberry.field(
        description="The carrier's one-time (installation) charge to the channel."
    )
    buy_price: Money | None = strawberry.field(
        description="What the viewer pays its parent per month for this service."
    )
    sell_price: Money | None = strawberry.field(
        description="What the viewer charges its child per month for this service."
    )
    price: Money | None = strawberry.field(description="What the customer pays per month.")
    install_price: Money | None = strawberry.field(
        description="What the customer pays once (installation)."
    )
    term_months: int | None
    contract_end: date | None

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Service | None:  # noqa: A002
        from gateway.schema.resolve import resolve_node

        node = await resolve_node(info, id)
        return node if isinstance(node, Service) else None

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.Service) -> Service:
        carrier = carrier_node(ctx, r.carrier)
        account = CarrierAccount.holding(ctx, carrier, r)
        prices = (
            ctx.pricing.service_prices(r, account.customer_id, ctx.now.date())
            if ctx.pricing is not None
            else NO_PRICES
        )
        node = cls(
            id=encode_id("Service", carrier.code, r.service_id),
            carrier=carrier,
            account=account,
            service_id=r.service_id,
            circuit_id=r.circuit_id,
            telephone_numbers=list(r.telephone_numbers),
            product=r.product,
            product_code=r.product_code,
            bandwidth_mbps=r.bandwidth_mbps,
            status=r.status,
            status_code=r.status_code,
            service_address=None if r.service_address is None else Address.of(r.service_address),
            z_address=None if r.z_address is None else Address.of(r.z_address),
            activated_at=r.activated_at,
            wholesale_cost=_money(prices.mrc.wholesale),
            wholesale_install=_money(prices.nrc.wholesale),
            buy_price=_money(prices.mrc.buy),
            sell_price=_money(prices.mrc.sell),
            price=_money(prices.mrc.price),
            install_price=_money(prices.nrc.price),
            term_months=r.term_months,
            contract_end=r.contract_end,
        )
        return flag_problems(ctx, node, r.carrier, r.service_id, r.problems, PRICE_FIELDS)


def _money(value: models.Money | None) -> Money | None:
    return None if value is None else Money.of(value)


@strawberry.input(description="Narrow a service list; every given condition must hold.")
class ServiceFilter:
    status: list[ServiceStatus] | None = None  # type: ignore[valid-type]
    product: list[Product] | None = None  # type: ignore[valid-type]
    carrier: list[str] | None = strawberry.field(
        default=None, description="Carrier codes (see `Carrier.code`)."
    )


def _select(
    records: Iterable[models.Service], f: ServiceFilter | None, now: datetime
) -> list[models.Service]:
    del now
    f = f or ServiceFilter()
    chosen = narrow(
        records,
        among(f.status, lambda r: r.status),
        among(f.product, lambda r: r.product),
        among(f.carrier, lambda r: r.carrier),
    )
    chosen.sort(key=lambda r: (r.carrier, r.service_id))
    return chosen


declare(
    Service,
    id=PUBLIC,
    carrier=PUBLIC,
    account=PUBLIC,
    service_id=PUBLIC,
    circuit_id=PUBLIC,
    telephone_numbers=PUBLIC,
    product=PUBLIC,
    product_code=PUBLIC,
    bandwidth_mbps=PUBLIC,
    status=PUBLIC,
    status_code=PUBLIC,
    service_address=PUBLIC,
    z_address=PUBLIC,
    activated_at=PUBLIC,
    wholesale_cost=WHOLESALE,
    wholesale_install=WHOLESALE,
    buy_price=CHANNEL_PRICE,
    sell_price=CHANNEL_PRICE,
    price=CUSTOMER_PRICE,
    install_price=CUSTOMER_PRICE,
    term_months=PUBLIC,
    contract_end=PUBLIC,
)
declare_connection("Service")

SERVICES: RecordList[models.Service, Service, ServiceFilter] = RecordList(
    SERVICES_BY_ACCOUNT, _select, Service.of
)
