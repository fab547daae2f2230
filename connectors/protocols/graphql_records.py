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
from connectors.mapping import FieldError, StatusMap, build_status_map, parse_datetime
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
_DATE_WIDTHS = {"%Y": 4, "%m": 2, "%d": 2}
_DATE_TOKENS = re.compile(r"(%.)")


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
    value = obj[key]
    if type(value) is str:
        return value
    raise FieldError(at + key, "missing" if value is None else "expected a string")


def _opt_str(obj: Json, key: str, at: str = "") -> str | None:
    value = obj[key]
    if value is None or type(value) is str:
        return value
    raise FieldError(at + key, "expected a string")


def _int(obj: Json, key: str, at: str = "") -> int:
    value = obj[key]
    if type(value) is int:
        return value
    raise FieldError(at + key, "missing" if value is None else "expected an integer")


def _opt_int(obj: Json, key: str, at: str = "") -> int | None:
    value = obj[key]
    return None if value is None else _int(obj, key, at)


def _obj(obj: Json, key: str, at: str = "") -> Json:
    value = obj[key]
    if isinstance(value, Mapping):
        return value
    raise FieldError(at + key, "missing" if value is None else "expected an object")


def _objs(obj: Json, key: str) -> list[Json]:
    value = obj[key]
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return value
    raise FieldError(key, "missing" if value is None else "expected a list of objects")


def _member(table: Mapping[str, E], obj: Json, key: str, at: str = "") -> E:
    value = obj[key]
    try:
        return table[value]
    except (KeyError, TypeError):
        raise FieldError(at + key, f"unmapped code '{value}'") from None


def _address(obj: Json, at: str) -> Address:
    return Address(
        street=_str(obj, "street", at),
        city=_str(obj, "city", at),
        state=_str(obj, "state", at),
        postcode=_str(obj, "postcode", at),
        country=_str(obj, "country", at),
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
    return _decimal(value, field).quantize(_CENT)


def _amount_minor(value: object, field: str) -> Decimal:
    if type(value) is int:
        return Decimal(value).scaleb(-2)
    raise FieldError(field, "missing" if value is None else "expected an integer of minor units")


def _instant_iso(value: object, field: str) -> datetime:
    if value is None:
        raise FieldError(field, "missing")
    return parse_datetime(value, field)


def _instant_epoch(value: object, field: str) -> datetime:
    if type(value) is int:
        return datetime.fromtimestamp(value, UTC)
    raise FieldError(field, "missing" if value is None else "expected epoch seconds")


def _date_iso(value: object, field: str) -> date:
    if type(value) is str:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
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
                    return date(int(year), int(month), int(day))
                except ValueError:
                    pass
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

    def _money(self, obj: Json, key: str, at: str = "") -> Money:
        value = _obj(obj, key, at)
        path = f"{at}{key}."
        currency = value["currency"]
        if type(currency) is not str or len(currency) != 3 or not currency.isalpha():
            raise FieldError(path + "currency", "expected an ISO 4217 currency code")
        return Money(self._amount(value["amount"], path + "amount"), currency.upper())

    def _at(self, obj: Json, key: str, at: str = "") -> datetime:
        return self._instant(obj[key], at + key)

    def _opt_at(self, obj: Json, key: str, at: str = "") -> datetime | None:
        value = obj[key]
        return None if value is None else self._instant(value, at + key)

    def _opt_day(self, obj: Json, key: str) -> date | None:
        value = obj[key]
        return None if value is None else self._day(value, key)

    def _notes(self, obj: Json) -> tuple[Note, ...]:
        return tuple(
            Note(
                author=_str(n, "author", "notes."),
                organization=_str(n, "organization", "notes."),
                created_at=self._at(n, "createdAt", "notes."),
                text=_str(n, "text", "notes."),
                visibility=_member(_VISIBILITY, n, "visibility", "notes."),
            )
            for n in _objs(obj, "notes")
        )

    def account(self, obj: Json) -> CarrierAccount:
        """``account`` -> CarrierAccount."""
        return CarrierAccount(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            name=_str(obj, "name"),
            status=self.maps.account.read(obj["status"], "status"),
            billing_address=_address(_obj(obj, "billingAddress"), "billingAddress."),
            created_at=self._at(obj, "createdAt"),
            currency=_str(obj, "currency"),
        )

    def service(self, obj: Json) -> Service:
        """``service`` -> Service."""
        numbers = obj["telephoneNumbers"]
        if not isinstance(numbers, list) or not all(type(n) is str for n in numbers):
            raise FieldError("telephoneNumbers", "expected a list of strings")
        z_end = obj["zAddress"]
        return Service(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            service_id=_str(obj, "serviceId"),
            circuit_id=_opt_str(obj, "circuitId"),
            telephone_numbers=tuple(numbers),
            product=_member(_PRODUCT, obj, "product"),
            bandwidth_mbps=_opt_int(obj, "bandwidthMbps"),
            service_address=_address(_obj(obj, "serviceAddress"), "serviceAddress."),
            z_address=None if z_end is None else _address(_obj(obj, "zAddress"), "zAddress."),
            status=self.maps.service.read(obj["status"], "status"),
            activated_at=self._opt_at(obj, "activatedAt"),
            mrc=self._money(obj, "mrc"),
            nrc=self._money(obj, "nrc"),
            term_months=_int(obj, "termMonths"),
            contract_end=self._opt_day(obj, "contractEnd"),
        )

    def invoice(self, obj: Json) -> Invoice:
        """``invoice`` -> Invoice."""
        return Invoice(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            invoice_number=_str(obj, "invoiceNumber"),
            period_start=self._day(obj["periodStart"], "periodStart"),
            period_end=self._day(obj["periodEnd"], "periodEnd"),
            issued_at=self._at(obj, "issuedAt"),
            due_at=self._at(obj, "dueAt"),
            status=self.maps.invoice.read(obj["status"], "status"),
            total=self._money(obj, "total"),
            taxes=self._money(obj, "taxes"),
        )

    def invoice_line(self, obj: Json) -> InvoiceLine:
        """``invoice_line`` -> InvoiceLine (the connector groups it by ``invoiceNumber``)."""
        return InvoiceLine(
            kind=_member(_LINE_KIND, obj, "kind"),
            service_id=_opt_str(obj, "serviceId"),
            description=_str(obj, "description"),
            quantity=_decimal(obj["quantity"], "quantity"),
            amount=self._money(obj, "amount"),
        )

    def order(self, obj: Json) -> Order:
        """``order`` -> Order, with its items, milestones and notes."""
        status = self.maps.order
        milestone = self.maps.milestone
        return Order(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            order_id=_str(obj, "orderId"),
            purchase_order_number=_opt_str(obj, "purchaseOrderNumber"),
            kind=_member(_ORDER_KIND, obj, "kind"),
            status=status.read(obj["status"], "status"),
            ordered_at=self._at(obj, "orderedAt"),
            requested_date=self._opt_day(obj, "requestedDate"),
            committed_date=self._opt_day(obj, "committedDate"),
            items=tuple(
                OrderItem(
                    item_id=_str(i, "itemId", "items."),
                    action=_member(_ORDER_KIND, i, "action", "items."),
                    product=_member(_PRODUCT, i, "product", "items."),
                    status=status.read(i["status"], "items.status"),
                    service_id=_opt_str(i, "serviceId", "items."),
                )
                for i in _objs(obj, "items")
            ),
            milestones=tuple(
                OrderMilestone(
                    kind=milestone.read(m["name"], "milestones.name"),
                    planned_at=self._opt_at(m, "plannedAt", "milestones."),
                    actual_at=self._opt_at(m, "actualAt", "milestones."),
                    note=_opt_str(m, "note", "milestones."),
                )
                for m in _objs(obj, "milestones")
            ),
            notes=self._notes(obj),
        )

    def ticket(self, obj: Json) -> TroubleTicket:
        """``ticket`` -> TroubleTicket, with its status changes and notes."""
        status = self.maps.ticket
        return TroubleTicket(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            ticket_id=_str(obj, "ticketId"),
            service_id=_opt_str(obj, "serviceId"),
            type=_member(_TICKET_TYPE, obj, "type"),
            severity=self.maps.ticket_severity.read(obj["severity"], "severity"),
            priority=self.maps.ticket_priority.read(obj["priority"], "priority"),
            observed_impact=_member(_IMPACT, obj, "observedImpact"),
            status=status.read(obj["status"], "status"),
            description=_str(obj, "description"),
            opened_at=self._at(obj, "openedAt"),
            expected_resolution_at=self._opt_at(obj, "expectedResolutionAt"),
            resolved_at=self._opt_at(obj, "resolvedAt"),
            sla_target=self._opt_at(obj, "slaTarget"),
            status_changes=tuple(
                StatusChange(
                    status=status.read(c["status"], "statusChanges.status"),
                    changed_at=self._at(c, "changedAt", "statusChanges."),
                )
                for c in _objs(obj, "statusChanges")
            ),
            notes=self._notes(obj),
        )

    def usage(self, obj: Json) -> UsageRecord:
        """``usage`` -> UsageRecord (one rated call)."""
        return UsageRecord(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            usage_id=_str(obj, "usageId"),
            service_id=_str(obj, "serviceId"),
            started_at=self._at(obj, "startedAt"),
            duration_seconds=_int(obj, "durationSeconds"),
            from_number=_str(obj, "fromNumber"),
            to_number=_str(obj, "toNumber"),
            direction=_member(_DIRECTION, obj, "direction"),
            call_type=_member(_CALL_TYPE, obj, "callType"),
            charge=self._money(obj, "charge"),
        )

    def quote(self, obj: Json) -> Quote:
        """``quote`` -> Quote, with its priced options."""
        return Quote(
            carrier=self.carrier,
            account_number=_str(obj, "accountNumber"),
            quote_id=_str(obj, "quoteId"),
            status=self.maps.quote.read(obj["status"], "status"),
            product=_member(_PRODUCT, obj, "product"),
            bandwidth_mbps=_opt_int(obj, "bandwidthMbps"),
            service_address=_address(_obj(obj, "serviceAddress"), "serviceAddress."),
            requested_at=self._at(obj, "requestedAt"),
            valid_until=self._at(obj, "validUntil"),
            options=tuple(
                QuoteOption(
                    term_months=_int(o, "termMonths", "options."),
                    mrc=self._money(o, "mrc", "options."),
                    nrc=self._money(o, "nrc", "options."),
                    interval_days=_int(o, "intervalDays", "options."),
                )
                for o in _objs(obj, "options")
            ),
        )
