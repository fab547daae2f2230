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

from connectors.builders import builder
from connectors.currencies import ISO_4217
from connectors.mapping import (
    LIMITS,
    MEMO_LIMIT,
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
E = TypeVar("E", bound="StrEnum")


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
    """Wire elements of one carrier -> normalized records (compiled once per carrier).

    Dates, date-times and amounts read well are remembered by their text, per reader (its
    formats and zone are fixed); the years and amount bounds of LIMITS are checked again
    on every read, and a value that fails is parsed, and fails, every time.
    """

    def __init__(self, spec: SoapSpec) -> None:
        ns = f"{{{spec.namespace}}}"
        self.carrier = spec.id
        self.tag = t = {name: ns + spec.element(name) for name in ELEMENT_NAMES}
        self.wire = w = {name: spec.element(name) for name in ELEMENT_NAMES}
        self.maps = SoapMaps.for_spec(spec)
        self.time = spec.time_format()
        self.day = spec.day_format()
        self.amount = spec.amount_format()
        self.currency_element = spec.money.currency == "element"
        self._times: dict[str, datetime] = {}
        self._days: dict[str, date] = {}
        self._amounts: dict[str, tuple[Decimal, Decimal]] = {}  # text -> (as read, to the cent)
        # Each record's elements, in the order its reader unpacks them.
        self._account_tags = _tags(
            t, "AccountNumber AccountName Status BillingAddress OpenedDate Currency"
        )
        self._service_tags = _tags(
            t,
            "Currency AccountNumber ServiceId CircuitId TelephoneNumbers Product BandwidthMbps "
            "ServiceAddress ZEndAddress Status ActivationDate MonthlyCharge InstallCharge "
            "TermMonths ContractEndDate",
        )
        self._number_tag = t["TelephoneNumber"]
        self._invoice_tags = _tags(
            t,
            "Currency AccountNumber InvoiceNumber PeriodStart PeriodEnd InvoiceDate DueDate "
            "Status TotalAmount TaxAmount",
        )
        self._line_tags = _tags(
            t, "InvoiceNumber LineType ServiceId Description Quantity Amount Currency"
        )
        self._order_tags = _tags(
            t,
            "AccountNumber OrderId PurchaseOrderNumber OrderType Status OrderDate RequestedDate "
            "CommittedDate Items Milestones Notes",
        )
        self._item_tags = _tags(t, "ItemId Action Product Status ServiceId")
        self._milestone_tags = _tags(t, "Name PlannedDate ActualDate Remark")
        milestone = w["Milestone"]
        self._milestone_fields = (
            f"{milestone}.{w['Name']}",
            f"{milestone}.{w['PlannedDate']}",
            f"{milestone}.{w['ActualDate']}",
        )
        self._ticket_tags = _tags(
            t,
            "AccountNumber TicketId ServiceId TicketType Severity Priority Impact Status "
            "Description ReportedDate ExpectedResolutionDate ResolvedDate SlaTargetDate History "
            "Notes",
        )
        self._change_tags = _tags(t, "Status ChangeDate")
        change = w["StatusChange"]
        self._change_fields = (f"{change}.{w['Status']}", f"{change}.{w['ChangeDate']}")
        self._note_tags = _tags(t, "Author Organization CreatedDate Text Visibility")
        self._note_created = f"{w['Note']}.{w['CreatedDate']}"
        self._address_tags = _tags(t, "Street City State PostalCode Country")

    # -- values, remembered by their text ---------------------------------------------

    def _time(self, text: str, field: str) -> datetime:
        found = self._times.get(text)
        if found is None:
            try:
                found = self.time.parse(text, field)
            except OverflowError:
                raise FieldError(field, f"date-time out of range: '{text[:40]}'") from None
            if len(self._times) >= MEMO_LIMIT:
                self._times.clear()
            self._times[text] = found
        return _in_years(found, field)

    def _day(self, text: str, field: str) -> date:
        found = self._days.get(text)
        if found is None:
            found = self.day.parse(text, field)
            if len(self._days) >= MEMO_LIMIT:
                self._days.clear()
            self._days[text] = found
        return _in_years(found, field)

    def _amount(self, text: str, field: str) -> Decimal:
        """An amount within LIMITS, to the cent (the memo's slow path)."""
        try:
            raw = self.amount.parse(text, field)
        except ArithmeticError:  # more digits than a Decimal context holds: far past any bound
            bound = f"{LIMITS.max_amount:,.0f}"
            raise FieldError(field, f"amount beyond the bound of {bound}: '{text[:40]}'") from None
        amount = parse_amount(raw, field)
        if len(self._amounts) >= MEMO_LIMIT:
            self._amounts.clear()
        self._amounts[text] = (raw, amount)
        return amount

    # -- lists ------------------------------------------------------------------------

    def _notes(self, element: Element | None) -> tuple[Note, ...]:
        """The notes of a ``Notes`` element (absent: none); the first unreadable one raises."""
        if element is None:
            return ()
        where = self.wire["Note"]
        found = []
        for n in self._items_of(element, "Notes", "Note"):
            author, org, created, text, visibility = map(n.get, self._note_tags)
            if author is None:
                raise FieldError(f"{where}.{self.wire['Author']}", "missing")
            if created is None:
                raise FieldError(f"{where}.{self.wire['CreatedDate']}", "missing")
            created_at = self._time(created.text or "", self._note_created)
            if text is None:
                raise FieldError(f"{where}.{self.wire['Text']}", "missing")
            found.append(
                _make_note(
                    author=author.text or "",
                    organization=(None if org is None else org.text) or "",
                    created_at=created_at,
                    text=text.text or "",
                    visibility=self._visibility(visibility, where),
                )
            )
        return tuple(found)

    def _visibility(self, element: Element | None, where: str) -> NoteVisibility:
        field = f"{where}.{self.wire['Visibility']}"
        if element is None:
            raise FieldError(field, "missing")
        value = element.text or ""
        try:
            return _VISIBILITY[value]
        except KeyError:
            raise FieldError(field, f"unmapped code '{value[:40]}'") from None

    def _items_of(self, element: Element, wrapper: str, item: str) -> list[Fields]:
        """:meth:`children` of a wrapper element already found."""
        tag = self.tag[item]
        found = []
        for child in element:
            if child.tag != tag:
                raise FieldError(self.wire[wrapper], f"unexpected element '{child.tag}'")
            found.append({c.tag: c for c in child})
        return found

    # -- values of records, read once found -----------------------------------------
    # Each takes the element found (or None when absent) and the wire field naming it;
    # the salvaging ones note a problem on the record's field and give None.

    def _when(self, s: Salvage, name: str, element: Element | None, field: str) -> datetime | None:
        if element is None:
            return None
        text = element.text or ""
        found = self._times.get(text)
        if found is not None and LIMITS.earliest_year <= found.year <= LIMITS.latest_year:
            return found
        try:
            return self._time(text, field)
        except FieldError as exc:
            s.note(name, exc)
            return None

    def _on(self, s: Salvage, name: str, element: Element | None, field: str) -> date | None:
        if element is None:
            return None
        text = element.text or ""
        found = self._days.get(text)
        if found is not None and LIMITS.earliest_year <= found.year <= LIMITS.latest_year:
            return found
        try:
            return self._day(text, field)
        except FieldError as exc:
            s.note(name, exc)
            return None

    def _state(
        self, s: Salvage, name: str, element: Element | None, table: StatusMap[E], field: str
    ) -> E | None:
        if element is None:
            return None
        try:
            return table.lenient(element.text or "", field)
        except FieldError as exc:
            s.note(name, exc)
            return None

    def _whole(self, s: Salvage, name: str, element: Element | None, field: str) -> int | None:
        if element is None:
            return None
        text = element.text or ""
        if not text.isdigit():
            s.note(name, FieldError(field, f"not a whole number: '{text[:40]}'"))
            return None
        return int(text)

    def _cash(
        self,
        s: Salvage,
        name: str,
        element: Element | None,
        field: str,
        currency: str | FieldError | None,
    ) -> Money | None:
        """:meth:`money` of an element found, noting a problem on ``name``."""
        if element is None:
            return None
        try:
            if currency is None:
                code = element.get("currency")
                if code is not None and code in ISO_4217:
                    currency = code
                else:
                    currency = parse_currency(code, f"{field}@currency")
            elif isinstance(currency, FieldError):
                raise currency  # the record's unreadable currency, on each of its amounts
            text = element.text or ""
            hit = self._amounts.get(text)
            if hit is not None and abs(hit[0]) <= LIMITS.max_amount:
                return _make_money(hit[1], currency)
            return _make_money(self._amount(text, field), currency)
        except FieldError as exc:
            s.note(name, exc)
            return None

    def _record_currency(self, element: Element | None) -> str | FieldError | None:
        """:meth:`record_currency` of the currency element found."""
        if not self.currency_element:
            return None
        if element is None:
            return FieldError(self.wire["Currency"], "missing")
        text = element.text or ""
        if text in ISO_4217:
            return text
        try:
            return parse_currency(text, self.wire["Currency"])
        except FieldError as exc:
            return exc

    def _address(self, element: Element | None) -> Address | None:
        if element is None:
            return None
        parts = {c.tag: c.text or "" for c in element}.get
        return _make_address(*map(parts, self._address_tags))

    # -- records --------------------------------------------------------------------
    # Identity (account number, the record's own id) raises when missing; every other
    # value is salvaged: absent is None, unreadable is None plus a problem naming the
    # wire element. Values are read in the order of the record's fields (problems keep
    # that order); each record's elements are looked up once, by qualified tag.

    def _identity(self, element: Element | None, name: str) -> str:
        if element is None:
            raise FieldError(self.wire[name], "missing")
        return element.text or ""

    def account(self, f: Fields) -> CarrierAccount:
        number, name, status, address, opened, currency = map(f.get, self._account_tags)
        s = Salvage()
        w = self.wire
        account_number = self._identity(number, "AccountNumber")
        state = self._state(s, "status", status, self.maps.account, w["Status"])
        billing = self._address(address)
        created_at = self._when(s, "created_at", opened, w["OpenedDate"])
        code: str | None = None
        if currency is not None:
            try:
                code = parse_currency(currency.text or "", w["Currency"])
            except FieldError as exc:
                s.note("currency", exc)
        return _make_account(
            carrier=self.carrier,
            account_number=account_number,
            name=_text(name),
            status=state,
            billing_address=billing,
            created_at=created_at,
            currency=code,
            status_code=_text(status),
            problems=s.done(),
        )

    def service(self, f: Fields) -> Service:
        (
            currency_element,
            account,
            service,
            circuit,
            numbers,
            product,
            bandwidth,
            service_address,
            z_address,
            status,
            activated,
            monthly,
            install,
            term,
            contract_end,
        ) = map(f.get, self._service_tags)
        currency = self._record_currency(currency_element)
        s = Salvage()
        w = self.wire
        account_number = self._identity(account, "AccountNumber")
        service_id = self._identity(service, "ServiceId")
        number_tag = self._number_tag
        return _make_service(
            carrier=self.carrier,
            account_number=account_number,
            service_id=service_id,
            circuit_id=_text(circuit),
            telephone_numbers=()
            if numbers is None
            else tuple(n.text or "" for n in numbers if n.tag == number_tag),
            product=None if product is None else _PRODUCTS.get(product.text or "", Product.OTHER),
            bandwidth_mbps=self._whole(s, "bandwidth_mbps", bandwidth, w["BandwidthMbps"]),
            service_address=self._address(service_address),
            z_address=self._address(z_address),
            status=self._state(s, "status", status, self.maps.service, w["Status"]),
            activated_at=self._when(s, "activated_at", activated, w["ActivationDate"]),
            mrc=self._cash(s, "mrc", monthly, w["MonthlyCharge"], currency),
            nrc=self._cash(s, "nrc", install, w["InstallCharge"], currency),
            term_months=self._whole(s, "term_months", term, w["TermMonths"]),
            contract_end=self._on(s, "contract_end", contract_end, w["ContractEndDate"]),
            status_code=_text(status),
            product_code=_text(product),
            problems=s.done(),
        )

    def invoice(self, f: Fields) -> Invoice:
        (
            currency_element,
            account,
            number,
            start,
            end,
            issued,
            due,
            status,
            total,
            taxes,
        ) = map(f.get, self._invoice_tags)
        currency = self._record_currency(currency_element)
        s = Salvage()
        w = self.wire
        account_number = self._identity(account, "AccountNumber")
        invoice_number = self._identity(number, "InvoiceNumber")
        return _make_invoice(
            carrier=self.carrier,
            account_number=account_number,
            invoice_number=invoice_number,
            period_start=self._on(s, "period_start", start, w["PeriodStart"]),
            period_end=self._on(s, "period_end", end, w["PeriodEnd"]),
            issued_at=self._when(s, "issued_at", issued, w["InvoiceDate"]),
            due_at=self._when(s, "due_at", due, w["DueDate"]),
            status=self._state(s, "status", status, self.maps.invoice, w["Status"]),
            total=self._cash(s, "total", total, w["TotalAmount"], currency),
            taxes=self._cash(s, "taxes", taxes, w["TaxAmount"], currency),
            status_code=_text(status),
            problems=s.done(),
        )

    def invoice_line(self, f: Fields) -> tuple[str, InvoiceLine]:
        number, kind, service, description, quantity, amount, currency_element = map(
            f.get, self._line_tags
        )
        invoice_number = self._identity(number, "InvoiceNumber")
        s = Salvage()
        count: Decimal | None = None
        if quantity is not None:
            text = quantity.text or ""
            if _QUANTITY.fullmatch(text) is None:
                s.note(
                    "quantity", FieldError(self.wire["Quantity"], f"not a number: '{text[:40]}'")
                )
            else:
                count = Decimal(text)
        return invoice_number, _make_line(
            kind=None if kind is None else LINE_KINDS.get(kind.text or "", InvoiceLineKind.UNKNOWN),
            service_id=_text(service),
            description=_text(description),
            quantity=count,
            amount=None
            if amount is None
            else self._cash(
                s, "amount", amount, self.wire["Amount"], self._record_currency(currency_element)
            ),
            kind_code=_text(kind),
            problems=s.done(),
        )

    def _items(self, element: Element) -> tuple[OrderItem, ...]:
        where = self.wire["Item"]
        id_field, status_field = f"{where}.{self.wire['ItemId']}", self.wire["Status"]
        lenient = self.maps.order.lenient
        found = []
        for i in self._items_of(element, "Items", "Item"):
            item, action, product, status, service = map(i.get, self._item_tags)
            if item is None:
                raise FieldError(id_field, "missing")
            found.append(
                _make_item(
                    item_id=item.text or "",
                    action=None
                    if action is None
                    else ITEM_ACTIONS.get(action.text or "", OrderKind.UNKNOWN),
                    product=None
                    if product is None
                    else _PRODUCTS.get(product.text or "", Product.OTHER),
                    status=None if status is None else lenient(status.text or "", status_field),
                    service_id=_text(service),
                    status_code=_text(status),
                )
            )
        return tuple(found)

    def _milestones(self, element: Element) -> tuple[OrderMilestone, ...]:
        name_field, planned_field, actual_field = self._milestone_fields
        lenient = self.maps.milestone.lenient
        found = []
        for m in self._items_of(element, "Milestones", "Milestone"):
            name, planned, actual, remark = map(m.get, self._milestone_tags)
            if name is None:
                raise FieldError(name_field, "missing")
            text = name.text or ""
            found.append(
                _make_milestone(
                    kind=lenient(text, name_field),
                    planned_at=None
                    if planned is None
                    else self._time(planned.text or "", planned_field),
                    actual_at=None
                    if actual is None
                    else self._time(actual.text or "", actual_field),
                    note=_text(remark),
                    name=text,
                )
            )
        return tuple(found)

    def order(self, f: Fields) -> Order:
        (
            account,
            order,
            po_number,
            kind,
            status,
            ordered,
            requested,
            committed,
            items,
            milestones,
            notes,
        ) = map(f.get, self._order_tags)
        s = Salvage()
        w = self.wire
        account_number = self._identity(account, "AccountNumber")
        order_id = self._identity(order, "OrderId")
        state = self._state(s, "status", status, self.maps.order, w["Status"])
        ordered_at = self._when(s, "ordered_at", ordered, w["OrderDate"])
        requested_date = self._on(s, "requested_date", requested, w["RequestedDate"])
        committed_date = self._on(s, "committed_date", committed, w["CommittedDate"])
        order_items: tuple[OrderItem, ...] = ()
        if items is not None:
            try:
                order_items = self._items(items)
            except FieldError as exc:
                s.note("items", exc)
        order_milestones: tuple[OrderMilestone, ...] = ()
        if milestones is not None:
            try:
                order_milestones = self._milestones(milestones)
            except FieldError as exc:
                s.note("milestones", exc)
        order_notes: tuple[Note, ...] = ()
        try:
            order_notes = self._notes(notes)
        except FieldError as exc:
            s.note("notes", exc)
        return _make_order(
            carrier=self.carrier,
            account_number=account_number,
            order_id=order_id,
            purchase_order_number=_text(po_number),
            kind=None if kind is None else _ORDER_KINDS.get(kind.text or "", OrderKind.UNKNOWN),
            status=state,
            ordered_at=ordered_at,
            requested_date=requested_date,
            committed_date=committed_date,
            items=order_items,
            milestones=order_milestones,
            notes=order_notes,
            status_code=_text(status),
            kind_code=_text(kind),
            problems=s.done(),
        )

    def _changes(self, element: Element) -> tuple[StatusChange, ...]:
        status_field, date_field = self._change_fields
        lenient = self.maps.ticket.lenient
        found = []
        for c in self._items_of(element, "History", "StatusChange"):
            status, changed = map(c.get, self._change_tags)
            if status is None:
                raise FieldError(status_field, "missing")
            kind = lenient(status.text or "", status_field)
            if changed is None:
                raise FieldError(date_field, "missing")
            found.append(
                _make_status_change(
                    status=kind, changed_at=self._time(changed.text or "", date_field)
                )
            )
        return tuple(found)

    def ticket(self, f: Fields) -> TroubleTicket:
        (
            account,
            ticket,
            service,
            ticket_type,
            severity,
            priority,
            impact,
            status,
            description,
            reported,
            expected,
            resolved,
            sla,
            history,
            notes,
        ) = map(f.get, self._ticket_tags)
        s = Salvage()
        maps, w = self.maps, self.wire
        account_number = self._identity(account, "AccountNumber")
        ticket_id = self._identity(ticket, "TicketId")
        ticket_severity = self._state(s, "severity", severity, maps.ticket_severity, w["Severity"])
        ticket_priority = self._state(s, "priority", priority, maps.ticket_priority, w["Priority"])
        state = self._state(s, "status", status, maps.ticket, w["Status"])
        opened_at = self._when(s, "opened_at", reported, w["ReportedDate"])
        expected_at = self._when(s, "expected_resolution_at", expected, w["ExpectedResolutionDate"])
        resolved_at = self._when(s, "resolved_at", resolved, w["ResolvedDate"])
        sla_target = self._when(s, "sla_target", sla, w["SlaTargetDate"])
        changes: tuple[StatusChange, ...] = ()
        if history is not None:
            try:
                changes = self._changes(history)
            except FieldError as exc:
                s.note("status_changes", exc)
        ticket_notes: tuple[Note, ...] = ()
        try:
            ticket_notes = self._notes(notes)
        except FieldError as exc:
            s.note("notes", exc)
        return _make_ticket(
            carrier=self.carrier,
            account_number=account_number,
            ticket_id=ticket_id,
            service_id=_text(service),
            type=None
            if ticket_type is None
            else _TICKET_TYPES.get(ticket_type.text or "", TicketType.UNKNOWN),
            severity=ticket_severity,
            priority=ticket_priority,
            observed_impact=None
            if impact is None
            else _IMPACTS.get(impact.text or "", ObservedImpact.UNKNOWN),
            status=state,
            description=_text(description),
            opened_at=opened_at,
            expected_resolution_at=expected_at,
            resolved_at=resolved_at,
            sla_target=sla_target,
            status_changes=changes,
            notes=ticket_notes,
            status_code=_text(status),
            problems=s.done(),
        )


def _text(element: Element | None) -> str | None:
    """An optional element's text ('' when empty, None when absent)."""
    return None if element is None else element.text or ""


def _tags(tag: Mapping[str, str], names: str) -> tuple[str, ...]:
    return tuple(tag[name] for name in names.split())


_make_account = builder(CarrierAccount)
_make_address = builder(Address)
_make_service = builder(Service)
_make_invoice = builder(Invoice)
_make_line = builder(InvoiceLine)
_make_order = builder(Order)
_make_item = builder(OrderItem)
_make_milestone = builder(OrderMilestone)
_make_note = builder(Note)
_make_status_change = builder(StatusChange)
_make_ticket = builder(TroubleTicket)
_make_money = builder(Money)


_D = TypeVar("_D", date, datetime)


def _in_years(value: _D, field: str) -> _D:
    """A date within :data:`~connectors.mapping.LIMITS`' years, or a FieldError."""
    if not LIMITS.earliest_year <= value.year <= LIMITS.latest_year:
        raise FieldError(
            field, f"year {value.year} outside {LIMITS.earliest_year}-{LIMITS.latest_year}"
        )
    return value
