"""MEF Sonata wire records -> normalized records, in one carrier's vocabulary.

The reading half of the Sonata adapter, kept apart from batching, paging and the
summary -> detail fan-out so each stays small. :class:`SonataReader` is built once per
connector with the carrier's merged vocabularies (:class:`~connectors.protocols.sonata.SonataMaps`)
and turns one detail document (``MEFProduct``, ``CustomerBill``, ``CustomerBillItem``,
``ProductOrder``, ``TroubleTicket``, ``Quote``) into one normalized record. The adapter
reads the identity (the record's id, its account link) first; these readers take the
rest as the specs define it: what a spec leaves optional may be absent (``None``, no
problem), an unmapped code is the enum's ``UNKNOWN``/``OTHER`` with the raw code kept,
and a value present but unreadable or absurd is ``None`` plus one
:class:`~connectors.models.FieldProblem` naming the wire field (see ``Salvage``).
Plain dict access, no per-record validation model: this is the gateway's hot path.

A problem inside a list the graph shows as a non-null list (an order item, a milestone, a
note, a status change, a quote option) is named ``<list>[]``: the unreadable element is left
out (or its value is None) and the problem stays on the record for logs and tests, without
nulling the whole list.

Where the SDK has no field for something the gateway needs, the family reads the
extensions listed in docs/connectors.md (a planned date on milestones, the SLA target on
tickets, ``organization`` and ``visibility`` on notes); their names come from the
carrier file's ``fields`` where carriers differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from connectors.mapping import (
    FieldError,
    Salvage,
    parse_amount,
    parse_datetime,
    parse_decimal,
    parse_money,
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
    from connectors.mapping import StatusMap
    from connectors.protocols.sonata import SonataMaps
    from connectors.specs.sonata import SonataSpec

__all__ = ["Json", "SonataReader", "ref_id", "related_ids"]

Json = Mapping[str, Any]
T = TypeVar("T")

_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_EMPTY: Json = {}

# MEF TimeUnit -> how many of the unit we report (months, days) one wire unit is.
_MONTHS = {"calendarMonths": 1, "calendarYears": 12}
_DAYS = {"calendarDays": 1, "businessDays": 1, "calendarWeeks": 7}


def _opt_str(obj: Json, key: str, field: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise FieldError(field, "expected a string")


def _obj(obj: Json, key: str, field: str) -> Json:
    """An optional object: absent -> empty, present but not an object -> FieldError."""
    value = obj.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise FieldError(field, "expected an object")
    return value


def _list(obj: Json, key: str, field: str) -> list[Json]:
    """An optional list of objects: absent -> empty; anything else -> FieldError."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise FieldError(field, "expected a list of objects")
    return value


def ref_id(obj: Json, key: str) -> str | None:
    """The ``id`` of a reference object at ``key`` when it is a readable string."""
    ref = obj.get(key)
    if isinstance(ref, Mapping):
        value = ref.get("id")
        if isinstance(value, str) and value:
            return value
    return None


def related_ids(obj: Json, key: str, kinds: tuple[str, ...]) -> list[str]:
    """Ids of the related entities (or parties) in ``obj[key]`` whose type is one of ``kinds``."""
    found = []
    entries = obj.get(key)
    if isinstance(entries, list):
        for e in entries:
            if not isinstance(e, Mapping):
                continue
            kind = e.get("@referredType") or e.get("role")
            value = e.get("id")
            if kind in kinds and isinstance(value, str) and value:
                found.append(value)
    return found


def _time(obj: Json, key: str, field: str) -> datetime | None:
    value = obj.get(key)
    return None if value is None else parse_datetime(value, field)


def _duration(obj: Json, field: str, units: Mapping[str, int]) -> int | None:
    """A MEF ``Duration`` in whole ``units``; a spec unit that does not convert is None."""
    factor = units.get(obj.get("units"))  # type: ignore[arg-type]
    if factor is None:
        return None
    return int(parse_decimal(obj.get("amount"), f"{field}.amount")) * factor


def _address(obj: Json) -> Address | None:
    """A MEF ``FieldedAddress`` (street, city, state, postcode, country); None if it has none."""
    parts = [obj.get(k) for k in ("streetName", "city", "stateOrProvince", "postcode", "country")]
    texts = [p if isinstance(p, str) else None for p in parts]
    if not any(texts):
        return None
    return Address(*texts)


def _prices(entries: list[Json]) -> dict[object, Json]:
    return {p.get("priceType"): p for p in entries}


def _price(prices: Mapping[object, Json], kind: str, field: str) -> Money | None:
    """A price's duty-free amount (or its tax-included amount when that is all there is)."""
    entry = prices.get(kind)
    if entry is None:
        return None
    price = _obj(entry, "price", f"{field}[{kind}].price")
    for key in ("dutyFreeAmount", "taxIncludedAmount"):
        if not _blank(price.get(key)):
            return parse_money(price[key], f"{field}[{kind}].price.{key}")
    return None


def _blank(money: object) -> bool:
    """An absent amount: missing, null, or a ``Money`` with neither unit nor value."""
    return money is None or (
        isinstance(money, Mapping) and money.get("unit") is None and money.get("value") is None
    )


def _code(s: Salvage, field: str, vocabulary: StatusMap[Any], raw: object, wire: str) -> Any:  # noqa: ANN401
    """A coded value: absent -> None; unmapped -> UNKNOWN/OTHER; not a string -> problem."""
    if raw is None:
        return None
    return s.get(field, lambda: vocabulary.lenient(raw, wire))


class SonataReader:
    """Reads one carrier's Sonata detail documents; built once per connector.

    Example:
        >>> reader = SonataReader(spec, maps)  # doctest: +SKIP
        >>> reader.order(wire_order, "ACC-1").status  # doctest: +SKIP
        <OrderStatus.IN_PROGRESS: 'IN_PROGRESS'>
    """

    def __init__(self, spec: SonataSpec, maps: SonataMaps) -> None:
        self.carrier = spec.id
        self.carrier_name = spec.name
        self.maps = maps
        self.fields = spec.fields
        self.zone = ZoneInfo(spec.timezone)

    def _day(self, value: object, field: str) -> date | None:
        """A date-valued field: an ISO date, or the carrier-local date of an instant."""
        if value is None:
            return None
        if isinstance(value, str) and len(value) == 10:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise FieldError(field, f"not an ISO 8601 date: '{value}'") from None
            parse_datetime(f"{value}T00:00:00Z", field)  # the same year bounds
            return day
        return parse_datetime(value, field).astimezone(self.zone).date()

    def _notes(self, s: Salvage, obj: Json) -> tuple[Note, ...]:
        notes = []
        raw = s.get("notes[]", lambda: _list(obj, "note", "note"))
        for n in raw or ():
            note = s.get("notes[]", partial(self._note, n))
            if note is not None:
                notes.append(note)
        return tuple(notes)

    def _note(self, n: Json) -> Note:
        text = n.get("text")
        if not isinstance(text, str):
            raise FieldError("note.text", "expected a string")
        source = n.get("source")
        org = _opt_str(n, "organization", "note.organization")
        author = _opt_str(n, "author", "note.author")
        when = n.get("date")
        return Note(
            author=author,
            organization=org or (self.carrier_name if source == "seller" else ""),
            created_at=None if when is None else parse_datetime(when, "note.date"),
            text=text,
            visibility=NoteVisibility.INTERNAL
            if n.get("visibility") == "internal"
            else NoteVisibility.PUBLIC,
        )

    def _bandwidth(self, config: Json, field: str) -> int | None:
        value = config.get(self.fields.bandwidth)
        if value is None:
            return None
        return int(parse_decimal(value, f"{field}.{self.fields.bandwidth}"))

    def service(self, obj: Json, service_id: str, account: str) -> Service:
        """Product Inventory ``MEFProduct`` -> Service."""
        f, maps, s = self.fields, self.maps, Salvage()
        status_code = obj.get("status")
        status = _code(s, "status", maps.service, status_code, "status")
        offering = ref_id(obj, "productOffering")
        product = _code(s, "product", maps.product, offering, "productOffering.id")
        config = s.get(
            "bandwidth_mbps", lambda: _obj(obj, "productConfiguration", "productConfiguration")
        )
        config = config or _EMPTY
        numbers = config.get(f.telephone_numbers) or []
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            s.note(
                "telephone_numbers[]",
                FieldError(f"productConfiguration.{f.telephone_numbers}", "expected strings"),
            )
            numbers = []
        circuit = s.get(
            "circuit_id",
            lambda: _opt_str(config, f.circuit_id, f"productConfiguration.{f.circuit_id}"),
        )
        sites: dict[object, Json] = {}
        for site in (
            s.get("service_address", lambda: _list(obj, "relatedSite", "relatedSite")) or ()
        ):
            sites.setdefault(site.get("role"), site)
        a_end = sites.get("installationSite") or sites.get("uniSite")
        z_end = sites.get("zEndSite")
        terms = s.get("term_months", lambda: _list(obj, "productTerm", "productTerm")) or []
        term = terms[0] if terms else _EMPTY
        prices = _prices(s.get("mrc", lambda: _list(obj, "productPrice", "productPrice")) or [])
        return Service(
            carrier=self.carrier,
            account_number=account,
            service_id=service_id,
            circuit_id=circuit,
            telephone_numbers=tuple(numbers),
            product=product,
            bandwidth_mbps=s.get(
                "bandwidth_mbps", lambda: self._bandwidth(config, "productConfiguration")
            ),
            service_address=None if a_end is None else _address(a_end),
            z_address=None if z_end is None else _address(z_end),
            status=status,
            activated_at=s.get("activated_at", lambda: _time(obj, "startDate", "startDate")),
            mrc=s.get("mrc", lambda: _price(prices, "recurring", "productPrice")),
            nrc=s.get("nrc", lambda: _price(prices, "nonRecurring", "productPrice")),
            term_months=s.get("term_months", lambda: self._term(term, "productTerm.duration")),
            contract_end=s.get(
                "contract_end", lambda: self._day(term.get(f.term_end), f"productTerm.{f.term_end}")
            ),
            status_code=status_code if isinstance(status_code, str) else None,
            product_code=offering,
            problems=s.done(),
        )

    @staticmethod
    def _term(term: Json, field: str) -> int | None:
        duration = _obj(term, "duration", field)
        return _duration(duration, field, _MONTHS) if duration else None

    def invoice(self, obj: Json, invoice_number: str, account: str) -> Invoice:
        """Billing ``CustomerBill`` -> Invoice (its number is the bill's id)."""
        s = Salvage()
        status_code = obj.get("state")
        period = (
            s.get("period_start", lambda: _obj(obj, "billingPeriod", "billingPeriod")) or _EMPTY
        )
        total = s.get("total", lambda: self._money(obj, "taxIncludedAmount"))
        taxes = s.get("taxes", lambda: self._taxes(obj, total))
        return Invoice(
            carrier=self.carrier,
            account_number=account,
            invoice_number=invoice_number,
            period_start=s.get(
                "period_start",
                lambda: self._day(period.get("startDateTime"), "billingPeriod.startDateTime"),
            ),
            period_end=s.get(
                "period_end",
                lambda: self._day(period.get("endDateTime"), "billingPeriod.endDateTime"),
            ),
            issued_at=s.get("issued_at", lambda: _time(obj, "billDate", "billDate")),
            due_at=s.get("due_at", lambda: _time(obj, "paymentDueDate", "paymentDueDate")),
            status=_code(s, "status", self.maps.invoice, status_code, "state"),
            total=total,
            taxes=taxes,
            status_code=status_code if isinstance(status_code, str) else None,
            problems=s.done(),
        )

    @staticmethod
    def _money(obj: Json, key: str) -> Money | None:
        value = obj.get(key)
        return None if _blank(value) else parse_money(value, key)

    @staticmethod
    def _taxes(obj: Json, total: Money | None) -> Money | None:
        items = _list(obj, "taxItem", "taxItem")
        # TaxItem's taxAmount is optional: an item without one adds nothing.
        amounts = [
            parse_money(t["taxAmount"], "taxItem.taxAmount")
            for t in items
            if not _blank(t.get("taxAmount"))
        ]
        if not amounts:
            return None
        currency = total.currency if total is not None else amounts[0].currency
        summed = sum((m.amount for m in amounts), start=_ZERO)
        return Money(parse_amount(summed, "taxItem.taxAmount"), currency)

    def bill_item(self, obj: Json) -> InvoiceLine:
        """Billing ``CustomerBillItem`` -> InvoiceLine (the adapter knows its bill)."""
        s = Salvage()
        kind_code = obj.get("customerBillItemType")
        quantity = obj.get("unitQuantity")
        return InvoiceLine(
            kind=_code(s, "kind", self.maps.bill_item, kind_code, "customerBillItemType"),
            service_id=ref_id(obj, "product"),
            description=s.get("description", lambda: _opt_str(obj, "description", "description"))
            or s.get("description", lambda: _opt_str(obj, "productName", "productName")),
            quantity=None
            if quantity is None
            else s.get("quantity", lambda: parse_decimal(quantity, "unitQuantity")),
            amount=s.get("amount", lambda: self._money(obj, "taxExcludedAmount")),
            kind_code=kind_code if isinstance(kind_code, str) else None,
            problems=s.done(),
        )

    def _item(self, s: Salvage, item: Json) -> OrderItem | None:
        maps = self.maps
        item_id = item.get("id")
        if not isinstance(item_id, str):
            s.note("items[]", FieldError("productOrderItem.id", "expected a string"))
            return None
        product = (
            s.get("items[]", lambda: _obj(item, "product", "productOrderItem.product")) or _EMPTY
        )
        offering = ref_id(product, "productOffering")
        state = item.get("state")
        service_id = product.get("id")
        return OrderItem(
            item_id=item_id,
            action=_code(
                s, "items[]", maps.item_action, item.get("action"), "productOrderItem.action"
            ),
            product=_code(
                s, "items[]", maps.product, offering, "productOrderItem.product.productOffering.id"
            ),
            status=_code(s, "items[]", maps.order_item, state, "productOrderItem.state"),
            service_id=service_id if isinstance(service_id, str) else None,
            status_code=state if isinstance(state, str) else None,
        )

    def _milestone(self, m: Json) -> OrderMilestone:
        planned = self.fields.milestone_planned
        name = m.get("name")
        if not isinstance(name, str):
            raise FieldError("productOrderItem.milestone.name", "expected a string")
        return OrderMilestone(
            kind=self.maps.milestone.lenient(name, "productOrderItem.milestone.name"),
            planned_at=_time(m, planned, f"productOrderItem.milestone.{planned}"),
            actual_at=_time(m, "date", "productOrderItem.milestone.date"),
            note=_opt_str(m, "note", "productOrderItem.milestone.note"),
            name=name,
        )

    def order(self, obj: Json, order_id: str, account: str) -> Order:
        """Product Ordering ``ProductOrder`` -> Order (milestones of every item, in order)."""
        s = Salvage()
        raw = s.get("items[]", lambda: _list(obj, "productOrderItem", "productOrderItem")) or []
        items = tuple(i for i in (self._item(s, r) for r in raw) if i is not None)
        first = raw[0] if raw else _EMPTY
        milestones = []
        for item in raw:
            for m in (
                s.get(
                    "milestones[]",
                    partial(_list, item, "milestone", "productOrderItem.milestone"),
                )
                or ()
            ):
                read = s.get("milestones[]", partial(self._milestone, m))
                if read is not None:
                    milestones.append(read)
        status_code = obj.get("state")
        kind_code = first.get("action")
        return Order(
            carrier=self.carrier,
            account_number=account,
            order_id=order_id,
            purchase_order_number=s.get(
                "purchase_order_number", lambda: _opt_str(obj, "externalId", "externalId")
            ),
            kind=items[0].action if items else None,
            status=_code(s, "status", self.maps.order, status_code, "state"),
            ordered_at=s.get("ordered_at", lambda: _time(obj, "orderDate", "orderDate")),
            requested_date=s.get(
                "requested_date",
                lambda: self._day(
                    first.get("requestedCompletionDate"), "productOrderItem.requestedCompletionDate"
                ),
            ),
            committed_date=s.get(
                "committed_date",
                lambda: self._day(
                    first.get("expectedCompletionDate"), "productOrderItem.expectedCompletionDate"
                ),
            ),
            items=items,
            milestones=tuple(milestones),
            notes=self._notes(s, obj),
            status_code=status_code if isinstance(status_code, str) else None,
            kind_code=kind_code if isinstance(kind_code, str) else None,
            problems=s.done(),
        )

    def ticket(self, obj: Json, ticket_id: str, account: str) -> TroubleTicket:
        """Trouble Ticket ``TroubleTicket`` -> TroubleTicket (seller severity and priority)."""
        maps, s = self.maps, Salvage()
        status_code = obj.get("status")
        products = related_ids(obj, "relatedEntity", ("Product", "MEFProduct"))
        changes = []
        for c in (
            s.get("status_changes[]", lambda: _list(obj, "statusChange", "statusChange")) or ()
        ):
            change = s.get("status_changes[]", partial(self._change, c))
            if change is not None:
                changes.append(change)

        def coded(field: str, vocabulary: StatusMap[Any], *keys: str) -> Any:  # noqa: ANN401
            key = next((k for k in keys if obj.get(k) is not None), keys[0])
            return _code(s, field, vocabulary, obj.get(key), key)

        return TroubleTicket(
            carrier=self.carrier,
            account_number=account,
            ticket_id=ticket_id,
            service_id=products[0] if products else None,
            type=coded("type", maps.ticket_type, "ticketType"),
            severity=coded("severity", maps.ticket_severity, "sellerSeverity", "severity"),
            priority=coded("priority", maps.ticket_priority, "sellerPriority", "priority"),
            observed_impact=coded("observed_impact", maps.observed_impact, "observedImpact"),
            status=_code(s, "status", maps.ticket, status_code, "status"),
            description=s.get("description", lambda: _opt_str(obj, "description", "description")),
            opened_at=s.get("opened_at", lambda: _time(obj, "creationDate", "creationDate")),
            expected_resolution_at=s.get(
                "expected_resolution_at",
                lambda: _time(obj, "expectedResolutionDate", "expectedResolutionDate"),
            ),
            resolved_at=s.get(
                "resolved_at", lambda: _time(obj, "resolutionDate", "resolutionDate")
            ),
            sla_target=s.get(
                "sla_target", lambda: _time(obj, self.fields.sla_target, self.fields.sla_target)
            ),
            status_changes=tuple(changes),
            notes=self._notes(s, obj),
            status_code=status_code if isinstance(status_code, str) else None,
            problems=s.done(),
        )

    def _change(self, c: Json) -> StatusChange:
        return StatusChange(
            status=self.maps.ticket.lenient(c.get("status"), "statusChange.status"),
            changed_at=parse_datetime(c.get("changeDate"), "statusChange.changeDate"),
        )

    def _option(self, s: Salvage, item: Json) -> QuoteOption:
        def get(read: Callable[[], T | None]) -> T | None:
            return s.get("options[]", read)

        terms = get(lambda: _list(item, "quoteItemTerm", "quoteItem.quoteItemTerm")) or []
        prices = _prices(
            get(lambda: _list(item, "quoteItemPrice", "quoteItem.quoteItemPrice")) or []
        )
        interval = get(
            lambda: _obj(
                item, "quoteItemInstallationInterval", "quoteItem.quoteItemInstallationInterval"
            )
        )
        return QuoteOption(
            term_months=get(
                lambda: self._term(terms[0], "quoteItem.quoteItemTerm.duration") if terms else None
            ),
            mrc=get(lambda: _price(prices, "recurring", "quoteItem.quoteItemPrice")),
            nrc=get(lambda: _price(prices, "nonRecurring", "quoteItem.quoteItemPrice")),
            interval_days=get(
                lambda: (
                    _duration(interval, "quoteItem.quoteItemInstallationInterval", _DAYS)
                    if interval
                    else None
                )
            ),
        )

    def quote(self, obj: Json, quote_id: str, account: str) -> Quote:
        """Quote ``Quote`` -> Quote (one option per quote item, each with its own term)."""
        s = Salvage()
        status_code = obj.get("state")
        items = s.get("options[]", lambda: _list(obj, "quoteItem", "quoteItem")) or []
        first = items[0] if items else _EMPTY
        product = s.get("product", lambda: _obj(first, "product", "quoteItem.product")) or _EMPTY
        places: dict[object, Json] = {}
        for p in (
            s.get("service_address", lambda: _list(product, "place", "quoteItem.product.place"))
            or ()
        ):
            places.setdefault(p.get("role"), p)
        place = places.get("installationAddress") or next(iter(places.values()), None)
        config = (
            s.get(
                "bandwidth_mbps",
                lambda: _obj(
                    product, "productConfiguration", "quoteItem.product.productConfiguration"
                ),
            )
            or _EMPTY
        )
        offering = ref_id(product, "productOffering")
        valid = s.get("valid_until", lambda: _obj(obj, "validFor", "validFor")) or _EMPTY
        return Quote(
            carrier=self.carrier,
            account_number=account,
            quote_id=quote_id,
            status=_code(s, "status", self.maps.quote, status_code, "state"),
            product=_code(
                s, "product", self.maps.product, offering, "quoteItem.product.productOffering.id"
            ),
            bandwidth_mbps=s.get(
                "bandwidth_mbps",
                lambda: self._bandwidth(config, "quoteItem.product.productConfiguration"),
            ),
            service_address=None if place is None else _address(place),
            requested_at=s.get("requested_at", lambda: _time(obj, "quoteDate", "quoteDate")),
            valid_until=s.get(
                "valid_until", lambda: _time(valid, "endDateTime", "validFor.endDateTime")
            ),
            options=tuple(self._option(s, i) for i in items),
            status_code=status_code if isinstance(status_code, str) else None,
            problems=s.done(),
        )
