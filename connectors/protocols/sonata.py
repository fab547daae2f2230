"""MEF LSO Sonata adapter (Product Inventory, Product Ordering, Trouble Ticket, Quote, Billing).

Written once, driven by a carrier's :class:`~connectors.specs.sonata.SonataSpec`. Every
request carries the carrier's ``buyerId`` and ``sellerId``. A batch is one list request
per chunk of ``max_keys_per_call`` keys, the keys joined in one comma-separated filter
(TMF630 style, which the Sonata lists inherit), chunks fetched concurrently, each list
paged with ``offset``/``limit`` through :func:`connectors.paging.collect` (all pages at
once when the carrier sends ``X-Total-Count``, one after another when it does not).
Records are read by :mod:`connectors.protocols.sonata_records` with :class:`SonataMaps`,
the carrier file's codes merged over this module's :data:`DEFAULT_CODES`; anything that
does not fit is ``UpstreamInvalid`` naming the carrier, the record and the field.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from connectors.base import chunked
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid
from connectors.mapping import FieldError, StatusMap, build_status_map
from connectors.models import (
    Carrier,
    InvoiceLineKind,
    InvoiceStatus,
    MilestoneKind,
    ObservedImpact,
    OrderKind,
    OrderStatus,
    Product,
    QuoteStatus,
    Resource,
    ServiceStatus,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
)
from connectors.paging import collect
from connectors.protocols.sonata_records import Json, SonataReader

if TYPE_CHECKING:
    from connectors.base import Fetch
    from connectors.specs.sonata import SonataSpec
    from connectors.transport import CarrierClient, JsonPage

__all__ = [
    "DEFAULT_CODES",
    "ENDPOINTS",
    "Endpoint",
    "SonataConnector",
    "SonataMaps",
    "filter_param",
    "list_path",
]

T = TypeVar("T")

FilterName = Literal["account", "bill_account", "bill", "id"]


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


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a resource lives in the Sonata API family and how its records are read.

    Attributes:
        api: The API's name in its base path (``productInventory``).
        version: Which :class:`~connectors.specs.sonata.SonataVersions` field versions it.
        collection: The list resource (``product``).
        record: The wire record's name, for errors.
        read: The :class:`SonataReader` method that reads one record.
        by_account: Which filter selects records by account.
    """

    api: str
    version: str
    collection: str
    record: str
    read: Callable[[SonataReader, Json], Any]
    by_account: FilterName


ENDPOINTS: Mapping[Resource, Endpoint] = {
    Resource.SERVICES: Endpoint(
        "productInventory",
        "product_inventory",
        "product",
        "MEFProduct",
        SonataReader.service,
        "account",
    ),
    Resource.INVOICES: Endpoint(
        "customerBillManagement",
        "billing",
        "customerBill",
        "CustomerBill",
        SonataReader.invoice,
        "bill_account",
    ),
    Resource.INVOICE_LINES: Endpoint(
        "customerBillManagement",
        "billing",
        "customerBillItem",
        "CustomerBillItem",
        SonataReader.bill_item,
        "bill",
    ),
    Resource.ORDERS: Endpoint(
        "productOrderingManagement",
        "product_order",
        "productOrder",
        "ProductOrder",
        SonataReader.order,
        "account",
    ),
    Resource.TICKETS: Endpoint(
        "troubleTicket",
        "trouble_ticket",
        "troubleTicket",
        "TroubleTicket",
        SonataReader.ticket,
        "account",
    ),
    Resource.QUOTES: Endpoint(
        "quoteManagement",
        "quote",
        "quote",
        "Quote",
        SonataReader.quote,
        "account",
    ),
}


def list_path(spec: SonataSpec, resource: Resource) -> str:
    """The list path of a resource relative to the carrier's base URL."""
    ep = ENDPOINTS[resource]
    return f"{spec.api_root}/{ep.api}/{getattr(spec.versions, ep.version)}/{ep.collection}"


def filter_param(spec: SonataSpec, resource: Resource, key: str) -> str:
    """The query parameter that selects a resource's records by one kind of key."""
    ep = ENDPOINTS[resource]
    which: FilterName = ep.by_account if key == "account" else "id" if key == "id" else "bill"
    return str(getattr(spec.filters, which))


class SonataConnector:
    """A connector for any carrier that speaks MEF LSO Sonata."""

    def __init__(self, spec: SonataSpec, client: CarrierClient) -> None:
        self.spec = spec
        self.client = client
        self.maps = SonataMaps.for_spec(spec)
        self.reader = SonataReader(spec, self.maps)
        self._paths = {r: list_path(spec, r) for r in ENDPOINTS}
        self._parties = {"buyerId": spec.buyer_id, "sellerId": spec.seller_id}
        self._carrier = spec.record()

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        ep = ENDPOINTS.get(what.resource)
        if ep is None or what.resource not in self.spec.capabilities:
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not offer {what.resource.value}",
                carrier=self.spec.id,
            )
        param = filter_param(self.spec, what.resource, what.key)
        step = self.spec.max_keys_per_call
        chunks = chunked(keys, step)
        lists = await asyncio.gather(
            *(self._list(what.resource, ep, param, chunk) for chunk in chunks)
        )
        grouped: dict[str, list[Any]] = defaultdict(list)
        pairs = what.resource is Resource.INVOICE_LINES
        for objs in lists:
            for obj in objs:
                record = self._read(ep, obj)
                if pairs:
                    grouped[record[0]].append(record[1])
                else:
                    grouped[what.key_of(record)].append(record)
        return grouped

    def _read(self, ep: Endpoint, obj: object) -> Any:  # noqa: ANN401 - one of the records
        carrier = self.spec.id
        if not isinstance(obj, Mapping):
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent a {ep.record} that is not an object",
                carrier=carrier,
                record=ep.record,
            )
        try:
            return ep.read(self.reader, obj)
        except FieldError as exc:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent an invalid {ep.record}: {exc}",
                carrier=carrier,
                record=ep.record,
                field=exc.field,
            ) from exc
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent a malformed {ep.record}",
                carrier=carrier,
                record=ep.record,
            ) from exc

    async def _list(
        self, resource: Resource, ep: Endpoint, param: str, keys: Sequence[str]
    ) -> list[Any]:
        """Every record matching the keys, however many pages that takes."""
        path = self._paths[resource]
        params = {param: ",".join(keys), **self._parties}
        carrier = self.spec.id

        async def page(query: Mapping[str, str], url: str | None) -> JsonPage:
            answer = await self.client.get_json(url or path, query)
            if not isinstance(answer.body, list):
                raise UpstreamInvalid(
                    f"carrier '{carrier}' sent a {ep.record} list that is not a JSON array",
                    carrier=carrier,
                    record=ep.record,
                )
            return answer

        return await collect(
            self.spec.paging, page, lambda answer: answer.body, params, carrier=carrier
        )

    async def aclose(self) -> None:
        await self.client.aclose()
