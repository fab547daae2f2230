"""MEF Sonata wire records -> normalized records, in one carrier's vocabulary.

The reading half of the Sonata adapter, kept apart from batching and paging so each
stays small. :class:`SonataReader` is built once per connector with the carrier's merged
vocabularies (:class:`~connectors.protocols.sonata.SonataMaps`) and turns one wire record
into one normalized record, raising :class:`~connectors.mapping.FieldError` naming the
wire field it could not read (the connector adds carrier and record and re-raises
``UpstreamInvalid``). Plain dict access, no per-record validation model: this is the
gateway's hot path.

Where the SDK has no field for something the gateway needs, the family uses the
extensions listed in docs/families/sonata.md (``billingAccount`` on tickets and quotes,
a planned date on milestones, the SLA target on tickets, ``organization`` and
``visibility`` on notes, ``customerBill`` on bill items); their names come from the
carrier file's ``fields`` where carriers differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors.mapping import (
    FieldError,
    parse_datetime,
    parse_decimal,
    parse_money,
    require,
)
from connectors.models import (
    Address,
    Invoice,
    InvoiceLine,
    Money,
    Note,
    NoteVisibility,
    Order,
    OrderItem,
    OrderMilestone,
    Quote,
    QuoteOption,
    Service,
    StatusChange,
    TroubleTicket,
)

if TYPE_CHECKING:
    from connectors.protocols.sonata import SonataMaps
    from connectors.specs.sonata import SonataSpec

__all__ = ["Json", "SonataReader"]

Json = Mapping[str, Any]

_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def _str(obj: Json, key: str, field: str | None = None) -> str:
    value = require(obj, key, field)
    if not isinstance(value, str):
        raise FieldError(field or key, "expected a string")
    return value


def _opt_str(obj: Json, key: str, field: str | None = None) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise FieldError(field or key, "expected a string")
    return value


def _obj(obj: Json, key: str, field: str | None = None) -> Json:
    value = require(obj, key, field)
    if not isinstance(value, Mapping):
        raise FieldError(field or key, "expected an object")
    return value


def _list(obj: Json, key: str, field: str | None = None) -> list[Json]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise FieldError(field or key, "expected a list of objects")
    return value


def _ref_id(obj: Json, key: str, field: str | None = None) -> str:
    name = field or key
    return _str(_obj(obj, key, name), "id", f"{name}.id")


def _opt_time(obj: Json, key: str, field: str | None = None) -> datetime | None:
    value = obj.get(key)
    return None if value is None else parse_datetime(value, field or key)


def _amount(obj: Json, units: str, field: str) -> int:
    """A MEF ``Duration`` in the expected units, as a whole number."""
    if obj.get("units") != units:
        raise FieldError(f"{field}.units", f"expected '{units}'")
    return int(parse_decimal(obj.get("amount"), f"{field}.amount"))


def _address(obj: Json, field: str) -> Address:
    """A MEF ``FieldedAddress`` (street, city, state, postcode, country)."""
    return Address(
        street=_str(obj, "streetName", f"{field}.streetName"),
        city=_str(obj, "city", f"{field}.city"),
        state=_str(obj, "stateOrProvince", f"{field}.stateOrProvince"),
        postcode=_str(obj, "postcode", f"{field}.postcode"),
        country=_str(obj, "country", f"{field}.country"),
    )


def _prices(entries: list[Json], field: str) -> dict[object, Json]:
    return {p.get("priceType"): _obj(p, "price", f"{field}.price") for p in entries}


def _price(prices: Mapping[object, Json], kind: str, field: str) -> Money:
    price = prices.get(kind)
    if price is None:
        raise FieldError(field, f"no '{kind}' price")
    return parse_money(price.get("dutyFreeAmount"), f"{field}[{kind}].price.dutyFreeAmount")


class SonataReader:
    """Reads one carrier's Sonata wire records; built once per connector.

    Example:
        >>> reader = SonataReader(spec)  # doctest: +SKIP
        >>> reader.order(wire_order).status  # doctest: +SKIP
        <OrderStatus.IN_PROGRESS: 'IN_PROGRESS'>
    """

    def __init__(self, spec: SonataSpec, maps: SonataMaps) -> None:
        self.carrier = spec.id
        self.carrier_name = spec.name
        self.maps = maps
        self.fields = spec.fields
        self.zone = ZoneInfo(spec.timezone)

    def _day(self, value: object, field: str) -> date:
        """A date-valued field: an ISO date, or the carrier-local date of an instant."""
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise FieldError(field, f"not an ISO 8601 date: '{value}'") from None
        return parse_datetime(value, field).astimezone(self.zone).date()

    def _notes(self, obj: Json) -> tuple[Note, ...]:
        notes = []
        for n in _list(obj, "note"):
            source = n.get("source")
            if source not in ("buyer", "seller"):
                raise FieldError("note.source", f"expected 'buyer' or 'seller', got '{source}'")
            org = _opt_str(n, "organization", "note.organization")
            notes.append(
                Note(
                    author=_str(n, "author", "note.author"),
                    organization=org or (self.carrier_name if source == "seller" else ""),
                    created_at=parse_datetime(n.get("date"), "note.date"),
                    text=_str(n, "text", "note.text"),
                    visibility=NoteVisibility.INTERNAL
                    if n.get("visibility") == "internal"
                    else NoteVisibility.PUBLIC,
                )
            )
        return tuple(notes)

    def _bandwidth(self, config: Json, field: str) -> int | None:
        value = config.get(self.fields.bandwidth)
        return (
            None if value is None else int(parse_decimal(value, f"{field}.{self.fields.bandwidth}"))
        )

    def service(self, obj: Json) -> Service:
        """Product Inventory ``MEFProduct`` -> Service."""
        f, maps = self.fields, self.maps
        status = maps.service.read(obj.get("status"), "status")
        config = _obj(obj, "productConfiguration")
        sites = {s.get("role"): s for s in _list(obj, "relatedSite")}
        if "installationSite" not in sites:
            raise FieldError("relatedSite", "no site with role 'installationSite'")
        z_end = sites.get("zEndSite")
        numbers = config.get(f.telephone_numbers) or []
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise FieldError(f"productConfiguration.{f.telephone_numbers}", "expected strings")
        terms = _list(obj, "productTerm")
        if not terms:
            raise FieldError("productTerm", "missing")
        end = terms[0].get(f.term_end)
        prices = _prices(_list(obj, "productPrice"), "productPrice")
        start = obj.get("startDate")
        return Service(
            carrier=self.carrier,
            account_number=_ref_id(obj, "billingAccount"),
            service_id=_str(obj, "id"),
            circuit_id=_opt_str(config, f.circuit_id, f"productConfiguration.{f.circuit_id}"),
            telephone_numbers=tuple(numbers),
            product=maps.product.read(_ref_id(obj, "productOffering"), "productOffering.id"),
            bandwidth_mbps=self._bandwidth(config, "productConfiguration"),
            service_address=_address(sites["installationSite"], "relatedSite[installationSite]"),
            z_address=None if z_end is None else _address(z_end, "relatedSite[zEndSite]"),
            status=status,
            activated_at=None if start is None else parse_datetime(start, "startDate"),
            mrc=_price(prices, "recurring", "productPrice"),
            nrc=_price(prices, "nonRecurring", "productPrice"),
            term_months=_amount(
                _obj(terms[0], "duration", "productTerm.duration"),
                "calendarMonths",
                "productTerm.duration",
            ),
            contract_end=None if end is None else self._day(end, f"productTerm.{f.term_end}"),
        )

    def invoice(self, obj: Json) -> Invoice:
        """Billing ``CustomerBill`` -> Invoice."""
        status = self.maps.invoice.read(obj.get("state"), "state")
        period = _obj(obj, "billingPeriod")
        total = parse_money(obj.get("taxIncludedAmount"), "taxIncludedAmount")
        taxes = sum(
            (
                parse_money(t.get("taxAmount"), "taxItem.taxAmount").amount
                for t in _list(obj, "taxItem")
            ),
            start=_ZERO,
        )
        return Invoice(
            carrier=self.carrier,
            account_number=_ref_id(obj, "billingAccount"),
            invoice_number=_str(obj, "billNo"),
            period_start=self._day(period.get("startDateTime"), "billingPeriod.startDateTime"),
            period_end=self._day(period.get("endDateTime"), "billingPeriod.endDateTime"),
            issued_at=parse_datetime(obj.get("billDate"), "billDate"),
            due_at=parse_datetime(obj.get("paymentDueDate"), "paymentDueDate"),
            status=status,
            total=total,
            taxes=Money(taxes.quantize(_CENT), total.currency),
        )

    def bill_item(self, obj: Json) -> tuple[str, InvoiceLine]:
        """Billing ``CustomerBillItem`` -> (invoice number, InvoiceLine)."""
        kind = self.maps.bill_item.read(obj.get("customerBillItemType"), "customerBillItemType")
        product = obj.get("product")
        return _ref_id(obj, "customerBill"), InvoiceLine(
            kind=kind,
            service_id=None if product is None else _ref_id(obj, "product"),
            description=_str(obj, "description"),
            quantity=parse_decimal(obj.get("unitQuantity"), "unitQuantity"),
            amount=parse_money(obj.get("taxExcludedAmount"), "taxExcludedAmount"),
        )

    def _item(self, item: Json) -> OrderItem:
        maps = self.maps
        product = _obj(item, "product", "productOrderItem.product")
        return OrderItem(
            item_id=_str(item, "id", "productOrderItem.id"),
            action=maps.item_action.read(item.get("action"), "productOrderItem.action"),
            product=maps.product.read(
                _ref_id(product, "productOffering", "productOrderItem.product.productOffering"),
                "productOrderItem.product.productOffering.id",
            ),
            status=maps.order_item.read(item.get("state"), "productOrderItem.state"),
            service_id=_opt_str(product, "id", "productOrderItem.product.id"),
        )

    def _milestone(self, m: Json) -> OrderMilestone:
        planned = self.fields.milestone_planned
        return OrderMilestone(
            kind=self.maps.milestone.read(m.get("name"), "productOrderItem.milestone.name"),
            planned_at=_opt_time(m, planned, f"productOrderItem.milestone.{planned}"),
            actual_at=_opt_time(m, "date", "productOrderItem.milestone.date"),
            note=_opt_str(m, "note", "productOrderItem.milestone.note"),
        )

    def order(self, obj: Json) -> Order:
        """Product Ordering ``ProductOrder`` -> Order (milestones of every item, in order)."""
        status = self.maps.order.read(obj.get("state"), "state")
        raw = _list(obj, "productOrderItem")
        if not raw:
            raise FieldError("productOrderItem", "missing")
        items = tuple(self._item(i) for i in raw)
        first = raw[0]
        requested = first.get("requestedCompletionDate")
        committed = first.get("expectedCompletionDate")
        return Order(
            carrier=self.carrier,
            account_number=_ref_id(first, "billingAccount", "productOrderItem.billingAccount"),
            order_id=_str(obj, "id"),
            purchase_order_number=_opt_str(obj, "externalId"),
            kind=items[0].action,
            status=status,
            ordered_at=parse_datetime(obj.get("orderDate"), "orderDate"),
            requested_date=None
            if requested is None
            else self._day(requested, "productOrderItem.requestedCompletionDate"),
            committed_date=None
            if committed is None
            else self._day(committed, "productOrderItem.expectedCompletionDate"),
            items=items,
            milestones=tuple(
                self._milestone(m)
                for i in raw
                for m in _list(i, "milestone", "productOrderItem.milestone")
            ),
            notes=self._notes(obj),
        )

    def ticket(self, obj: Json) -> TroubleTicket:
        """Trouble Ticket ``TroubleTicket`` -> TroubleTicket (seller severity and priority)."""
        maps = self.maps
        status = maps.ticket.read(obj.get("status"), "status")
        related = {e.get("@referredType"): e for e in _list(obj, "relatedEntity")}
        if "billingAccount" in obj or "BillingAccount" not in related:
            account = _ref_id(obj, "billingAccount")
        else:
            account = _str(related["BillingAccount"], "id", "relatedEntity.id")
        product = related.get("Product")
        return TroubleTicket(
            carrier=self.carrier,
            account_number=account,
            ticket_id=_str(obj, "id"),
            service_id=None if product is None else _str(product, "id", "relatedEntity.id"),
            type=maps.ticket_type.read(obj.get("ticketType"), "ticketType"),
            severity=maps.ticket_severity.read(obj.get("sellerSeverity"), "sellerSeverity"),
            priority=maps.ticket_priority.read(obj.get("sellerPriority"), "sellerPriority"),
            observed_impact=maps.observed_impact.read(obj.get("observedImpact"), "observedImpact"),
            status=status,
            description=_str(obj, "description"),
            opened_at=parse_datetime(obj.get("creationDate"), "creationDate"),
            expected_resolution_at=_opt_time(obj, "expectedResolutionDate"),
            resolved_at=_opt_time(obj, "resolutionDate"),
            sla_target=_opt_time(obj, self.fields.sla_target),
            status_changes=tuple(
                StatusChange(
                    status=maps.ticket.read(c.get("status"), "statusChange.status"),
                    changed_at=parse_datetime(c.get("changeDate"), "statusChange.changeDate"),
                )
                for c in _list(obj, "statusChange")
            ),
            notes=self._notes(obj),
        )

    def _option(self, item: Json) -> QuoteOption:
        terms = _list(item, "quoteItemTerm", "quoteItem.quoteItemTerm")
        if not terms:
            raise FieldError("quoteItem.quoteItemTerm", "missing")
        prices = _prices(_list(item, "quoteItemPrice"), "quoteItem.quoteItemPrice")
        interval = _obj(item, "quoteItemInstallationInterval", "quoteItem.installationInterval")
        return QuoteOption(
            term_months=_amount(
                _obj(terms[0], "duration", "quoteItem.quoteItemTerm.duration"),
                "calendarMonths",
                "quoteItem.quoteItemTerm.duration",
            ),
            mrc=_price(prices, "recurring", "quoteItem.quoteItemPrice"),
            nrc=_price(prices, "nonRecurring", "quoteItem.quoteItemPrice"),
            interval_days=_amount(interval, "calendarDays", "quoteItem.installationInterval"),
        )

    def quote(self, obj: Json) -> Quote:
        """Quote ``Quote`` -> Quote (one option per quote item, each with its own term)."""
        status = self.maps.quote.read(obj.get("state"), "state")
        items = _list(obj, "quoteItem")
        if not items:
            raise FieldError("quoteItem", "missing")
        product = _obj(items[0], "product", "quoteItem.product")
        places = {p.get("role"): p for p in _list(product, "place", "quoteItem.product.place")}
        if "installationAddress" not in places:
            raise FieldError("quoteItem.product.place", "no place with role 'installationAddress'")
        config = product.get("productConfiguration") or {}
        valid = _obj(obj, "validFor")
        return Quote(
            carrier=self.carrier,
            account_number=_ref_id(obj, "billingAccount"),
            quote_id=_str(obj, "id"),
            status=status,
            product=self.maps.product.read(
                _ref_id(product, "productOffering", "quoteItem.product.productOffering"),
                "quoteItem.product.productOffering.id",
            ),
            bandwidth_mbps=self._bandwidth(config, "quoteItem.product.productConfiguration"),
            service_address=_address(places["installationAddress"], "quoteItem.product.place"),
            requested_at=parse_datetime(obj.get("quoteDate"), "quoteDate"),
            valid_until=parse_datetime(valid.get("endDateTime"), "validFor.endDateTime"),
            options=tuple(self._option(i) for i in items),
        )
