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
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.mapping import FieldError, StatusMap, build_status_map
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
    from datetime import date, datetime
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

    def time_at(self, f: Fields, name: str, parent: str = "") -> datetime:
        return self.time.parse(self.text(f, name, parent), self._name(name, parent))

    def opt_time(self, f: Fields, name: str, parent: str = "") -> datetime | None:
        value = self.opt(f, name)
        return None if value is None else self.time.parse(value, self._name(name, parent))

    def opt_day(self, f: Fields, name: str) -> date | None:
        value = self.opt(f, name)
        return None if value is None else self.day.parse(value, self.wire[name])

    def integer(self, text: str, name: str) -> int:
        if not text.isdigit():
            raise FieldError(self.wire[name], f"not a whole number: '{text[:40]}'")
        return int(text)

    def currency(self, f: Fields) -> str:
        value = self.text(f, "Currency")
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise FieldError(self.wire["Currency"], f"not an ISO 4217 code: '{value[:40]}'")
        return value

    def money(self, f: Fields, name: str, currency: str | None) -> Money:
        element = f.get(self.tag[name])
        if element is None:
            raise FieldError(self.wire[name], "missing")
        if currency is None:
            currency = element.get("currency") or ""
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise FieldError(f"{self.wire[name]}@currency", "not an ISO 4217 code")
        return Money(self.amount.parse(element.text or "", self.wire[name]), currency)

    def record_currency(self, f: Fields) -> str | None:
        return self.currency(f) if self.currency_element else None

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

    def address(self, f: Fields, name: str) -> Address:
        element = f.get(self.tag[name])
        if element is None:
            raise FieldError(self.wire[name], "missing")
        a = {c.tag: c for c in element}
        where = self.wire[name]
        return Address(
            street=self.text(a, "Street", where),
            city=self.text(a, "City", where),
            state=self.text(a, "State", where),
            postcode=self.text(a, "PostalCode", where),
            country=self.text(a, "Country", where),
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

    def account(self, f: Fields) -> CarrierAccount:
        return CarrierAccount(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            name=self.text(f, "AccountName"),
            status=self.status(f, "Status", self.maps.account),
            billing_address=self.address(f, "BillingAddress"),
            created_at=self.time_at(f, "OpenedDate"),
            currency=self.currency(f),
        )

    def service(self, f: Fields) -> Service:
        currency = self.record_currency(f)
        bandwidth = self.opt(f, "BandwidthMbps")
        numbers = f.get(self.tag["TelephoneNumbers"])
        number_tag = self.tag["TelephoneNumber"]
        z_end = f.get(self.tag["ZEndAddress"])
        return Service(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            service_id=self.text(f, "ServiceId"),
            circuit_id=self.opt(f, "CircuitId"),
            telephone_numbers=()
            if numbers is None
            else tuple(n.text or "" for n in numbers if n.tag == number_tag),
            product=self.code(f, "Product", _PRODUCTS),
            bandwidth_mbps=None if bandwidth is None else self.integer(bandwidth, "BandwidthMbps"),
            service_address=self.address(f, "ServiceAddress"),
            z_address=None if z_end is None else self.address(f, "ZEndAddress"),
            status=self.status(f, "Status", self.maps.service),
            activated_at=self.opt_time(f, "ActivationDate"),
            mrc=self.money(f, "MonthlyCharge", currency),
            nrc=self.money(f, "InstallCharge", currency),
            term_months=self.integer(self.text(f, "TermMonths"), "TermMonths"),
            contract_end=self.opt_day(f, "ContractEndDate"),
        )

    def invoice(self, f: Fields) -> Invoice:
        currency = self.record_currency(f)
        return Invoice(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            invoice_number=self.text(f, "InvoiceNumber"),
            period_start=self.day.parse(self.text(f, "PeriodStart"), self.wire["PeriodStart"]),
            period_end=self.day.parse(self.text(f, "PeriodEnd"), self.wire["PeriodEnd"]),
            issued_at=self.time_at(f, "InvoiceDate"),
            due_at=self.time_at(f, "DueDate"),
            status=self.status(f, "Status", self.maps.invoice),
            total=self.money(f, "TotalAmount", currency),
            taxes=self.money(f, "TaxAmount", currency),
        )

    def invoice_line(self, f: Fields) -> tuple[str, InvoiceLine]:
        quantity = self.text(f, "Quantity")
        if _QUANTITY.fullmatch(quantity) is None:
            raise FieldError(self.wire["Quantity"], f"not a number: '{quantity[:40]}'")
        return self.text(f, "InvoiceNumber"), InvoiceLine(
            kind=self.code(f, "LineType", LINE_KINDS),
            service_id=self.opt(f, "ServiceId"),
            description=self.text(f, "Description"),
            quantity=Decimal(quantity),
            amount=self.money(f, "Amount", self.record_currency(f)),
        )

    def order(self, f: Fields) -> Order:
        item, milestone = self.wire["Item"], self.wire["Milestone"]
        return Order(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            order_id=self.text(f, "OrderId"),
            purchase_order_number=self.opt(f, "PurchaseOrderNumber"),
            kind=self.code(f, "OrderType", _ORDER_KINDS),
            status=self.status(f, "Status", self.maps.order),
            ordered_at=self.time_at(f, "OrderDate"),
            requested_date=self.opt_day(f, "RequestedDate"),
            committed_date=self.opt_day(f, "CommittedDate"),
            items=tuple(
                OrderItem(
                    item_id=self.text(i, "ItemId", item),
                    action=self.code(i, "Action", ITEM_ACTIONS, item),
                    product=self.code(i, "Product", _PRODUCTS, item),
                    status=self.status(i, "Status", self.maps.order, item),
                    service_id=self.opt(i, "ServiceId"),
                )
                for i in self.children(f, "Items", "Item")
            ),
            milestones=tuple(
                OrderMilestone(
                    kind=self.status(m, "Name", self.maps.milestone, milestone),
                    planned_at=self.opt_time(m, "PlannedDate", milestone),
                    actual_at=self.opt_time(m, "ActualDate", milestone),
                    note=self.opt(m, "Remark"),
                )
                for m in self.children(f, "Milestones", "Milestone")
            ),
            notes=self.notes(f),
        )

    def ticket(self, f: Fields) -> TroubleTicket:
        change = self.wire["StatusChange"]
        return TroubleTicket(
            carrier=self.carrier,
            account_number=self.text(f, "AccountNumber"),
            ticket_id=self.text(f, "TicketId"),
            service_id=self.opt(f, "ServiceId"),
            type=self.code(f, "TicketType", _TICKET_TYPES),
            severity=self.status(f, "Severity", self.maps.ticket_severity),
            priority=self.status(f, "Priority", self.maps.ticket_priority),
            observed_impact=self.code(f, "Impact", _IMPACTS),
            status=self.status(f, "Status", self.maps.ticket),
            description=self.text(f, "Description"),
            opened_at=self.time_at(f, "ReportedDate"),
            expected_resolution_at=self.opt_time(f, "ExpectedResolutionDate"),
            resolved_at=self.opt_time(f, "ResolvedDate"),
            sla_target=self.opt_time(f, "SlaTargetDate"),
            status_changes=tuple(
                StatusChange(
                    status=self.status(c, "Status", self.maps.ticket, change),
                    changed_at=self.time_at(c, "ChangeDate", change),
                )
                for c in self.children(f, "History", "StatusChange")
            ),
            notes=self.notes(f),
        )
