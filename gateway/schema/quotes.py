"""Quotes: a carrier's priced options for a product at an address."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry.types import Info

from auth.policy import PUBLIC, WHOLESALE
from connectors import models
from connectors.base import QUOTES_BY_ACCOUNT
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.common import (
    Address,
    Carrier,
    Money,
    Product,
    QuoteStatus,
    carrier_node,
    declare_connection,
)
from gateway.schema.lists import RecordList, among, narrow
from gateway.schema.nodes import Node, encode_id
from gateway.schema.visibility import declare

__all__ = ["QUOTES", "Quote", "QuoteFilter"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="One priced answer to a quote request.")
class QuoteOption:
    term_months: int
    mrc: Money = strawberry.field(description="Monthly recurring charge.")
    nrc: Money = strawberry.field(description="Non-recurring (installation) charge.")
    interval_days: int = strawberry.field(description="Days from order to installation.")


@strawberry.type(description="A carrier's priced answer to a request for a product.")
class Quote(Node):
    carrier: Carrier
    account: CarrierAccount
    quote_id: str
    status: QuoteStatus  # type: ignore[valid-type]
    product: Product  # type: ignore[valid-type]
    bandwidth_mbps: int | None
    service_address: Address
    requested_at: datetime
    valid_until: datetime
    options: list[QuoteOption]

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.Quote) -> Quote:
        carrier = carrier_node(ctx, r.carrier)
        return cls(
            id=encode_id("Quote", carrier.code, r.quote_id),
            carrier=carrier,
            account=CarrierAccount.holding(ctx, carrier, r),
            quote_id=r.quote_id,
            status=r.status,
            product=r.product,
            bandwidth_mbps=r.bandwidth_mbps,
            service_address=Address.of(r.service_address),
            requested_at=r.requested_at,
            valid_until=r.valid_until,
            options=[
                QuoteOption(
                    term_months=o.term_months,
                    mrc=Money.of(o.mrc),
                    nrc=Money.of(o.nrc),
                    interval_days=o.interval_days,
                )
                for o in r.options
            ],
        )


@strawberry.input(description="Narrow a quote list; every given condition must hold.")
class QuoteFilter:
    status: list[QuoteStatus] | None = None  # type: ignore[valid-type]
    product: list[Product] | None = None  # type: ignore[valid-type]
    carrier: list[str] | None = strawberry.field(
        default=None, description="Carrier codes (see `Carrier.code`)."
    )


def _select(
    records: Iterable[models.Quote], f: QuoteFilter | None, now: datetime
) -> list[models.Quote]:
    del now
    f = f or QuoteFilter()
    chosen = narrow(
        records,
        among(f.status, lambda r: r.status),
        among(f.product, lambda r: r.product),
        among(f.carrier, lambda r: r.carrier),
    )
    chosen.sort(key=lambda r: (-r.requested_at.timestamp(), r.carrier, r.quote_id))
    return chosen


declare(QuoteOption, term_months=PUBLIC, mrc=WHOLESALE, nrc=WHOLESALE, interval_days=PUBLIC)
declare(
    Quote,
    id=PUBLIC,
    carrier=PUBLIC,
    account=PUBLIC,
    quote_id=PUBLIC,
    status=PUBLIC,
    product=PUBLIC,
    bandwidth_mbps=PUBLIC,
    service_address=PUBLIC,
    requested_at=PUBLIC,
    valid_until=PUBLIC,
    options=PUBLIC,
)
declare_connection("Quote")

QUOTES: RecordList[models.Quote, Quote, QuoteFilter] = RecordList(
    QUOTES_BY_ACCOUNT, _select, Quote.of
)
