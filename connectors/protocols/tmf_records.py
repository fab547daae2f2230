"""TM Forum wire records -> normalized records (TMF666, TMF637, TMF678, TMF622, TMF621).

The reading half of the TMF adapter, kept apart from the paging and batching half so
each stays small. Every reader raises :class:`~connectors.mapping.FieldError` naming
the wire field it could not read; the connector adds carrier and record.

Extensions beyond the v4 resource models (documented in docs/connectors.md): order
``milestone`` follows TMF622 v5 (``name``, ``milestoneDate``) plus ``plannedDate``;
ticket ``observedImpact`` and ``slaTargetDate`` follow MEF Sonata's trouble ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.mapping import (
    FieldError,
    StatusMap,
    build_status_map,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_money,
    require,
)
from connectors.models import (
    AccountStatus,
    Address,
    CarrierAccount,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceStatus,
    MilestoneKind,
    Money,
    Note,
    NoteVisibility,
    ObservedImpact,
    Order,
    OrderItem,
    OrderKind,
    OrderMilestone,
    OrderStatus,
    Product,
    QuoteStatus,
    Service,
    ServiceStatus,
    StatusChange,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
    TroubleTicket,
)

if TYPE_CHECKING:
    from connectors.spec import TmfSpec

__all__ = [
    "DEFAULT_STATUS_MAPS",
    "Json",
    "TmfMaps",
    "read_account",
    "read_invoice",
    "read_invoice_line",
    "read_order",
    "read_service",
    "read_ticket",
]

Json = Mapping[str, Any]
T = TypeVar("T")

DEFAULT_STATUS_MAPS: Mapping[str, Mapping[str, str]] = {
    "account": {"active": "ACTIVE", "suspended": "SUSPENDED", "closed": "CLOSED"},
    "service": {
        "active": "ACTIVE",
        "pendingActive": "PENDING",
        "created": "PENDING",
        "suspended": "SUSPENDED",
        "terminated": "DISCONNECTED",
        "pendingTerminate": "ACTIVE",
    },
    "invoice": {
        "sent": "ISSUED",
        "new": "ISSUED",
        "validated": "ISSUED",
        "paymentDue": "PAYMENT_DUE",
        "partiallyPaid": "PAYMENT_DUE",
        "settled": "PAID",
        "overdue": "OVERDUE",
        "disputed": "DISPUTED",
        "onHold": "DISPUTED",
        "credited": "CREDITED",
    },
    "order": {
        "acknowledged": "ACKNOWLEDGED",
        "inProgress": "IN_PROGRESS",
        "pending": "PENDING",
        "held": "HELD",
        "partial": "PARTIAL",
        "completed": "COMPLETED",
        "cancelled": "CANCELLED",
        "pendingCancellation": "PENDING_CANCELLATION",
        "assessingCancellation": "PENDING_CANCELLATION",
        "rejected": "REJECTED",
        "failed": "FAILED",
    },
    "milestone": {m.value.replace("_", " ").title(): m.value for m in MilestoneKind}
    | {"FOC": "FOC", "LEC Due": "LEC_DUE"},
    "ticket": {
        "acknowledged": "ACKNOWLEDGED",
        "pending": "PENDING",
        "held": "PENDING",
        "inProgress": "IN_PROGRESS",
        "resolved": "RESOLVED",
        "closed": "CLOSED",
        "cancelled": "CANCELLED",
        "reopened": "REOPENED",
    },
    "ticket_severity": {s.value.title(): s.value for s in TicketSeverity},
    "ticket_priority": {p.value.title(): p.value for p in TicketPriority},
    "quote": {
        "pending": "PENDING",
        "inProgress": "IN_PROGRESS",
        "approved": "APPROVED",
        "accepted": "ACCEPTED",
        "rejected": "REJECTED",
        "cancelled": "CANCELLED",
        "expired": "EXPIRED",
    },
}

_ORDER_KIND = {
    "new": OrderKind.NEW,
    "change": OrderKind.CHANGE,
    "move": OrderKind.MOVE,
    "disconnect": OrderKind.DISCONNECT,
}
_ITEM_ACTION = {
    "add": OrderKind.NEW,
    "modify": OrderKind.CHANGE,
    "move": OrderKind.MOVE,
    "delete": OrderKind.DISCONNECT,
}
_LINE_KIND = {
    "recurring": InvoiceLineKind.RECURRING,
    "oneTime": InvoiceLineKind.ONE_TIME,
    "usage": InvoiceLineKind.USAGE,
    "tax": InvoiceLineKind.TAX,
    "credit": InvoiceLineKind.CREDIT,
    "adjustment": InvoiceLineKind.ADJUSTMENT,
}


@dataclass(frozen=True, slots=True)
class TmfMaps:
    """The status vocabularies of one carrier, defaults merged with its file."""

    account: StatusMap[AccountStatus]
    service: StatusMap[ServiceStatus]
    invoice: StatusMap[InvoiceStatus]
    order: StatusMap[OrderStatus]
    milestone: StatusMap[MilestoneKind]
    ticket: StatusMap[TicketStatus]
    ticket_severity: StatusMap[TicketSeverity]
    ticket_priority: StatusMap[TicketPriority]
    quote: StatusMap[QuoteStatus]

    @classmethod
    def for_spec(cls, spec: TmfSpec) -> TmfMaps:
        """Build the maps, naming the carrier file's field on a bad enum name."""
        o = spec.status_maps
        d = DEFAULT_STATUS_MAPS

        def build(name: str, enum: Any, overrides: Mapping[str, str]) -> Any:  # noqa: ANN401
            return build_status_map(enum, d[name], overrides, f"status_maps.{name}")

        return cls(
            account=build("account", AccountStatus, o.account),
            service=build("service", ServiceStatus, o.service),
            invoice=build("invoice", InvoiceStatus, o.invoice),
            order=build("order", OrderStatus, o.order),
            milestone=build("milestone", MilestoneKind, o.milestone),
            ticket=build("ticket", TicketStatus, o.ticket),
            ticket_severity=build("ticket_severity", TicketSeverity, o.ticket_severity),
            ticket_priority=build("ticket_priority", TicketPriority, o.ticket_priority),
            quote=build("quote", QuoteStatus, o.quote),
        )


def _ref_id(obj: Json, key: str) -> str:
    ref = require(obj, key)
    if not isinstance(ref, Mapping):
        raise FieldError(key, "expected a reference object")
    return _str(ref, "id", f"{key}.id")


def _str(obj: Json, key: str, field: str | None = None) -> str:
    value = require(obj, key, field)
    if not isinstance(value, str):
        raise FieldError(field or key, "expected a string")
    return value


def _opt_str(obj: Json, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(key, "expected a string")
    return value


def _list(obj: Json, key: str) -> list[Json]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise FieldError(key, "expected a list of objects")
    return value


def _address(obj: Json, field: str) -> Address:
    try:
        return Address(
            street=_str(obj, "streetName"),
            city=_str(obj, "city"),
            state=_str(obj, "stateOrProvince"),
            postcode=_str(obj, "postcode"),
            country=_str(obj, "country"),
        )
    except FieldError as exc:
        raise FieldError(f"{field}.{exc.field}", exc.problem) from None


def _characteristics(obj: Json) -> dict[str, Any]:
    return {
        _str(c, "name", "productCharacteristic.name"): c.get("value")
        for c in _list(obj, "productCharacteristic")
    }


def _notes(obj: Json) -> tuple[Note, ...]:
    return tuple(
        Note(
            author=_str(n, "author", "note.author"),
            organization=n.get("authorOrganization") or "",
            created_at=parse_datetime(n.get("date"), "note.date"),
            text=_str(n, "text", "note.text"),
            visibility=NoteVisibility.INTERNAL
            if n.get("visibility") == "internal"
            else NoteVisibility.PUBLIC,
        )
        for n in _list(obj, "note")
    )


def _enum(mapping: Mapping[str, T], value: object, field: str) -> T:
    if not isinstance(value, str) or value not in mapping:
        raise FieldError(field, f"unmapped code '{value}'")
    return mapping[value]


def _product(value: object, field: str) -> Product:
    if not isinstance(value, str) or value not in Product.__members__:
        raise FieldError(field, f"unknown product '{value}'")
    return Product[value]


def read_account(carrier: str, obj: Json, maps: TmfMaps) -> CarrierAccount:
    """TMF666 BillingAccount -> CarrierAccount."""
    contact = _list(obj, "contact")
    postal = next(
        (
            m
            for c in contact
            for m in _list(c, "contactMedium")
            if m.get("mediumType") == "postalAddress"
        ),
        None,
    )
    if postal is None:
        raise FieldError("contact.contactMedium", "no postalAddress medium")
    ch = require(postal, "characteristic", "contactMedium.characteristic")
    balance = _list(obj, "accountBalance")
    if not balance:
        raise FieldError("accountBalance", "missing")
    currency = parse_money(balance[0].get("amount"), "accountBalance.amount").currency
    return CarrierAccount(
        carrier=carrier,
        account_number=_str(obj, "id"),
        name=_str(obj, "name"),
        status=maps.account.read(obj.get("state"), "state"),
        billing_address=Address(
            street=_str(ch, "street1", "characteristic.street1"),
            city=_str(ch, "city", "characteristic.city"),
            state=_str(ch, "stateOrProvince", "characteristic.stateOrProvince"),
            postcode=_str(ch, "postCode", "characteristic.postCode"),
            country=_str(ch, "country", "characteristic.country"),
        ),
        created_at=parse_datetime(obj.get("createdDate"), "createdDate"),
        currency=currency,
    )


def read_service(carrier: str, obj: Json, maps: TmfMaps) -> Service:
    """TMF637 Product -> Service."""
    chars = _characteristics(obj)
    places = {p.get("role"): p for p in _list(obj, "place")}
    if "serviceAddress" not in places:
        raise FieldError("place", "no place with role 'serviceAddress'")
    prices = {p.get("priceType"): p for p in _list(obj, "productPrice")}
    terms = _list(obj, "productTerm")
    if not terms:
        raise FieldError("productTerm", "missing")
    term = terms[0]
    bandwidth = chars.get("bandwidthMbps")
    numbers = chars.get("telephoneNumbers") or []
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise FieldError("productCharacteristic.telephoneNumbers", "expected a list of strings")
    start = obj.get("startDate")
    end = (term.get("validFor") or {}).get("endDateTime")

    def price(kind: str) -> Money:
        entry = prices.get(kind)
        if entry is None:
            raise FieldError("productPrice", f"no '{kind}' price")
        return parse_money(
            (entry.get("price") or {}).get("dutyFreeAmount"),
            f"productPrice[{kind}].price.dutyFreeAmount",
        )

    z_end = places.get("zEndAddress")
    return Service(
        carrier=carrier,
        account_number=_ref_id(obj, "billingAccount"),
        service_id=_str(obj, "id"),
        circuit_id=_opt_str(obj, "productSerialNumber"),
        telephone_numbers=tuple(numbers),
        product=_product(_ref_id(obj, "productSpecification"), "productSpecification.id"),
        bandwidth_mbps=None
        if bandwidth is None
        else int(parse_decimal(bandwidth, "productCharacteristic.bandwidthMbps")),
        service_address=_address(places["serviceAddress"], "place[serviceAddress]"),
        z_address=None if z_end is None else _address(z_end, "place[zEndAddress]"),
        status=maps.service.read(obj.get("status"), "status"),
        activated_at=None if start is None else parse_datetime(start, "startDate"),
        mrc=price("recurring"),
        nrc=price("oneTime"),
        term_months=int(
            parse_decimal((term.get("duration") or {}).get("amount"), "productTerm.duration.amount")
        ),
        contract_end=None if end is None else parse_date(end, "productTerm.validFor.endDateTime"),
    )


def read_invoice(carrier: str, obj: Json, maps: TmfMaps) -> Invoice:
    """TMF678 CustomerBill -> Invoice."""
    period = require(obj, "billingPeriod")
    taxes = _list(obj, "taxItem")
    total = parse_money(obj.get("taxIncludedAmount"), "taxIncludedAmount")
    tax_total = sum(
        (parse_money(t.get("taxAmount"), "taxItem.taxAmount").amount for t in taxes),
        start=parse_decimal(0, "taxItem"),
    )
    return Invoice(
        carrier=carrier,
        account_number=_ref_id(obj, "billingAccount"),
        invoice_number=_str(obj, "billNo"),
        period_start=parse_date(period.get("startDateTime"), "billingPeriod.startDateTime"),
        period_end=parse_date(period.get("endDateTime"), "billingPeriod.endDateTime"),
        issued_at=parse_datetime(obj.get("billDate"), "billDate"),
        due_at=parse_datetime(obj.get("paymentDueDate"), "paymentDueDate"),
        status=maps.invoice.read(obj.get("state"), "state"),
        total=total,
        taxes=Money(tax_total.quantize(parse_decimal("0.01", "taxItem")), total.currency),
    )


def read_invoice_line(carrier: str, obj: Json, maps: TmfMaps) -> tuple[str, InvoiceLine]:
    """TMF678 AppliedCustomerBillingRate -> (invoice number, InvoiceLine)."""
    del carrier, maps
    chars = {
        _str(c, "name", "characteristic.name"): c.get("value") for c in _list(obj, "characteristic")
    }
    product = obj.get("product")
    return _ref_id(obj, "bill"), InvoiceLine(
        kind=_enum(_LINE_KIND, obj.get("type"), "type"),
        service_id=None if not isinstance(product, Mapping) else _str(product, "id", "product.id"),
        description=_str(obj, "description"),
        quantity=parse_decimal(chars.get("quantity", 1), "characteristic.quantity"),
        amount=parse_money(obj.get("taxExcludedAmount"), "taxExcludedAmount"),
    )


def read_order(carrier: str, obj: Json, maps: TmfMaps) -> Order:
    """TMF622 ProductOrder -> Order."""
    requested = obj.get("requestedCompletionDate")
    committed = obj.get("expectedCompletionDate")
    return Order(
        carrier=carrier,
        account_number=_ref_id(obj, "billingAccount"),
        order_id=_str(obj, "id"),
        purchase_order_number=_opt_str(obj, "externalId"),
        kind=_enum(_ORDER_KIND, obj.get("category"), "category"),
        status=maps.order.read(obj.get("state"), "state"),
        ordered_at=parse_datetime(obj.get("orderDate"), "orderDate"),
        requested_date=None
        if requested is None
        else parse_date(requested, "requestedCompletionDate"),
        committed_date=None
        if committed is None
        else parse_date(committed, "expectedCompletionDate"),
        items=tuple(
            OrderItem(
                item_id=_str(i, "id", "productOrderItem.id"),
                action=_enum(_ITEM_ACTION, i.get("action"), "productOrderItem.action"),
                product=_product(
                    ((i.get("product") or {}).get("productSpecification") or {}).get("id"),
                    "productOrderItem.product.productSpecification.id",
                ),
                status=maps.order.read(i.get("state"), "productOrderItem.state"),
                service_id=(i.get("product") or {}).get("id"),
            )
            for i in _list(obj, "productOrderItem")
        ),
        milestones=tuple(
            OrderMilestone(
                kind=maps.milestone.read(m.get("name"), "milestone.name"),
                planned_at=None
                if m.get("plannedDate") is None
                else parse_datetime(m.get("plannedDate"), "milestone.plannedDate"),
                actual_at=None
                if m.get("milestoneDate") is None
                else parse_datetime(m.get("milestoneDate"), "milestone.milestoneDate"),
                note=_opt_str(m, "message"),
            )
            for m in _list(obj, "milestone")
        ),
        notes=_notes(obj),
    )


def read_ticket(carrier: str, obj: Json, maps: TmfMaps) -> TroubleTicket:
    """TMF621 TroubleTicket -> TroubleTicket."""
    related = {e.get("role"): e for e in _list(obj, "relatedEntity")}
    account = related.get("billingAccount")
    if account is None:
        raise FieldError("relatedEntity", "no entity with role 'billingAccount'")
    product = related.get("affectedProduct")

    def opt_time(key: str) -> Any:  # noqa: ANN401
        value = obj.get(key)
        return None if value is None else parse_datetime(value, key)

    return TroubleTicket(
        carrier=carrier,
        account_number=_str(account, "id", "relatedEntity[billingAccount].id"),
        ticket_id=_str(obj, "id"),
        service_id=None
        if product is None
        else _str(product, "id", "relatedEntity[affectedProduct].id"),
        type=_enum(TicketType.__members__, str(obj.get("ticketType", "")).upper(), "ticketType"),
        severity=maps.ticket_severity.read(obj.get("severity"), "severity"),
        priority=maps.ticket_priority.read(obj.get("priority"), "priority"),
        observed_impact=_enum(
            ObservedImpact.__members__, obj.get("observedImpact"), "observedImpact"
        ),
        status=maps.ticket.read(obj.get("status"), "status"),
        description=_str(obj, "description"),
        opened_at=parse_datetime(obj.get("creationDate"), "creationDate"),
        expected_resolution_at=opt_time("expectedResolutionDate"),
        resolved_at=opt_time("resolutionDate"),
        sla_target=opt_time("slaTargetDate"),
        status_changes=tuple(
            StatusChange(
                status=maps.ticket.read(c.get("status"), "statusChange.status"),
                changed_at=parse_datetime(c.get("changeDate"), "statusChange.changeDate"),
            )
            for c in _list(obj, "statusChange")
        ),
        notes=_notes(obj),
    )
