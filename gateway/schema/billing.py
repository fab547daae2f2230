"""Invoices and their lines: the types, the filter and the list recipe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import cast

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
from gateway.schema.lists import RecordList, among, between, day_of, narrow, newest_first
from gateway.schema.nodes import Node, encode_id
from gateway.schema.problems import flag_problems
from gateway.schema.visibility import declare

__all__ = ["INVOICES", "Invoice", "InvoiceFilter", "InvoiceLine"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="One charge on an invoice.")
class InvoiceLine:
    kind: InvoiceLineKind | None  # type: ignore[valid-type]
    kind_code: str | None = strawberry.field(
        description="The carrier's own charge type code, mapped or not."
    )
    service_id: str | None
    description: str | None
    quantity: Decimal | None
    amount: Money | None


@strawberry.federation.type(
    keys=["id"], description="A carrier bill for one account and one billing period."
)
class Invoice(Node):
    carrier: Carrier
    account: CarrierAccount
    invoice_number: str
    billing_period: Period
    issued_at: datetime | None
    due_at: datetime | None
    status: InvoiceStatus | None  # type: ignore[valid-type]
    status_code: str | None = strawberry.field(
        description="The carrier's own status code, mapped or not."
    )
    total: Money | None = strawberry.field(description="The amount due, taxes included.")
    taxes: Money | None = strawberry.field(description="The taxes included in the total.")
    record: strawberry.Private[models.Invoice]
    shown_lines: strawberry.Private[tuple[models.InvoiceLine, ...] | None]

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Invoice | None:  # noqa: A002
        from gateway.schema.resolve import resolve_node

        node = await resolve_node(info, id)
        return node if isinstance(node, Invoice) else None

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.Invoice) -> Invoice:
        """The invoice as this viewer sees it (re-rated if :func:`prepare_invoices` said so)."""
        carrier = carrier_node(ctx, r.carrier)
        shown = ctx.memo.get(("invoice", r.carrier, r.invoice_number))
        invoice: models.Invoice = r
        lines: tuple[models.InvoiceLine, ...] | None = None
        if shown is not None:
            invoice, lines = cast("tuple[models.Invoice, tuple[models.InvoiceLine, ...]]", shown)
        node = cls(
            id=encode_id("Invoice", carrier.code, r.invoice_number),
            carrier=carrier,
            account=CarrierAccount.holding(ctx, carrier, r),
            invoice_number=r.invoice_number,
            billing_period=Period(start=r.period_start, end=r.period_end),
            issued_at=r.issued_at,
            due_at=r.due_at,
            status=r.status,
            status_code=r.status_code,
            total=None if invoice.total is None else Money.of(invoice.total),
            taxes=None if invoice.taxes is None else Money.of(invoice.taxes),
            record=r,
            shown_lines=lines,
        )
        return flag_problems(ctx, node, r.carrier, r.invoice_number, r.problems)

    @strawberry.field(description="The charges that make up the total (null if the carrier fails).")
    async def lines(self, info: Ctx) -> list[InvoiceLine] | None:
        found = self.shown_lines
        if found is None:
            r = self.record
            found = tuple(
                await account_records(info, r.carrier, r.invoice_number, INVOICE_LINES_BY_INVOICE)
            )
        ctx, r = info.context, self.record
        return [
            flag_problems(
                ctx,
                InvoiceLine(
                    kind=line.kind,
                    kind_code=line.kind_code,
                    service_id=line.service_id,
                    description=line.description,
                    quantity=line.quantity,
                    amount=None if line.amount is None else Money.of(line.amount),
                ),
                r.carrier,
                f"{r.invoice_number}#{index + 1}",
                line.problems,
            )
            for index, line in enumerate(found)
        ]


def _rerated_for(ctx: GatewayContext, customer_id: str) -> bool:
    """Whether this viewer is shown its private-label reseller's bill, not the carrier's."""
    pricing = ctx.pricing
    return (
        pricing is not None
        and ctx.principal.party_id == customer_id
        and pricing.bills_private_label(customer_id)
    )


async def prepare_invoices(info: Ctx, invoices: Sequence[models.Invoice]) -> None:
    """Re-rate a page of invoices for a private-label reseller's customer (once each).

    Every other viewer sees the carrier's invoice as it is, with nothing to load.
    """
    ctx = info.context
    due = []
    for r in invoices:
        link = ctx.snapshot.link_by_account.get((r.carrier, r.account_number))
        key = ("invoice", r.carrier, r.invoice_number)
        if link is not None and key not in ctx.memo and _rerated_for(ctx, link.customer_id):
            due.append((r, link.customer_id))
    if due:
        await asyncio.gather(*(_rerate(info, r, customer) for r, customer in due))


async def _rerate(info: Ctx, r: models.Invoice, customer_id: str) -> None:
    ctx = info.context
    offers = ctx.carriers[r.carrier].capabilities
    lines: Sequence[models.InvoiceLine] = ()
    services: Sequence[models.Service] = ()
    if Resource.INVOICE_LINES in offers:  # re-rating works from the totals without lines
        lines = await account_records(info, r.carrier, r.invoice_number, INVOICE_LINES_BY_INVOICE)
    if Resource.SERVICES in offers:
        services = await account_records(info, r.carrier, r.account_number, SERVICES_BY_ACCOUNT)
    assert ctx.pricing is not None  # noqa: S101 - checked by _rerated_for
    on = r.period_start or (r.issued_at.date() if r.issued_at else ctx.now.date())
    ctx.memo[("invoice", r.carrier, r.invoice_number)] = ctx.pricing.invoice_for_viewer(
        r, lines, customer_id, {s.service_id: s for s in services}, on
    )


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
    f = f or InvoiceFilter()
    chosen = narrow(
        records,
        among(f.status, lambda r: r.status),
        among(f.carrier, lambda r: r.carrier),
        between(f.issued_from, f.issued_to, lambda r: day_of(r.issued_at)),
    )
    chosen.sort(key=lambda r: (newest_first(r.issued_at), r.carrier, r.invoice_number))
    return chosen


declare(
    InvoiceLine,
    kind=PUBLIC,
    kind_code=PUBLIC,
    service_id=PUBLIC,
    description=PUBLIC,
    quantity=PUBLIC,
    amount=BILLED,
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
    status_code=PUBLIC,
    total=BILLED,
    taxes=BILLED,
    lines=PUBLIC,
)
declare_connection("Invoice")

INVOICES: RecordList[models.Invoice, Invoice, InvoiceFilter] = RecordList(
    INVOICES_BY_ACCOUNT, _select, Invoice.of, prepare_invoices
)
