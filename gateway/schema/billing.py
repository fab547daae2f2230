"""Invoices and their lines: the types, the filter and the list recipe."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from auth.policy import BILLED, PUBLIC
from connectors import models
from connectors.base import INVOICE_LINES_BY_INVOICE, INVOICES_BY_ACCOUNT, SERVICES_BY_ACCOUNT
from connectors.models import Resource
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.common import (
    Carrier,
    InvoiceLineKind,
    InvoiceStatus,
    Money,
    Period,
    carrier_node,
    declare_connection,
)
from gateway.schema.gather import account_records
from gateway.schema.lists import RecordList
from gateway.schema.nodes import Node, encode_id
from gateway.schema.visibility import declare

__all__ = ["INVOICES", "Invoice", "InvoiceFilter", "InvoiceLine"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="One charge on an invoice.")
class InvoiceLine:
    kind: InvoiceLineKind  # type: ignore[valid-type]
    service_id: str | None
    description: str
    quantity: Decimal
    amount: Money


@strawberry.federation.type(
    keys=["id"], description="A carrier bill for one account and one billing period."
)
class Invoice(Node):
    carrier: Carrier
    account: CarrierAccount
    invoice_number: str
    billing_period: Period
    issued_at: datetime
    due_at: datetime
    status: InvoiceStatus  # type: ignore[valid-type]
    record: strawberry.Private[models.Invoice]
    customer_id: strawberry.Private[str]

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Invoice | None:  # noqa: A002
        from gateway.schema.resolve import resolve_node

        node = await resolve_node(info, id)
        return node if isinstance(node, Invoice) else None

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.Invoice) -> Invoice:
        carrier = carrier_node(ctx, r.carrier)
        link = ctx.snapshot.link_by_account.get((r.carrier, r.account_number))
        return cls(
            id=encode_id("Invoice", carrier.code, r.invoice_number),
            carrier=carrier,
            account=CarrierAccount.of(
                carrier, r.account_number, link.customer_id if link else "", r.carrier
            ),
            invoice_number=r.invoice_number,
            billing_period=Period(start=r.period_start, end=r.period_end),
            issued_at=r.issued_at,
            due_at=r.due_at,
            status=r.status,
            record=r,
            customer_id=link.customer_id if link else "",
        )

    def _rerated(self, ctx: GatewayContext) -> bool:
        """Whether this viewer is shown its private-label reseller's bill, not the carrier's."""
        pricing = ctx.pricing
        return (
            pricing is not None
            and ctx.principal.party_id == self.customer_id
            and pricing.bills_private_label(self.customer_id)
        )

    async def _shown(self, info: Ctx) -> tuple[models.Invoice, tuple[models.InvoiceLine, ...]]:
        """The invoice and lines this viewer sees (re-rated once per request when due)."""
        ctx = info.context
        key = ("invoice", self.record.carrier, self.invoice_number)
        cached = ctx.memo.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        r = self.record
        offers = ctx.carriers[r.carrier].capabilities
        rerated = self._rerated(ctx)
        lines: tuple[models.InvoiceLine, ...] = ()
        if Resource.INVOICE_LINES in offers or not rerated:  # re-rating works without lines
            lines = tuple(
                await account_records(info, r.carrier, r.invoice_number, INVOICE_LINES_BY_INVOICE)
            )
        shown: tuple[models.Invoice, tuple[models.InvoiceLine, ...]] = (r, lines)
        if rerated and ctx.pricing is not None:
            services: Sequence[models.Service] = ()
            if Resource.SERVICES in offers:
                services = await account_records(
                    info, r.carrier, r.account_number, SERVICES_BY_ACCOUNT
                )
            shown = ctx.pricing.invoice_for_viewer(
                r, lines, self.customer_id, {s.service_id: s for s in services}, r.period_start
            )
        ctx.memo[key] = shown
        return shown

    @strawberry.field(description="The amount due, taxes included.")
    async def total(self, info: Ctx) -> Money:
        if not self._rerated(info.context):
            return Money.of(self.record.total)
        return Money.of((await self._shown(info))[0].total)

    @strawberry.field(description="The taxes included in the total.")
    async def taxes(self, info: Ctx) -> Money:
        if not self._rerated(info.context):
            return Money.of(self.record.taxes)
        return Money.of((await self._shown(info))[0].taxes)

    @strawberry.field(description="The charges that make up the total (null if the carrier fails).")
    async def lines(self, info: Ctx) -> list[InvoiceLine] | None:
        _, found = await self._shown(info)
        return [
            InvoiceLine(
                kind=line.kind,
                service_id=line.service_id,
                description=line.description,
                quantity=line.quantity,
                amount=Money.of(line.amount),
            )
            for line in found
        ]


@strawberry.input(description="Narrow an invoice list; every given condition must hold.")
class InvoiceFilter:
    status: list[InvoiceStatus] | None = None  # type: ignore[valid-type]
    carrier: list[str] | None = strawberry.field(
        default=None, description="Carrier codes (see `Carrier.code`)."
    )
    issued_from: date | None = strawberry.field(
        default=None, description="Issued on or after this day (UTC)."
    )
    issued_to: date | None = strawberry.field(
        default=None, description="Issued on or before this day (UTC)."
    )


def _select(
    records: Iterable[models.Invoice], f: InvoiceFilter | None, now: datetime
) -> list[models.Invoice]:
    del now
    chosen = list(records)
    if f is not None:
        if f.status is not None:
            statuses = set(f.status)
            chosen = [r for r in chosen if r.status in statuses]
        if f.carrier is not None:
            carriers = set(f.carrier)
            chosen = [r for r in chosen if r.carrier in carriers]
        if f.issued_from is not None:
            start = f.issued_from
            chosen = [r for r in chosen if r.issued_at.date() >= start]
        if f.issued_to is not None:
            end = f.issued_to
            chosen = [r for r in chosen if r.issued_at.date() <= end]
    chosen.sort(key=lambda r: (-r.issued_at.timestamp(), r.carrier, r.invoice_number))
    return chosen


declare(
    InvoiceLine, kind=PUBLIC, service_id=PUBLIC, description=PUBLIC, quantity=PUBLIC, amount=BILLED
)
declare(
    Invoice,
    id=PUBLIC,
    carrier=PUBLIC,
    account=PUBLIC,
    invoice_number=PUBLIC,
    billing_period=PUBLIC,
    issued_at=PUBLIC,
    due_at=PUBLIC,
    status=PUBLIC,
    total=BILLED,
    taxes=BILLED,
    lines=PUBLIC,
)
declare_connection("Invoice")

INVOICES: RecordList[models.Invoice, Invoice, InvoiceFilter] = RecordList(
    INVOICES_BY_ACCOUNT, _select, Invoice.of
)
