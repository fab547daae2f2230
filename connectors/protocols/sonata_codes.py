"""The vocabularies of a MEF Sonata carrier: the SDK's codes, merged with a carrier file's.

Kept apart from the adapter so the reader, the adapter and the sandbox writer share one
definition: :data:`DEFAULT_CODES` are the Sonata SDK's enums (and the family's
extensions), :class:`SonataMaps` a carrier's codes merged over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.mapping import StatusMap, build_status_map
from connectors.models import (
    InvoiceLineKind,
    InvoiceStatus,
    MilestoneKind,
    ObservedImpact,
    OrderKind,
    OrderStatus,
    Product,
    QuoteStatus,
    ServiceStatus,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.specs.sonata import SonataSpec

__all__ = ["DEFAULT_CODES", "SonataMaps"]


# Defaults of every vocabulary (carrier files add or override codes; the first code for a
# value is the one the sandbox writes). Sonata states as in the SDK, then extensions.
DEFAULT_CODES: Mapping[str, Mapping[str, str]] = {
    "service": {
        "active": "ACTIVE", "pendingActive": "PENDING", "suspended": "SUSPENDED",
        "terminated": "DISCONNECTED", "active.pendingChange": "ACTIVE",
        "pendingTerminate": "ACTIVE", "suspendedPendingTerminate": "SUSPENDED",
        "cancelled": "DISCONNECTED",
    },
    # MEF 141 bills are generated/paymentDue/settled; the rest extend it (bill item states).
    "invoice": {
        "generated": "ISSUED", "paymentDue": "PAYMENT_DUE", "settled": "PAID",
        "overdue": "OVERDUE", "disputeBeingInvestigated": "DISPUTED", "credit": "CREDITED",
    },
    "order": {
        "acknowledged": "ACKNOWLEDGED", "inProgress": "IN_PROGRESS",
        "pending.assessingModification": "PENDING", "pending": "PENDING",
        "held.assessingCharge": "HELD", "held": "HELD", "partial": "PARTIAL",
        "completed": "COMPLETED", "cancelled": "CANCELLED",
        "pendingCancellation": "PENDING_CANCELLATION",
        "assessingCancellation": "PENDING_CANCELLATION", "rejected": "REJECTED",
        "failed": "FAILED",
    },
    # Item states; the carrier's and the default order codes are accepted on items too.
    "order_item": {
        "acknowledged": "ACKNOWLEDGED", "inProgress": "IN_PROGRESS", "pending": "PENDING",
        "held": "HELD", "completed": "COMPLETED", "cancelled": "CANCELLED",
        "rejected": "REJECTED", "rejected.validated": "REJECTED",
        "rejected.unassessed": "REJECTED", "failed": "FAILED",
    },
    "milestone": {
        "submitted": "SUBMITTED", "acknowledged": "ACKNOWLEDGED", "firmOrderCommitment": "FOC",
        "designLayoutReport": "DESIGN_LAYOUT", "lecDue": "LEC_DUE", "loopAccept": "LOOP_ACCEPT",
        "installed": "INSTALLED", "testAndTurnUp": "TEST_AND_TURN_UP",
        "billingStart": "BILLING_START", "completed": "COMPLETED",
    },
    "ticket": {
        "acknowledged": "ACKNOWLEDGED", "inProgress": "IN_PROGRESS", "pending": "PENDING",
        "resolved": "RESOLVED", "closed": "CLOSED", "cancelled": "CANCELLED",
        "reopened": "REOPENED",
        "assessingCancellation": "PENDING",  # still open while the seller decides
    },
    "ticket_severity": {s.value.lower(): s.value for s in TicketSeverity},
    "ticket_priority": {p.value.lower(): p.value for p in TicketPriority},
    "quote": {
        "acknowledged": "PENDING", "inProgress": "IN_PROGRESS", "inProgress.draft": "IN_PROGRESS",
        "approved.orderable": "APPROVED", "approved.orderableAlternate": "APPROVED",
        "answered": "APPROVED", "accepted": "ACCEPTED", "rejected": "REJECTED",
        "declined": "REJECTED", "unableToProvide": "REJECTED", "cancelled": "CANCELLED",
        "expired": "EXPIRED",
    },
    # Sonata actions are add/modify/delete; "move" extends them (MEF 57.2 has no move).
    "item_action": {"add": "NEW", "modify": "CHANGE", "move": "MOVE", "delete": "DISCONNECT"},
    "ticket_type": {t.value.lower(): t.value for t in TicketType},
    "observed_impact": {i.value.lower(): i.value for i in ObservedImpact},
    # MEFPriceType (recurring/nonRecurring/usageBased), then tax/credit/adjustment lines.
    "bill_item": {
        "recurring": "RECURRING", "nonRecurring": "ONE_TIME", "usageBased": "USAGE",
        "tax": "TAX", "credit": "CREDIT", "adjustment": "ADJUSTMENT",
    },
    "product": {p.value: p.value for p in Product},
}  # fmt: skip


def _chain(*maps: Mapping[str, str]) -> dict[str, str]:
    """Merge code maps; the first map naming a code wins and keeps its position."""
    merged: dict[str, str] = {}
    for codes in maps:
        for code, name in codes.items():
            merged.setdefault(code, name)
    return merged


@dataclass(frozen=True, slots=True)
class SonataMaps:
    """Every vocabulary of one carrier: the carrier file's codes first, then the defaults."""

    service: StatusMap[ServiceStatus]
    invoice: StatusMap[InvoiceStatus]
    order: StatusMap[OrderStatus]
    order_item: StatusMap[OrderStatus]
    milestone: StatusMap[MilestoneKind]
    ticket: StatusMap[TicketStatus]
    ticket_severity: StatusMap[TicketSeverity]
    ticket_priority: StatusMap[TicketPriority]
    quote: StatusMap[QuoteStatus]
    item_action: StatusMap[OrderKind]
    ticket_type: StatusMap[TicketType]
    observed_impact: StatusMap[ObservedImpact]
    bill_item: StatusMap[InvoiceLineKind]
    product: StatusMap[Product]

    @classmethod
    def for_spec(cls, spec: SonataSpec) -> SonataMaps:
        """Build the maps.

        Raises:
            ValueError: a code maps to a name that is not a member of its enum (the
                message names the carrier file's field).
        """
        s, c, d = spec.status_maps, spec.codes, DEFAULT_CODES

        def build(enum: Any, origin: str, name: str, own: Mapping[str, str]) -> Any:  # noqa: ANN401
            return build_status_map(enum, d[name], own, f"{origin}.{name}")

        item_codes = _chain(c.order_item, s.order)
        return cls(
            service=build(ServiceStatus, "status_maps", "service", s.service),
            invoice=build(InvoiceStatus, "status_maps", "invoice", s.invoice),
            order=build(OrderStatus, "status_maps", "order", s.order),
            order_item=build_status_map(
                OrderStatus, _chain(d["order_item"], d["order"]), item_codes, "codes.order_item"
            ),
            milestone=build(MilestoneKind, "status_maps", "milestone", s.milestone),
            ticket=build(TicketStatus, "status_maps", "ticket", s.ticket),
            ticket_severity=build(
                TicketSeverity, "status_maps", "ticket_severity", s.ticket_severity
            ),
            ticket_priority=build(
                TicketPriority, "status_maps", "ticket_priority", s.ticket_priority
            ),
            quote=build(QuoteStatus, "status_maps", "quote", s.quote),
            item_action=build(OrderKind, "codes", "item_action", c.item_action),
            ticket_type=build(TicketType, "codes", "ticket_type", c.ticket_type),
            observed_impact=build(ObservedImpact, "codes", "observed_impact", c.observed_impact),
            bill_item=build(InvoiceLineKind, "codes", "bill_item", c.bill_item),
            product=build(Product, "codes", "product", c.product),
        )
