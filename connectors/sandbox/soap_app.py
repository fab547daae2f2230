"""A sandbox carrier back office speaking the legacy SOAP billing and orders dialect.

Serves one carrier's slice of the seeded data set from a single SOAP 1.1 endpoint
(``spec.endpoint``): a ``Get<Resource>`` operation per declared capability, keyed by
lists of account numbers, ids or invoice numbers, paged as the carrier file says
(page number, continuation token or none), with the WSDL at ``?wsdl``. Records are
written in the carrier's element names, status codes and formats
(:mod:`connectors.sandbox.soap_wire`) and rendered once at start-up. A wrong
SOAPAction, an unknown operation or a request without keys is a SOAP Fault (HTTP 500),
as a real SOAP stack answers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException
from starlette.responses import Response

from connectors.models import Resource
from connectors.protocols.soap import REQUEST_KEYS, SOAP_ENV
from connectors.sandbox.soap_wire import El, SoapWriter, envelope, fault, wsdl
from connectors.specs.soap import SoapCursorPaging, SoapPagePaging

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from xml.etree.ElementTree import Element  # noqa: TID251 - a type only; parsing is defusedxml's

    from starlette.requests import Request

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.specs.soap import SoapSpec

__all__ = ["SoapCarrierBackOffice"]

_XML = "text/xml; charset=utf-8"
_BODY = f"{{{SOAP_ENV}}}Body"
_NOT_XML = "<html><body><h1>502 Proxy Error</h1><p>The billing host did not answer<br></body>"
_CURSOR = "resume-at-"
# The resource the current request asked for. The sandbox server asks ``resource_of``
# right after ``answer`` returns, in the same task, and every operation shares one
# path: the body, not the path, says which resource a request is for.
_ANSWERED: ContextVar[Resource | None] = ContextVar("soap_answered", default=None)


class _Collection:
    """One resource's records (trees and rendered text), indexed by every key kind."""

    def __init__(self, writer: SoapWriter, records: list[tuple[El, Mapping[str, str]]]) -> None:
        self.trees = [tree for tree, _ in records]
        self.text = [writer.render(tree) for tree in self.trees]
        self.index: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for n, (_, keys) in enumerate(records):
            for kind, value in keys.items():
                self.index[kind][value].append(n)

    def select(self, kind: str, values: Sequence[str]) -> list[int]:
        table = self.index.get(kind, {})
        return sorted({n for value in values for n in table.get(value, ())})


class SoapCarrierBackOffice:
    """The wire-level answers of one sandbox SOAP carrier, independent of any web framework."""

    def __init__(self, spec: SoapSpec, data: CarrierData) -> None:
        self.spec = spec
        self.writer = w = SoapWriter(spec)
        self.ns = f"{{{spec.namespace}}}"

        def lines() -> list[tuple[El, Mapping[str, str]]]:
            return [
                (w.invoice_line(number, line), {"invoice": number})
                for number in sorted(data.invoice_lines)
                for line in data.invoice_lines[number]
            ]

        builders: dict[Resource, Callable[[], list[tuple[El, Mapping[str, str]]]]] = {
            Resource.ACCOUNTS: lambda: [
                (w.account(a), {"id": a.account_number})
                for a in sorted(data.accounts, key=lambda a: a.account_number)
            ],
            Resource.SERVICES: lambda: [
                (w.service(s), {"id": s.service_id, "account": s.account_number})
                for s in sorted(data.services, key=lambda s: s.service_id)
            ],
            Resource.INVOICES: lambda: [
                (w.invoice(i), {"id": i.invoice_number, "account": i.account_number})
                for i in sorted(data.invoices, key=lambda i: i.invoice_number)
            ],
            Resource.INVOICE_LINES: lines,
            Resource.ORDERS: lambda: [
                (w.order(o), {"id": o.order_id, "account": o.account_number})
                for o in sorted(data.orders, key=lambda o: o.order_id)
            ],
            Resource.TICKETS: lambda: [
                (w.ticket(t), {"id": t.ticket_id, "account": t.account_number})
                for t in sorted(data.tickets, key=lambda t: t.ticket_id)
            ],
        }
        self.offered = [r for r in builders if r in spec.capabilities]
        self.collections = {r: _Collection(w, builders[r]()) for r in self.offered}
        self.operations = {spec.operation(r): r for r in self.offered}
        self._wsdl = wsdl(spec, self.offered, spec.base_url.rstrip("/") + spec.endpoint)

    def resource_of(self, path: str) -> Resource | None:
        return _ANSWERED.get() if path == self.spec.endpoint else None

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Answer one request in the SOAP dialect, broken as ``garbage`` asks."""
        _ANSWERED.set(None)
        if path != self.spec.endpoint:
            return Response("Not Found", 404, media_type="text/plain")
        if request.method == "GET":
            if "wsdl" in {k.lower() for k in request.query_params}:
                return Response(self._wsdl, 200, media_type=_XML)
            return Response("POST SOAP requests here; WSDL at ?wsdl", 405, media_type="text/plain")
        try:
            root = SafeXml.fromstring(await request.body(), forbid_dtd=True)
        except (DefusedXmlException, SafeXml.ParseError, ValueError, LookupError):
            return _fault("Client", "the request is not a well-formed SOAP envelope")
        body = root.find(_BODY)
        call = None if body is None or len(body) == 0 else body[0]
        name = "" if call is None else call.tag.removeprefix(self.ns)
        resource = self.operations.get(name)
        if call is None or resource is None:
            return _fault("Client", f"operation '{name[:60]}' is not offered by this service")
        action = f'"{self.spec.action(name)}"'
        if request.headers.get("soapaction") != action:
            return _fault("Client", f"SOAPAction must be {action} for {name}")
        _ANSWERED.set(resource)
        return self._answer(resource, name, call, garbage)

    def _answer(
        self, resource: Resource, name: str, call: Element, garbage: GarbageMode
    ) -> Response:
        found = None
        for kind, (listed, item) in REQUEST_KEYS[resource].items():
            element = call.find(self.ns + listed)
            if element is not None:
                found = kind, [k.text or "" for k in element.iter(self.ns + item)]
        if found is None:
            return _fault("Client", f"{name} needs a list of keys")
        coll = self.collections[resource]
        scalars: dict[str, str] = {}
        page = self._page(call, coll.select(*found), scalars)
        if page is None:
            return _fault("Client", "paging elements must be whole numbers or a token we issued")
        head = f'<tns:{name}Response xmlns:tns="{self.spec.namespace}">'
        tail = "".join(f"<tns:{k}>{escape(v)}</tns:{k}>" for k, v in scalars.items())
        tail += f"</tns:{name}Response>"
        if garbage == "not_json":
            return Response(_NOT_XML, 200, media_type=_XML)
        if garbage == "wrong_shape":
            return Response(
                envelope(f"{head}<tns:Result>OK</tns:Result>{tail}"), 200, media_type=_XML
            )
        records = [coll.text[n] for n in page]
        if garbage == "bad_record" and page:
            records[0] = self.writer.render(_broken(coll.trees[page[0]]))
        elif garbage == "bad_value" and page:
            records[0] = self.writer.render(self._absurd(coll.trees[page[0]]))
        elif garbage == "unreadable_record" and len(page) > 1:
            last = coll.trees[page[-1]]
            records[-1] = self.writer.render(last.without(_OWN_ID[last.name]))
        wrapper = "tns:" + self.spec.element(_LISTS[resource])
        body = f"{head}<{wrapper}>{''.join(records)}</{wrapper}>{tail}"
        return Response(envelope(body), 200, media_type=_XML)

    def _absurd(self, tree: El) -> El:
        """A record whose amount is 10^38 (or, without money, whose date is in year 9999)."""
        money = next((m for m in _MONEY if any(c.name == m for c in tree.children)), None)
        if money is not None:
            return tree.with_text(money, self.spec.amount_format().write(Decimal("1e38")))
        when = datetime(9999, 6, 1, tzinfo=UTC)
        return tree.with_text(_DATES[tree.name], self.spec.time_format().write(when))

    def _count(self, call: Element, param: str, default: int) -> int | None:
        """A whole number from the request (``default`` when absent, None when unreadable)."""
        text = call.findtext(self.ns + param)
        if text is None:
            return default
        return int(text) if text.isascii() and text.isdigit() else None

    def _page(self, call: Element, hits: list[int], scalars: dict[str, str]) -> list[int] | None:
        """The hits on the asked-for page (None: unreadable paging); fills the paging elements.

        A page is never larger than the carrier file's ``page_size``, as real services cap it.
        """
        paging = self.spec.paging
        if isinstance(paging, SoapPagePaging):
            size = self._count(call, paging.size_param, paging.page_size)
            number = self._count(call, paging.page_param, paging.first_page)
            if not size or number is None or number < paging.first_page:
                return None
            size = min(size, paging.page_size)
            if paging.total_pages_field:
                scalars[paging.total_pages_field] = str(max(1, math.ceil(len(hits) / size)))
            start = (number - paging.first_page) * size
            return hits[start : start + size]
        if isinstance(paging, SoapCursorPaging):
            size = self._count(call, paging.limit_param, paging.page_size)
            token = call.findtext(self.ns + paging.cursor_param) or f"{_CURSOR}0"
            offset = token.removeprefix(_CURSOR)
            if not size or not token.startswith(_CURSOR) or not offset.isdigit():
                return None
            size, start = min(size, paging.page_size), int(offset)
            if start + size < len(hits):
                scalars[paging.next_cursor_field] = f"{_CURSOR}{start + size}"
            return hits[start : start + size]
        return hits


_LISTS = {
    Resource.ACCOUNTS: "Accounts",
    Resource.SERVICES: "Services",
    Resource.INVOICES: "Invoices",
    Resource.INVOICE_LINES: "InvoiceLines",
    Resource.ORDERS: "Orders",
    Resource.TICKETS: "Tickets",
}


_MONEY = ("TotalAmount", "MonthlyCharge", "Amount")
_DATES = {"Account": "OpenedDate", "Order": "OrderDate", "Ticket": "ReportedDate"}
_OWN_ID = {
    "Account": "AccountNumber",
    "Service": "ServiceId",
    "Invoice": "InvoiceNumber",
    "InvoiceLine": "InvoiceNumber",
    "Order": "OrderId",
    "Ticket": "TicketId",
}
_BLANKED = {
    "Account": "AccountName",
    "Service": "MonthlyCharge",
    "Invoice": "TotalAmount",
    "InvoiceLine": "Description",
    "Order": "OrderDate",
    "Ticket": "ReportedDate",
}


def _broken(tree: El) -> El:
    """A record with an unmapped code and without one of its values (never its identity)."""
    code = "LineType" if tree.name == "InvoiceLine" else "Status"
    return tree.with_text(code, "??UNMAPPED??").without(_BLANKED[tree.name])


def _fault(code: str, text: str) -> Response:
    return Response(fault(code, text), 500, media_type=_XML)
