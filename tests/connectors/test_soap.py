"""The SOAP family beyond the conformance kit: safe XML, faults, formats, batching, WSDL."""

from __future__ import annotations

import dataclasses
import math
import time
import tracemalloc
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import defusedxml.ElementTree as SafeXml
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ID,
    SERVICES_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
    dropped_of,
)
from connectors.errors import (
    CarrierSpecError,
    NotSupportedByCarrier,
    UpstreamInvalid,
    UpstreamUnavailable,
)
from connectors.io import transport_factory
from connectors.mapping import LIMITS, FieldError
from connectors.models import InvoiceStatus, Money, Product
from connectors.protocols import soap_records
from connectors.protocols.soap import SOAP_ENV, parse_xml
from connectors.protocols.soap_records import SoapReader
from connectors.registry import Registry, load_spec
from connectors.sandbox.faults import Faults
from connectors.sandbox.server import Sandbox, serve_in_thread
from connectors.spec import NoPaging
from connectors.specs.soap import SoapPagePaging, SoapSpec
from tests.support.servers import serve_in_thread as serve_app

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectors.base import Fetch
    from connectors.spec import CarrierSpec
    from tests.connectors.conftest import SandboxCarriers

KETTLE = "kettleriver-telecom"  # page paging 50, %Z times in Chicago, grouped amounts, BAN
ASHGROVE = "ashgrove-telephone"  # billing only, Regina times, cents, renamed operations
QUARRY = "quarrystone-comms"  # continuation tokens, xs:dateTime, OAuth2
POLDER = "polderlijn-telecom"  # pages from 0, CET/CEST, decimal commas, 25 keys per call
CINDER = "cinderbutte-comms"  # Phoenix naive times, no auth
WSDL_NS = "{http://schemas.xmlsoap.org/wsdl/}"
WSDL_SOAP_NS = "{http://schemas.xmlsoap.org/wsdl/soap/}"


@pytest.fixture(params=["aiohttp", "httpx", "h1"])
async def registry(sandbox, request):
    soap = {k: s for k, s in sandbox.specs.items() if s.protocol == "soap"}
    reg = Registry(soap, transport_factory=transport_factory(request.param))
    yield reg
    await reg.aclose()


def accounts_of(sandbox: SandboxCarriers, carrier: str) -> list[str]:
    return [a.account_number for a in sandbox.data.carriers[carrier].accounts]


def envelope(body: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{body}</soap:Body></soap:Envelope>'
    ).encode()


class Canned:
    """A carrier answering every request with the same bytes (and counting the requests)."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status = body, status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, content=self.body, headers={"content-type": "text/xml"})


async def fetch_canned(
    spec: CarrierSpec,
    canned: Canned,
    what: Fetch[Any] = ACCOUNTS_BY_ID,
    keys: Sequence[str] = ("A1",),
) -> Mapping[str, Sequence[Any]]:
    registry = Registry({spec.id: spec}, transport_factory=lambda _: httpx.MockTransport(canned))
    try:
        return await registry.get(spec.id).fetch(what, list(keys))
    finally:
        await registry.aclose()


# -- safe XML -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dtd_host():
    """A local HTTP server that records every request (an attacker's DTD host)."""
    hits: list[str] = []

    async def anything(request):
        hits.append(request.url.path)
        return PlainTextResponse('<!ENTITY leak "LEAKED-FROM-SERVER">')

    app = Starlette(routes=[Route("/{path:path}", anything)])
    with serve_app(app) as url:
        yield url, hits


@pytest.fixture
def dtd_server(dtd_host):
    url, hits = dtd_host
    hits.clear()
    return url, hits


@pytest.mark.parametrize("kind", ["external_entity", "external_dtd", "parameter_entity", "file"])
async def test_xxe_is_refused_and_nothing_is_fetched(sandbox, dtd_server, kind):
    url, hits = dtd_server
    doctype = {
        "external_entity": f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{url}/secret">]>',
        "external_dtd": f'<!DOCTYPE r SYSTEM "{url}/evil.dtd">',
        "parameter_entity": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>',
        "file": '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    }[kind]
    body = f'<?xml version="1.0"?>{doctype}'.encode() + envelope(
        '<tns:GetAccountsResponse xmlns:tns="urn:kettleriver:oss:billing:v3"><tns:Accounts>'
        "<tns:Account><tns:AccountName>&xxe;</tns:AccountName></tns:Account>"
        "</tns:Accounts></tns:GetAccountsResponse>"
    )
    with pytest.raises(UpstreamInvalid) as info:
        await fetch_canned(sandbox.specs[KETTLE], Canned(body))
    assert info.value.carrier == KETTLE
    assert "DTD" in info.value.message
    assert hits == []  # the external DTD / entity was never fetched
    assert "root:" not in str(info.value)
    assert "LEAKED" not in str(info.value)


async def test_billion_laughs_is_refused_quickly_in_bounded_memory(sandbox):
    levels = "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )  # 10**9 "lol"s, about 3 GB if expanded
    body = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{levels}]>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>&lol9;</soap:Body></soap:Envelope>'
    ).encode()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(UpstreamInvalid):
            await fetch_canned(sandbox.specs[KETTLE], Canned(body))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 10.0  # expanded, the document would take minutes and ~3 GB
    assert peak < 4 * 1024 * 1024


async def test_any_dtd_is_refused_even_a_harmless_one(sandbox):
    body = b'<?xml version="1.0"?><!DOCTYPE Envelope [<!ELEMENT Envelope ANY>]>' + envelope(
        '<tns:GetAccountsResponse xmlns:tns="urn:kettleriver:oss:billing:v3"><tns:Accounts/>'
        "<tns:TotalPages>1</tns:TotalPages></tns:GetAccountsResponse>"
    )
    with pytest.raises(UpstreamInvalid, match="DTD"):
        await fetch_canned(sandbox.specs[KETTLE], Canned(body))
    # The same answer without its DTD is fine: an empty list.
    assert await fetch_canned(sandbox.specs[KETTLE], Canned(body.split(b"]>", 1)[1])) == {}


async def test_an_undeclared_entity_is_not_xml(sandbox):
    body = envelope('<tns:GetAccountsResponse xmlns:tns="urn:x">&xxe;</tns:GetAccountsResponse>')
    with pytest.raises(UpstreamInvalid, match="not XML"):
        await fetch_canned(sandbox.specs[KETTLE], Canned(body))


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),  # with a byte order mark
        lambda text: text.encode("utf-16-le"),  # without one: NUL bytes tell
        lambda text: text.replace('version="1.0"', 'version="1.0" encoding="ISO-8859-1"').encode(
            "latin-1"
        ),
    ],
    ids=["utf-16", "utf-16-le", "declared-latin-1"],
)
async def test_a_dtd_in_another_encoding_is_refused_too(sandbox, encode):
    # UTF-8 bodies without "<!DOCTYPE" take ElementTree's C parser; any other encoding
    # could spell the DTD differently, so it goes through the checking parser.
    levels = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    text = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{levels}]>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>&lol9;</soap:Body></soap:Envelope>'
    )
    with pytest.raises(UpstreamInvalid, match="DTD"):
        await fetch_canned(sandbox.specs[KETTLE], Canned(encode(text)))


async def test_an_answer_in_another_encoding_reads_as_in_utf8(sandbox):
    inner = (
        '<tns:GetAccountsResponse xmlns:tns="urn:kettleriver:oss:billing:v3"><tns:Accounts/>'
        "<tns:TotalPages>1</tns:TotalPages></tns:GetAccountsResponse>"
    )
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>' + envelope(inner).decode()
    assert await fetch_canned(sandbox.specs[KETTLE], Canned(text.encode("latin-1"))) == {}
    utf16 = text.replace("ISO-8859-1", "UTF-16").encode("utf-16")
    assert await fetch_canned(sandbox.specs[KETTLE], Canned(utf16)) == {}


# -- SOAP Faults --------------------------------------------------------------------------


def fault_body(text: str, code: str = "soap:Server") -> bytes:
    return envelope(
        f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
        "<detail><trace>at com.example.Billing.lookup(Billing.java:42)</trace></detail>"
        "</soap:Fault>"
    )


@pytest.mark.parametrize("status", [500, 200])
async def test_a_soap_fault_is_unavailable_with_its_faultstring(sandbox, status):
    canned = Canned(fault_body("Billing database is in maintenance"), status)
    with pytest.raises(UpstreamUnavailable) as info:
        await fetch_canned(sandbox.specs[KETTLE], canned)
    assert info.value.carrier == KETTLE
    assert "SOAP Fault (soap:Server): Billing database is in maintenance" in info.value.message
    assert len(canned.requests) == 1  # a fault is an answer: not retried


async def test_a_faultstring_is_shortened_and_cleaned_before_it_is_shown(sandbox):
    text = "ORA-00942: table missing\x7f\x9b[2J" + "x" * 400 + "\n  at oracle.jdbc.Driver(...)"
    with pytest.raises(UpstreamUnavailable) as info:
        await fetch_canned(sandbox.specs[KETTLE], Canned(fault_body(text)))
    message = info.value.message
    assert "ORA-00942: table missing" in message
    for unsafe in ("\x7f", "\x9b", "oracle.jdbc", "Billing.java"):
        assert unsafe not in message
    assert len(message) < 250


async def test_a_wrong_soap_action_gets_the_sandbox_fault(sandbox):
    spec = sandbox.specs[KETTLE]
    wrong = spec.model_copy(update={"soap_action": "{operation}"})
    registry = Registry({KETTLE: wrong})
    try:
        with pytest.raises(UpstreamUnavailable, match="SOAPAction must be"):
            await registry.get(KETTLE).fetch(ACCOUNTS_BY_ID, accounts_of(sandbox, KETTLE)[:1])
    finally:
        await registry.aclose()


async def test_reads_over_post_are_retried_on_retryable_statuses(sandbox, registry):
    attempts = sandbox.specs[CINDER].retry.attempts
    sandbox.sandbox.set_faults(CINDER, Faults(error_rate=1.0, error_status=503))
    with pytest.raises(UpstreamUnavailable, match="HTTP 503"):
        await registry.get(CINDER).fetch(ACCOUNTS_BY_ID, accounts_of(sandbox, CINDER)[:1])
    assert len([r for r in sandbox.sandbox.log.records() if r.carrier == CINDER]) == attempts


# -- formats and time zones ---------------------------------------------------------------

TIMES = [
    # Chicago with CST/CDT: the fall-back hour happens twice and the abbreviation says which.
    (KETTLE, "11/03/2024 01:30:00 AM CDT", datetime(2024, 11, 3, 6, 30, tzinfo=UTC)),
    (KETTLE, "11/03/2024 01:30:00 AM CST", datetime(2024, 11, 3, 7, 30, tzinfo=UTC)),
    (KETTLE, "07/04/2024 12:00:05 AM CDT", datetime(2024, 7, 4, 5, 0, 5, tzinfo=UTC)),
    (KETTLE, "01/15/2025 12:00:00 PM CST", datetime(2025, 1, 15, 18, 0, tzinfo=UTC)),
    # Regina keeps CST all year: naive local times are never ambiguous.
    (ASHGROVE, "20240704120000", datetime(2024, 7, 4, 18, 0, tzinfo=UTC)),
    (ASHGROVE, "20241103013000", datetime(2024, 11, 3, 7, 30, tzinfo=UTC)),
    # xs:dateTime with an offset; a value without one is New York time.
    (QUARRY, "2024-03-10T01:59:59-05:00", datetime(2024, 3, 10, 6, 59, 59, tzinfo=UTC)),
    (QUARRY, "2024-07-01T08:00:00", datetime(2024, 7, 1, 12, 0, tzinfo=UTC)),
    (QUARRY, "2024-07-01T08:00:00Z", datetime(2024, 7, 1, 8, 0, tzinfo=UTC)),
    # Amsterdam with CET/CEST, day first.
    (POLDER, "27-10-2024 02:30:00 CEST", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
    (POLDER, "27-10-2024 02:30:00 CET", datetime(2024, 10, 27, 1, 30, tzinfo=UTC)),
    # Phoenix: MST all year.
    (CINDER, "2024-07-01 08:00:00", datetime(2024, 7, 1, 15, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("carrier", "text", "instant"), TIMES)
def test_each_carrier_s_times_are_read_as_the_right_utc_instant(sandbox, carrier, text, instant):
    time_format = sandbox.specs[carrier].time_format()
    assert time_format.parse(text, "When") == instant
    assert time_format.parse(time_format.write(instant), "When") == instant


@pytest.mark.parametrize(
    ("carrier", "text", "day"),
    [
        (KETTLE, "02/29/2024", date(2024, 2, 29)),
        (ASHGROVE, "20241231", date(2024, 12, 31)),
        (QUARRY, "2024-01-05", date(2024, 1, 5)),
        (POLDER, "05-01-2024", date(2024, 1, 5)),
    ],
)
def test_each_carrier_s_dates_are_read(sandbox, carrier, text, day):
    assert sandbox.specs[carrier].day_format().parse(text, "Day") == day


@pytest.mark.parametrize(
    ("carrier", "text"),
    [
        (KETTLE, "13/03/2024 01:30:00 AM CST"),  # month 13
        (KETTLE, "11/03/2024 13:30:00 PM CST"),  # not a 12-hour time
        (KETTLE, "11/03/2024 01:30:00 AM EST"),  # not a Chicago zone
        (KETTLE, "2024-11-03T01:30:00-06:00"),  # another carrier's format
        (ASHGROVE, "20240230120000"),  # 30 February
        (QUARRY, "yesterday"),
    ],
)
def test_unreadable_times_are_field_errors(sandbox, carrier, text):
    with pytest.raises(FieldError) as info:
        sandbox.specs[carrier].time_format().parse(text, "OpenedDate")
    assert info.value.field == "OpenedDate"


def test_a_naive_time_in_a_dst_change_is_refused_not_guessed(sandbox):
    denver = sandbox.specs[CINDER].model_copy(update={"timezone": "America/Denver"}).time_format()
    assert denver.parse("2024-11-03 00:59:59", "t") == datetime(2024, 11, 3, 6, 59, 59, tzinfo=UTC)
    for ambiguous_or_skipped in ("2024-11-03 01:30:00", "2024-03-10 02:30:00"):
        with pytest.raises(FieldError, match="DST"):
            denver.parse(ambiguous_or_skipped, "t")


async def test_a_record_s_times_and_amounts_come_back_in_utc_and_cents(sandbox):
    spec = sandbox.specs[KETTLE]
    body = envelope(
        '<t:GetServicesResponse xmlns:t="urn:kettleriver:oss:billing:v3"><t:Services><t:Service>'
        "<t:ServiceId>S1</t:ServiceId><t:BAN>A1</t:BAN><t:Product>DIA</t:Product>"
        "<t:BandwidthMbps>100</t:BandwidthMbps><t:ServiceAddress><t:Street>1 Main St</t:Street>"
        "<t:City>Peoria</t:City><t:State>IL</t:State><t:PostalCode>61602</t:PostalCode>"
        "<t:Country>US</t:Country></t:ServiceAddress><t:Status>IS</t:Status>"
        "<t:ActivationDate>11/03/2024 01:15:00 AM CST</t:ActivationDate>"
        '<t:MonthlyCharge currency="USD">1,234.50</t:MonthlyCharge>'
        '<t:InstallCharge currency="USD">0.00</t:InstallCharge><t:TermMonths>36</t:TermMonths>'
        "<t:ContractEndDate>11/03/2027</t:ContractEndDate></t:Service></t:Services>"
        "<t:TotalPages>1</t:TotalPages></t:GetServicesResponse>"
    )
    found = await fetch_canned(spec, Canned(body), SERVICES_BY_ACCOUNT, ["A1"])
    (service,) = found["A1"]
    assert service.activated_at == datetime(2024, 11, 3, 7, 15, tzinfo=UTC)
    assert service.mrc == Money(Decimal("1234.50"), "USD")
    assert service.contract_end == date(2027, 11, 3)
    assert service.circuit_id is None
    assert service.telephone_numbers == ()


# -- bad records --------------------------------------------------------------------------


async def test_a_bad_record_reads_unknown_with_its_code_and_a_null_value(sandbox, registry):
    # bad_record no longer voids the list: the unmapped status reads UNKNOWN with the raw
    # code, the dropped total is None (absent, not a problem), and every invoice arrives.
    keys = accounts_of(sandbox, KETTLE)
    clean = await registry.get(KETTLE).fetch(INVOICES_BY_ACCOUNT, keys)
    sandbox.sandbox.set_faults(KETTLE, Faults(garbage="bad_record"))
    found = await registry.get(KETTLE).fetch(INVOICES_BY_ACCOUNT, keys)
    held = {i.invoice_number: i for v in clean.values() for i in v}
    got = [i for v in found.values() for i in v]
    assert sorted(i.invoice_number for i in got) == sorted(held)
    drifted = [i for i in got if i.status is InvoiceStatus.UNKNOWN]
    assert drifted  # the first of each page
    for invoice in drifted:
        assert (invoice.status_code, invoice.total, invoice.problems) == ("??UNMAPPED??", None, ())
        same = dataclasses.replace(invoice, status=None, status_code=None, total=None)
        assert same == dataclasses.replace(held[invoice.invoice_number], status=None, total=None)


@pytest.mark.parametrize(
    ("element", "value", "attribute", "read", "problems"),
    [
        ("Status", "XX", "status_code", "XX", []),  # an unmapped code is kept, raw
        ("MonthlyCharge", "12.345.67", "mrc", None, [("mrc", "MonthlyCharge")]),
        ("MonthlyCharge", "1" + "0" * 40, "mrc", None, [("mrc", "MonthlyCharge")]),
        ("TermMonths", "three", "term_months", None, [("term_months", "TermMonths")]),
        ("Product", "TELEGRAPH", "product", Product.OTHER, []),
        ("ActivationDate", "9999-01-01T00:00:00Z", "activated_at", None,
         [("activated_at", "ActivationDate")]),
    ],
)  # fmt: skip
async def test_an_unreadable_value_is_null_with_a_problem_and_the_service_still_arrives(
    sandbox, element, value, attribute, read, problems
):
    spec = sandbox.specs[KETTLE]
    fields = {
        "ServiceId": "S1", "BAN": "A1", "Product": "DIA", "Status": "IS", "TermMonths": "12",
        "MonthlyCharge": "1.00", "InstallCharge": "0.00",
    } | {element: value}  # fmt: skip
    inner = "".join(
        f'<t:{k} currency="USD">{v}</t:{k}>' if k.endswith("Charge") else f"<t:{k}>{v}</t:{k}>"
        for k, v in fields.items()
    )
    address = "".join(f"<t:{k}>x</t:{k}>" for k in ("Street", "City", "State", "PostalCode"))
    body = envelope(
        '<t:GetServicesResponse xmlns:t="urn:kettleriver:oss:billing:v3"><t:Services><t:Service>'
        f"{inner}<t:ServiceAddress>{address}<t:Country>US</t:Country></t:ServiceAddress>"
        "</t:Service></t:Services><t:TotalPages>1</t:TotalPages></t:GetServicesResponse>"
    )
    found = await fetch_canned(spec, Canned(body), SERVICES_BY_ACCOUNT, ["A1"])
    (service,) = found["A1"]
    assert (service.service_id, service.nrc) == ("S1", Money(Decimal("0.00"), "USD"))
    assert getattr(service, attribute) == read
    assert [(p.field, p.wire_field) for p in service.problems] == problems


async def test_a_service_without_its_id_is_left_out_and_reported(sandbox):
    spec = sandbox.specs[KETTLE]
    good = "<t:ServiceId>S1</t:ServiceId><t:BAN>A1</t:BAN><t:Status>IS</t:Status>"
    body = envelope(
        '<t:GetServicesResponse xmlns:t="urn:kettleriver:oss:billing:v3"><t:Services>'
        f"<t:Service>{good}</t:Service><t:Service><t:BAN>A1</t:BAN></t:Service>"
        "</t:Services><t:TotalPages>1</t:TotalPages></t:GetServicesResponse>"
    )
    found = await fetch_canned(spec, Canned(body), SERVICES_BY_ACCOUNT, ["A1"])
    assert [s.service_id for s in found["A1"]] == ["S1"]
    (error,) = dropped_of(found["A1"])
    assert (error.carrier, error.record, error.field) == (KETTLE, "#2", "ServiceId")


async def test_an_answer_for_another_operation_is_the_wrong_shape(sandbox):
    body = envelope(
        '<t:GetOrdersResponse xmlns:t="urn:kettleriver:oss:billing:v3"><t:Orders/>'
        "</t:GetOrdersResponse>"
    )
    with pytest.raises(UpstreamInvalid, match="GetAccountsResponse"):
        await fetch_canned(sandbox.specs[KETTLE], Canned(body))


# -- batching, paging, capabilities -------------------------------------------------------


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
async def test_keys_are_batched_per_max_keys_per_call(sandbox, io):
    spec = sandbox.specs[POLDER].model_copy(update={"max_keys_per_call": 2})
    numbers = accounts_of(sandbox, POLDER)
    assert len(numbers) > spec.max_keys_per_call

    registry = Registry({POLDER: spec}, transport_factory=transport_factory(io))
    try:
        found = await registry.get(POLDER).fetch(ACCOUNTS_BY_ID, numbers)
    finally:
        await registry.aclose()

    data = sandbox.data.carriers[POLDER]
    assert {k: list(v) for k, v in found.items()} == {a.account_number: [a] for a in data.accounts}
    records = [r for r in sandbox.sandbox.log.records() if r.carrier == POLDER]
    assert len(records) == math.ceil(len(numbers) / spec.max_keys_per_call)
    assert {(r.resource, r.path) for r in records} == {("accounts", spec.endpoint)}


@pytest.mark.parametrize("carrier", [KETTLE, QUARRY])
async def test_pages_are_walked_in_the_body(sandbox, registry, carrier):
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    numbers = accounts_of(sandbox, carrier)[: spec.max_keys_per_call]
    expected = [s for s in data.services if s.account_number in set(numbers)]
    small = spec.model_copy(
        update={"paging": spec.paging.model_copy(update={"page_size": 4})}
    )  # the sandbox caps pages at the file's size; the client asks for smaller ones
    reg = Registry({carrier: small})
    try:
        found = await reg.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await reg.aclose()
    assert Counter(r for rs in found.values() for r in rs) == Counter(expected)
    assert sandbox.sandbox.log.counts()[(carrier, "services")] == max(
        1, math.ceil(len(expected) / 4)
    )


async def test_an_unpaged_carrier_answers_everything_at_once(sandbox):
    spec = sandbox.specs[CINDER].model_copy(update={"paging": NoPaging(type="none")})
    data = sandbox.data.carriers[CINDER]
    unpaged = Sandbox({CINDER: spec}, sandbox.data)
    with serve_in_thread(unpaged.app) as url:
        here = spec.model_copy(update={"base_url": f"{url}/{CINDER}"})
        registry = Registry({CINDER: here})
        try:
            found = await registry.get(CINDER).fetch(
                TICKETS_BY_ACCOUNT, accounts_of(sandbox, CINDER)
            )
        finally:
            await registry.aclose()
    assert Counter(t for ts in found.values() for t in ts) == Counter(data.tickets)
    assert unpaged.log.counts()[(CINDER, "tickets")] == 1


async def test_records_by_id_and_invoice_lines_by_invoice(sandbox, registry):
    data = sandbox.data.carriers[ASHGROVE]
    invoice = data.invoices[0].invoice_number
    lines = await registry.get(ASHGROVE).fetch(INVOICE_LINES_BY_INVOICE, [invoice, "nope"])
    assert list(lines[invoice]) == list(data.invoice_lines[invoice])
    assert not lines.get("nope")
    order = sandbox.data.carriers[QUARRY].orders[0]
    assert await registry.get(QUARRY).fetch(ORDERS_BY_ID, [order.order_id]) == {
        order.order_id: [order]
    }


async def test_a_billing_only_carrier_offers_no_tickets(sandbox, registry):
    with pytest.raises(NotSupportedByCarrier) as info:
        await registry.get(ASHGROVE).fetch(TICKETS_BY_ACCOUNT, accounts_of(sandbox, ASHGROVE))
    assert info.value.carrier == ASHGROVE
    assert sandbox.sandbox.log.records() == []


# -- WSDL and carrier files ---------------------------------------------------------------


@pytest.mark.parametrize("carrier", [KETTLE, ASHGROVE, CINDER])
def test_the_sandbox_serves_the_wsdl(sandbox, carrier):
    spec = sandbox.specs[carrier]
    auth = spec.auth
    response = httpx.get(
        f"{spec.base_url}{spec.endpoint}?wsdl",
        auth=httpx.BasicAuth(auth.username, auth.password) if auth.type == "basic" else None,
        headers={auth.header: auth.key} if auth.type == "api_key" else {},
        trust_env=False,
    )
    assert response.status_code == 200
    root = SafeXml.fromstring(response.content, forbid_dtd=True)
    assert root.get("targetNamespace") == spec.namespace
    operations = {
        op.get("name"): binding.get("soapAction")
        for op in root.iter(f"{WSDL_NS}operation")
        if (binding := op.find(f"{WSDL_SOAP_NS}operation")) is not None
    }
    assert operations == {
        spec.operation(r): spec.action(spec.operation(r)) for r in spec.capabilities
    }
    address = root.find(f".//{WSDL_SOAP_NS}address")
    assert address is not None
    assert address.get("location") == spec.base_url + spec.endpoint


GOOD = """\
id: acme-soap
name: Acme SOAP
protocol: soap
base_url: http://127.0.0.1:9/acme-soap
capabilities: [accounts]
namespace: urn:acme:billing
"""


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ('datetime_format: "%d/%m/%Y"\n', "datetime_format"),  # no time of day
        ('datetime_format: "%Y-%m-%d %I:%M:%S"\n', "datetime_format"),  # %I without %p
        ('date_format: "%Y-%j"\n', "date_format"),
        ("timezone: Mars/Olympus_Mons\n", "timezone"),
        ("field_names: {Acount: BAN}\n", "field_names"),
        ("field_names: {Status: Description}\n", "field_names"),  # two elements, one name
        ('soap_action: "{namespace}/{verb}"\n', "soap_action"),
        ("capabilities: [accounts, usage]\n", "<root>"),
    ],
)
def test_invalid_soap_carrier_files_are_named(tmp_path, extra, field):
    path = tmp_path / "acme-soap.yaml"
    text = GOOD.replace("capabilities: [accounts]\n", "") if "capabilities" in extra else GOOD
    path.write_text(text + extra)
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field.startswith(field)


def test_a_status_map_to_an_unknown_enum_name_fails_at_build(tmp_path):
    path = tmp_path / "acme-soap.yaml"
    path.write_text(GOOD + "status_maps: {account: {LIVE: BREATHING}}\n")
    spec = load_spec(path, {})
    with pytest.raises(CarrierSpecError) as info:
        Registry({spec.id: spec})
    assert info.value.field == "status_maps"
    assert "BREATHING" in str(info.value)


def test_soap_paging_is_a_page_number_a_token_or_none(tmp_path):
    path = tmp_path / "acme-soap.yaml"
    path.write_text(GOOD + "paging: {type: offset}\n")
    with pytest.raises(CarrierSpecError, match="'page', 'cursor', 'none'"):
        load_spec(path, {})


def test_a_good_soap_carrier_file_gets_the_family_defaults(tmp_path):
    path = tmp_path / "acme-soap.yaml"
    path.write_text(GOOD)
    spec = load_spec(path, {})
    assert isinstance(spec, SoapSpec)
    assert spec.operation(next(iter(spec.capabilities))) == "GetAccounts"
    assert spec.action("GetAccounts") == "urn:acme:billing/GetAccounts"
    assert spec.paging == SoapPagePaging(page_param="PageNumber", total_pages_field="TotalPages")


async def test_the_sandbox_bad_value_nulls_one_total_and_keeps_every_invoice(sandbox, registry):
    keys = accounts_of(sandbox, KETTLE)
    clean = await registry.get(KETTLE).fetch(INVOICES_BY_ACCOUNT, keys)
    sandbox.sandbox.set_faults(KETTLE, Faults(garbage="bad_value"))  # TotalAmount 10^38
    found = await registry.get(KETTLE).fetch(INVOICES_BY_ACCOUNT, keys)
    held = {i.invoice_number: i for v in clean.values() for i in v}
    got = [i for v in found.values() for i in v]
    assert sorted(i.invoice_number for i in got) == sorted(held)
    hurt = [i for i in got if i.problems]
    assert hurt  # the first of each page
    total = sandbox.specs[KETTLE].element("TotalAmount")
    for invoice in hurt:
        assert [(p.field, p.wire_field) for p in invoice.problems] == [("total", total)]
        assert "beyond the bound" in invoice.problems[0].problem
        same = dataclasses.replace(invoice, total=held[invoice.invoice_number].total, problems=())
        assert same == held[invoice.invoice_number]
    assert all(i == held[i.invoice_number] for i in got if not i.problems)


async def test_the_sandbox_unreadable_record_leaves_only_it_out(sandbox, registry):
    keys = accounts_of(sandbox, KETTLE)
    clean = await registry.get(KETTLE).fetch(INVOICES_BY_ACCOUNT, keys)
    sandbox.sandbox.set_faults(KETTLE, Faults(garbage="unreadable_record"))
    found = await registry.get(KETTLE).fetch(INVOICES_BY_ACCOUNT, keys)
    held = [i for v in clean.values() for i in v]
    got = [i for v in found.values() for i in v]
    assert len(held) - len(got) > 0
    assert all(i in held for i in got)
    dropped = [(k, e) for k, v in found.items() for e in dropped_of(v)]
    assert len(dropped) == len(held) - len(got)
    number = sandbox.specs[KETTLE].element("InvoiceNumber")
    for key, error in dropped:
        assert (error.carrier, error.field) == (KETTLE, number)
        assert error.record.startswith("#")  # its id is what could not be read
        assert key in keys


def kettle_invoice(reader, issued: str, total: str) -> dict:
    """One Kettle River invoice's elements, as the connector hands them to the reader."""
    w = reader.wire
    ns = reader.tag["Invoice"].partition("}")[0][1:]
    xml = (
        f'<{w["Invoice"]} xmlns="{ns}"><{w["AccountNumber"]}>A1</{w["AccountNumber"]}>'
        f"<{w['InvoiceNumber']}>I1</{w['InvoiceNumber']}>"
        f"<{w['InvoiceDate']}>{issued}</{w['InvoiceDate']}>"
        f'<{w["TotalAmount"]} currency="USD">{total}</{w["TotalAmount"]}></{w["Invoice"]}>'
    )
    return {c.tag: c for c in parse_xml(xml.encode(), KETTLE)}


def test_soap_reader_re_checks_remembered_dates_and_amounts_against_the_limits(
    sandbox, monkeypatch
):
    reader = SoapReader(sandbox.specs[KETTLE])
    issued = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    fields = kettle_invoice(
        reader, reader.time.write(issued), reader.amount.write(Decimal("1234.50"))
    )
    first = reader.invoice(fields)
    assert (first.issued_at, first.total, first.problems) == (
        issued,
        Money(Decimal("1234.50"), "USD"),
        (),
    )
    assert reader.invoice(fields) == first  # read again from what the reader remembers
    monkeypatch.setattr(LIMITS, "latest_year", 2023)
    monkeypatch.setattr(LIMITS, "max_amount", Decimal(1000))
    refused = reader.invoice(fields)
    assert (refused.issued_at, refused.total) == (None, None)
    assert [(p.field, p.problem) for p in refused.problems] == [
        ("issued_at", "year 2024 outside 1900-2023"),
        ("total", "amount beyond the bound of 1,000"),
    ]
    assert refused.problems == SoapReader(sandbox.specs[KETTLE]).invoice(fields).problems
    monkeypatch.undo()
    assert reader.invoice(fields) == first


def test_soap_reader_fails_a_bad_value_every_time_and_starts_its_memo_again_when_full(
    sandbox, monkeypatch
):
    monkeypatch.setattr(soap_records, "MEMO_LIMIT", 2)
    reader = SoapReader(sandbox.specs[KETTLE])
    bad = kettle_invoice(reader, "yesterday", "12,34")
    problems = reader.invoice(bad).problems
    assert [p.field for p in problems] == ["issued_at", "total"]
    assert reader.invoice(bad).problems == problems
    assert not reader._times
    assert not reader._amounts
    for day in range(1, 5):
        moment = datetime(2024, 7, day, tzinfo=UTC)
        assert reader.invoice(kettle_invoice(reader, reader.time.write(moment), "1")).issued_at == (
            moment
        )
        assert len(reader._times) <= 2
