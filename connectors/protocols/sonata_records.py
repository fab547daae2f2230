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
    list_at,
    obj_at,
    opt_str,
    price,
    prices_by_type,
    ref_id,
    related_ids,
    time_at,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.mapping import StatusMap
    from connectors.protocols.sonata import SonataMaps
    from connectors.specs.sonata import SonataSpec

__all__ = ["Json", "SonataReader", "ref_id", "related_ids"]

T = TypeVar("T")


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
        raw = s.get("notes[]", lambda: list_at(obj, "note", "note"))
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
        org = opt_str(n, "organization", "note.organization")
        author = opt_str(n, "author", "note.author")
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
        status = coded(s, "status", maps.service, status_code, "status")
        offering = ref_id(obj, "productOffering")
        product = coded(s, "product", maps.product, offering, "productOffering.id")
        config = s.get(
            "bandwidth_mbps", lambda: obj_at(obj, "productConfiguration", "productConfiguration")
        )
        config = config or EMPTY
        numbers = config.get(f.telephone_numbers) or []
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            s.note(
                "telephone_numbers[]",
                FieldError(f"productConfiguration.{f.telephone_numbers}", "expected strings"),
            )
            numbers = []
        circuit = s.get(
            "circuit_id",
            lambda: opt_str(config, f.circuit_id, f"productConfiguration.{f.circuit_id}"),
        )
        sites: dict[object, Json] = {}
        for site in (
            s.get("service_address", lambda: list_at(obj, "relatedSite", "relatedSite")) or ()
        ):
            sites.setdefault(site.get("role"), site)
        a_end = sites.get("installationSite") or sites.get("uniSite")
        z_end = sites.get("zEndSite")
        terms = s.get("term_months", lambda: list_at(obj, "productTerm", "productTerm")) or []
        term = terms[0] if terms else EMPTY
        prices = prices_by_type(
            s.get("mrc", lambda: list_at(obj, "productPrice", "productPrice")) or []
        )
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
            service_address=None if a_end is None else address(a_end),
            z_address=None if z_end is None else address(z_end),
            status=status,
            activated_at=s.get("activated_at", lambda: time_at(obj, "startDate", "startDate")),
            mrc=s.get("mrc", lambda: price(prices, "recurring", "productPrice")),
            nrc=s.get("nrc", lambda: price(prices, "nonRecurring", "productPrice")),
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
        length = obj_at(term, "duration", field)
        return duration(length, field, MONTHS) if length else None

    def invoice(self, obj: Json, invoice_number: str, account: str) -> Invoice:
        """Billing ``CustomerBill`` -> Invoice (its number is the bill's id)."""
        s = Salvage()
        status_code = obj.get("state")
        period = (
            s.get("period_start", lambda: obj_at(obj, "billingPeriod", "billingPeriod")) or EMPTY
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
            issued_at=s.get("issued_at", lambda: time_at(obj, "billDate", "billDate")),
            due_at=s.get("due_at", lambda: time_at(obj, "paymentDueDate", "paymentDueDate")),
            status=coded(s, "status", self.maps.invoice, status_code, "state"),
            total=total,
            taxes=taxes,
            status_code=status_code if isinstance(status_code, str) else None,
            problems=s.done(),
        )

    @staticmethod
    def _money(obj: Json, key: str) -> Money | None:
        value = obj.get(key)
        return None if blank(value) else parse_money(value, key)

    @staticmethod
    def _taxes(obj: Json, total: Money | None) -> Money | None:
        items = list_at(obj, "taxItem", "taxItem")
        # TaxItem's taxAmount is optional: an item without one adds nothing.
        amounts = [
            parse_money(t["taxAmount"], "taxItem.taxAmount")
            for t in items
            if not blank(t.get("taxAmount"))
        ]
        if not amounts:
            return None
        currency = total.currency if total is not None else amounts[0].currency
        summed = sum((m.amount for m in amounts), start=ZERO)
        return Money(parse_amount(summed, "taxItem.taxAmount"), currency)

    def bill_item(self, obj: Json) -> InvoiceLine:
        """Billing ``CustomerBillItem`` -> InvoiceLine (the adapter knows its bill)."""
        s = Salvage()
        kind_code = obj.get("customerBillItemType")
        quantity = obj.get("unitQuantity")
        return InvoiceLine(
            kind=coded(s, "kind", self.maps.bill_item, kind_code, "customerBillItemType"),
            service_id=ref_id(obj, "product"),
            description=s.get("description", lambda: opt_str(obj, "description", "description"))
            or s.get("description", lambda: opt_str(obj, "productName", "productName")),
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
            s.get("items[]", lambda: obj_at(item, "product", "productOrderItem.product")) or EMPTY
        )
        offering = ref_id(product, "productOffering")
        state = item.get("state")
        service_id = product.get("id")
        return OrderItem(
            item_id=item_id,
            action=coded(
                s, "items[]", maps.item_action, item.get("action"), "productOrderItem.action"
            ),
            product=coded(
                s, "items[]", maps.product, offering, "productOrderItem.product.productOffering.id"
            ),
            status=coded(s, "items[]", maps.order_item, state, "productOrderItem.state"),
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
            planned_at=time_at(m, planned, f"productOrderItem.milestone.{planned}"),
            actual_at=time_at(m, "date", "productOrderItem.milestone.date"),
            note=opt_str(m, "note", "productOrderItem.milestone.note"),
            name=name,
        )

    def order(self, obj: Json, order_id: str, account: str) -> Order:
        """Product Ordering ``ProductOrder`` -> Order (milestones of every item, in order)."""
        s = Salvage()
        raw = s.get("items[]", lambda: list_at(obj, "productOrderItem", "productOrderItem")) or []
        items = tuple(i for i in (self._item(s, r) for r in raw) if i is not None)
        first = raw[0] if raw else EMPTY
        milestones = []
        for item in raw:
            for m in (
                s.get(
                    "milestones[]",
                    partial(list_at, item, "milestone", "productOrderItem.milestone"),
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
                "purchase_order_number", lambda: opt_str(obj, "externalId", "externalId")
            ),
            kind=items[0].action if items else None,
            status=coded(s, "status", self.maps.order, status_code, "state"),
            ordered_at=s.get("ordered_at", lambda: time_at(obj, "orderDate", "orderDate")),
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
            s.get("status_changes[]", lambda: list_at(obj, "statusChange", "statusChange")) or ()
        ):
            change = s.get("status_changes[]", partial(self._change, c))
            if change is not None:
                changes.append(change)

        def first_coded(field: str, vocabulary: StatusMap[Any], *keys: str) -> Any:  # noqa: ANN401
            key = next((k for k in keys if obj.get(k) is not None), keys[0])
            return coded(s, field, vocabulary, obj.get(key), key)

        return TroubleTicket(
            carrier=self.carrier,
            account_number=account,
            ticket_id=ticket_id,
            service_id=products[0] if products else None,
            type=first_coded("type", maps.ticket_type, "ticketType"),
            severity=first_coded("severity", maps.ticket_severity, "sellerSeverity", "severity"),
            priority=first_coded("priority", maps.ticket_priority, "sellerPriority", "priority"),
            observed_impact=first_coded("observed_impact", maps.observed_impact, "observedImpact"),
            status=coded(s, "status", maps.ticket, status_code, "status"),
            description=s.get("description", lambda: opt_str(obj, "description", "description")),
            opened_at=s.get("opened_at", lambda: time_at(obj, "creationDate", "creationDate")),
            expected_resolution_at=s.get(
                "expected_resolution_at",
                lambda: time_at(obj, "expectedResolutionDate", "expectedResolutionDate"),
            ),
            resolved_at=s.get(
                "resolved_at", lambda: time_at(obj, "resolutionDate", "resolutionDate")
            ),
            sla_target=s.get(
                "sla_target", lambda: time_at(obj, self.fields.sla_target, self.fields.sla_target)
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

        terms = get(lambda: list_at(item, "quoteItemTerm", "quoteItem.quoteItemTerm")) or []
        prices = prices_by_type(
            get(lambda: list_at(item, "quoteItemPrice", "quoteItem.quoteItemPrice")) or []
        )
        interval = get(
            lambda: obj_at(
                item, "quoteItemInstallationInterval", "quoteItem.quoteItemInstallationInterval"
            )
        )
        return QuoteOption(
            term_months=get(
                lambda: self._term(terms[0], "quoteItem.quoteItemTerm.duration") if terms else None
            ),
            mrc=get(lambda: price(prices, "recurring", "quoteItem.quoteItemPrice")),
            nrc=get(lambda: price(prices, "nonRecurring", "quoteItem.quoteItemPrice")),
            interval_days=get(
                lambda: (
                    duration(interval, "quoteItem.quoteItemInstallationInterval", DAYS)
                    if interval
                    else None
                )
            ),
        )

    def quote(self, obj: Json, quote_id: str, account: str) -> Quote:
        """Quote ``Quote`` -> Quote (one option per quote item, each with its own term)."""
        s = Salvage()
        status_code = obj.get("state")
        items = s.get("options[]", lambda: list_at(obj, "quoteItem", "quoteItem")) or []
        first = items[0] if items else EMPTY
        product = s.get("product", lambda: obj_at(first, "product", "quoteItem.product")) or EMPTY
        places: dict[object, Json] = {}
        for p in (
            s.get("service_address", lambda: list_at(product, "place", "quoteItem.product.place"))
            or ()
        ):
            places.setdefault(p.get("role"), p)
        place = places.get("installationAddress") or next(iter(places.values()), None)
        config = (
            s.get(
                "bandwidth_mbps",
                lambda: obj_at(
                    product, "productConfiguration", "quoteItem.product.productConfiguration"
                ),
            )
            or EMPTY
        )
        offering = ref_id(product, "productOffering")
        valid = s.get("valid_until", lambda: obj_at(obj, "validFor", "validFor")) or EMPTY
        return Quote(
            carrier=self.carrier,
            account_number=account,
            quote_id=quote_id,
            status=coded(s, "status", self.maps.quote, status_code, "state"),
            product=coded(
                s, "product", self.maps.product, offering, "quoteItem.product.productOffering.id"
            ),
            bandwidth_mbps=s.get(
                "bandwidth_mbps",
                lambda: self._bandwidth(config, "quoteItem.product.productConfiguration"),
            ),
            service_address=None if place is None else address(place),
            requested_at=s.get("requested_at", lambda: time_at(obj, "quoteDate", "quoteDate")),
            valid_until=s.get(
                "valid_until", lambda: time_at(valid, "endDateTime", "validFor.endDateTime")
            ),
            options=tuple(self._option(s, i) for i in items),
            status_code=status_code if isinstance(status_code, str) else None,
            problems=s.done(),
        )
