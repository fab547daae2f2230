"""SOAP wire records -> normalized records, in the formats and names of one carrier.

The reading half of the SOAP adapter. A carrier file names its own element names
(``field_names``), time zone, date, time and money formats and status vocabularies;
:class:`SoapReader` compiles all of that once per carrier (qualified tag names, one
regular expression per format, merged status maps) so reading a record is a handful
of dictionary look-ups. Every reader raises :class:`~connectors.mapping.FieldError`
naming the wire element it could not read; the connector adds carrier and record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.mapping import (
    LIMITS,
    FieldError,
    Salvage,
    StatusMap,
    build_status_map,
    parse_amount,
    parse_currency,
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
    Service,
    ServiceStatus,
    StatusChange,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
    TroubleTicket,
)
from connectors.specs.soap import ELEMENT_NAMES

if TYPE_CHECKING:
    from collections.abc import Mapping
    from enum import StrEnum
    from xml.etree.ElementTree import Element  # noqa: TID251 - a type only; parsing is defusedxml's

    from connectors.specs.soap import SoapSpec

__all__ = [
    "DEFAULT_STATUS_MAPS",
    "ITEM_ACTIONS",
    "LINE_KINDS",
    "SoapMaps",
    "SoapReader",
]

DEFAULT_STATUS_MAPS: Mapping[str, Mapping[str, str]] = {
    name: {member.value: member.value for member in enum}
    for name, enum in (
        ("account", AccountStatus),
        ("service", ServiceStatus),
        ("invoice", InvoiceStatus),
        ("order", OrderStatus),
        ("milestone", MilestoneKind),
        ("ticket", TicketStatus),
        ("ticket_severity", TicketSeverity),
        ("ticket_priority", TicketPriority),
    )
}
"""The family's codes are the enum names; a carrier file's ``status_maps`` come first."""

LINE_KINDS: Mapping[str, InvoiceLineKind] = {
    "MRC": InvoiceLineKind.RECURRING,
    "NRC": InvoiceLineKind.ONE_TIME,
    "USG": InvoiceLineKind.USAGE,
    "TAX": InvoiceLineKind.TAX,
    "CRD": InvoiceLineKind.CREDIT,
    "ADJ": InvoiceLineKind.ADJUSTMENT,
}
ITEM_ACTIONS: Mapping[str, OrderKind] = {
    "ADD": OrderKind.NEW,
    "MODIFY": OrderKind.CHANGE,
    "MOVE": OrderKind.MOVE,
    "REMOVE": OrderKind.DISCONNECT,
}
_ORDER_KINDS = {k.value: k for k in OrderKind}
_PRODUCTS = {p.value: p for p in Product}
_TICKET_TYPES = {t.value: t for t in TicketType}
_IMPACTS = {i.value: i for i in ObservedImpact}
_VISIBILITY = {v.value: v for v in NoteVisibility}
_QUANTITY = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class SoapMaps:
    """The status vocabularies of one carrier, defaults merged with its file."""

    account: StatusMap[AccountStatus]
    service: StatusMap[ServiceStatus]
    invoice: StatusMap[InvoiceStatus]
    order: StatusMap[OrderStatus]
    milestone: StatusMap[MilestoneKind]
    ticket: StatusMap[TicketStatus]
    ticket_severity: StatusMap[TicketSeverity]
    ticket_priority: StatusMap[TicketPriority]

    @classmethod
    def for_spec(cls, spec: SoapSpec) -> SoapMaps:
        """Build the maps (ValueError naming ``status_maps.<name>`` on a bad enum name)."""
        o = spec.status_maps

        def build(name: str, enum: type[StrEnum], codes: Mapping[str, str]) -> Any:  # noqa: ANN401
            return build_status_map(enum, DEFAULT_STATUS_MAPS[name], codes, f"status_maps.{name}")

        return cls(
            account=build("account", AccountStatus, o.account),
            service=build("service", ServiceStatus, o.service),
            invoice=build("invoice", InvoiceStatus, o.invoice),
            order=build("order", OrderStatus, o.order),
            milestone=build("milestone", MilestoneKind, o.milestone),
            ticket=build("ticket", TicketStatus, o.ticket),
            ticket_severity=build("ticket_severity", TicketSeverity, o.ticket_severity),
            ticket_priority=build("ticket_priority", TicketPriority, o.ticket_priority),
        )


Fields = dict[str, "Element"]


class SoapReader:
    """Wire elements of one carrier -> normalized records (compiled once per carrier)."""

    def __init__(self, spec: SoapSpec) -> None:
        ns = f"{{{spec.namespace}}}"
        self.carrier = spec.id
        self.tag = {name: ns + spec.element(name) for name in ELEMENT_NAMES}
        self.wire = {name: spec.element(name) for name in ELEMENT_NAMES}
        self.maps = SoapMaps.for_spec(spec)
        self.time = spec.time_format()
        self.day = spec.day_format()
        self.amount = spec.amount_format()
        self.currency_element = spec.money.currency == "element"

    # -- fields ---------------------------------------------------------------------

    def _name(self, name: str, parent: str) -> str:
        return f"{parent}.{self.wire[name]}" if parent else self.wire[name]

    def text(self, f: Fields, name: str, parent: str = "") -> str:
        """A required element's text ('' when empty)."""
        element = f.get(self.tag[name])
        if element is None:
            raise FieldError(self._name(name, parent), "missing")
        return element.text or ""

    def opt(self, f: Fields, name: str) -> str | None:
        element = f.get(self.tag[name])
        return None if element is None else element.text or ""

    def code(self, f: Fields, name: str, table: Mapping[str, Any], parent: str = "") -> Any:  # noqa: ANN401
        value = self.text(f, name, parent)
        try:
            return table[value]
        except KeyError:
            raise FieldError(self._name(name, parent), f"unmapped code '{value[:40]}'") from None

    def status(self, f: Fields, name: str, table: StatusMap[Any], parent: str = "") -> Any:  # noqa: ANN401
        return table.read(self.text(f, name, parent), self._name(name, parent))

    def _time(self, text: str, field: str) -> datetime:
        try:
            return _in_years(self.time.parse(text, field), field)
        except OverflowError:
            raise FieldError(field, f"date-time out of range: '{text[:40]}'") from None

    def time_at(self, f: Fields, name: str, parent: str = "") -> datetime:
        return self._time(self.text(f, name, parent), self._name(name, parent))

    def opt_time(self, f: Fields, name: str, parent: str = "") -> datetime | None:
        value = self.opt(f, name)
        return None if value is None else self._time(value, self._name(name, parent))

    def opt_day(self, f: Fields, name: str) -> date | None:
        value = self.opt(f, name)
        if value is None:
            return None
        return _in_years(self.day.parse(value, self.wire[name]), self.wire[name])

    def integer(self, text: str, name: str) -> int:
        if not text.isdigit():
            raise FieldError(self.wire[name], f"not a whole number: '{text[:40]}'")
        return int(text)

    def opt_integer(self, f: Fields, name: str) -> int | None:
        value = self.opt(f, name)
        return None if value is None else self.integer(value, name)

    def opt_status(self, f: Fields, name: str, table: StatusMap[Any]) -> Any:  # noqa: ANN401
        """A status code: absent is None, an unmapped one the enum's UNKNOWN (OTHER)."""
        value = self.opt(f, name)
        return None if value is None else table.lenient(value, self.wire[name])

    def opt_code(self, f: Fields, name: str, table: Mapping[str, Any], fallback: Any) -> Any:  # noqa: ANN401
        """A fixed-vocabulary code: absent is None, an unknown one ``fallback``."""
        value = self.opt(f, name)
        return None if value is None else table.get(value, fallback)

    def raw(self, f: Fields, name: str) -> str | None:
        """The carrier's code as the element holds it (absent: None)."""
        return self.opt(f, name)

    def currency(self, f: Fields) -> str:
        return parse_currency(self.text(f, "Currency"), self.wire["Currency"])

    def opt_currency(self, f: Fields) -> str | None:
        value = self.opt(f, "Currency")
        return None if value is None else parse_currency(value, self.wire["Currency"])

    def money(self, f: Fields, name: str, currency: str | FieldError | None) -> Money | None:
        """An amount (absent: None) in the record's currency or its own ``currency`` attribute."""
        element = f.get(self.tag[name])
        if element is None:
            return None
        field = self.wire[name]
        if isinstance(currency, FieldError):
            raise currency
        if currency is None:
            currency = parse_currency(element.get("currency"), f"{field}@currency")
        text = element.text or ""
        try:
            amount = self.amount.parse(text, field)
        except ArithmeticError:  # more digits than a Decimal context holds: far past any bound
            bound = f"{LIMITS.max_amount:,.0f}"
            raise FieldError(field, f"amount beyond the bound of {bound}: '{text[:40]}'") from None
        return Money(parse_amount(amount, field), currency)

    def record_currency(self, f: Fields) -> str | FieldError | None:
        """The record's currency element (None when the carrier puts it on each amount)."""
        if not self.currency_element:
            return None
        try:
            return self.currency(f)
        except FieldError as exc:
            return exc

    def children(self, f: Fields, wrapper: str, item: str) -> list[Fields]:
        """The fields of each ``item`` element inside an optional ``wrapper`` element."""
        element = f.get(self.tag[wrapper])
        if element is None:
            return []
        tag = self.tag[item]
        found = []
        for child in element:
            if child.tag != tag:
                raise FieldError(self.wire[wrapper], f"unexpected element '{child.tag}'")
            found.append({c.tag: c for c in child})
        return found

    def address(self, f: Fields, name: str) -> Address | None:
        """An address (absent: None); every part may be absent."""
        element = f.get(self.tag[name])
        if element is None:
            return None
        a = {c.tag: c for c in element}
        return Address(
            street=self.opt(a, "Street"),
            city=self.opt(a, "City"),
            state=self.opt(a, "State"),
            postcode=self.opt(a, "PostalCode"),
            country=self.opt(a, "Country"),
        )

    def notes(self, f: Fields) -> tuple[Note, ...]:
        where = self.wire["Note"]
        return tuple(
            Note(
                author=self.text(n, "Author", where),
                organization=self.opt(n, "Organization") or "",
                created_at=self.time_at(n, "CreatedDate", where),
                text=self.text(n, "Text", where),
                visibility=self.code(n, "Visibility", _VISIBILITY, where),
            )
            for n in self.children(f, "Notes", "Note")
        )

    # -- records --------------------------------------------------------------------
    # Identity (account number, the record's own id) is read with text() and raises;
    # every other value is read through a Salvage: absent is None, unreadable is None
    # plus a problem naming the wire element.

    def account(self, f: Fields) -> CarrierAccount:
        s = Salvage()
        return CarrierAccount(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            name=self.opt(f, "AccountName"),
            status=s.get("status", lambda: self.opt_status(f, "Status", self.maps.account)),
            billing_address=self.address(f, "BillingAddress"),
            created_at=s.get("created_at", lambda: self.opt_time(f, "OpenedDate")),
            currency=s.get("currency", lambda: self.opt_currency(f)),
            status_code=self.raw(f, "Status"),
            problems=s.done(),
        )

    def service(self, f: Fields) -> Service:
        currency = self.record_currency(f)
        numbers = f.get(self.tag["TelephoneNumbers"])
        number_tag = self.tag["TelephoneNumber"]
        s = Salvage()
        return Service(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            service_id=self.text(f, "ServiceId"),
            circuit_id=self.opt(f, "CircuitId"),
            telephone_numbers=()
            if numbers is None
            else tuple(n.text or "" for n in numbers if n.tag == number_tag),
            product=self.opt_code(f, "Product", _PRODUCTS, Product.OTHER),
            bandwidth_mbps=s.get("bandwidth_mbps", lambda: self.opt_integer(f, "BandwidthMbps")),
            service_address=self.address(f, "ServiceAddress"),
            z_address=self.address(f, "ZEndAddress"),
            status=s.get("status", lambda: self.opt_status(f, "Status", self.maps.service)),
            activated_at=s.get("activated_at", lambda: self.opt_time(f, "ActivationDate")),
            mrc=s.get("mrc", lambda: self.money(f, "MonthlyCharge", currency)),
            nrc=s.get("nrc", lambda: self.money(f, "InstallCharge", currency)),
            term_months=s.get("term_months", lambda: self.opt_integer(f, "TermMonths")),
            contract_end=s.get("contract_end", lambda: self.opt_day(f, "ContractEndDate")),
            status_code=self.raw(f, "Status"),
            product_code=self.raw(f, "Product"),
            problems=s.done(),
        )

    def invoice(self, f: Fields) -> Invoice:
        currency = self.record_currency(f)
        s = Salvage()
        return Invoice(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            invoice_number=self.text(f, "InvoiceNumber"),
            period_start=s.get("period_start", lambda: self.opt_day(f, "PeriodStart")),
            period_end=s.get("period_end", lambda: self.opt_day(f, "PeriodEnd")),
            issued_at=s.get("issued_at", lambda: self.opt_time(f, "InvoiceDate")),
            due_at=s.get("due_at", lambda: self.opt_time(f, "DueDate")),
            status=s.get("status", lambda: self.opt_status(f, "Status", self.maps.invoice)),
            total=s.get("total", lambda: self.money(f, "TotalAmount", currency)),
            taxes=s.get("taxes", lambda: self.money(f, "TaxAmount", currency)),
            status_code=self.raw(f, "Status"),
            problems=s.done(),
        )

    def _quantity(self, f: Fields) -> Decimal | None:
        quantity = self.opt(f, "Quantity")
        if quantity is None:
            return None
        if _QUANTITY.fullmatch(quantity) is None:
            raise FieldError(self.wire["Quantity"], f"not a number: '{quantity[:40]}'")
        return Decimal(quantity)

    def invoice_line(self, f: Fields) -> tuple[str, InvoiceLine]:
        s = Salvage()
        return self.text(f, "InvoiceNumber"), InvoiceLine(
            kind=self.opt_code(f, "LineType", LINE_KINDS, InvoiceLineKind.UNKNOWN),
            service_id=self.opt(f, "ServiceId"),
            description=self.opt(f, "Description"),
            quantity=s.get("quantity", lambda: self._quantity(f)),
            amount=s.get("amount", lambda: self.money(f, "Amount", self.record_currency(f))),
            kind_code=self.raw(f, "LineType"),
            problems=s.done(),
        )

    def _items(self, f: Fields) -> tuple[OrderItem, ...]:
        item = self.wire["Item"]
        return tuple(
            OrderItem(
                item_id=self.text(i, "ItemId", item),
                action=self.opt_code(i, "Action", ITEM_ACTIONS, OrderKind.UNKNOWN),
                product=self.opt_code(i, "Product", _PRODUCTS, Product.OTHER),
                status=self.opt_status(i, "Status", self.maps.order),
                service_id=self.opt(i, "ServiceId"),
                status_code=self.raw(i, "Status"),
            )
            for i in self.children(f, "Items", "Item")
        )

    def _milestones(self, f: Fields) -> tuple[OrderMilestone, ...]:
        milestone = self.wire["Milestone"]
        return tuple(
            OrderMilestone(
                kind=self.maps.milestone.lenient(
                    self.text(m, "Name", milestone), self._name("Name", milestone)
                ),
                planned_at=self.opt_time(m, "PlannedDate", milestone),
                actual_at=self.opt_time(m, "ActualDate", milestone),
                note=self.opt(m, "Remark"),
                name=self.raw(m, "Name"),
            )
            for m in self.children(f, "Milestones", "Milestone")
        )

    def order(self, f: Fields) -> Order:
        s = Salvage()
        return Order(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            order_id=self.text(f, "OrderId"),
            purchase_order_number=self.opt(f, "PurchaseOrderNumber"),
            kind=self.opt_code(f, "OrderType", _ORDER_KINDS, OrderKind.UNKNOWN),
            status=s.get("status", lambda: self.opt_status(f, "Status", self.maps.order)),
            ordered_at=s.get("ordered_at", lambda: self.opt_time(f, "OrderDate")),
            requested_date=s.get("requested_date", lambda: self.opt_day(f, "RequestedDate")),
            committed_date=s.get("committed_date", lambda: self.opt_day(f, "CommittedDate")),
            items=s.get("items", lambda: self._items(f)) or (),
            milestones=s.get("milestones", lambda: self._milestones(f)) or (),
            notes=s.get("notes", lambda: self.notes(f)) or (),
            status_code=self.raw(f, "Status"),
            kind_code=self.raw(f, "OrderType"),
            problems=s.done(),
        )

    def _changes(self, f: Fields) -> tuple[StatusChange, ...]:
        change = self.wire["StatusChange"]
        return tuple(
            StatusChange(
                status=self.maps.ticket.lenient(
                    self.text(c, "Status", change), self._name("Status", change)
                ),
                changed_at=self.time_at(c, "ChangeDate", change),
            )
            for c in self.children(f, "History", "StatusChange")
        )

    def ticket(self, f: Fields) -> TroubleTicket:
        s = Salvage()
        maps = self.maps
        return TroubleTicket(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            ticket_id=self.text(f, "TicketId"),
            service_id=self.opt(f, "ServiceId"),
            type=self.opt_code(f, "TicketType", _TICKET_TYPES, TicketType.UNKNOWN),
            severity=s.get(
                "severity", lambda: self.opt_status(f, "Severity", maps.ticket_severity)
            ),
            priority=s.get(
                "priority", lambda: self.opt_status(f, "Priority", maps.ticket_priority)
            ),
            observed_impact=self.opt_code(f, "Impact", _IMPACTS, ObservedImpact.UNKNOWN),
            status=s.get("status", lambda: self.opt_status(f, "Status", maps.ticket)),
            description=self.opt(f, "Description"),
            opened_at=s.get("opened_at", lambda: self.opt_time(f, "ReportedDate")),
            expected_resolution_at=s.get(
                "expected_resolution_at", lambda: self.opt_time(f, "ExpectedResolutionDate")
            ),
            resolved_at=s.get("resolved_at", lambda: self.opt_time(f, "ResolvedDate")),
            sla_target=s.get("sla_target", lambda: self.opt_time(f, "SlaTargetDate")),
            status_changes=s.get("status_changes", lambda: self._changes(f)) or (),
            notes=s.get("notes", lambda: self.notes(f)) or (),
            status_code=self.raw(f, "Status"),
            problems=s.done(),
        )


_D = TypeVar("_D", date, datetime)


def _in_years(value: _D, field: str) -> _D:
    """A date within :data:`~connectors.mapping.LIMITS`' years, or a FieldError."""
    if not LIMITS.earliest_year <= value.year <= LIMITS.latest_year:
        raise FieldError(
            field, f"year {value.year} outside {LIMITS.earliest_year}-{LIMITS.latest_year}"
        )
    return value
