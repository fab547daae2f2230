"""TM Forum wire records -> normalized records (TMF666, TMF637, TMF678, TMF622, TMF621).

The reading half of the TMF adapter, kept apart from the paging and batching half so
each stays small. Every reader raises :class:`~connectors.mapping.FieldError` naming
the wire field it could not read; the connector adds carrier and record.

Readers run for every record of every answer (about 350 objects for one dashboard), so
they are written for the usual record: each value is read once, without a closure, in
the order of the record's fields (the order its problems are listed in); the usual shape
(a plain object, a string, a remembered date) is taken first and anything else goes
through the general helpers, which name the field; records are built with
:func:`connectors.builders.builder`.

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

from connectors.builders import builder
from connectors.mapping import (
    FieldError,
    Salvage,
    StatusMap,
    build_status_map,
    optional_date,
    optional_datetime,
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
V = TypeVar("V")
E = TypeVar("E", bound=StrEnum)
_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_NO_TAX = _ZERO.quantize(_CENT)
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
_MRC_FIELD = "productPrice[recurring].price.dutyFreeAmount"
_NRC_FIELD = "productPrice[oneTime].price.dutyFreeAmount"
_PRODUCTS: Mapping[str, Product] = dict(Product.__members__)
_TICKET_TYPES: Mapping[str, TicketType] = dict(TicketType.__members__)
_IMPACTS: Mapping[str, ObservedImpact] = dict(ObservedImpact.__members__)

_account = builder(CarrierAccount)
_address_record = builder(Address)
_invoice = builder(Invoice)
_invoice_line = builder(InvoiceLine)
_item_record = builder(OrderItem)
_milestone_record = builder(OrderMilestone)
_money = builder(Money)
_note = builder(Note)
_order = builder(Order)
_service = builder(Service)
_status_change = builder(StatusChange)
_ticket = builder(TroubleTicket)

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
    value = obj.get("billingAccount")
    if value.__class__ is dict:  # the usual reference, read before the general case
        ident = value.get("id")
        if ident.__class__ is str and ident:
            return ident
    ref = _ref(value)
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


def _id(obj: Json) -> str:
    """The record's ``id`` (:func:`_str` for anything but a plain string)."""
    value = obj.get("id")
    return value if value.__class__ is str else _str(obj, "id")


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
    """The objects of a list, skipping entries that are not objects (no error).

    The wire list itself when every entry is an object: callers only read it.
    """
    value = obj.get(key)
    if value.__class__ is list:
        for v in value:
            if v.__class__ is not dict:
                break
        else:
            return value
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def _address(obj: Json, field: str) -> Address:
    street = obj.get("streetName")
    if isinstance(street, str) and obj.get("streetNr"):
        street = f"{obj.get('streetNr')} {street}"
    city = obj.get("city")
    state = obj.get("stateOrProvince")
    postcode = obj.get("postcode")
    country = obj.get("country")
    if not (
        (city is None or city.__class__ is str)
        and (state is None or state.__class__ is str)
        and (postcode is None or postcode.__class__ is str)
        and (country is None or country.__class__ is str)
    ):
        parts = (("city", city), ("state", state), ("postcode", postcode), ("country", country))
        for name, value in parts:
            if value is not None and not isinstance(value, str):
                raise FieldError(f"{field}.{name}", "expected a string")
    return _address_record(
        street=street if isinstance(street, str) else None,
        city=city,
        state=state,
        postcode=postcode,
        country=country,
    )


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
            _note(
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
    return _PRODUCTS.get(value, Product.OTHER)


def _code(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _try(
    salvage: Salvage, name: str, parse: Callable[[V, str], T], value: V, field: str
) -> T | None:
    """``parse(value, field)``, or None with a problem on ``name`` (Salvage.get, no closure)."""
    try:
        return parse(value, field)
    except FieldError as exc:
        salvage.note(name, exc)
        return None


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


def _opt_text(salvage: Salvage, name: str, obj: Json, key: str) -> str | None:
    """An optional string: None when absent, a problem when not a string."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    salvage.note(name, FieldError(key, "expected a string"))
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


def _strings(values: list[Any]) -> bool:
    """Whether every value is a string."""
    for value in values:  # noqa: SIM110 - all() over a generator costs twice as much
        if not isinstance(value, str):
            return False
    return True


def _int(value: object, field: str) -> int:
    if value.__class__ is int and -(10**9) <= value <= 10**9:
        return value  # what the general case makes of it
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
        place = {
            "streetName": ch.get("street1"),
            "city": ch.get("city"),
            "stateOrProvince": ch.get("stateOrProvince"),
            "postcode": ch.get("postCode"),
            "country": ch.get("country"),
        }
        address = _try(s, "billing_address", _address, place, "contactMedium.characteristic")
    balance = _safe_list(obj, "accountBalance")
    currency = None
    if balance and balance[0].get("amount") is not None:
        amount = balance[0].get("amount")
        money = _try(s, "currency", parse_money, amount, "accountBalance.amount")
        currency = None if money is None else money.currency
    state = obj.get("state")
    return _account(
        carrier=carrier,
        account_number=_id(obj),
        name=_opt_text(s, "name", obj, "name"),
        status=_status(s, "status", maps.account, state, "state"),
        billing_address=address,
        created_at=optional_datetime(s, "created_at", obj, "createdDate"),
        currency=currency,
        status_code=_code(state),
        problems=s.done(),
    )


def _inner(value: object, key: str) -> Any:  # noqa: ANN401 - JSON is Any
    """``value[key]`` when ``value`` is a mapping that holds it, else None."""
    if value.__class__ is dict or isinstance(value, Mapping):
        return value.get(key)
    return None


def _price(
    s: Salvage, name: str, prices: Mapping[object, Json], kind: str, field: str
) -> Money | None:
    """The ``dutyFreeAmount`` of the price of type ``kind``; ``field`` names it in problems."""
    entry = prices.get(kind)
    if entry is None:
        return None
    amount = _inner(entry.get("price"), "dutyFreeAmount")
    if amount is None:
        return None
    return _try(s, name, parse_money, amount, field)


def read_service(carrier: str, obj: Json, maps: TmfMaps) -> Service:
    """TMF637 Product -> Service (``id`` and an account link are needed)."""
    s = Salvage()
    chars = _characteristics(obj)
    places = {p.get("role"): p for p in _safe_list(obj, "place")}
    prices = {p.get("priceType"): p for p in _safe_list(obj, "productPrice")}
    terms = _safe_list(obj, "productTerm")
    term = terms[0] if terms else {}
    numbers = chars.get("telephoneNumbers") or []
    if not isinstance(numbers, list) or not _strings(numbers):
        s.note(
            "telephone_numbers",
            FieldError("productCharacteristic.telephoneNumbers", "expected a list of strings"),
        )
        numbers = []
    spec_ref = obj.get("productSpecification")
    product_code = spec_ref.get("id") if isinstance(spec_ref, dict) else None
    service_place = places.get("serviceAddress") or places.get("installationAddress")
    z_end = places.get("zEndAddress")
    end = _inner(term.get("validFor"), "endDateTime")
    duration = _inner(term.get("duration"), "amount")
    bandwidth = chars.get("bandwidthMbps")
    status = obj.get("status")
    # Read in the order the record's fields are declared: problems come out in that order.
    account_number = account_link(obj, maps.roles)
    service_id = _id(obj)
    circuit_id = _opt_text(s, "circuit_id", obj, "productSerialNumber")
    product = (
        None
        if product_code is None
        else _try(s, "product", _product, product_code, "productSpecification.id")
    )
    bandwidth_mbps = (
        None
        if bandwidth is None
        else _try(s, "bandwidth_mbps", _int, bandwidth, "productCharacteristic.bandwidthMbps")
    )
    service_address = (
        None
        if service_place is None
        else _try(s, "service_address", _address, service_place, "place[serviceAddress]")
    )
    z_address = (
        None if z_end is None else _try(s, "z_address", _address, z_end, "place[zEndAddress]")
    )
    return _service(
        carrier=carrier,
        account_number=account_number,
        service_id=service_id,
        circuit_id=circuit_id,
        telephone_numbers=tuple(numbers),
        product=product,
        bandwidth_mbps=bandwidth_mbps,
        service_address=service_address,
        z_address=z_address,
        status=_status(s, "status", maps.service, status, "status"),
        activated_at=optional_datetime(s, "activated_at", obj, "startDate"),
        mrc=_price(s, "mrc", prices, "recurring", _MRC_FIELD),
        nrc=_price(s, "nrc", prices, "oneTime", _NRC_FIELD),
        term_months=None
        if duration is None
        else _try(s, "term_months", _int, duration, "productTerm.duration.amount"),
        contract_end=None
        if end is None
        else _try(s, "contract_end", parse_date, end, "productTerm.validFor.endDateTime"),
        status_code=_code(status),
        product_code=_code(product_code),
        problems=s.done(),
    )


def _tax_total(items: list[Json], total: Money | None) -> Money:
    """The bill's taxes summed, in the total's currency (or the first tax's).

    An unreadable amount is reported before a currency mismatch, wherever each is.
    """
    currency = "" if total is None else total.currency
    mismatch = False
    summed = _ZERO
    for t in items:
        amount = parse_money(t.get("taxAmount"), "taxItem.taxAmount")
        if not currency:
            currency = amount.currency
        elif amount.currency != currency:
            mismatch = True
        summed += amount.amount  # sum() from zero, in the same order
    if mismatch:
        raise FieldError("taxItem.taxAmount", "taxes in another currency than the total")
    return _money(summed.quantize(_CENT), currency)


def read_invoice(carrier: str, obj: Json, maps: TmfMaps) -> Invoice:
    """TMF678 CustomerBill -> Invoice (``billNo`` or ``id``, and an account link)."""
    s = Salvage()
    period = _object(obj, "billingPeriod")
    total = _opt(s, "total", obj, "taxIncludedAmount", parse_money)
    taxes: Money | None = None
    items = _safe_list(obj, "taxItem")
    if items:
        try:
            taxes = _tax_total(items, total)
        except FieldError as exc:
            s.note("taxes", exc)
    elif total is not None:
        taxes = _money(_NO_TAX, total.currency)
    number = obj.get("billNo")
    state = obj.get("state")
    return _invoice(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        invoice_number=(number if isinstance(number, str) else None) or _id(obj),
        period_start=optional_date(s, "period_start", period, "startDateTime"),
        period_end=optional_date(s, "period_end", period, "endDateTime"),
        issued_at=optional_datetime(s, "issued_at", obj, "billDate"),
        due_at=optional_datetime(s, "due_at", obj, "paymentDueDate"),
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
    invoice = _ref_id(obj, "bill")
    return invoice, _invoice_line(
        kind=None if kind is None else _try(s, "kind", _line_kind, kind, "type"),
        service_id=product.get("id")
        if isinstance(product, dict) and isinstance(product.get("id"), str)
        else None,
        description=_opt_text(s, "description", obj, "description"),
        quantity=_try(s, "quantity", parse_decimal, quantity, "characteristic.quantity"),
        amount=_opt(s, "amount", obj, "taxExcludedAmount", parse_money),
        kind_code=_code(kind),
        problems=s.done(),
    )


def _line_kind(value: object, field: str) -> InvoiceLineKind:
    return _enum(_LINE_KIND, value, field, InvoiceLineKind.UNKNOWN)


def _item(i: Json, maps: TmfMaps) -> OrderItem:
    product = _object(i, "product")
    spec_ref = _object(product, "productSpecification")
    state = i.get("state")
    code = spec_ref.get("id")
    action = i.get("action")
    service = product.get("id")
    return _item_record(
        item_id=str(i.get("id") or ""),
        action=_ITEM_ACTION.get(action, OrderKind.UNKNOWN) if isinstance(action, str) else None,
        product=_PRODUCTS.get(code, Product.OTHER) if isinstance(code, str) else None,
        status=maps.order.lenient(state, "productOrderItem.state")
        if isinstance(state, str)
        else None,
        service_id=service if isinstance(service, str) else None,
        status_code=_code(state),
    )


def _milestones(obj: Json, maps: TmfMaps) -> tuple[OrderMilestone, ...]:
    """The readable milestones; one without a name or with an unreadable date is skipped."""
    entries = obj.get("milestone")
    if not isinstance(entries, list):
        return ()
    lenient = maps.milestone.lenient
    found = []
    for m in entries:
        if not isinstance(m, dict):
            continue
        name = m.get("name")
        if not isinstance(name, str):
            continue
        planned, actual = m.get("plannedDate"), m.get("milestoneDate")
        try:
            planned_at = (
                None if planned is None else parse_datetime(planned, "milestone.plannedDate")
            )
            actual_at = (
                None if actual is None else parse_datetime(actual, "milestone.milestoneDate")
            )
        except FieldError:
            continue
        message = m.get("message")
        found.append(
            _milestone_record(
                kind=lenient(name, "milestone.name"),
                planned_at=planned_at,
                actual_at=actual_at,
                note=message if isinstance(message, str) else None,
                name=name,
            )
        )
    return tuple(found)


def read_order(carrier: str, obj: Json, maps: TmfMaps) -> Order:
    """TMF622 ProductOrder -> Order (``id`` and an account link); ``category`` is free text."""
    s = Salvage()
    category = obj.get("category")
    state = obj.get("state")
    milestones = _milestones(obj, maps)
    return _order(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        order_id=_id(obj),
        purchase_order_number=_opt_text(s, "purchase_order_number", obj, "externalId"),
        kind=None if category is None else _try(s, "kind", _order_kind, category, "category"),
        status=_status(s, "status", maps.order, state, "state"),
        ordered_at=optional_datetime(s, "ordered_at", obj, "orderDate"),
        requested_date=optional_date(s, "requested_date", obj, "requestedCompletionDate"),
        committed_date=optional_date(s, "committed_date", obj, "expectedCompletionDate"),
        items=tuple(_item(i, maps) for i in _safe_list(obj, "productOrderItem")),
        milestones=milestones,
        notes=_notes(obj),
        status_code=_code(state),
        kind_code=_code(category),
        problems=s.done(),
    )


def _order_kind(value: object, field: str) -> OrderKind:
    return _enum(_ORDER_KIND, value, field, OrderKind.UNKNOWN)


def _impact(value: object, field: str) -> ObservedImpact:
    return _enum(_IMPACTS, value, field, ObservedImpact.UNKNOWN)


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
                _status_change(
                    status=maps.ticket.lenient(c.get("status"), "statusChange.status"),
                    changed_at=parse_datetime(c.get("changeDate"), "statusChange.changeDate"),
                )
            )
        except FieldError:
            continue
    impact = obj.get("observedImpact")
    return _ticket(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        ticket_id=_id(obj),
        service_id=product.get("id")
        if isinstance(product, dict) and isinstance(product.get("id"), str)
        else None,
        type=None
        if ticket_type is None
        else _TICKET_TYPES.get(str(ticket_type).upper(), TicketType.UNKNOWN),
        severity=_status(s, "severity", maps.ticket_severity, obj.get("severity"), "severity"),
        priority=_status(s, "priority", maps.ticket_priority, obj.get("priority"), "priority"),
        observed_impact=None
        if impact is None
        else _try(s, "observed_impact", _impact, impact, "observedImpact"),
        status=_status(s, "status", maps.ticket, status, "status"),
        description=_opt_text(s, "description", obj, "description"),
        opened_at=optional_datetime(s, "opened_at", obj, "creationDate"),
        expected_resolution_at=optional_datetime(
            s, "expected_resolution_at", obj, "expectedResolutionDate"
        ),
        resolved_at=optional_datetime(s, "resolved_at", obj, "resolutionDate"),
        sla_target=optional_datetime(s, "sla_target", obj, "slaTargetDate"),
        status_changes=tuple(changes),
        notes=_notes(obj),
        status_code=_code(status),
        problems=s.done(),
    )
