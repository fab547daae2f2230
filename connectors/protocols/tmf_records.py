"""TM Forum wire records -> normalized records (TMF666, TMF637, TMF678, TMF622, TMF621).

The reading half of the TMF adapter, kept apart from the paging and batching half so
each stays small. Every reader raises :class:`~connectors.mapping.FieldError` naming
the wire field it could not read; the connector adds carrier and record.

Extensions beyond the v4 resource models (documented in docs/connectors.md): order
``milestone`` follows TMF622 v5 (``name``, ``milestoneDate``) plus ``plannedDate``;
ticket ``observedImpact`` and ``slaTargetDate`` follow MEF Sonata's trouble ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.mapping import (
    FieldError,
    Salvage,
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
    from datetime import datetime

    from connectors.spec import TmfSpec

__all__ = [
    "DEFAULT_STATUS_MAPS",
    "Json",
    "TmfMaps",
    "account_link",
    "read_account",
    "read_invoice",
    "read_invoice_line",
    "read_order",
    "read_service",
    "read_ticket",
]

Json = Mapping[str, Any]
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_ACCOUNT_ROLES = frozenset({"billingaccount", "billing account", "account"})

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
    roles: frozenset[str] = _ACCOUNT_ROLES
    """Roles of a related party or entity that names the record's billing account."""

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
            roles=spec.account_link.roles,
        )


def _ref_id(obj: Json, key: str) -> str:
    ref = require(obj, key)
    if not isinstance(ref, dict):
        raise FieldError(key, "expected a reference object")
    return _str(ref, "id", f"{key}.id")


def _ref(value: object) -> str | None:
    """The id of a reference object, or of the first one of a list (TMF648 quotes)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict) and v.get("id")), None)
    if isinstance(value, dict):
        ident = value.get("id")
        if isinstance(ident, str) and ident:
            return ident
    return None


def account_link(obj: Json, roles: frozenset[str] = _ACCOUNT_ROLES) -> str:
    """The billing account a record belongs to: its identity's other half.

    The ``billingAccount`` reference where the spec has one (a list of them on TMF648
    quotes), else a related party or related entity that refers to a billing account
    (by ``@referredType``, or by one of the carrier's ``roles``; TMF635 usage has no
    other link).

    Raises:
        FieldError: no readable link (the record cannot be placed: it is left out
            unless the carrier file names a fallback).
    """
    ref = _ref(obj.get("billingAccount"))
    if ref is not None:
        return ref
    for key in ("relatedEntity", "relatedParty"):
        entries = obj.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            role = entry.get("role")
            referred = entry.get("@referredType")
            named = (isinstance(role, str) and role.lower() in roles) or (
                isinstance(referred, str) and referred.lower() == "billingaccount"
            )
            ident = entry.get("id")
            if named and isinstance(ident, str) and ident:
                return ident
    raise FieldError("billingAccount", "no billing account reference or related account")


def _str(obj: Json, key: str, field: str | None = None) -> str:
    value = require(obj, key, field)
    if not isinstance(value, str):
        raise FieldError(field or key, "expected a string")
    return value


def _opt_str(obj: Json, key: str, field: str | None = None) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(field or key, "expected a string")
    return value


def _list(obj: Json, key: str) -> list[Json]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise FieldError(key, "expected a list of objects")
    return value


def _object(obj: Json, key: str) -> Json:
    """The object at ``key``, or an empty one when absent or not an object."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _safe_list(obj: Json, key: str) -> list[Json]:
    """The objects of a list, skipping entries that are not objects (no error)."""
    value = obj.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def _address(obj: Json, field: str) -> Address:
    street = obj.get("streetName")
    if isinstance(street, str) and obj.get("streetNr"):
        street = f"{obj.get('streetNr')} {street}"
    parts = {
        "street": street if isinstance(street, str) else None,
        "city": obj.get("city"),
        "state": obj.get("stateOrProvince"),
        "postcode": obj.get("postcode"),
        "country": obj.get("country"),
    }
    for name, value in parts.items():
        if value is not None and not isinstance(value, str):
            raise FieldError(f"{field}.{name}", "expected a string")
    return Address(**parts)


def _characteristics(obj: Json, key: str = "productCharacteristic") -> dict[str, Any]:
    return {
        c["name"]: c.get("value") for c in _safe_list(obj, key) if isinstance(c.get("name"), str)
    }


def _notes(obj: Json) -> tuple[Note, ...]:
    notes = []
    for n in _safe_list(obj, "note"):
        text = n.get("text")
        if not isinstance(text, str):
            continue  # a note without text says nothing
        when = n.get("date")
        created: datetime | None = None
        if when is not None:
            try:
                created = parse_datetime(when, "note.date")
            except FieldError:
                created = None
        author = n.get("author")
        organization = n.get("authorOrganization")
        notes.append(
            Note(
                author=author if isinstance(author, str) else None,
                organization=organization if isinstance(organization, str) else "",
                created_at=created,
                text=text,
                visibility=NoteVisibility.INTERNAL
                if n.get("visibility") == "internal"
                else NoteVisibility.PUBLIC,
            )
        )
    return tuple(notes)


def _enum(mapping: Mapping[str, T], value: object, field: str, fallback: T) -> T:
    if not isinstance(value, str):
        raise FieldError(field, "expected a code string")
    return mapping.get(value, fallback)


def _product(value: object, field: str) -> Product:
    if not isinstance(value, str):
        raise FieldError(field, "expected a product code string")
    return Product.__members__.get(value, Product.OTHER)


def _code(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _opt(
    salvage: Salvage, name: str, obj: Json, key: str, parse: Callable[[object, str], T]
) -> T | None:
    """An optional value: None when absent, a problem when present but unreadable."""
    value = obj.get(key)
    if value is None:
        return None
    try:  # Salvage.get inlined: this runs for most values of every record
        return parse(value, key)
    except FieldError as exc:
        salvage.note(name, exc)
        return None


def _status(
    salvage: Salvage, name: str, vocabulary: StatusMap[E], value: object, field: str
) -> E | None:
    if value is None:
        return None
    try:
        return vocabulary.lenient(value, field)
    except FieldError as exc:
        salvage.note(name, exc)
        return None


def _int(value: object, field: str) -> int:
    number = parse_decimal(value, field)
    if abs(number) > 10**9:
        raise FieldError(field, "out of range")
    return int(number)


def read_account(carrier: str, obj: Json, maps: TmfMaps) -> CarrierAccount:
    """TMF666 BillingAccount -> CarrierAccount (only ``id`` is needed)."""
    s = Salvage()
    postal = next(
        (
            m
            for c in _safe_list(obj, "contact")
            for m in _safe_list(c, "contactMedium")
            if m.get("mediumType") == "postalAddress"
        ),
        None,
    )
    address = None
    if postal is not None and isinstance(postal.get("characteristic"), Mapping):
        ch = postal["characteristic"]
        address = s.get(
            "billing_address",
            lambda: _address(
                {
                    "streetName": ch.get("street1"),
                    "city": ch.get("city"),
                    "stateOrProvince": ch.get("stateOrProvince"),
                    "postcode": ch.get("postCode"),
                    "country": ch.get("country"),
                },
                "contactMedium.characteristic",
            ),
        )
    balance = _safe_list(obj, "accountBalance")
    currency = None
    if balance and balance[0].get("amount") is not None:
        money = s.get(
            "currency", lambda: parse_money(balance[0].get("amount"), "accountBalance.amount")
        )
        currency = None if money is None else money.currency
    state = obj.get("state")
    return CarrierAccount(
        carrier=carrier,
        account_number=_str(obj, "id"),
        name=_opt(s, "name", obj, "name", _as_str),
        status=_status(s, "status", maps.account, state, "state"),
        billing_address=address,
        created_at=_opt(s, "created_at", obj, "createdDate", parse_datetime),
        currency=currency,
        status_code=_code(state),
        problems=s.done(),
    )


def _as_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise FieldError(field, "expected a string")
    return value


def _price(
    s: Salvage, name: str, prices: Mapping[object, Json], kind: str, field: str
) -> Money | None:
    entry = prices.get(kind)
    if entry is None:
        return None
    amount = (
        (entry.get("price") or {}).get("dutyFreeAmount")
        if isinstance(entry.get("price"), Mapping)
        else None
    )
    if amount is None:
        return None
    return s.get(name, lambda: parse_money(amount, f"{field}[{kind}].price.dutyFreeAmount"))


def read_service(carrier: str, obj: Json, maps: TmfMaps) -> Service:
    """TMF637 Product -> Service (``id`` and an account link are needed)."""
    s = Salvage()
    chars = _characteristics(obj)
    places = {p.get("role"): p for p in _safe_list(obj, "place")}
    prices = {p.get("priceType"): p for p in _safe_list(obj, "productPrice")}
    terms = _safe_list(obj, "productTerm")
    term = terms[0] if terms else {}
    numbers = chars.get("telephoneNumbers") or []
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        s.note(
            "telephone_numbers",
            FieldError("productCharacteristic.telephoneNumbers", "expected a list of strings"),
        )
        numbers = []
    spec_ref = obj.get("productSpecification")
    product_code = spec_ref.get("id") if isinstance(spec_ref, dict) else None
    service_place = places.get("serviceAddress") or places.get("installationAddress")
    z_end = places.get("zEndAddress")
    end = (
        (term.get("validFor") or {}).get("endDateTime")
        if isinstance(term.get("validFor"), Mapping)
        else None
    )
    duration = (
        (term.get("duration") or {}).get("amount")
        if isinstance(term.get("duration"), Mapping)
        else None
    )
    bandwidth = chars.get("bandwidthMbps")
    status = obj.get("status")
    return Service(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        service_id=_str(obj, "id"),
        circuit_id=s.get("circuit_id", lambda: _opt_str(obj, "productSerialNumber")),
        telephone_numbers=tuple(numbers),
        product=None
        if product_code is None
        else s.get("product", lambda: _product(product_code, "productSpecification.id")),
        bandwidth_mbps=None
        if bandwidth is None
        else s.get(
            "bandwidth_mbps", lambda: _int(bandwidth, "productCharacteristic.bandwidthMbps")
        ),
        service_address=None
        if service_place is None
        else s.get("service_address", lambda: _address(service_place, "place[serviceAddress]")),
        z_address=None
        if z_end is None
        else s.get("z_address", lambda: _address(z_end, "place[zEndAddress]")),
        status=_status(s, "status", maps.service, status, "status"),
        activated_at=_opt(s, "activated_at", obj, "startDate", parse_datetime),
        mrc=_price(s, "mrc", prices, "recurring", "productPrice"),
        nrc=_price(s, "nrc", prices, "oneTime", "productPrice"),
        term_months=None
        if duration is None
        else s.get("term_months", lambda: _int(duration, "productTerm.duration.amount")),
        contract_end=None
        if end is None
        else s.get("contract_end", lambda: parse_date(end, "productTerm.validFor.endDateTime")),
        status_code=_code(status),
        product_code=_code(product_code),
        problems=s.done(),
    )


def read_invoice(carrier: str, obj: Json, maps: TmfMaps) -> Invoice:
    """TMF678 CustomerBill -> Invoice (``billNo`` or ``id``, and an account link)."""
    s = Salvage()
    period = _object(obj, "billingPeriod")
    total = _opt(s, "total", obj, "taxIncludedAmount", parse_money)
    taxes: Money | None = None
    items = _safe_list(obj, "taxItem")
    if items:

        def tax_total() -> Money:
            amounts = [parse_money(t.get("taxAmount"), "taxItem.taxAmount") for t in items]
            currency = total.currency if total is not None else amounts[0].currency
            if any(a.currency != currency for a in amounts):
                raise FieldError("taxItem.taxAmount", "taxes in another currency than the total")
            return Money(sum((a.amount for a in amounts), start=_ZERO).quantize(_CENT), currency)

        taxes = s.get("taxes", tax_total)
    elif total is not None:
        taxes = Money(_ZERO.quantize(_CENT), total.currency)
    number = obj.get("billNo") if isinstance(obj.get("billNo"), str) else None
    state = obj.get("state")
    return Invoice(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        invoice_number=number or _str(obj, "id"),
        period_start=_opt(s, "period_start", period, "startDateTime", parse_date),
        period_end=_opt(s, "period_end", period, "endDateTime", parse_date),
        issued_at=_opt(s, "issued_at", obj, "billDate", parse_datetime),
        due_at=_opt(s, "due_at", obj, "paymentDueDate", parse_datetime),
        status=_status(s, "status", maps.invoice, state, "state"),
        total=total,
        taxes=taxes,
        status_code=_code(state),
        problems=s.done(),
    )


def read_invoice_line(carrier: str, obj: Json, maps: TmfMaps) -> tuple[str, InvoiceLine]:
    """TMF678 AppliedCustomerBillingRate -> (invoice number, InvoiceLine)."""
    del carrier, maps
    s = Salvage()
    chars = _characteristics(obj, "characteristic")
    product = obj.get("product")
    kind = obj.get("type")
    quantity = chars.get("quantity", 1)
    return _ref_id(obj, "bill"), InvoiceLine(
        kind=None
        if kind is None
        else s.get("kind", lambda: _enum(_LINE_KIND, kind, "type", InvoiceLineKind.UNKNOWN)),
        service_id=product.get("id")
        if isinstance(product, dict) and isinstance(product.get("id"), str)
        else None,
        description=_opt(s, "description", obj, "description", _as_str),
        quantity=s.get("quantity", lambda: parse_decimal(quantity, "characteristic.quantity")),
        amount=_opt(s, "amount", obj, "taxExcludedAmount", parse_money),
        kind_code=_code(kind),
        problems=s.done(),
    )


def _item(i: Json, maps: TmfMaps) -> OrderItem:
    product = _object(i, "product")
    spec_ref = _object(product, "productSpecification")
    state = i.get("state")
    code = spec_ref.get("id")
    action = i.get("action")
    return OrderItem(
        item_id=str(i.get("id") or ""),
        action=_ITEM_ACTION.get(action, OrderKind.UNKNOWN) if isinstance(action, str) else None,
        product=Product.__members__.get(code, Product.OTHER) if isinstance(code, str) else None,
        status=maps.order.lenient(state, "productOrderItem.state")
        if isinstance(state, str)
        else None,
        service_id=product.get("id") if isinstance(product.get("id"), str) else None,
        status_code=_code(state),
    )


def _milestone(m: Json, maps: TmfMaps) -> OrderMilestone | None:
    name = m.get("name")
    if not isinstance(name, str):
        return None
    planned, actual = m.get("plannedDate"), m.get("milestoneDate")
    try:
        planned_at = None if planned is None else parse_datetime(planned, "milestone.plannedDate")
        actual_at = None if actual is None else parse_datetime(actual, "milestone.milestoneDate")
    except FieldError:
        return None
    message = m.get("message")
    return OrderMilestone(
        kind=maps.milestone.lenient(name, "milestone.name"),
        planned_at=planned_at,
        actual_at=actual_at,
        note=message if isinstance(message, str) else None,
        name=name,
    )


def read_order(carrier: str, obj: Json, maps: TmfMaps) -> Order:
    """TMF622 ProductOrder -> Order (``id`` and an account link); ``category`` is free text."""
    s = Salvage()
    category = obj.get("category")
    state = obj.get("state")
    milestones = tuple(
        m for m in (_milestone(x, maps) for x in _safe_list(obj, "milestone")) if m is not None
    )
    return Order(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        order_id=_str(obj, "id"),
        purchase_order_number=s.get("purchase_order_number", lambda: _opt_str(obj, "externalId")),
        kind=None
        if category is None
        else s.get("kind", lambda: _enum(_ORDER_KIND, category, "category", OrderKind.UNKNOWN)),
        status=_status(s, "status", maps.order, state, "state"),
        ordered_at=_opt(s, "ordered_at", obj, "orderDate", parse_datetime),
        requested_date=_opt(s, "requested_date", obj, "requestedCompletionDate", parse_date),
        committed_date=_opt(s, "committed_date", obj, "expectedCompletionDate", parse_date),
        items=tuple(_item(i, maps) for i in _safe_list(obj, "productOrderItem")),
        milestones=milestones,
        notes=_notes(obj),
        status_code=_code(state),
        kind_code=_code(category),
        problems=s.done(),
    )


def read_ticket(carrier: str, obj: Json, maps: TmfMaps) -> TroubleTicket:
    """TMF621 TroubleTicket -> TroubleTicket (``id`` and an account link)."""
    s = Salvage()
    related = {e.get("role"): e for e in _safe_list(obj, "relatedEntity")}
    product = related.get("affectedProduct")
    ticket_type = obj.get("ticketType")
    status = obj.get("status")
    changes = []
    for c in _safe_list(obj, "statusChange"):
        try:
            changes.append(
                StatusChange(
                    status=maps.ticket.lenient(c.get("status"), "statusChange.status"),
                    changed_at=parse_datetime(c.get("changeDate"), "statusChange.changeDate"),
                )
            )
        except FieldError:
            continue
    impact = obj.get("observedImpact")
    return TroubleTicket(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        ticket_id=_str(obj, "id"),
        service_id=product.get("id")
        if isinstance(product, dict) and isinstance(product.get("id"), str)
        else None,
        type=None
        if ticket_type is None
        else s.get(
            "type",
            lambda: _enum(
                TicketType.__members__, str(ticket_type).upper(), "ticketType", TicketType.UNKNOWN
            ),
        ),
        severity=_status(s, "severity", maps.ticket_severity, obj.get("severity"), "severity"),
        priority=_status(s, "priority", maps.ticket_priority, obj.get("priority"), "priority"),
        observed_impact=None
        if impact is None
        else s.get(
            "observed_impact",
            lambda: _enum(
                ObservedImpact.__members__, impact, "observedImpact", ObservedImpact.UNKNOWN
            ),
        ),
        status=_status(s, "status", maps.ticket, status, "status"),
        description=_opt(s, "description", obj, "description", _as_str),
        opened_at=_opt(s, "opened_at", obj, "creationDate", parse_datetime),
        expected_resolution_at=_opt(
            s, "expected_resolution_at", obj, "expectedResolutionDate", parse_datetime
        ),
        resolved_at=_opt(s, "resolved_at", obj, "resolutionDate", parse_datetime),
        sla_target=_opt(s, "sla_target", obj, "slaTargetDate", parse_datetime),
        status_changes=tuple(changes),
        notes=_notes(obj),
        status_code=_code(status),
        problems=s.done(),
    )
