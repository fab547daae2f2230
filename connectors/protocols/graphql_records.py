"""GraphQL wire records -> normalized records, one reader for every carrier of the family.

The adapter asks for every field under the family's default name (a GraphQL alias),
so the reading code never sees a carrier's own field names: what still differs per
carrier is read through :class:`GraphqlReader`'s per-carrier pieces, chosen once when
the connector is built (status maps, and the money, instant and date formats). Every
reader raises :class:`~connectors.mapping.FieldError` naming the default-vocabulary
path of the field it could not read; the connector turns it into the carrier's names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from connectors import models
from connectors.builders import builder
from connectors.mapping import (
    LIMITS,
    FieldError,
    Salvage,
    StatusMap,
    build_status_map,
    parse_amount,
    parse_currency,
    parse_datetime,
)
from connectors.models import (
    Address,
    CarrierAccount,
    Invoice,
    InvoiceLine,
    Money,
    Note,
    Order,
    OrderItem,
    OrderMilestone,
    Quote,
    QuoteOption,
    Service,
    StatusChange,
    TroubleTicket,
    UsageRecord,
)
from connectors.reading import attempt
from connectors.specs.graphql import STATUS_ENUMS

if TYPE_CHECKING:
    from connectors.spec import GraphqlSpec

__all__ = ["DEFAULT_STATUS_MAPS", "GraphqlMaps", "GraphqlReader", "Json", "date_reader"]

Json = Mapping[str, Any]
E = TypeVar("E")

DEFAULT_STATUS_MAPS: Mapping[str, Mapping[str, str]] = {
    name: {member.value: member.value for member in enum} for name, enum in STATUS_ENUMS.items()
}
"""GraphQL enum values are conventionally SCREAMING_SNAKE, so the defaults are the names."""

_PRODUCT = models.Product.__members__
_LINE_KIND = models.InvoiceLineKind.__members__
_ORDER_KIND = models.OrderKind.__members__
_TICKET_TYPE = models.TicketType.__members__
_IMPACT = models.ObservedImpact.__members__
_VISIBILITY = models.NoteVisibility.__members__
_DIRECTION = models.CallDirection.__members__
_CALL_TYPE = models.CallType.__members__
_CENT = Decimal("0.01")
OTHER = models.Product.OTHER
LINE_UNKNOWN = models.InvoiceLineKind.UNKNOWN
KIND_UNKNOWN = models.OrderKind.UNKNOWN
TYPE_UNKNOWN = models.TicketType.UNKNOWN
IMPACT_UNKNOWN = models.ObservedImpact.UNKNOWN
DIRECTION_UNKNOWN = models.CallDirection.UNKNOWN
CALL_UNKNOWN = models.CallType.UNKNOWN
_DATE_WIDTHS = {"%Y": 4, "%m": 2, "%d": 2}
_DATE_TOKENS = re.compile(r"(%.)")
_account = builder(CarrierAccount)
_service = builder(Service)
_invoice = builder(Invoice)
_invoice_line = builder(InvoiceLine)
_order = builder(Order)
_order_item = builder(OrderItem)
_milestone_record = builder(OrderMilestone)
_ticket = builder(TroubleTicket)
_status_change = builder(StatusChange)
_usage = builder(UsageRecord)
_quote = builder(Quote)
_quote_option = builder(QuoteOption)
_note = builder(Note)
_money_record = builder(Money)
_address_record = builder(Address)


class GraphqlMaps:
    """The status vocabularies of one carrier: its codes first, then the defaults.

    Raises:
        ValueError: the carrier file maps a code to a name the enum does not have (the
            message names ``status_maps.<vocabulary>`` and the code).
    """

    def __init__(self, spec: GraphqlSpec) -> None:
        codes = spec.status_maps

        def build(name: str) -> Any:  # noqa: ANN401 - each attribute's own StatusMap[...]
            enum, overrides = STATUS_ENUMS[name], getattr(codes, name)
            return build_status_map(
                enum, DEFAULT_STATUS_MAPS[name], overrides, f"status_maps.{name}"
            )

        self.account: StatusMap[models.AccountStatus] = build("account")
        self.service: StatusMap[models.ServiceStatus] = build("service")
        self.invoice: StatusMap[models.InvoiceStatus] = build("invoice")
        self.order: StatusMap[models.OrderStatus] = build("order")
        self.milestone: StatusMap[models.MilestoneKind] = build("milestone")
        self.ticket: StatusMap[models.TicketStatus] = build("ticket")
        self.ticket_severity: StatusMap[models.TicketSeverity] = build("ticket_severity")
        self.ticket_priority: StatusMap[models.TicketPriority] = build("ticket_priority")
        self.quote: StatusMap[models.QuoteStatus] = build("quote")

    def get(self, name: str) -> StatusMap[Any]:
        """The map of one vocabulary by its ``status_maps`` key."""
        result: StatusMap[Any] = getattr(self, name)
        return result


def _str(obj: Json, key: str, at: str = "") -> str:
    value = obj.get(key)
    if type(value) is str:
        return value
    raise FieldError(at + key, "missing" if value is None else "expected a string")


def _opt_str(obj: Json, key: str, at: str = "") -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise FieldError(at + key, "expected a string")


def _int(obj: Json, key: str, at: str = "") -> int:
    value = obj.get(key)
    if type(value) is int:
        return value
    raise FieldError(at + key, "missing" if value is None else "expected an integer")


def _opt_int(obj: Json, key: str, at: str = "") -> int | None:
    value = obj.get(key)
    return None if value is None else _int(obj, key, at)


def _strs(obj: Json, key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if isinstance(value, list) and all(type(n) is str for n in value):
        return tuple(value)
    raise FieldError(key, "expected a list of strings")


def _opt_currency(obj: Json, key: str) -> str | None:
    value = obj.get(key)
    return None if value is None else parse_currency(value, key)


def _opt_decimal(obj: Json, key: str) -> Decimal | None:
    value = obj.get(key)
    return None if value is None else _decimal(value, key)


def _obj(obj: Json, key: str, at: str = "") -> Json:
    value = obj.get(key)
    if isinstance(value, Mapping):
        return value
    raise FieldError(at + key, "missing" if value is None else "expected an object")


def _objs(obj: Json, key: str) -> list[Json]:
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return value
    raise FieldError(key, "missing" if value is None else "expected a list of objects")


def _member(table: Mapping[str, E], obj: Json, key: str, at: str = "") -> E:
    value = obj.get(key)
    try:
        return table[value]  # type: ignore[index]  # a non-string is refused below
    except (KeyError, TypeError):
        raise FieldError(at + key, f"unmapped code '{value}'") from None


def _opt_member(table: Mapping[str, E], fallback: E, obj: Json, key: str, at: str = "") -> E | None:
    """A closed-vocabulary code; an unknown string is ``fallback``, absent is None."""
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise FieldError(at + key, "expected an enum value")
    return table.get(value, fallback)


def _code(obj: Json, key: str) -> str | None:
    """The carrier's raw code, kept beside its normalized value."""
    value = obj.get(key)
    return value if type(value) is str else None


def _opt_status(codes: StatusMap[E], obj: Json, key: str, at: str = "") -> E | None:  # type: ignore[type-var]
    value = obj.get(key)
    return None if value is None else codes.lenient(value, at + key)


def _check_year(year: int, field: str) -> None:
    if not LIMITS.earliest_year <= year <= LIMITS.latest_year:
        raise FieldError(field, f"year {year} outside {LIMITS.earliest_year}-{LIMITS.latest_year}")


def _address(obj: Json, key: str) -> Address | None:
    """An address object (every part optional); absent is None."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise FieldError(key, "expected an object")
    at = key + "."
    return _address_record(
        street=_opt_str(value, "street", at),
        city=_opt_str(value, "city", at),
        state=_opt_str(value, "state", at),
        postcode=_opt_str(value, "postcode", at),
        country=_opt_str(value, "country", at),
    )


def _decimal(value: object, field: str) -> Decimal:
    if type(value) is str or type(value) is Decimal or type(value) is int:
        try:
            result = Decimal(value)
        except ArithmeticError:  # decimal.InvalidOperation
            result = None
        if result is not None and result.is_finite():
            return result
        raise FieldError(field, f"not a number: '{str(value)[:40]}'")
    raise FieldError(field, "missing" if value is None else "expected a decimal number")


def _amount_decimal(value: object, field: str) -> Decimal:
    return parse_amount(_decimal(value, field), field)


def _amount_minor(value: object, field: str) -> Decimal:
    if type(value) is int:
        return parse_amount(Decimal(value).scaleb(-2), field)
    raise FieldError(field, "missing" if value is None else "expected an integer of minor units")


def _instant_iso(value: object, field: str) -> datetime:
    if value is None:
        raise FieldError(field, "missing")
    return parse_datetime(value, field)


def _instant_epoch(value: object, field: str) -> datetime:
    if type(value) is int:
        try:
            instant = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise FieldError(field, f"epoch seconds out of range: {value}") from None
        _check_year(instant.year, field)
        return instant
    raise FieldError(field, "missing" if value is None else "expected epoch seconds")


def _date_iso(value: object, field: str) -> date:
    if type(value) is str:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            _check_year(day.year, field)
            return day
    raise FieldError(field, "missing" if value is None else f"not a date: '{str(value)[:40]}'")


def date_reader(pattern: str) -> Callable[[object, str], date]:
    """A parser for dates written with a pattern of ``%Y``, ``%m``, ``%d`` and separators.

    ``strftime`` pads those fields, so a date is read by slicing at fixed offsets, built
    once per carrier (a quarter of ``strptime``'s cost); ISO dates use ``fromisoformat``.
    """
    if pattern == "%Y-%m-%d":
        return _date_iso
    offsets: dict[str, tuple[int, int]] = {}
    literals: list[tuple[int, str]] = []
    position = 0
    for token in _DATE_TOKENS.split(pattern):
        width = _DATE_WIDTHS.get(token, len(token))
        if token in _DATE_WIDTHS:
            offsets[token] = (position, position + width)
        elif token:
            literals.append((position, token))
        position += width
    (y0, y1), (m0, m1), (d0, d1) = offsets["%Y"], offsets["%m"], offsets["%d"]

    def sliced(value: object, field: str) -> date:
        if type(value) is str and len(value) == position:
            year, month, day = value[y0:y1], value[m0:m1], value[d0:d1]
            if (
                year.isdigit()
                and month.isdigit()
                and day.isdigit()
                and all(value[at : at + len(text)] == text for at, text in literals)
            ):
                try:
                    found = date(int(year), int(month), int(day))
                except ValueError:
                    pass
                else:
                    _check_year(found.year, field)
                    return found
        raise FieldError(field, "missing" if value is None else f"not a '{pattern}' date")

    return sliced


class GraphqlReader:
    """Reads one carrier's wire records (default field names) into normalized records."""

    def __init__(self, spec: GraphqlSpec) -> None:
        self.carrier = spec.id
        self.maps = GraphqlMaps(spec)
        fmt = spec.formats
        self._amount = _amount_minor if fmt.money == "minor_units" else _amount_decimal
        self._instant = _instant_epoch if fmt.datetime == "epoch_seconds" else _instant_iso
        self._day = date_reader(fmt.date)

    def _money(self, obj: Json, key: str, at: str = "") -> Money | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise FieldError(at + key, "expected an object")
        path = f"{at}{key}."
        currency = parse_currency(value.get("currency"), path + "currency")
        return _money_record(self._amount(value.get("amount"), path + "amount"), currency)

    def _opt_at(self, obj: Json, key: str, at: str = "") -> datetime | None:
        value = obj.get(key)
        return None if value is None else self._instant(value, at + key)

    def _opt_day(self, obj: Json, key: str) -> date | None:
        value = obj.get(key)
        return None if value is None else self._day(value, key)

    def _notes(self, obj: Json) -> tuple[Note, ...]:
        return tuple(
            _note(
                author=_opt_str(n, "author", "notes."),
                organization=_str(n, "organization", "notes."),
                created_at=self._opt_at(n, "createdAt", "notes."),
                text=_str(n, "text", "notes."),
                visibility=_member(_VISIBILITY, n, "visibility", "notes."),
            )
            for n in _objs(obj, "notes")
        )

    def account(self, obj: Json) -> CarrierAccount:
        """``account`` -> CarrierAccount."""
        s = Salvage()
        return _account(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            name=attempt(s, "name", _opt_str, obj, "name"),
            status=attempt(s, "status", _opt_status, self.maps.account, obj, "status"),
            billing_address=attempt(s, "billing_address", _address, obj, "billingAddress"),
            created_at=attempt(s, "created_at", self._opt_at, obj, "createdAt"),
            currency=attempt(s, "currency", _opt_currency, obj, "currency"),
            status_code=_code(obj, "status"),
            problems=s.done(),
        )

    def service(self, obj: Json) -> Service:
        """``service`` -> Service."""
        s = Salvage()
        return _service(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            service_id=_str(obj, "serviceId"),
            circuit_id=attempt(s, "circuit_id", _opt_str, obj, "circuitId"),
            telephone_numbers=attempt(s, "telephone_numbers", _strs, obj, "telephoneNumbers") or (),
            product=attempt(s, "product", _opt_member, _PRODUCT, OTHER, obj, "product"),
            bandwidth_mbps=attempt(s, "bandwidth_mbps", _opt_int, obj, "bandwidthMbps"),
            service_address=attempt(s, "service_address", _address, obj, "serviceAddress"),
            z_address=attempt(s, "z_address", _address, obj, "zAddress"),
            status=attempt(s, "status", _opt_status, self.maps.service, obj, "status"),
            activated_at=attempt(s, "activated_at", self._opt_at, obj, "activatedAt"),
            mrc=attempt(s, "mrc", self._money, obj, "mrc"),
            nrc=attempt(s, "nrc", self._money, obj, "nrc"),
            term_months=attempt(s, "term_months", _opt_int, obj, "termMonths"),
            contract_end=attempt(s, "contract_end", self._opt_day, obj, "contractEnd"),
            status_code=_code(obj, "status"),
            product_code=_code(obj, "product"),
            problems=s.done(),
        )

    def invoice(self, obj: Json) -> Invoice:
        """``invoice`` -> Invoice."""
        s = Salvage()
        return _invoice(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            invoice_number=_str(obj, "invoiceNumber"),
            period_start=attempt(s, "period_start", self._opt_day, obj, "periodStart"),
            period_end=attempt(s, "period_end", self._opt_day, obj, "periodEnd"),
            issued_at=attempt(s, "issued_at", self._opt_at, obj, "issuedAt"),
            due_at=attempt(s, "due_at", self._opt_at, obj, "dueAt"),
            status=attempt(s, "status", _opt_status, self.maps.invoice, obj, "status"),
            total=attempt(s, "total", self._money, obj, "total"),
            taxes=attempt(s, "taxes", self._money, obj, "taxes"),
            status_code=_code(obj, "status"),
            problems=s.done(),
        )

    def invoice_line(self, obj: Json) -> InvoiceLine:
        """``invoice_line`` -> InvoiceLine (the connector groups it by ``invoiceNumber``)."""
        s = Salvage()
        return _invoice_line(
            kind=attempt(s, "kind", _opt_member, _LINE_KIND, LINE_UNKNOWN, obj, "kind"),
            service_id=attempt(s, "service_id", _opt_str, obj, "serviceId"),
            description=attempt(s, "description", _opt_str, obj, "description"),
            quantity=attempt(s, "quantity", _opt_decimal, obj, "quantity"),
            amount=attempt(s, "amount", self._money, obj, "amount"),
            kind_code=_code(obj, "kind"),
            problems=s.done(),
        )

    def _item(self, i: Json) -> OrderItem:
        return _order_item(
            item_id=_str(i, "itemId", "items."),
            action=_opt_member(_ORDER_KIND, KIND_UNKNOWN, i, "action", "items."),
            product=_opt_member(_PRODUCT, OTHER, i, "product", "items."),
            status=_opt_status(self.maps.order, i, "status", "items."),
            service_id=_opt_str(i, "serviceId", "items."),
            status_code=_code(i, "status"),
        )

    def _milestone(self, m: Json) -> OrderMilestone:
        return _milestone_record(
            kind=self.maps.milestone.lenient(m.get("name"), "milestones.name"),
            planned_at=self._opt_at(m, "plannedAt", "milestones."),
            actual_at=self._opt_at(m, "actualAt", "milestones."),
            note=_opt_str(m, "note", "milestones."),
            name=_code(m, "name"),
        )

    def order(self, obj: Json) -> Order:
        """``order`` -> Order, with its items, milestones and notes."""
        s = Salvage()
        return _order(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            order_id=_str(obj, "orderId"),
            purchase_order_number=attempt(
                s, "purchase_order_number", _opt_str, obj, "purchaseOrderNumber"
            ),
            kind=attempt(s, "kind", _opt_member, _ORDER_KIND, KIND_UNKNOWN, obj, "kind"),
            status=attempt(s, "status", _opt_status, self.maps.order, obj, "status"),
            ordered_at=attempt(s, "ordered_at", self._opt_at, obj, "orderedAt"),
            requested_date=attempt(s, "requested_date", self._opt_day, obj, "requestedDate"),
            committed_date=attempt(s, "committed_date", self._opt_day, obj, "committedDate"),
            items=s.get("items", lambda: tuple(self._item(i) for i in _objs(obj, "items"))) or (),
            milestones=s.get(
                "milestones",
                lambda: tuple(self._milestone(m) for m in _objs(obj, "milestones")),
            )
            or (),
            notes=attempt(s, "notes", self._notes, obj) or (),
            status_code=_code(obj, "status"),
            kind_code=_code(obj, "kind"),
            problems=s.done(),
        )

    def _change(self, c: Json) -> StatusChange:
        return _status_change(
            status=self.maps.ticket.lenient(c.get("status"), "statusChanges.status"),
            changed_at=self._instant(c.get("changedAt"), "statusChanges.changedAt"),
        )

    def ticket(self, obj: Json) -> TroubleTicket:
        """``ticket`` -> TroubleTicket, with its status changes and notes."""
        s = Salvage()
        maps = self.maps
        return _ticket(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            ticket_id=_str(obj, "ticketId"),
            service_id=attempt(s, "service_id", _opt_str, obj, "serviceId"),
            type=attempt(s, "type", _opt_member, _TICKET_TYPE, TYPE_UNKNOWN, obj, "type"),
            severity=attempt(s, "severity", _opt_status, maps.ticket_severity, obj, "severity"),
            priority=attempt(s, "priority", _opt_status, maps.ticket_priority, obj, "priority"),
            observed_impact=attempt(
                s, "observed_impact", _opt_member, _IMPACT, IMPACT_UNKNOWN, obj, "observedImpact"
            ),
            status=attempt(s, "status", _opt_status, maps.ticket, obj, "status"),
            description=attempt(s, "description", _opt_str, obj, "description"),
            opened_at=attempt(s, "opened_at", self._opt_at, obj, "openedAt"),
            expected_resolution_at=attempt(
                s, "expected_resolution_at", self._opt_at, obj, "expectedResolutionAt"
            ),
            resolved_at=attempt(s, "resolved_at", self._opt_at, obj, "resolvedAt"),
            sla_target=attempt(s, "sla_target", self._opt_at, obj, "slaTarget"),
            status_changes=s.get(
                "status_changes",
                lambda: tuple(self._change(c) for c in _objs(obj, "statusChanges")),
            )
            or (),
            notes=attempt(s, "notes", self._notes, obj) or (),
            status_code=_code(obj, "status"),
            problems=s.done(),
        )

    def usage(self, obj: Json) -> UsageRecord:
        """``usage`` -> UsageRecord (one rated call)."""
        s = Salvage()
        return _usage(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            usage_id=_str(obj, "usageId"),
            service_id=attempt(s, "service_id", _opt_str, obj, "serviceId"),
            started_at=attempt(s, "started_at", self._opt_at, obj, "startedAt"),
            duration_seconds=attempt(s, "duration_seconds", _opt_int, obj, "durationSeconds"),
            from_number=attempt(s, "from_number", _opt_str, obj, "fromNumber"),
            to_number=attempt(s, "to_number", _opt_str, obj, "toNumber"),
            direction=attempt(
                s, "direction", _opt_member, _DIRECTION, DIRECTION_UNKNOWN, obj, "direction"
            ),
            call_type=attempt(
                s, "call_type", _opt_member, _CALL_TYPE, CALL_UNKNOWN, obj, "callType"
            ),
            charge=attempt(s, "charge", self._money, obj, "charge"),
            problems=s.done(),
        )

    def _option(self, o: Json) -> QuoteOption:
        return _quote_option(
            term_months=_opt_int(o, "termMonths", "options."),
            mrc=self._money(o, "mrc", "options."),
            nrc=self._money(o, "nrc", "options."),
            interval_days=_opt_int(o, "intervalDays", "options."),
        )

    def quote(self, obj: Json) -> Quote:
        """``quote`` -> Quote, with its priced options."""
        s = Salvage()
        return _quote(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            quote_id=_str(obj, "quoteId"),
            status=attempt(s, "status", _opt_status, self.maps.quote, obj, "status"),
            product=attempt(s, "product", _opt_member, _PRODUCT, OTHER, obj, "product"),
            bandwidth_mbps=attempt(s, "bandwidth_mbps", _opt_int, obj, "bandwidthMbps"),
            service_address=attempt(s, "service_address", _address, obj, "serviceAddress"),
            requested_at=attempt(s, "requested_at", self._opt_at, obj, "requestedAt"),
            valid_until=attempt(s, "valid_until", self._opt_at, obj, "validUntil"),
            options=s.get("options", lambda: tuple(self._option(o) for o in _objs(obj, "options")))
            or (),
            status_code=_code(obj, "status"),
            problems=s.done(),
        )
