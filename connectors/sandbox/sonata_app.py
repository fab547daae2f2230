"""A sandbox carrier back office speaking the MEF LSO Sonata dialect.

Serves one carrier's slice of the seeded data set as the Sonata resources its carrier
file declares, the way the specs serve them: list operations (``product``,
``customerBill``, ``productOrder``, ``troubleTicket``, ``quote``) answer ``*_Find``
summaries, and each record's details come from its retrieve-by-id path; bill items have
no list route, only their refs inside the bill and their own retrieve-by-id path. All in
the carrier's own vocabulary and time zone (:mod:`connectors.sandbox.sonata_wire`). Lists
take the carrier's comma-separated filters and ``offset``/``limit``, answer with
``X-Result-Count`` and, when the carrier file names it, the total count header. Every
request must carry the carrier's ``buyerId`` and ``sellerId``; unknown query
parameters are a MEF ``400 invalidQuery``. Wire documents are serialized once at
start-up so the sandbox costs little CPU beside the gateway in benchmarks.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from connectors.models import Resource
from connectors.protocols.sonata import ENDPOINTS, filter_param, list_path
from connectors.sandbox.sonata_wire import SonataWriter, summary

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from starlette.requests import Request

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.sandbox.sonata_wire import Wire
    from connectors.specs.sonata import SonataSpec

__all__ = ["SonataCarrierBackOffice"]

_JSON = "application/json;charset=utf-8"

# bad_record garbage: which code to make unmapped and which optional value to drop, in the
# details of the first record of each account.
_BREAK: Mapping[Resource, tuple[str, str]] = {
    Resource.SERVICES: ("status", "startDate"),
    Resource.INVOICES: ("state", "billDate"),
    Resource.INVOICE_LINES: ("customerBillItemType", "description"),
    Resource.ORDERS: ("state", "orderDate"),
    Resource.TICKETS: ("status", "creationDate"),
    Resource.QUOTES: ("state", "quoteDate"),
}
_ABSURD_MONEY = {"unit": "string", "value": -3.4e38}
_BAD_TIME = "2026-13-45T99:00:00Z"


def _bad_value(resource: Resource, doc: Wire) -> None:
    """bad_value garbage: one absurd value in a record's details (the rest stays readable)."""
    match resource:
        case Resource.SERVICES:
            for price in doc.get("productPrice", []):
                if price.get("priceType") == "recurring":
                    price["price"]["dutyFreeAmount"] = _ABSURD_MONEY
        case Resource.INVOICES:
            doc["taxIncludedAmount"] = _ABSURD_MONEY
        case Resource.INVOICE_LINES:
            doc["taxExcludedAmount"] = {"unit": "DOLLR", "value": 12}
        case Resource.ORDERS:
            doc["orderDate"] = _BAD_TIME
        case Resource.TICKETS:
            doc["creationDate"] = _BAD_TIME
        case Resource.QUOTES:
            doc["quoteDate"] = _BAD_TIME
        case _:  # Sonata has no account or usage API
            pass


def _error(status: int, code: str, reason: str) -> Response:
    """A MEF ``Error`` body (``code`` + ``reason``) with its HTTP status."""
    body = json.dumps({"code": code, "reason": reason})
    return Response(body, status, media_type=_JSON)


class _Collection:
    """One resource's wire documents, serialized once and indexed by each filter."""

    def __init__(
        self, resource: Resource, docs: list[tuple[Wire, Mapping[str, str]]], group: str
    ) -> None:
        self.resource = resource
        self.docs = [d for d, _ in docs]
        self.text = [json.dumps(d, separators=(",", ":")) for d in self.docs]
        self.listed = resource is not Resource.INVOICE_LINES  # bill items: by id only
        self.summaries = (
            [json.dumps(summary(resource.value, d), separators=(",", ":")) for d in self.docs]
            if self.listed
            else []
        )
        self.by_id = {str(d["id"]): n for n, d in enumerate(self.docs)}
        self.index: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for n, (_, keys) in enumerate(docs):
            for param, value in keys.items():
                self.index[param][value].append(n)
        # The first record of each account (of each bill, for bill items): what garbage breaks.
        self.firsts = {ns[0] for ns in self.index[group].values() if ns}

    def select(self, filters: Mapping[str, str]) -> list[int]:
        chosen: set[int] | None = None
        for param, raw in filters.items():
            table = self.index[param]
            hits = {n for v in raw.split(",") for n in table.get(v, ())}
            chosen = hits if chosen is None else chosen & hits
        return sorted(range(len(self.docs)) if chosen is None else chosen)


class SonataCarrierBackOffice:
    """The wire-level answers of one sandbox Sonata carrier, independent of any framework.

    Example:
        >>> office = SonataCarrierBackOffice(spec, data)  # doctest: +SKIP
        >>> office.resource_of("/mefApi/sonata/productInventory/v7/product")  # doctest: +SKIP
        <Resource.SERVICES: 'services'>
    """

    def __init__(self, spec: SonataSpec, data: CarrierData) -> None:
        self.spec = spec
        paths = {r: list_path(spec, r) for r in ENDPOINTS if r in spec.capabilities}
        w = SonataWriter(spec, {r.value: list_path(spec, r) for r in ENDPOINTS})
        self.collections: dict[str, _Collection] = {}
        invoices = sorted(data.invoices, key=lambda i: i.invoice_number)
        lines = data.invoice_lines

        def keyed(
            resource: Resource,
            records: Sequence[Any],
            key: Callable[[Any], str],
            write: Callable[[Any], Wire],
        ) -> list[tuple[Wire, Mapping[str, str]]]:
            by_id = filter_param(spec, resource, "id")
            by_account = filter_param(spec, resource, "account")
            return [
                (write(r), {by_id: key(r), by_account: r.account_number})
                for r in sorted(records, key=key)
            ]

        docs: dict[Resource, Callable[[], list[tuple[Wire, Mapping[str, str]]]]] = {
            Resource.SERVICES: lambda: keyed(
                Resource.SERVICES, data.services, lambda s: s.service_id, w.service
            ),
            Resource.INVOICES: lambda: [
                (
                    w.invoice(i, len(lines.get(i.invoice_number, ()))),
                    {
                        filter_param(spec, Resource.INVOICES, "id"): i.invoice_number,
                        filter_param(spec, Resource.INVOICES, "account"): i.account_number,
                    },
                )
                for i in invoices
            ],
            Resource.INVOICE_LINES: lambda: [
                (
                    w.bill_item(i.invoice_number, n, line),
                    {filter_param(spec, Resource.INVOICE_LINES, "invoice"): i.invoice_number},
                )
                for i in invoices
                for n, line in enumerate(lines.get(i.invoice_number, ()))
            ],
            Resource.ORDERS: lambda: keyed(
                Resource.ORDERS, data.orders, lambda o: o.order_id, w.order
            ),
            Resource.TICKETS: lambda: keyed(
                Resource.TICKETS, data.tickets, lambda t: t.ticket_id, w.ticket
            ),
            Resource.QUOTES: lambda: keyed(
                Resource.QUOTES, data.quotes, lambda q: q.quote_id, w.quote
            ),
        }
        for resource, path in paths.items():
            group = filter_param(
                spec, resource, "invoice" if resource is Resource.INVOICE_LINES else "account"
            )
            self.collections[path] = _Collection(resource, docs[resource](), group)
        paging = spec.paging
        self._paging_params = {paging.offset_param, paging.limit_param}
        self._parties = {"buyerId": spec.buyer_id, "sellerId": spec.seller_id}

    def _find(self, path: str) -> tuple[_Collection, str | None] | None:
        """The collection a path names, and the record id for a retrieve-by-id path."""
        coll = self.collections.get(path)
        if coll is not None:
            return coll, None
        parent, _, record_id = path.rpartition("/")
        coll = self.collections.get(parent)
        return None if coll is None or not record_id else (coll, record_id)

    def resource_of(self, path: str) -> Resource | None:
        found = self._find(path)
        return None if found is None else found[0].resource

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Answer one request in the Sonata dialect, broken as ``garbage`` asks."""
        query = request.query_params
        for name, expected in self._parties.items():
            if name not in query:
                return _error(400, "missingQueryParameter", f"'{name}' is required")
            if query[name] != expected:
                return _error(403, "forbiddenRequester", f"unknown {name} '{query[name]}'")
        found = self._find(path)
        if found is None or request.method != "GET":
            return _error(404, "notFound", "no such resource")
        coll, record_id = found
        if record_id is not None:
            n = coll.by_id.get(record_id)
            if n is None:
                return _error(404, "notFound", f"no {coll.resource.value} '{record_id}'")
            return Response(self._detail(coll, n, garbage), 200, media_type=_JSON)
        if not coll.listed:
            return _error(404, "notFound", "no such resource")
        return self._list(coll, query, garbage)

    def _detail(self, coll: _Collection, n: int, garbage: GarbageMode) -> str:
        """One record's details; the first record of each account broken as ``garbage`` asks."""
        if garbage not in ("bad_record", "bad_value", "unreadable_record") or (
            n not in coll.firsts
        ):
            return coll.text[n]
        doc = json.loads(coll.text[n])
        match garbage:
            case "bad_record":
                code, optional = _BREAK[coll.resource]
                doc[code] = "??unmapped??"
                doc.pop(optional, None)
            case "bad_value":
                _bad_value(coll.resource, doc)
            case "unreadable_record":  # a bill's first item ref has no readable id
                refs = doc.get("customerBillItem")
                if coll.resource is Resource.INVOICES and refs:
                    refs[0]["id"] = {"unexpected": "object"}
        return json.dumps(doc)

    def _list(self, coll: _Collection, query: Mapping[str, str], garbage: GarbageMode) -> Response:
        paging = self.spec.paging
        filters = {
            k: v
            for k, v in query.items()
            if k not in self._paging_params and k not in self._parties
        }
        unknown = sorted(set(filters) - set(coll.index))
        if unknown:
            return _error(400, "invalidQuery", f"unknown filter '{unknown[0]}'")
        try:
            offset = max(int(query.get(paging.offset_param, "0")), 0)
            limit = min(max(int(query.get(paging.limit_param, str(paging.page_size))), 0), 1000)
        except ValueError:
            return _error(400, "invalidQuery", "offset and limit must be integers")
        hits = coll.select(filters)
        page = hits[offset : offset + limit]
        headers = {"X-Result-Count": str(len(page))}
        if paging.total_header:
            headers[paging.total_header] = str(len(hits))
        body = "[" + ",".join(coll.summaries[n] for n in page) + "]"
        match garbage:
            case "not_json":  # the connection dropped mid-page: a truncated array
                body = body[: max(len(body) // 2, 1)]
            case "wrong_shape":  # a MEF error document where the list should be
                body = json.dumps({"code": "internalError", "reason": "list unavailable"})
            case "unreadable_record":  # the first summary has no readable id
                docs = json.loads(body)
                if docs:
                    docs[0]["id"] = None
                body = json.dumps(docs)
            case "none" | "bad_record" | "bad_value":  # these break the details
                pass
        return Response(body, 200, media_type=_JSON, headers=headers)
