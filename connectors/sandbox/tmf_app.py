"""A sandbox carrier back office speaking the TM Forum Open API dialect.

Serves one carrier's slice of the seeded data set as TMF666/637/678/622/621 lists
with comma-separated filters, ``offset``/``limit`` paging, ``X-Total-Count`` and
``fields=`` projection, writing each record in the carrier's own status vocabulary
(the inverse of its carrier file's status maps). Wire documents are built once at
start-up so the sandbox costs little CPU beside the gateway in benchmarks.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from connectors.models import (
    Address,
    CarrierAccount,
    Invoice,
    InvoiceLine,
    Money,
    Note,
    NoteVisibility,
    Order,
    Quote,
    Resource,
    Service,
    TroubleTicket,
    UsageRecord,
)
from connectors.protocols.tmf import ENDPOINTS, TmfMaps

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from starlette.requests import Request

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.spec import TmfSpec

__all__ = ["TmfCarrierBackOffice"]

_JSON = "application/json"

Wire = dict[str, Any]

_LINE_TYPE = {
    "RECURRING": "recurring",
    "ONE_TIME": "oneTime",
    "USAGE": "usage",
    "TAX": "tax",
    "CREDIT": "credit",
    "ADJUSTMENT": "adjustment",
}
_ITEM_ACTION = {"NEW": "add", "CHANGE": "modify", "MOVE": "move", "DISCONNECT": "delete"}


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day_start(value: date) -> str:
    return _ts(datetime.combine(value, time(0, 0), tzinfo=UTC))


def _money(value: Money) -> Wire:
    return {"unit": value.currency, "value": float(value.amount)}


def _place(address: Address, role: str) -> Wire:
    return {
        "role": role,
        "@type": "GeographicAddress",
        "streetName": address.street,
        "city": address.city,
        "stateOrProvince": address.state,
        "postcode": address.postcode,
        "country": address.country,
    }


def _notes(notes: Sequence[Note]) -> list[Wire]:
    return [
        {
            "author": n.author,
            "authorOrganization": n.organization,
            "date": _ts(n.created_at),
            "text": n.text,
            "visibility": "internal" if n.visibility is NoteVisibility.INTERNAL else "public",
            "@type": "Note",
        }
        for n in notes
    ]


class TmfWriter:
    """Normalized records -> TMF wire documents in one carrier's vocabulary."""

    def __init__(self, spec: TmfSpec) -> None:
        self.spec = spec
        self.maps = TmfMaps.for_spec(spec)

    def href(self, resource: Resource, record_id: str) -> str:
        ep = ENDPOINTS[resource]
        return f"/tmf-api/{ep.api}/{self.spec.api_version}/{ep.path}/{record_id}"

    def account(self, a: CarrierAccount) -> Wire:
        addr = a.billing_address
        return {
            "id": a.account_number,
            "href": self.href(Resource.ACCOUNTS, a.account_number),
            "@type": "BillingAccount",
            "accountType": "business",
            "name": a.name,
            "state": self.maps.account.code_for(a.status),
            "createdDate": _ts(a.created_at),
            "accountBalance": [
                {"balanceType": "receivable", "amount": {"unit": a.currency, "value": 0.0}}
            ],
            "contact": [
                {
                    "contactType": "billing",
                    "contactMedium": [
                        {
                            "mediumType": "postalAddress",
                            "preferred": True,
                            "characteristic": {
                                "street1": addr.street,
                                "city": addr.city,
                                "stateOrProvince": addr.state,
                                "postCode": addr.postcode,
                                "country": addr.country,
                            },
                        }
                    ],
                }
            ],
        }

    def service(self, s: Service) -> Wire:
        chars: list[Wire] = []
        if s.bandwidth_mbps is not None:
            chars.append(
                {"name": "bandwidthMbps", "valueType": "integer", "value": s.bandwidth_mbps}
            )
        if s.telephone_numbers:
            chars.append(
                {
                    "name": "telephoneNumbers",
                    "valueType": "array",
                    "value": list(s.telephone_numbers),
                }
            )
        places = [_place(s.service_address, "serviceAddress")]
        if s.z_address is not None:
            places.append(_place(s.z_address, "zEndAddress"))
        term: Wire = {"name": "contract", "duration": {"amount": s.term_months, "units": "month"}}
        if s.contract_end is not None:
            term["validFor"] = {"endDateTime": _day_start(s.contract_end)}
        doc: Wire = {
            "id": s.service_id,
            "href": self.href(Resource.SERVICES, s.service_id),
            "@type": "Product",
            "name": f"{s.product.value} {s.service_id}",
            "status": self.maps.service.code_for(s.status),
            "billingAccount": {"id": s.account_number, "@referredType": "BillingAccount"},
            "productSpecification": {"id": s.product.value},
            "productCharacteristic": chars,
            "place": places,
            "productPrice": [
                {
                    "priceType": "recurring",
                    "recurringChargePeriod": "month",
                    "price": {"dutyFreeAmount": _money(s.mrc)},
                },
                {"priceType": "oneTime", "price": {"dutyFreeAmount": _money(s.nrc)}},
            ],
            "productTerm": [term],
        }
        if s.circuit_id is not None:
            doc["productSerialNumber"] = s.circuit_id
        if s.activated_at is not None:
            doc["startDate"] = _ts(s.activated_at)
        return doc

    def invoice(self, i: Invoice) -> Wire:
        return {
            "id": i.invoice_number,
            "href": self.href(Resource.INVOICES, i.invoice_number),
            "@type": "CustomerBill",
            "billNo": i.invoice_number,
            "runType": "regular",
            "billDate": _ts(i.issued_at),
            "paymentDueDate": _ts(i.due_at),
            "state": self.maps.invoice.code_for(i.status),
            "billingPeriod": {
                "startDateTime": _day_start(i.period_start),
                "endDateTime": _day_start(i.period_end),
            },
            "billingAccount": {"id": i.account_number},
            "taxIncludedAmount": _money(i.total),
            "taxExcludedAmount": _money(Money(i.total.amount - i.taxes.amount, i.total.currency)),
            "taxItem": [{"taxCategory": "salesTax", "taxAmount": _money(i.taxes)}],
        }

    def invoice_line(self, invoice_number: str, n: int, line: InvoiceLine) -> Wire:
        doc: Wire = {
            "id": f"{invoice_number}-{n}",
            "@type": "AppliedCustomerBillingRate",
            "bill": {"id": invoice_number},
            "type": _LINE_TYPE[line.kind.value],
            "description": line.description,
            "taxExcludedAmount": _money(line.amount),
            "characteristic": [{"name": "quantity", "value": str(line.quantity)}],
        }
        if line.service_id is not None:
            doc["product"] = {"id": line.service_id}
        return doc

    def order(self, o: Order) -> Wire:
        doc: Wire = {
            "id": o.order_id,
            "href": self.href(Resource.ORDERS, o.order_id),
            "@type": "ProductOrder",
            "category": o.kind.value.lower(),
            "state": self.maps.order.code_for(o.status),
            "orderDate": _ts(o.ordered_at),
            "billingAccount": {"id": o.account_number},
            "productOrderItem": [
                {
                    "id": it.item_id,
                    "action": _ITEM_ACTION[it.action.value],
                    "state": self.maps.order.code_for(it.status),
                    "product": {"productSpecification": {"id": it.product.value}}
                    | ({"id": it.service_id} if it.service_id else {}),
                }
                for it in o.items
            ],
            "milestone": [
                {
                    "name": self.maps.milestone.code_for(m.kind),
                    "@type": "Milestone",
                    "status": "completed" if m.actual_at else "planned",
                }
                | ({"plannedDate": _ts(m.planned_at)} if m.planned_at else {})
                | ({"milestoneDate": _ts(m.actual_at)} if m.actual_at else {})
                | ({"message": m.note} if m.note else {})
                for m in o.milestones
            ],
            "note": _notes(o.notes),
        }
        if o.purchase_order_number is not None:
            doc["externalId"] = o.purchase_order_number
        if o.requested_date is not None:
            doc["requestedCompletionDate"] = _day_start(o.requested_date)
        if o.committed_date is not None:
            doc["expectedCompletionDate"] = _day_start(o.committed_date)
        return doc

    def usage(self, u: UsageRecord) -> Wire:
        chars = {
            "originatingNumber": u.from_number,
            "destinationNumber": u.to_number,
            "duration": u.duration_seconds,
            "direction": u.direction.value.lower(),
            "callType": u.call_type.value.lower(),
        }
        return {
            "id": u.usage_id,
            "@type": "Usage",
            "usageType": "voice",
            "status": "rated",
            "usageDate": _ts(u.started_at),
            # TMF635 has no billingAccount: the account is a related party.
            "relatedParty": [
                {
                    "id": u.account_number,
                    "role": "billingAccount",
                    "@referredType": "BillingAccount",
                }
            ],
            "usageCharacteristic": [{"name": k, "value": v} for k, v in chars.items()],
            "ratedProductUsage": [
                {
                    "productRef": {"id": u.service_id},
                    "taxExcludedRatingAmount": _money(u.charge),
                }
            ],
        }

    def quote(self, q: Quote) -> Wire:
        chars: list[Wire] = []
        if q.bandwidth_mbps is not None:
            chars.append({"name": "bandwidthMbps", "value": q.bandwidth_mbps})
        return {
            "id": q.quote_id,
            "href": self.href(Resource.QUOTES, q.quote_id),
            "@type": "Quote",
            "state": self.maps.quote.code_for(q.status),
            "quoteDate": _ts(q.requested_at),
            "validFor": {"endDateTime": _ts(q.valid_until)},
            "billingAccount": [{"id": q.account_number}],  # TMF648: a list of references
            "quoteItem": [
                {
                    "id": str(n + 1),
                    "action": "add",
                    "product": {
                        "productSpecification": {"id": q.product.value},
                        "productCharacteristic": [
                            *chars,
                            {"name": "intervalDays", "value": o.interval_days},
                        ],
                        "place": [_place(q.service_address, "serviceAddress")],
                        "productTerm": [{"duration": {"amount": o.term_months, "units": "month"}}],
                    },
                    "quoteItemPrice": [
                        {
                            "priceType": "recurring",
                            "recurringChargePeriod": "month",
                            "price": {"dutyFreeAmount": _money(o.mrc)},
                        },
                        {"priceType": "oneTime", "price": {"dutyFreeAmount": _money(o.nrc)}},
                    ],
                }
                for n, o in enumerate(q.options)
            ],
        }

    def ticket(self, t: TroubleTicket) -> Wire:
        related: list[Wire] = [
            {"id": t.account_number, "role": "billingAccount", "@referredType": "BillingAccount"}
        ]
        if t.service_id is not None:
            related.append(
                {"id": t.service_id, "role": "affectedProduct", "@referredType": "Product"}
            )
        doc: Wire = {
            "id": t.ticket_id,
            "href": self.href(Resource.TICKETS, t.ticket_id),
            "@type": "TroubleTicket",
            "description": t.description,
            "ticketType": t.type.value.lower(),
            "severity": self.maps.ticket_severity.code_for(t.severity),
            "priority": self.maps.ticket_priority.code_for(t.priority),
            "observedImpact": t.observed_impact.value,
            "status": self.maps.ticket.code_for(t.status),
            "creationDate": _ts(t.opened_at),
            "relatedEntity": related,
            "statusChange": [
                {"status": self.maps.ticket.code_for(c.status), "changeDate": _ts(c.changed_at)}
                for c in t.status_changes
            ],
            "note": _notes(t.notes),
        }
        for key, value in (
            ("expectedResolutionDate", t.expected_resolution_at),
            ("resolutionDate", t.resolved_at),
            ("slaTargetDate", t.sla_target),
        ):
            if value is not None:
                doc[key] = _ts(value)
        return doc


class _Collection:
    """One resource's wire documents, indexed by every filter the adapter uses."""

    def __init__(self, docs: list[tuple[Wire, Mapping[str, Sequence[str]]]]) -> None:
        self.docs = [d for d, _ in docs]
        self.text = [json.dumps(d, separators=(",", ":")) for d in self.docs]
        self.index: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for n, (_, keys) in enumerate(docs):
            for param, values in keys.items():
                for value in values:
                    self.index[param][value].append(n)

    def select(self, filters: Mapping[str, str]) -> list[int]:
        chosen: set[int] | None = None
        for param, raw in filters.items():
            table = self.index.get(param)
            if table is None:
                return []
            hits = {n for v in raw.split(",") for n in table.get(v, ())}
            chosen = hits if chosen is None else chosen & hits
        return sorted(range(len(self.docs)) if chosen is None else chosen)


_VALUE_FIELDS = (
    "taxIncludedAmount",
    "taxExcludedAmount",
    "createdDate",
    "startDate",
    "orderDate",
    "creationDate",
    "usageDate",
    "quoteDate",
)
"""Values ``bad_value`` breaks: the first one a record has (amounts become absurd)."""


def _break_a_value(doc: dict[str, object]) -> None:
    for key in _VALUE_FIELDS:
        if key in doc:
            doc[key] = (
                {"unit": "string", "value": -3.4e38}
                if isinstance(doc[key], dict)
                else "9999-99-99T99:99:99Z"
            )
            return


class TmfCarrierBackOffice:
    """The wire-level answers of one sandbox carrier, independent of any web framework."""

    def __init__(self, spec: TmfSpec, data: CarrierData) -> None:
        self.spec = spec
        w = TmfWriter(spec)
        self.collections: dict[str, tuple[Resource, _Collection]] = {}

        def add(resource: Resource, docs: list[tuple[Wire, Mapping[str, Sequence[str]]]]) -> None:
            ep = ENDPOINTS[resource]
            path = f"/tmf-api/{ep.api}/{spec.api_version}/{ep.path}"
            self.collections[path] = (resource, _Collection(docs))

        def by(
            key: Callable[[Any], str],
            records: Sequence[Any],
            write: Callable[[Any], Wire],
            param: str,
        ) -> list[tuple[Wire, Mapping[str, Sequence[str]]]]:
            ordered = sorted(records, key=key)
            return [(write(r), {"id": [key(r)], param: [r.account_number]}) for r in ordered]

        add(
            Resource.ACCOUNTS,
            [
                (w.account(a), {"id": [a.account_number]})
                for a in sorted(data.accounts, key=lambda a: a.account_number)
            ],
        )
        add(
            Resource.SERVICES,
            by(lambda s: s.service_id, data.services, w.service, "billingAccount.id"),
        )
        invoices = sorted(data.invoices, key=lambda i: i.invoice_number)
        add(
            Resource.INVOICES,
            [
                (
                    w.invoice(i),
                    {"billNo": [i.invoice_number], "billingAccount.id": [i.account_number]},
                )
                for i in invoices
            ],
        )
        add(
            Resource.INVOICE_LINES,
            [
                (w.invoice_line(i.invoice_number, n, line), {"bill.id": [i.invoice_number]})
                for i in invoices
                for n, line in enumerate(data.invoice_lines.get(i.invoice_number, ()))
            ],
        )
        add(Resource.ORDERS, by(lambda o: o.order_id, data.orders, w.order, "billingAccount.id"))
        add(
            Resource.TICKETS,
            [
                (
                    w.ticket(t),
                    {
                        "id": [t.ticket_id],
                        "relatedEntity.id": [t.account_number]
                        + ([t.service_id] if t.service_id else []),
                    },
                )
                for t in sorted(data.tickets, key=lambda t: t.ticket_id)
            ],
        )
        if Resource.USAGE in spec.capabilities:
            add(
                Resource.USAGE,
                [
                    (w.usage(u), {"relatedParty.id": [u.account_number]})
                    for u in sorted(data.usage, key=lambda u: u.usage_id)
                ],
            )
        if Resource.QUOTES in spec.capabilities:
            add(
                Resource.QUOTES, by(lambda q: q.quote_id, data.quotes, w.quote, "billingAccount.id")
            )

    def resource_of(self, path: str) -> Resource | None:
        entry = self.collections.get(path)
        return None if entry is None else entry[0]

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Answer one request in the TMF dialect, broken as ``garbage`` asks."""
        status, body, total = self.list_page(path, request.query_params)
        match garbage:
            case "not_json":
                return Response("<html><body>502 Bad Gateway</body></html>", 200, media_type=_JSON)
            case "wrong_shape":
                return Response('{"items": "not a list"}', 200, media_type=_JSON)
            case "bad_record":
                docs = json.loads(body)
                if isinstance(docs, list) and docs:
                    docs[0]["status"] = docs[0]["state"] = "??unmapped??"
                body = json.dumps(docs)
            case "bad_value":
                docs = json.loads(body)
                if isinstance(docs, list) and docs:
                    _break_a_value(docs[0])
                body = json.dumps(docs)
            case "unreadable_record":
                docs = json.loads(body)
                if isinstance(docs, list) and len(docs) > 1:
                    for key in ("id", "bill", "billingAccount", "relatedParty"):
                        docs[-1].pop(key, None)
                body = json.dumps(docs)
            case "none" | "bad_value" | "unreadable_record":  # not yet served here
                pass
        return Response(body, status, media_type=_JSON, headers={"X-Total-Count": str(total)})

    def list_page(self, path: str, query: Mapping[str, str]) -> tuple[int, str, int]:
        """Answer a list request: (HTTP status, JSON body, total count)."""
        entry = self.collections.get(path)
        if entry is None:
            return 404, json.dumps({"code": "404", "reason": "Not Found"}), 0
        _, coll = entry
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", "100"))
        except ValueError:
            return 400, json.dumps({"code": "400", "reason": "offset/limit must be integers"}), 0
        filters = {k: v for k, v in query.items() if k not in {"offset", "limit", "fields"}}
        hits = coll.select(filters)
        page = hits[max(offset, 0) : max(offset, 0) + max(min(limit, 1000), 0)]
        fields = query.get("fields")
        if fields:
            keep = {f.strip() for f in fields.split(",")} | {"id", "@type", "href"}
            body = json.dumps(
                [{k: v for k, v in coll.docs[n].items() if k in keep} for n in page],
                separators=(",", ":"),
            )
        else:
            body = "[" + ",".join(coll.text[n] for n in page) + "]"
        return 200, body, len(hits)
