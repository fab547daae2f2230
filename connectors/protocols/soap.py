"""Legacy WSDL/SOAP billing and orders adapter (SOAP 1.1, document/literal wrapped).

Written once, driven by a carrier's :class:`~connectors.specs.soap.SoapSpec`. A batch
is one ``Get<Resource>`` call per chunk of ``max_keys_per_call`` keys (the chunks run
concurrently), each paged as the carrier file says: a page number in the request
body, a continuation token, or none, all walked by :func:`connectors.paging.collect`.
SOAP calls are POSTs that only read, so they are sent as idempotent (read retries
apply).

XML is parsed by ``defusedxml`` with DTDs forbidden: no entity expansion, no external
DTD or entity resolution, no network access. An XXE or billion-laughs payload is
``UpstreamInvalid`` before anything is fetched or expanded. A SOAP Fault is
``UpstreamUnavailable`` carrying the (sanitized, shortened) faultstring. Records are
read by :mod:`connectors.protocols.soap_records`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast
from xml.etree import ElementTree as PlainXml  # noqa: TID251 - only for DTD-free bodies (parse_xml)
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException

from connectors.base import Records, chunked, together
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid, UpstreamUnavailable
from connectors.mapping import FieldError
from connectors.models import Carrier, Resource
from connectors.paging import collect
from connectors.protocols.soap_records import Fields, SoapReader
from connectors.specs.soap import SOAP_RESOURCES
from connectors.transport import JsonPage

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from xml.etree.ElementTree import Element  # noqa: TID251 - a type only; parsing is defusedxml's

    import httpx

    from connectors.base import Fetch, KeyKind
    from connectors.specs.soap import SoapSpec
    from connectors.transport import CarrierClient

__all__ = ["REQUEST_KEYS", "SOAP_ENV", "SoapConnector", "parse_xml", "read_fault", "safe_text"]

T = TypeVar("T")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_FAULT_STATUSES = frozenset({500})  # SOAP 1.1 sends Faults as 500 Internal Server Error
_XML_TYPES = ("text/xml", "application/soap+xml", "application/xml")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\ufffd]+")
_FAULT_TEXT_LIMIT = 160
_FAULT_BODY_LIMIT = 64 * 1024

REQUEST_KEYS: Mapping[Resource, Mapping[str, tuple[str, str]]] = {
    Resource.ACCOUNTS: {"id": ("AccountNumbers", "AccountNumber")},
    Resource.SERVICES: {
        "account": ("AccountNumbers", "AccountNumber"),
        "id": ("ServiceIds", "ServiceId"),
    },
    Resource.INVOICES: {
        "account": ("AccountNumbers", "AccountNumber"),
        "id": ("InvoiceNumbers", "InvoiceNumber"),
    },
    Resource.INVOICE_LINES: {"invoice": ("InvoiceNumbers", "InvoiceNumber")},
    Resource.ORDERS: {
        "account": ("AccountNumbers", "AccountNumber"),
        "id": ("OrderIds", "OrderId"),
    },
    Resource.TICKETS: {
        "account": ("AccountNumbers", "AccountNumber"),
        "id": ("TicketIds", "TicketId"),
    },
}
"""Resource -> key kind -> (list element, item element) of the request; the same for
every carrier of the family (``field_names`` rename elements of answers only)."""

_RECORDS: Mapping[Resource, tuple[str, str, Callable[[SoapReader, Fields], Any]]] = {
    Resource.ACCOUNTS: ("Accounts", "Account", SoapReader.account),
    Resource.SERVICES: ("Services", "Service", SoapReader.service),
    Resource.INVOICES: ("Invoices", "Invoice", SoapReader.invoice),
    Resource.INVOICE_LINES: ("InvoiceLines", "InvoiceLine", SoapReader.invoice_line),
    Resource.ORDERS: ("Orders", "Order", SoapReader.order),
    Resource.TICKETS: ("Tickets", "Ticket", SoapReader.ticket),
}


_ID_ELEMENTS: Mapping[Resource, str] = {
    Resource.ACCOUNTS: "AccountNumber",
    Resource.SERVICES: "ServiceId",
    Resource.INVOICES: "InvoiceNumber",
    Resource.INVOICE_LINES: "InvoiceNumber",
    Resource.ORDERS: "OrderId",
    Resource.TICKETS: "TicketId",
}
"""Each record's own id element (lines have none: their invoice's number)."""
_KEY_ELEMENTS: Mapping[str, str | None] = {
    "account": "AccountNumber",
    "invoice": "InvoiceNumber",
    "id": None,
}


_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8 = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})


def _dtd_free(content: bytes) -> bool:
    """Whether the body provably holds no DTD: UTF-8 (or ASCII) bytes without ``<!DOCTYPE``.

    Entities can only be declared in a DTD, and a DTD only begins with ``<!DOCTYPE``,
    whose bytes appear as they are in UTF-8. A body in any other encoding (UTF-16 or 32,
    a declared single-byte code page) is left to defusedxml's checking parser.
    """
    if b"<!DOCTYPE" in content:
        return False
    head = content[:256]
    if b"\x00" in head or head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    return declared is None or declared[1].lower() in _UTF8


def parse_xml(content: bytes, carrier: str) -> Element:
    """Parse a carrier's XML safely: any DTD (so any entity) is refused, nothing is fetched.

    A body that provably holds no DTD (:func:`_dtd_free`) is parsed by ElementTree's C
    parser, about four times faster than defusedxml's checking one; the rest goes through
    defusedxml, which refuses the DTD.

    Raises:
        UpstreamInvalid: not well-formed XML, or a DTD / entity declaration was present.
    """
    try:
        if _dtd_free(content):
            return PlainXml.fromstring(content)  # noqa: S314 - no DTD: no entity to expand
        return SafeXml.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UpstreamInvalid(
            f"carrier '{carrier}' sent XML with a DTD or entity declarations (refused)",
            carrier=carrier,
        ) from exc
    except (SafeXml.ParseError, ValueError, LookupError) as exc:
        raise UpstreamInvalid(
            f"carrier '{carrier}' sent a body that is not XML", carrier=carrier
        ) from exc


def safe_text(text: str, limit: int = _FAULT_TEXT_LIMIT) -> str:
    """A carrier-written text fit for an error message: first line, printable, short."""
    line = _UNPRINTABLE.sub(" ", text.strip().split("\n", 1)[0])
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def read_fault(content: bytes) -> tuple[str, str] | None:
    """(faultcode, faultstring) of a SOAP 1.1 Fault answer, sanitized; None if it is none."""
    if len(content) > _FAULT_BODY_LIMIT:
        return None
    try:
        root = SafeXml.fromstring(content, forbid_dtd=True)
    except (DefusedXmlException, SafeXml.ParseError, ValueError, LookupError):
        return None
    body = root.find(_BODY) if root.tag == _ENVELOPE else None
    fault = None if body is None else body.find(_FAULT)
    if fault is None:
        return None
    code = safe_text(fault.findtext("faultcode") or "", 40) or "Server"
    return code, safe_text(fault.findtext("faultstring") or "") or "no faultstring"


class _Answer(dict[str, str | None]):
    """One page of an answer: its scalar elements by local name, plus its records."""

    __slots__ = ("records",)

    def __init__(self, scalars: Mapping[str, str | None], records: list[Element]) -> None:
        super().__init__(scalars)
        self.records = records


def _records(page: JsonPage) -> Sequence[Element]:
    return cast("_Answer", page.body).records


@dataclass(frozen=True, slots=True)
class _Operation:
    """One resource's operation as this carrier names it, with its request pieces."""

    resource: Resource
    record: str
    response_tag: str
    list_tag: str
    record_tag: str
    reader: Callable[[SoapReader, Fields], Any]
    heads: Mapping[str, str]
    tail: str
    headers: Mapping[str, str]


class SoapConnector:
    """A connector for any carrier exposing the legacy SOAP billing and orders service.

    Example:
        >>> connector = SoapConnector(spec, CarrierClient(spec))  # doctest: +SKIP
        >>> await connector.fetch(INVOICES_BY_ACCOUNT, ["100200300"])  # doctest: +SKIP
    """

    def __init__(self, spec: SoapSpec, client: CarrierClient) -> None:
        self.spec = spec
        self.client = client
        self.reader = SoapReader(spec)
        self._carrier = spec.record()
        self._operations = {r: self._operation(r) for r in SOAP_RESOURCES}

    def _operation(self, resource: Resource) -> _Operation:
        spec = self.spec
        name = spec.operation(resource)
        ns = f"{{{spec.namespace}}}"
        wrapper, record, reader = _RECORDS[resource]
        opening = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:tns="{spec.namespace}">'
            f"<soap:Body><tns:{name}>"
        )
        heads = {
            kind: f"{opening}<tns:{keys}>" for kind, (keys, _) in REQUEST_KEYS[resource].items()
        }
        return _Operation(
            resource=resource,
            record=spec.element(record),
            response_tag=f"{ns}{name}Response",
            list_tag=ns + spec.element(wrapper),
            record_tag=ns + spec.element(record),
            reader=reader,
            heads=heads,
            tail=f"</tns:{name}></soap:Body></soap:Envelope>",
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "Accept": "text/xml",
                "SOAPAction": f'"{spec.action(name)}"',
            },
        )

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        op = self._operations.get(what.resource)
        if op is None or what.resource not in self.spec.capabilities or what.key not in op.heads:
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not offer {what.name}", carrier=self.spec.id
            )
        step = self.spec.max_keys_per_call
        chunks = chunked(keys, step)
        pages = await together([self._list(op, what.key, chunk) for chunk in chunks])
        grouped: dict[str, list[T]] = defaultdict(list)
        dropped: dict[str, list[UpstreamInvalid]] = defaultdict(list)
        key_tag = self.reader.tag[_KEY_ELEMENTS[what.key] or _ID_ELEMENTS[what.resource]]
        id_tag = self.reader.tag[_ID_ELEMENTS[what.resource]]
        for chunk, elements in zip(chunks, pages, strict=True):
            for position, element in enumerate(elements):
                try:
                    record = self._read(op, element)
                except UpstreamInvalid as exc:
                    # Only this record is left out, reported beside its key's records
                    # (or every key of its request when its key cannot be read either).
                    key, own = element.findtext(key_tag), element.findtext(id_tag)
                    exc.record = own or f"#{position + 1}"
                    for k in [key] if key in chunk else chunk:
                        dropped[k].append(exc)
                    continue
                if what.resource is Resource.INVOICE_LINES:
                    invoice, line = record
                    grouped[invoice].append(line)
                else:
                    grouped[what.key_of(record)].append(record)
        if not dropped:
            return grouped
        return {
            k: Records(grouped.get(k, ()), dropped=dropped.get(k, ())) for k in {*grouped, *dropped}
        }

    def _read(self, op: _Operation, element: Element) -> Any:  # noqa: ANN401
        carrier = self.spec.id
        try:
            return op.reader(self.reader, {child.tag: child for child in element})
        except FieldError as exc:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent an unreadable {op.record}: {exc}",
                carrier=carrier,
                record=op.record,
                field=exc.field,
            ) from exc
        except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
            raise UpstreamInvalid(  # a last resort: one record, never its neighbours
                f"carrier '{carrier}' sent a malformed {op.record}",
                carrier=carrier,
                record=op.record,
            ) from exc

    async def _list(self, op: _Operation, key: KeyKind, keys: Sequence[str]) -> list[Any]:
        """Every record element matching the keys, however many pages that takes."""
        item = REQUEST_KEYS[op.resource][key][1]
        wrapper = REQUEST_KEYS[op.resource][key][0]
        head = op.heads[key] + "".join(f"<tns:{item}>{escape(k)}</tns:{item}>" for k in keys)
        head += f"</tns:{wrapper}>"

        async def fetch(query: Mapping[str, str], url: str | None) -> JsonPage:
            del url  # SOAP pages are asked for in the body, never by link
            paging = "".join(f"<tns:{k}>{escape(v)}</tns:{k}>" for k, v in query.items())
            response = await self.client.send(
                "POST",
                self.spec.endpoint,
                content=(head + paging + op.tail).encode(),
                headers=op.headers,
                idempotent=True,
                pass_statuses=_FAULT_STATUSES,
            )
            if response.status_code >= 400:
                raise self._error_answer(response)
            return self._page(op, response)

        return await collect(self.spec.paging, fetch, _records, {}, carrier=self.spec.id)

    def _invalid(self, op: _Operation, problem: str) -> UpstreamInvalid:
        return UpstreamInvalid(
            f"carrier '{self.spec.id}' sent a {op.resource.value} answer {problem}",
            carrier=self.spec.id,
            record=op.record,
        )

    def _page(self, op: _Operation, response: httpx.Response) -> JsonPage:
        root = parse_xml(response.content, self.spec.id)
        body = root.find(_BODY) if root.tag == _ENVELOPE else None
        if body is None or len(body) == 0:
            raise self._invalid(op, "that is not a SOAP envelope with a body")
        answer = body[0]
        if answer.tag == _FAULT:
            raise self._fault_error(read_fault(response.content))
        if answer.tag != op.response_tag:
            raise self._invalid(op, f"whose body is not a {op.response_tag}")
        records: list[Element] | None = None
        scalars: dict[str, str | None] = {}
        for child in answer:
            if child.tag == op.list_tag:
                records = list(child)
            elif len(child) == 0:
                scalars[child.tag.rpartition("}")[2]] = child.text
        if records is None:
            raise self._invalid(op, f"without its {op.list_tag} list")
        for element in records:
            if element.tag != op.record_tag:
                raise self._invalid(op, f"listing a {element.tag} among its records")
        return JsonPage(_Answer(scalars, records), response.headers)

    def _fault_error(self, fault: tuple[str, str] | None) -> UpstreamUnavailable:
        code, text = fault or ("Server", "unreadable fault")
        return UpstreamUnavailable(
            f"carrier '{self.spec.id}' answered a SOAP Fault ({code}): {text}",
            carrier=self.spec.id,
        )

    def _error_answer(self, response: httpx.Response) -> UpstreamUnavailable:
        """A SOAP Fault answer with its (sanitized) text, or the bare HTTP status."""
        if response.headers.get("content-type", "").lower().startswith(_XML_TYPES):
            fault = read_fault(response.content)
            if fault is not None:
                return self._fault_error(fault)
        return UpstreamUnavailable(
            f"carrier '{self.spec.id}' answered HTTP {response.status_code}",
            carrier=self.spec.id,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
