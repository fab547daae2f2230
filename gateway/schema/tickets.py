"""Trouble tickets: the type, the filter and the list recipe."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from auth.policy import INTERNAL_NOTES, PUBLIC
from connectors import models
from connectors.base import SERVICES_BY_ID, TICKETS_BY_ACCOUNT
from gateway.context import GatewayContext
from gateway.schema.accounts import CarrierAccount
from gateway.schema.common import (
    Carrier,
    Note,
    ObservedImpact,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
    carrier_node,
    declare_connection,
    notes_of,
)
from gateway.schema.gather import record_by_id
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
from gateway.schema.services import Service
from gateway.schema.visibility import declare

__all__ = ["TICKETS", "TicketFilter", "TroubleTicket"]

Ctx = Info[GatewayContext, None]


@strawberry.type(description="A ticket status transition.")
class StatusChange:
    status: TicketStatus  # type: ignore[valid-type]
    changed_at: datetime


@strawberry.federation.type(keys=["id"], description="A fault or request raised with one carrier.")
class TroubleTicket(Node):
    carrier: Carrier
    account: CarrierAccount
    ticket_id: str
    service_id: str | None
    type: TicketType | None  # type: ignore[valid-type]
    severity: TicketSeverity | None  # type: ignore[valid-type]
    priority: TicketPriority | None  # type: ignore[valid-type]
    observed_impact: ObservedImpact | None  # type: ignore[valid-type]
    status: TicketStatus | None  # type: ignore[valid-type]
    status_code: str | None = strawberry.field(
        description="The carrier's own status code, mapped or not."
    )
    description: str | None
    opened_at: datetime | None
    expected_resolution_at: datetime | None
    resolved_at: datetime | None
    sla_target: datetime | None
    sla_breached: bool = strawberry.field(
        description="The SLA target passed before (or without) resolution."
    )
    status_changes: list[StatusChange]
    notes: list[Note] = strawberry.field(description="Remarks written for the customer.")
    internal_notes: list[Note] = strawberry.field(description="The carrier's internal remarks.")
    carrier_id: strawberry.Private[str]

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> TroubleTicket | None:  # noqa: A002
        from gateway.schema.resolve import resolve_node

        node = await resolve_node(info, id)
        return node if isinstance(node, TroubleTicket) else None

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.TroubleTicket) -> TroubleTicket:
        carrier = carrier_node(ctx, r.carrier)
        node = cls(
            id=encode_id("TroubleTicket", carrier.code, r.ticket_id),
            carrier=carrier,
            account=CarrierAccount.holding(ctx, carrier, r),
            ticket_id=r.ticket_id,
            service_id=r.service_id,
            type=r.type,
            severity=r.severity,
            priority=r.priority,
            observed_impact=r.observed_impact,
            status=r.status,
            status_code=r.status_code,
            description=r.description,
            opened_at=r.opened_at,
            expected_resolution_at=r.expected_resolution_at,
            resolved_at=r.resolved_at,
            sla_target=r.sla_target,
            sla_breached=r.sla_breached(ctx.now),
            status_changes=[
                StatusChange(status=c.status, changed_at=c.changed_at) for c in r.status_changes
            ],
            notes=notes_of(ctx, r.carrier, r.notes),
            internal_notes=notes_of(ctx, r.carrier, r.notes, models.NoteVisibility.INTERNAL),
            carrier_id=r.carrier,
        )
        return flag_problems(ctx, node, r.carrier, r.ticket_id, r.problems)

    @strawberry.field(description="The service the ticket is about, when it names one.")
    async def service(self, info: Ctx) -> Service | None:
        if self.service_id is None:
            return None
        record = await record_by_id(info, self.carrier_id, self.service_id, SERVICES_BY_ID)
        return None if record is None else Service.of(info.context, record)


@strawberry.input(description="Narrow a ticket list; every given condition must hold.")
class TicketFilter:
    status: list[TicketStatus] | None = None  # type: ignore[valid-type]
    open: bool | None = strawberry.field(
        default=None, description="true: only tickets still being worked; false: only final ones."
    )
    severity: list[TicketSeverity] | None = None  # type: ignore[valid-type]
    carrier: list[str] | None = strawberry.field(
        default=None, description="Carrier codes (see `Carrier.code`)."
    )
    opened_from: date | None = None
    opened_to: date | None = None


def _select(
    records: Iterable[models.TroubleTicket], f: TicketFilter | None, now: datetime
) -> list[models.TroubleTicket]:
    del now
    f = f or TicketFilter()
    chosen = narrow(
        records,
        among(f.status, lambda r: r.status),
        equals(f.open, lambda r: r.status is None or r.status.is_open),
        among(f.severity, lambda r: r.severity),
        among(f.carrier, lambda r: r.carrier),
        between(f.opened_from, f.opened_to, lambda r: day_of(r.opened_at)),
    )
    chosen.sort(key=lambda r: (newest_first(r.opened_at), r.carrier, r.ticket_id))
    return chosen


declare(StatusChange, status=PUBLIC, changed_at=PUBLIC)
declare(
    TroubleTicket,
    id=PUBLIC,
    carrier=PUBLIC,
    account=PUBLIC,
    ticket_id=PUBLIC,
    service_id=PUBLIC,
    type=PUBLIC,
    severity=PUBLIC,
    priority=PUBLIC,
    observed_impact=PUBLIC,
    status=PUBLIC,
    status_code=PUBLIC,
    description=PUBLIC,
    opened_at=PUBLIC,
    expected_resolution_at=PUBLIC,
    resolved_at=PUBLIC,
    sla_target=PUBLIC,
    sla_breached=PUBLIC,
    status_changes=PUBLIC,
    notes=PUBLIC,
    internal_notes=INTERNAL_NOTES,
    service=PUBLIC,
)
declare_connection("TroubleTicket", "Ticket")

TICKETS: RecordList[models.TroubleTicket, TroubleTicket, TicketFilter] = RecordList(
    TICKETS_BY_ACCOUNT, _select, TroubleTicket.of
)
