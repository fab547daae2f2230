"""A sandbox back office for carriers with their own JSON REST APIs, driven by their files.

One class serves any carrier of the family: the carrier file says where each resource
lives, how keys arrive (comma-joined or a repeated parameter), where records sit in an
answer (an envelope path or a top-level array), how lists page (cursor in the body,
page numbers with or without a page count, offset with a total header, ``Link``
headers) and how records read (:mod:`connectors.sandbox.rest_wire`). Wire documents
are serialized once at start-up; a request is index look-ups and string joins.

Garbage, the REST way: ``not_json`` is a body cut off mid-document (a proxy dropped
the connection), ``wrong_shape`` an error object where the record list belongs, and
``bad_record`` a first record with an unmapped status code (or kind, or call direction)
and without its account (or invoice) number.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from connectors.models import Resource
from connectors.protocols.rest import Layout, key_field, layouts
from connectors.sandbox.rest_wire import RestWriter
from connectors.specs.common import (
    CursorPaging,
    LinkHeaderPaging,
    NoPaging,
    OffsetPaging,
    PagePaging,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from starlette.datastructures import QueryParams
    from starlette.requests import Request

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.sandbox.rest_wire import Wire
    from connectors.specs.rest import RestSpec

__all__ = ["RestCarrierBackOffice"]

_JSON = "application/json"
_RECORDS = "@@records@@"
_NEXT_PARAM = "after"  # where the sandbox's Link-header pages keep their position
_MAX_LIMIT = 1000
_BROKEN = {"code": "E_MAINTENANCE", "message": "billing platform is in maintenance"}
# The field bad_record gives an unmapped code, and its vocabulary.
_CODE_FIELD: Mapping[Resource, tuple[str, str]] = {
    Resource.INVOICE_LINES: ("kind", "line_kind"),
    Resource.USAGE: ("direction", "direction"),
    Resource.ACCOUNTS: ("status", "account"),
    Resource.SERVICES: ("status", "service"),
    Resource.INVOICES: ("status", "invoice"),
    Resource.ORDERS: ("status", "order"),
    Resource.TICKETS: ("status", "ticket"),
    Resource.QUOTES: ("status", "quote"),
}


def _records_of(data: CarrierData, resource: Resource) -> list[Any]:
    """The carrier's records of one resource, in a stable order (lines: (invoice, line))."""
    match resource:
        case Resource.ACCOUNTS:
            return sorted(data.accounts, key=lambda a: a.account_number)
        case Resource.SERVICES:
            return sorted(data.services, key=lambda s: s.service_id)
        case Resource.INVOICES:
            return sorted(data.invoices, key=lambda i: i.invoice_number)
        case Resource.INVOICE_LINES:
            return [
                (number, line)
                for number in sorted(data.invoice_lines)
                for line in data.invoice_lines[number]
            ]
        case Resource.ORDERS:
            return sorted(data.orders, key=lambda o: o.order_id)
        case Resource.TICKETS:
            return sorted(data.tickets, key=lambda t: t.ticket_id)
        case Resource.USAGE:
            return sorted(data.usage, key=lambda u: u.usage_id)
        case Resource.QUOTES:
            return sorted(data.quotes, key=lambda q: q.quote_id)


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _position(token: str) -> int:
    """Decode a paging token (ValueError when it is not one of ours)."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(token) from None
    head, _, number = text.partition(":")
    if head != "pos" or not number.isdigit():
        raise ValueError(token)
    return int(number)


def _put(doc: Wire, path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    for step in parents:
        doc = doc.setdefault(step, {})
    doc[leaf] = value


def _pop(doc: Wire, path: str) -> None:
    *parents, leaf = path.split(".")
    for step in parents:
        doc = doc.get(step) or {}
    doc.pop(leaf, None)


class _Collection:
    """One resource's wire documents (serialized once), indexed by each filter parameter."""

    def __init__(self, layout: Layout, writer: RestWriter, records: Sequence[Any]) -> None:
        self.layout = layout
        self.text = [
            json.dumps(writer.write(layout.resource, r), separators=(",", ":")) for r in records
        ]
        self.index: dict[str, dict[str, list[int]]] = {}
        for kind, param in layout.filters.items():
            table: dict[str, list[int]] = defaultdict(list)
            name = key_field(layout.resource, kind)
            for n, record in enumerate(records):
                value = record[0] if layout.resource is Resource.INVOICE_LINES else getattr(
                    record, name
                )  # fmt: skip
                table[value].append(n)
            self.index[param] = table

    def select(self, filters: Mapping[str, Sequence[str]]) -> list[int]:
        chosen: set[int] | None = None
        for param, values in filters.items():
            hits = {n for v in values for n in self.index[param].get(v, ())}
            chosen = hits if chosen is None else chosen & hits
        return sorted(range(len(self.text)) if chosen is None else chosen)


class RestCarrierBackOffice:
    """The wire-level answers of one sandbox REST carrier, independent of any web framework."""

    def __init__(self, spec: RestSpec, data: CarrierData) -> None:
        self.spec = spec
        self.layouts = layouts(spec)
        currency = data.accounts[0].currency if data.accounts else "USD"
        writer = RestWriter(self.layouts, spec.address, currency)
        self.collections = {
            layout.path: _Collection(layout, writer, _records_of(data, resource))
            for resource, layout in self.layouts.items()
        }

    def resource_of(self, path: str) -> Resource | None:
        coll = self.collections.get(path)
        return None if coll is None else coll.layout.resource

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Answer one list request in this carrier's dialect, broken as ``garbage`` asks."""
        coll = self.collections.get(path)
        if coll is None:
            return _error(404, "not_found", f"no resource at {path}")
        query = request.query_params
        hits = coll.select(self._filters(coll, query))
        envelope: dict[str, object] = {}
        headers: dict[str, str] = {}
        try:
            start, stop = self._window(request, len(hits), envelope, headers)
        except ValueError:
            return _error(400, "bad_request", "invalid paging parameters")
        page = [coll.text[n] for n in hits[start:stop]]
        body = self._body(coll.layout, page, envelope)
        match garbage:
            case "not_json":
                body = body[: len(body) // 2]
            case "wrong_shape":
                shape: Any = {"error": _BROKEN}
                if coll.layout.records is not None:
                    shape = {}
                    _put(shape, coll.layout.records.label, _BROKEN)
                body = json.dumps(shape)
            case "bad_record":
                body = self._bad_record(coll.layout, body)
            case "none" | "bad_value" | "unreadable_record":  # not yet served here
                pass
        return Response(body, 200, media_type=_JSON, headers=headers)

    def _filters(self, coll: _Collection, query: QueryParams) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for param in coll.index:
            if self.spec.keys == "repeat":
                values = query.getlist(param)
            else:
                raw = query.get(param)
                values = [] if raw is None else raw.split(",")
            if values:
                found[param] = values
        return found

    def _window(
        self, request: Request, total: int, envelope: dict[str, object], headers: dict[str, str]
    ) -> tuple[int, int]:
        """The slice of the hits this request asks for; paging metadata goes in the dicts."""
        q = request.query_params
        paging = self.spec.paging

        def limit(param: str) -> int:
            value = int(q.get(param, str(getattr(paging, "page_size", 100))))
            if value < 1:
                raise ValueError(param)
            return min(value, _MAX_LIMIT)

        start, size = 0, max(total, 1)
        match paging:
            case NoPaging():
                pass
            case OffsetPaging():
                start, size = int(q.get(paging.offset_param, "0")), limit(paging.limit_param)
                if paging.total_header:
                    headers[paging.total_header] = str(total)
            case PagePaging():
                size = limit(paging.size_param)
                number = int(q.get(paging.page_param, str(paging.first_page)))
                start = (number - paging.first_page) * size
                if paging.total_pages_field:
                    envelope[paging.total_pages_field] = max(1, math.ceil(total / size))
            case CursorPaging():
                size = limit(paging.limit_param)
                cursor = q.get(paging.cursor_param)
                start = _position(cursor) if cursor else 0
                envelope[paging.next_cursor_field] = (
                    _token(start + size) if start + size < total else None
                )
            case LinkHeaderPaging():
                size = limit(paging.limit_param)
                after = q.get(_NEXT_PARAM)
                start = _position(after) if after else 0
                if start + size < total:
                    url = request.url.include_query_params(**{_NEXT_PARAM: _token(start + size)})
                    headers["Link"] = f'<{url}>; rel="next"'
        if start < 0:
            raise ValueError(start)
        return start, start + size

    @staticmethod
    def _body(layout: Layout, page: Sequence[str], envelope: Mapping[str, object]) -> str:
        records = "[" + ",".join(page) + "]"
        if layout.records is None:
            return records
        doc: Wire = {}
        _put(doc, layout.records.label, _RECORDS)
        for path, value in envelope.items():
            _put(doc, path, value)
        return json.dumps(doc, separators=(",", ":")).replace(f'"{_RECORDS}"', records, 1)

    def _bad_record(self, layout: Layout, body: str) -> str:
        doc = json.loads(body)
        records = doc if layout.records is None else layout.records.get(doc)
        if records:
            field, vocabulary = _CODE_FIELD[layout.resource]
            codes = layout.codes[vocabulary]
            _put(records[0], layout.fields[field], 9999 if codes.integer else "??unmapped??")
            key = (
                "invoice_number" if layout.resource is Resource.INVOICE_LINES else "account_number"
            )
            _pop(records[0], layout.fields[key])
        return json.dumps(doc)


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        json.dumps({"error": {"code": code, "message": message}}), status, media_type=_JSON
    )
