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
from gateway.schema.lists import RecordList, among, narrow, newest_first
from gateway.schema.nodes import Node, encode_id
from gateway.schema.problems import flag_problems
from gateway.schema.visibility import declare

__all__ = ["QUOTES", "Quote", "QuoteFilter"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="One priced answer to a quote request.")
class QuoteOption:
    term_months: int | None
    mrc: Money | None = strawberry.field(description="Monthly recurring charge.")
    nrc: Money | None = strawberry.field(description="Non-recurring (installation) charge.")
    interval_days: int | None = strawberry.field(description="Days from order to installation.")


@strawberry.type(description="A carrier's priced answer to a request for a product.")
class Quote(Node):
    carrier: Carrier
    account: CarrierAccount
    quote_id: str
    status: QuoteStatus | None  # type: ignore[valid-type]
    status_code: str | None = strawberry.field(
        description="The carrier's own status code, mapped or not."
    )
    product: Product | None  # type: ignore[valid-type]
    bandwidth_mbps: int | None
    service_address: Address | None
    requested_at: datetime | None
    valid_until: datetime | None
    options: list[QuoteOption]

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.Quote) -> Quote:
        carrier = carrier_node(ctx, r.carrier)
        node = cls(
            id=encode_id("Quote", carrier.code, r.quote_id),
            carrier=carrier,
            account=CarrierAccount.holding(ctx, carrier, r),
            quote_id=r.quote_id,
            status=r.status,
            status_code=r.status_code,
            product=r.product,
            bandwidth_mbps=r.bandwidth_mbps,
            service_address=None if r.service_address is None else Address.of(r.service_address),
            requested_at=r.requested_at,
            valid_until=r.valid_until,
            options=[
                QuoteOption(
                    term_months=o.term_months,
                    mrc=None if o.mrc is None else Money.of(o.mrc),
                    nrc=None if o.nrc is None else Money.of(o.nrc),
                    interval_days=o.interval_days,
                )
                for o in r.options
            ],
        )
        return flag_problems(ctx, node, r.carrier, r.quote_id, r.problems)


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
    chosen.sort(key=lambda r: (newest_first(r.requested_at), r.carrier, r.quote_id))
    return chosen


declare(QuoteOption, term_months=PUBLIC, mrc=WHOLESALE, nrc=WHOLESALE, interval_days=PUBLIC)
declare(
    Quote,
    id=PUBLIC,
    carrier=PUBLIC,
    account=PUBLIC,
    quote_id=PUBLIC,
    status=PUBLIC,
    status_code=PUBLIC,
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
