"""Normalized records -> MEF Sonata wire documents in one sandbox carrier's vocabulary.

Documents are the details a retrieve-by-id answers; :func:`summary` cuts one down to
what the spec's list operation answers.

The writing half of the Sonata sandbox, the inverse of
:class:`~connectors.protocols.sonata_records.SonataReader`: every code is the carrier's
preferred code for the record's value (``StatusMap.code_for`` over the same merged maps
the adapter reads with), field names come from the carrier file, and instants are
written with the UTC offset of the carrier's time zone (date-valued fields as local
midnight), as a carrier's back office in that zone would write them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors.models import (
    Address,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    Money,
    Note,
    NoteVisibility,
    Order,
    OrderMilestone,
    Quote,
    QuoteStatus,
    Service,
    TroubleTicket,
)
from connectors.protocols.sonata import SonataMaps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.specs.sonata import SonataSpec

__all__ = ["SUMMARY_FIELDS", "SonataWriter", "Wire", "summary"]

Wire = dict[str, Any]

_CONFIG_TYPE = "urn:mef:lso:spec:sonata:switchboard-product:v1.0.0:all"
_QUOTE_ITEM_STATE = {
    QuoteStatus.PENDING: "acknowledged",
    QuoteStatus.IN_PROGRESS: "inProgress",
    QuoteStatus.APPROVED: "approved.orderable",
    QuoteStatus.ACCEPTED: "approved.orderable",
    QuoteStatus.EXPIRED: "approved.orderable",
    QuoteStatus.REJECTED: "rejected",
    QuoteStatus.CANCELLED: "abandoned",
}


SUMMARY_FIELDS: dict[str, tuple[str, ...]] = {
    "services": (
        "id", "href", "status", "billingAccount", "productOffering", "startDate", "@type",
    ),
    "invoices": ("id", "href", "billNo", "billingAccount", "billingPeriod", "category", "state"),
    "orders": ("id", "href", "externalId", "orderDate", "state", "completionDate"),
    "tickets": (
        "id", "href", "creationDate", "description", "expectedResolutionDate", "observedImpact",
        "priority", "relatedEntity", "resolutionDate", "sellerPriority", "sellerSeverity",
        "severity", "status", "ticketType",
    ),
    "quotes": ("id", "href", "externalId", "quoteDate", "state", "quoteLevel"),
}  # fmt: skip
"""What each list operation answers (``MEFProduct_Find``, ``CustomerBill_Find``,
``ProductOrder_Find``, ``TroubleTicket_Find``, ``Quote_Find``): a summary, not the record."""


def summary(resource: str, doc: Wire) -> Wire:
    """The ``*_Find`` summary of one detail document."""
    return {k: doc[k] for k in SUMMARY_FIELDS[resource] if k in doc}


def _money(value: Money) -> Wire:
    return {"unit": value.currency, "value": float(value.amount)}


def _price(kind: str, value: Money) -> Wire:
    doc: Wire = {"priceType": kind, "price": {"dutyFreeAmount": _money(value)}}
    if kind == "recurring":
        doc["recurringChargePeriod"] = "month"
    return doc


def _fielded(address: Address, **extra: str) -> Wire:
    return extra | {
        "streetName": address.street,
        "city": address.city,
        "stateOrProvince": address.state,
        "postcode": address.postcode,
        "country": address.country,
    }


def _term(months: int) -> Wire:
    return {
        "name": f"{months} months",
        "duration": {"amount": months, "units": "calendarMonths"},
        "endOfTermAction": "roll",
    }


class SonataWriter:
    """Writes one carrier's records as Sonata documents.

    Example:
        >>> SonataWriter(spec).order(order)["state"]  # doctest: +SKIP
        'inProgress'
    """

    def __init__(self, spec: SonataSpec, hrefs: dict[str, str]) -> None:
        self.spec = spec
        self.maps = SonataMaps.for_spec(spec)
        self.fields = spec.fields
        self.zone = ZoneInfo(spec.timezone)
        self.hrefs = hrefs
        self._utc = spec.timezone in {"UTC", "Etc/UTC"}

    def ts(self, value: datetime) -> str:
        """An instant with the carrier's local UTC offset (``Z`` for UTC carriers)."""
        if self._utc:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return value.astimezone(self.zone).isoformat()

    def day(self, value: date, at: time = time(0, 0)) -> str:
        """A date-valued field: the carrier-local time ``at`` on that day."""
        local = datetime.combine(value, at, tzinfo=self.zone)
        return local.isoformat().replace("+00:00", "Z") if self._utc else local.isoformat()

    def _notes(self, notes: Sequence[Note]) -> list[Wire]:
        docs = []
        for n, note in enumerate(notes, start=1):
            seller = note.organization == self.spec.name
            doc: Wire = {
                "id": str(n),
                "author": note.author,
                "date": self.ts(note.created_at),
                "source": "seller" if seller else "buyer",
                "text": note.text,
                "organization": note.organization,
            }
            if note.visibility is NoteVisibility.INTERNAL:
                doc["visibility"] = "internal"
            docs.append(doc)
        return docs

    def _config(self, bandwidth: int | None) -> Wire:
        config: Wire = {"@type": _CONFIG_TYPE}
        if bandwidth is not None:
            config[self.fields.bandwidth] = bandwidth
        return config

    def service(self, s: Service) -> Wire:
        f = self.fields
        config = self._config(s.bandwidth_mbps)
        if s.telephone_numbers:
            config[f.telephone_numbers] = list(s.telephone_numbers)
        if s.circuit_id is not None:
            config[f.circuit_id] = s.circuit_id
        sites = [_fielded(s.service_address, id=f"{s.service_id}-A", role="installationSite")]
        if s.z_address is not None:
            sites.append(_fielded(s.z_address, id=f"{s.service_id}-Z", role="zEndSite"))
        term = _term(s.term_months)
        if s.contract_end is not None:
            term[f.term_end] = self.day(s.contract_end)
        doc: Wire = {
            "id": s.service_id,
            "href": f"{self.hrefs['services']}/{s.service_id}",
            "@type": "MEFProduct",
            "status": self.maps.service.code_for(s.status),
            "billingAccount": {"id": s.account_number},
            "productOffering": {"id": self.maps.product.code_for(s.product)},
            "productConfiguration": config,
            "relatedSite": sites,
            "productPrice": [_price("recurring", s.mrc), _price("nonRecurring", s.nrc)],
            "productTerm": [term],
        }
        if s.activated_at is not None:
            doc["startDate"] = self.ts(s.activated_at)
        return doc

    def invoice(self, i: Invoice, lines: int) -> Wire:
        net = Money(i.total.amount - i.taxes.amount, i.total.currency)
        return {
            "id": i.invoice_number,
            "href": f"{self.hrefs['invoices']}/{i.invoice_number}",
            "billNo": i.invoice_number,
            "category": "normal",
            "runType": "onCycle",
            "billCycle": f"{i.period_start:%Y-%m}",
            "state": self.maps.invoice.code_for(i.status),
            "billDate": self.ts(i.issued_at),
            "paymentDueDate": self.ts(i.due_at),
            "billingPeriod": {
                "startDateTime": self.day(i.period_start),
                "endDateTime": self.day(i.period_end, time(23, 59, 59)),
            },
            "billingAccount": {"id": i.account_number},
            "amountDue": _money(i.total),
            "taxIncludedAmount": _money(i.total),
            "taxExcludedAmount": _money(net),
            "taxItem": [{"taxCategory": "salesTax", "taxAmount": _money(i.taxes)}],
            "customerBillItem": [
                {
                    "id": f"{i.invoice_number}-{n}",
                    "href": f"{self.hrefs['invoice_lines']}/{i.invoice_number}-{n}",
                }
                for n in range(lines)
            ],
        }

    def bill_item(self, invoice_number: str, n: int, line: InvoiceLine) -> Wire:
        quantity = line.quantity
        doc: Wire = {
            "id": f"{invoice_number}-{n}",
            "customerBill": {"id": invoice_number},
            "customerBillItemType": self.maps.bill_item.code_for(line.kind),
            "description": line.description,
            "state": "generated",
            "taxExcludedAmount": _money(line.amount),
            "unitQuantity": int(quantity)
            if quantity == quantity.to_integral_value()
            else float(quantity),
            "unit": "minute" if line.kind is InvoiceLineKind.USAGE else "each",
        }
        if line.service_id is not None:
            doc["product"] = {"id": line.service_id}
        return doc

    def _milestone(self, m: OrderMilestone) -> Wire:
        doc: Wire = {"name": self.maps.milestone.code_for(m.kind)}
        if m.actual_at is not None:
            doc["date"] = self.ts(m.actual_at)
        if m.planned_at is not None:
            doc[self.fields.milestone_planned] = self.ts(m.planned_at)
        if m.note is not None:
            doc["note"] = m.note
        return doc

    def order(self, o: Order) -> Wire:
        maps = self.maps
        items: list[Wire] = []
        for n, it in enumerate(o.items):
            product: Wire = {"productOffering": {"id": maps.product.code_for(it.product)}}
            if it.service_id is not None:
                product["id"] = it.service_id
                product["href"] = f"{self.hrefs['services']}/{it.service_id}"
            item: Wire = {
                "id": it.item_id,
                "action": maps.item_action.code_for(it.action),
                "state": maps.order_item.code_for(it.status),
                "billingAccount": {"id": o.account_number},
                "product": product,
            }
            if o.requested_date is not None:
                item["requestedCompletionDate"] = self.day(o.requested_date)
            if o.committed_date is not None:
                item["expectedCompletionDate"] = self.day(o.committed_date)
            if n == 0:  # Sonata milestones belong to items; the order's go on its first
                item["milestone"] = [self._milestone(m) for m in o.milestones]
            items.append(item)
        doc: Wire = {
            "id": o.order_id,
            "href": f"{self.hrefs['orders']}/{o.order_id}",
            "orderDate": self.ts(o.ordered_at),
            "state": maps.order.code_for(o.status),
            "productOrderItem": items,
            "note": self._notes(o.notes),
        }
        if o.purchase_order_number is not None:
            doc["externalId"] = o.purchase_order_number
        return doc

    def ticket(self, t: TroubleTicket) -> Wire:
        maps = self.maps
        # TroubleTicket has no billingAccount: the account is a related entity.
        entities: list[Wire] = [
            {"@referredType": "BillingAccount", "id": t.account_number, "role": "account"}
        ]
        if t.service_id is not None:
            entities.insert(
                0, {"@referredType": "Product", "id": t.service_id, "role": "affectedProduct"}
            )
        severity = maps.ticket_severity.code_for(t.severity)
        priority = maps.ticket_priority.code_for(t.priority)
        doc: Wire = {
            "id": t.ticket_id,
            "href": f"{self.hrefs['tickets']}/{t.ticket_id}",
            "description": t.description,
            "ticketType": maps.ticket_type.code_for(t.type),
            "severity": severity,
            "sellerSeverity": severity,
            "priority": priority,
            "sellerPriority": priority,
            "observedImpact": maps.observed_impact.code_for(t.observed_impact),
            "status": maps.ticket.code_for(t.status),
            "creationDate": self.ts(t.opened_at),
            "relatedEntity": entities,
            "statusChange": [
                {"status": maps.ticket.code_for(c.status), "changeDate": self.ts(c.changed_at)}
                for c in t.status_changes
            ],
            "note": self._notes(t.notes),
        }
        for key, value in (
            ("expectedResolutionDate", t.expected_resolution_at),
            ("resolutionDate", t.resolved_at),
            (self.fields.sla_target, t.sla_target),
        ):
            if value is not None:
                doc[key] = self.ts(value)
        return doc

    def quote(self, q: Quote) -> Wire:
        product = {
            "productOffering": {"id": self.maps.product.code_for(q.product)},
            "productConfiguration": self._config(q.bandwidth_mbps),
            "place": [
                _fielded(
                    q.service_address, **{"@type": "FieldedAddress"}, role="installationAddress"
                )
            ],
        }
        items = [
            {
                "id": f"{n:02d}",
                "action": "add",
                "state": _QUOTE_ITEM_STATE[q.status],
                "product": product,
                "quoteItemTerm": [_term(option.term_months)],
                "quoteItemPrice": [
                    _price("recurring", option.mrc),
                    _price("nonRecurring", option.nrc),
                ],
                "quoteItemInstallationInterval": {
                    "amount": option.interval_days,
                    "units": "calendarDays",
                },
            }
            for n, option in enumerate(q.options, start=1)
        ]
        return {
            "id": q.quote_id,
            "href": f"{self.hrefs['quotes']}/{q.quote_id}",
            "quoteDate": self.ts(q.requested_at),
            "state": self.maps.quote.code_for(q.status),
            "quoteLevel": "firm",
            "buyerRequestedQuoteLevel": "firm",
            "instantSyncQuote": False,
            "billingAccount": {"id": q.account_number},
            "validFor": {
                "startDateTime": self.ts(q.requested_at),
                "endDateTime": self.ts(q.valid_until),
            },
            "quoteItem": items,
        }
