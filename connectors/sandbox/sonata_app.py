"""A sandbox carrier back office speaking the MEF LSO Sonata dialect.

Serves one carrier's slice of the seeded data set as the Sonata list resources its
carrier file declares (``product``, ``customerBill``, ``customerBillItem``,
``productOrder``, ``troubleTicket``, ``quote``) and their retrieve-by-id paths, in the
carrier's own vocabulary and time zone (:mod:`connectors.sandbox.sonata_wire`). Lists
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
from connectors.sandbox.sonata_wire import SonataWriter, Wire

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from starlette.requests import Request

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.specs.sonata import SonataSpec

__all__ = ["SonataCarrierBackOffice"]

_JSON = "application/json;charset=utf-8"

# bad_record garbage: which code to break and which required field to drop, per resource.
_BREAK: Mapping[Resource, tuple[str, str]] = {
    Resource.SERVICES: ("status", "billingAccount"),
    Resource.INVOICES: ("state", "billingAccount"),
    Resource.INVOICE_LINES: ("customerBillItemType", "customerBill"),
    Resource.ORDERS: ("state", "orderDate"),
    Resource.TICKETS: ("status", "creationDate"),
    Resource.QUOTES: ("state", "quoteDate"),
}


def _error(status: int, code: str, reason: str) -> Response:
    """A MEF ``Error`` body (``code`` + ``reason``) with its HTTP status."""
    body = json.dumps({"code": code, "reason": reason})
    return Response(body, status, media_type=_JSON)


class _Collection:
    """One resource's wire documents, serialized once and indexed by each filter."""

    def __init__(self, resource: Resource, docs: list[tuple[Wire, Mapping[str, str]]]) -> None:
        self.resource = resource
        self.docs = [d for d, _ in docs]
        self.text = [json.dumps(d, separators=(",", ":")) for d in self.docs]
        self.by_id = {str(d["id"]): n for n, d in enumerate(self.docs)}
        self.index: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for n, (_, keys) in enumerate(docs):
            for param, value in keys.items():
                self.index[param][value].append(n)

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
            self.collections[path] = _Collection(resource, docs[resource]())
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
            return Response(coll.text[n], 200, media_type=_JSON)
        return self._list(coll, query, garbage)

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
        body = "[" + ",".join(coll.text[n] for n in page) + "]"
        match garbage:
            case "not_json":  # the connection dropped mid-page: a truncated array
                body = body[: max(len(body) // 2, 1)]
            case "wrong_shape":  # a MEF error document where the list should be
                body = json.dumps({"code": "internalError", "reason": "list unavailable"})
            case "bad_record":
                docs = json.loads(body)
                if docs:
                    code, required = _BREAK[coll.resource]
                    docs[0][code] = "??unmapped??"
                    docs[0].pop(required, None)
                body = json.dumps(docs)
            case "none" | "bad_value" | "unreadable_record":  # the latter two: not yet here
                pass
        return Response(body, 200, media_type=_JSON, headers=headers)
