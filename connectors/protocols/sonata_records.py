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

from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors.builders import builder
from connectors.mapping import (
    MEMO_LIMIT,
    FieldError,
    Salvage,
    optional_datetime,
    parse_amount,
    parse_datetime,
    parse_decimal,
    parse_money,
)
from connectors.models import (
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
from connectors.protocols.sonata_values import (
    DAYS,
    EMPTY,
    MONTHS,
    ZERO,
    Json,
    address,
    blank,
    coded,
    duration,
    fast_money,
    instant,
    list_at,
    obj_at,
    object_at,
    objects,
    opt_money,
    opt_str,
    opt_text,
    prices_by_type,
    read_price,
    ref_id,
    related_ids,
)
from connectors.reading import attempt

if TYPE_CHECKING:
    from connectors.mapping import StatusMap
    from connectors.protocols.sonata import SonataMaps
    from connectors.specs.sonata import SonataSpec

__all__ = ["Json", "SonataReader", "ref_id", "related_ids"]

_service = builder(Service)
_invoice = builder(Invoice)
_invoice_line = builder(InvoiceLine)
_order = builder(Order)
_order_item = builder(OrderItem)
_milestone = builder(OrderMilestone)
_ticket = builder(TroubleTicket)
_status_change = builder(StatusChange)
_quote = builder(Quote)
_quote_option = builder(QuoteOption)
_note = builder(Note)
_money = builder(Money)
_INTERNAL = NoteVisibility.INTERNAL
_PUBLIC = NoteVisibility.PUBLIC


def _code(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _first_coded(s: Salvage, name: str, vocabulary: StatusMap[Any], obj: Json, *keys: str) -> Any:  # noqa: ANN401
    """The first of ``keys`` present in ``obj`` (else the first key), as :func:`coded` reads it."""
    key = keys[0]
    for k in keys:
        if obj.get(k) is not None:
            key = k
            break
    return coded(s, name, vocabulary, obj.get(key), key)


def _taxes(obj: Json, total: Money | None) -> Money | None:
    items = list_at(obj, "taxItem", "taxItem")
    currency = None if total is None else total.currency
    summed, found = ZERO, False
    for t in items:
        value = t.get("taxAmount")
        amount = fast_money(value)
        if amount is None:
            if blank(value):  # TaxItem's taxAmount is optional: it adds nothing
                continue
            amount = parse_money(value, "taxItem.taxAmount")
        if currency is None:
            currency = amount.currency
        summed += amount.amount  # sum() from zero, in the same order
        found = True
    if not found or currency is None:
        return None
    return _money(parse_amount(summed, "taxItem.taxAmount"), currency)


def _term(term: Json, field: str) -> int | None:
    length = obj_at(term, "duration", field)
    return duration(length, field, MONTHS) if length else None


def _months(s: Salvage, name: str, term: Json, field: str) -> int | None:
    """The term's duration in months (:func:`_term`), or None with a problem on ``name``."""
    length = term.get("duration")
    if length.__class__ is dict:
        units, amount = length.get("units"), length.get("amount")
        if units.__class__ is str and amount.__class__ is int:
            factor = MONTHS.get(units)
            return None if factor is None else amount * factor
    return attempt(s, name, _term, term, field)


def _change(maps: SonataMaps, c: Json) -> StatusChange:
    return _status_change(
        status=maps.ticket.lenient(c.get("status"), "statusChange.status"),
        changed_at=parse_datetime(c.get("changeDate"), "statusChange.changeDate"),
    )


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
        self.fields = f = spec.fields
        self.zone = ZoneInfo(spec.timezone)
        self._days: dict[str, date] = {}
        self._circuit_field = f"productConfiguration.{f.circuit_id}"
        self._numbers_field = f"productConfiguration.{f.telephone_numbers}"
        self._term_end_field = f"productTerm.{f.term_end}"
        self._planned_field = f"productOrderItem.milestone.{f.milestone_planned}"

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

    def _date(self, s: Salvage, name: str, value: object, field: str) -> date | None:
        """:meth:`_day` (memoized by text), or None with a problem on ``name``."""
        if value.__class__ is str:
            found = self._days.get(value)
            if found is not None:
                return found
        try:
            day = self._day(value, field)
        except FieldError as exc:
            s.note(name, exc)
            return None
        if day is not None and value.__class__ is str:
            if len(self._days) >= MEMO_LIMIT:
                self._days.clear()
            self._days[value] = day
        return day

    def _notes(self, s: Salvage, obj: Json) -> tuple[Note, ...]:
        notes = []
        for n in objects(s, "notes[]", obj, "note", "note"):
            try:
                notes.append(self._note(n))
            except FieldError as exc:
                s.note("notes[]", exc)
        return tuple(notes)

    def _note(self, n: Json) -> Note:
        text = n.get("text")
        if not isinstance(text, str):
            raise FieldError("note.text", "expected a string")
        source = n.get("source")
        org = opt_str(n, "organization", "note.organization")
        author = opt_str(n, "author", "note.author")
        when = n.get("date")
        return _note(
            author=author,
            organization=org or (self.carrier_name if source == "seller" else ""),
            created_at=None if when is None else parse_datetime(when, "note.date"),
            text=text,
            visibility=_INTERNAL if n.get("visibility") == "internal" else _PUBLIC,
        )

    def _bandwidth(self, config: Json, field: str) -> int | None:
        value = config.get(self.fields.bandwidth)
        if value is None:
            return None
        return int(parse_decimal(value, f"{field}.{self.fields.bandwidth}"))

    def _mbps(self, s: Salvage, config: Json, field: str) -> int | None:
        """:meth:`_bandwidth`, or None with a problem on ``bandwidth_mbps``."""
        value = config.get(self.fields.bandwidth)
        if value.__class__ is int:
            return value
        return attempt(s, "bandwidth_mbps", self._bandwidth, config, field)

    def service(self, obj: Json, service_id: str, account: str) -> Service:
        """Product Inventory ``MEFProduct`` -> Service."""
        f, maps, s = self.fields, self.maps, Salvage()
        status_code = obj.get("status")
        status = coded(s, "status", maps.service, status_code, "status")
        offering = ref_id(obj, "productOffering")
        product = coded(s, "product", maps.product, offering, "productOffering.id")
        config = object_at(s, "bandwidth_mbps", obj, "productConfiguration", "productConfiguration")
        numbers = config.get(f.telephone_numbers) or []
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            s.note("telephone_numbers[]", FieldError(self._numbers_field, "expected strings"))
            numbers = []
        circuit = opt_text(s, "circuit_id", config, f.circuit_id, self._circuit_field)
        sites: dict[object, Json] = {}
        for site in objects(s, "service_address", obj, "relatedSite", "relatedSite"):
            sites.setdefault(site.get("role"), site)
        a_end = sites.get("installationSite") or sites.get("uniSite")
        z_end = sites.get("zEndSite")
        terms = objects(s, "term_months", obj, "productTerm", "productTerm")
        term = terms[0] if terms else EMPTY
        prices = prices_by_type(objects(s, "mrc", obj, "productPrice", "productPrice"))
        return _service(
            carrier=self.carrier,
            account_number=account,
            service_id=service_id,
            circuit_id=circuit,
            telephone_numbers=tuple(numbers),
            product=product,
            bandwidth_mbps=self._mbps(s, config, "productConfiguration"),
            service_address=None if a_end is None else address(a_end),
            z_address=None if z_end is None else address(z_end),
            status=status,
            activated_at=optional_datetime(s, "activated_at", obj, "startDate"),
            mrc=read_price(s, "mrc", prices, "recurring", "productPrice"),
            nrc=read_price(s, "nrc", prices, "nonRecurring", "productPrice"),
            term_months=_months(s, "term_months", term, "productTerm.duration"),
            contract_end=self._date(s, "contract_end", term.get(f.term_end), self._term_end_field),
            status_code=_code(status_code),
            product_code=offering,
            problems=s.done(),
        )

    def invoice(self, obj: Json, invoice_number: str, account: str) -> Invoice:
        """Billing ``CustomerBill`` -> Invoice (its number is the bill's id)."""
        s = Salvage()
        status_code = obj.get("state")
        period = object_at(s, "period_start", obj, "billingPeriod", "billingPeriod")
        total = opt_money(s, "total", obj, "taxIncludedAmount")
        taxes = attempt(s, "taxes", _taxes, obj, total)
        return _invoice(
            carrier=self.carrier,
            account_number=account,
            invoice_number=invoice_number,
            period_start=self._date(
                s, "period_start", period.get("startDateTime"), "billingPeriod.startDateTime"
            ),
            period_end=self._date(
                s, "period_end", period.get("endDateTime"), "billingPeriod.endDateTime"
            ),
            issued_at=optional_datetime(s, "issued_at", obj, "billDate"),
            due_at=optional_datetime(s, "due_at", obj, "paymentDueDate"),
            status=coded(s, "status", self.maps.invoice, status_code, "state"),
            total=total,
            taxes=taxes,
            status_code=_code(status_code),
            problems=s.done(),
        )

    def bill_item(self, obj: Json) -> InvoiceLine:
        """Billing ``CustomerBillItem`` -> InvoiceLine (the adapter knows its bill)."""
        s = Salvage()
        kind_code = obj.get("customerBillItemType")
        kind = coded(s, "kind", self.maps.bill_item, kind_code, "customerBillItemType")
        service_id = ref_id(obj, "product")
        description = obj.get("description")
        if not (description.__class__ is str and description):
            description = opt_text(s, "description", obj, "description", "description") or opt_text(
                s, "description", obj, "productName", "productName"
            )
        quantity = obj.get("unitQuantity")
        return _invoice_line(
            kind=kind,
            service_id=service_id,
            description=description,
            quantity=None
            if quantity is None
            else attempt(s, "quantity", parse_decimal, quantity, "unitQuantity"),
            amount=opt_money(s, "amount", obj, "taxExcludedAmount"),
            kind_code=_code(kind_code),
            problems=s.done(),
        )

    def _item(self, s: Salvage, item: Json) -> OrderItem | None:
        maps = self.maps
        item_id = item.get("id")
        if not isinstance(item_id, str):
            s.note("items[]", FieldError("productOrderItem.id", "expected a string"))
            return None
        product = object_at(s, "items[]", item, "product", "productOrderItem.product")
        offering = ref_id(product, "productOffering")
        state = item.get("state")
        service_id = product.get("id")
        return _order_item(
            item_id=item_id,
            action=coded(
                s, "items[]", maps.item_action, item.get("action"), "productOrderItem.action"
            ),
            product=coded(
                s, "items[]", maps.product, offering, "productOrderItem.product.productOffering.id"
            ),
            status=coded(s, "items[]", maps.order_item, state, "productOrderItem.state"),
            service_id=_code(service_id),
            status_code=_code(state),
        )

    def _milestone(self, m: Json) -> OrderMilestone:
        name = m.get("name")
        if not isinstance(name, str):
            raise FieldError("productOrderItem.milestone.name", "expected a string")
        planned = m.get(self.fields.milestone_planned)
        actual = m.get("date")
        return _milestone(
            kind=self.maps.milestone.lenient(name, "productOrderItem.milestone.name"),
            planned_at=None if planned is None else parse_datetime(planned, self._planned_field),
            actual_at=None
            if actual is None
            else parse_datetime(actual, "productOrderItem.milestone.date"),
            note=opt_str(m, "note", "productOrderItem.milestone.note"),
            name=name,
        )

    def order(self, obj: Json, order_id: str, account: str) -> Order:
        """Product Ordering ``ProductOrder`` -> Order (milestones of every item, in order)."""
        s = Salvage()
        raw = objects(s, "items[]", obj, "productOrderItem", "productOrderItem")
        items = []
        for r in raw:
            read = self._item(s, r)
            if read is not None:
                items.append(read)
        first = raw[0] if raw else EMPTY
        milestones = []
        for item in raw:
            for m in objects(s, "milestones[]", item, "milestone", "productOrderItem.milestone"):
                try:
                    milestones.append(self._milestone(m))
                except FieldError as exc:
                    s.note("milestones[]", exc)
        status_code = obj.get("state")
        kind_code = first.get("action")
        return _order(
            carrier=self.carrier,
            account_number=account,
            order_id=order_id,
            purchase_order_number=opt_text(
                s, "purchase_order_number", obj, "externalId", "externalId"
            ),
            kind=items[0].action if items else None,
            status=coded(s, "status", self.maps.order, status_code, "state"),
            ordered_at=optional_datetime(s, "ordered_at", obj, "orderDate"),
            requested_date=self._date(
                s,
                "requested_date",
                first.get("requestedCompletionDate"),
                "productOrderItem.requestedCompletionDate",
            ),
            committed_date=self._date(
                s,
                "committed_date",
                first.get("expectedCompletionDate"),
                "productOrderItem.expectedCompletionDate",
            ),
            items=tuple(items),
            milestones=tuple(milestones),
            notes=self._notes(s, obj),
            status_code=_code(status_code),
            kind_code=_code(kind_code),
            problems=s.done(),
        )

    def ticket(self, obj: Json, ticket_id: str, account: str) -> TroubleTicket:
        """Trouble Ticket ``TroubleTicket`` -> TroubleTicket (seller severity and priority)."""
        maps, s = self.maps, Salvage()
        status_code = obj.get("status")
        products = related_ids(obj, "relatedEntity", ("Product", "MEFProduct"))
        changes = []
        for c in objects(s, "status_changes[]", obj, "statusChange", "statusChange"):
            try:
                changes.append(_change(maps, c))
            except FieldError as exc:
                s.note("status_changes[]", exc)
        sla = self.fields.sla_target
        return _ticket(
            carrier=self.carrier,
            account_number=account,
            ticket_id=ticket_id,
            service_id=products[0] if products else None,
            type=_first_coded(s, "type", maps.ticket_type, obj, "ticketType"),
            severity=_first_coded(
                s, "severity", maps.ticket_severity, obj, "sellerSeverity", "severity"
            ),
            priority=_first_coded(
                s, "priority", maps.ticket_priority, obj, "sellerPriority", "priority"
            ),
            observed_impact=_first_coded(
                s, "observed_impact", maps.observed_impact, obj, "observedImpact"
            ),
            status=coded(s, "status", maps.ticket, status_code, "status"),
            description=opt_text(s, "description", obj, "description", "description"),
            opened_at=optional_datetime(s, "opened_at", obj, "creationDate"),
            expected_resolution_at=optional_datetime(
                s, "expected_resolution_at", obj, "expectedResolutionDate"
            ),
            resolved_at=optional_datetime(s, "resolved_at", obj, "resolutionDate"),
            sla_target=optional_datetime(s, "sla_target", obj, sla),
            status_changes=tuple(changes),
            notes=self._notes(s, obj),
            status_code=_code(status_code),
            problems=s.done(),
        )

    def _option(self, s: Salvage, item: Json) -> QuoteOption:
        terms = objects(s, "options[]", item, "quoteItemTerm", "quoteItem.quoteItemTerm")
        prices = prices_by_type(
            objects(s, "options[]", item, "quoteItemPrice", "quoteItem.quoteItemPrice")
        )
        interval = object_at(
            s,
            "options[]",
            item,
            "quoteItemInstallationInterval",
            "quoteItem.quoteItemInstallationInterval",
        )
        return _quote_option(
            term_months=_months(s, "options[]", terms[0], "quoteItem.quoteItemTerm.duration")
            if terms
            else None,
            mrc=read_price(s, "options[]", prices, "recurring", "quoteItem.quoteItemPrice"),
            nrc=read_price(s, "options[]", prices, "nonRecurring", "quoteItem.quoteItemPrice"),
            interval_days=attempt(
                s, "options[]", duration, interval, "quoteItem.quoteItemInstallationInterval", DAYS
            )
            if interval
            else None,
        )

    def quote(self, obj: Json, quote_id: str, account: str) -> Quote:
        """Quote ``Quote`` -> Quote (one option per quote item, each with its own term)."""
        s = Salvage()
        status_code = obj.get("state")
        items = objects(s, "options[]", obj, "quoteItem", "quoteItem")
        first = items[0] if items else EMPTY
        product = object_at(s, "product", first, "product", "quoteItem.product")
        places: dict[object, Json] = {}
        for p in objects(s, "service_address", product, "place", "quoteItem.product.place"):
            places.setdefault(p.get("role"), p)
        place = places.get("installationAddress") or next(iter(places.values()), None)
        config = object_at(
            s,
            "bandwidth_mbps",
            product,
            "productConfiguration",
            "quoteItem.product.productConfiguration",
        )
        offering = ref_id(product, "productOffering")
        valid = object_at(s, "valid_until", obj, "validFor", "validFor")
        return _quote(
            carrier=self.carrier,
            account_number=account,
            quote_id=quote_id,
            status=coded(s, "status", self.maps.quote, status_code, "state"),
            product=coded(
                s, "product", self.maps.product, offering, "quoteItem.product.productOffering.id"
            ),
            bandwidth_mbps=self._mbps(s, config, "quoteItem.product.productConfiguration"),
            service_address=None if place is None else address(place),
            requested_at=optional_datetime(s, "requested_at", obj, "quoteDate"),
            valid_until=instant(s, "valid_until", valid, "endDateTime", "validFor.endDateTime"),
            options=tuple(self._option(s, i) for i in items),
            status_code=_code(status_code),
            problems=s.done(),
        )
