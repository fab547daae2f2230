"""The REST family beyond the conformance kit: paging styles, key styles, formats, errors."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import (
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    SERVICES_BY_ID,
    TICKETS_BY_ACCOUNT,
    USAGE_BY_ACCOUNT,
    dropped_of,
)
from connectors.errors import (
    CarrierSpecError,
    NotSupportedByCarrier,
    UpstreamInvalid,
    UpstreamUnavailable,
)
from connectors.mapping import FieldError, parse_currency
from connectors.models import Resource, ServiceStatus
from connectors.protocols.rest import DEFAULT_FIELDS, layouts
from connectors.protocols.rest_records import MONEY_READERS, Formats, date_reader, instant_reader
from connectors.registry import Registry, load_spec
from connectors.sandbox.faults import Faults
from connectors.sandbox.rest_wire import RestWriter, instant_writer
from connectors.specs.common import NoAuth
from connectors.specs.rest import FIELD_NAMES

if TYPE_CHECKING:
    from pathlib import Path

REST_CARRIERS = [
    "driftwood-comms",
    "kestrelridge-telecom",
    "larkspur-networks",
    "pinecrest-voice",
    "willowmere-fiber",
]


class Recorder(httpx.AsyncBaseTransport):
    """httpx's own transport, keeping every request it sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def queries(recorder: Recorder) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(str(r.url)).query) for r in recorder.requests]


def answering(spec, body) -> Registry:
    """A registry whose only carrier (credentials aside) answers every request with ``body``."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    plain = spec.model_copy(update={"auth": NoAuth()})
    return Registry({spec.id: plain}, transport_factory=lambda _: transport)


def accounts(sandbox, carrier: str) -> list[str]:
    return [a.account_number for a in sandbox.data.carriers[carrier].accounts]


@pytest.fixture
async def recorded(sandbox):
    recorders: dict[str, Recorder] = {}

    def factory(spec):
        return recorders.setdefault(spec.id, Recorder())

    registry = Registry({c: sandbox.specs[c] for c in REST_CARRIERS}, transport_factory=factory)
    yield registry, recorders
    await registry.aclose()


def test_the_rest_carriers_are_five_and_declare_different_capabilities(sandbox):
    specs = {c: sandbox.specs[c] for c in REST_CARRIERS}
    assert all(s.protocol == "rest" for s in specs.values())
    assert len({s.capabilities for s in specs.values()}) >= 3
    assert len({type(s.paging).__name__ for s in specs.values()}) == 4
    assert {s.auth.type for s in specs.values()} == {"api_key", "basic", "oauth2"}


def test_default_field_maps_cover_exactly_the_file_vocabulary():
    assert {r: set(fields) for r, fields in DEFAULT_FIELDS.items()} == {
        r: set(names) for r, names in FIELD_NAMES.items()
    }


async def test_cursor_paging_crosses_page_boundaries(sandbox, recorded):
    registry, recorders = recorded
    carrier = "kestrelridge-telecom"  # cursor paging, meta.next, 40 per page
    spec = sandbox.specs[carrier]
    size = spec.paging.page_size
    lines = sandbox.data.carriers[carrier].invoice_lines
    numbers = sorted(lines)[: spec.max_keys_per_call]
    expected = Counter((n, line) for n in numbers for line in lines[n])
    assert sum(expected.values()) > 2 * size

    found = await registry.get(carrier).fetch(INVOICE_LINES_BY_INVOICE, numbers)

    assert Counter((n, line) for n, ls in found.items() for line in ls) == expected
    sent = queries(recorders[carrier])
    assert len(sent) == math.ceil(sum(expected.values()) / size)
    assert "cursor" not in sent[0]
    cursors = [q["cursor"][0] for q in sent[1:]]
    assert len(set(cursors)) == len(cursors)  # every page asked for a new position
    assert all(q["bill_nos"] == [",".join(numbers)] for q in sent)  # one comma-joined param


async def test_link_header_paging_and_repeated_key_parameters(sandbox, recorded):
    registry, recorders = recorded
    carrier = "larkspur-networks"  # top-level arrays, Link: rel="next", ?account=a&account=b
    spec = sandbox.specs[carrier]
    numbers = accounts(sandbox, carrier)[: spec.max_keys_per_call]
    expected = [u for u in sandbox.data.carriers[carrier].usage if u.account_number in numbers]
    assert len(expected) > spec.paging.page_size

    found = await registry.get(carrier).fetch(USAGE_BY_ACCOUNT, numbers)

    assert Counter(r for rs in found.values() for r in rs) == Counter(expected)
    sent = [q for q in queries(recorders[carrier]) if "account" in q]
    assert len(sent) == math.ceil(len(expected) / spec.paging.page_size)
    assert all(q["account"] == numbers for q in sent)  # repeated, in order, on every page


async def test_keys_beyond_max_keys_per_call_are_split_into_concurrent_chunks(sandbox, recorded):
    registry, recorders = recorded
    carrier = "willowmere-fiber"  # 20 keys per call, repeated id parameters
    spec = sandbox.specs[carrier]
    services = sandbox.data.carriers[carrier].services
    ids = [s.service_id for s in services]
    assert len(ids) > spec.max_keys_per_call

    found = await registry.get(carrier).fetch(SERVICES_BY_ID, ids)

    assert {k: list(v) for k, v in found.items()} == {s.service_id: [s] for s in services}
    first_pages = [q for q in queries(recorders[carrier]) if q.get("page") == ["1"]]
    assert len(first_pages) == math.ceil(len(ids) / spec.max_keys_per_call)
    assert all(len(q["circuit"]) <= spec.max_keys_per_call for q in first_pages)


async def test_money_in_cents_becomes_the_exact_decimal(sandbox, recorded):
    registry, _ = recorded
    carrier = "kestrelridge-telecom"  # money: cents
    service = next(s for s in sandbox.data.carriers[carrier].services if s.mrc.amount % 1)
    found = await registry.get(carrier).fetch(SERVICES_BY_ID, [service.service_id])

    (got,) = found[service.service_id]
    assert got.mrc == service.mrc
    assert got.mrc.amount.as_tuple() == service.mrc.amount.as_tuple()  # same digits, 2 places
    assert str(got.mrc.amount) == f"{service.mrc.amount:.2f}"


def test_cents_read_exactly_and_reject_fractions():
    cents = MONEY_READERS["cents"]
    assert str(cents(12345, "USD", "mrc_cents").amount) == "123.45"
    assert str(cents(-5, "EUR", "credit_cents").amount) == "-0.05"
    assert str(cents(0, "GBP", "nrc_cents").amount) == "0.00"
    for bad in (Decimal("123.45"), "12345", True, None):
        with pytest.raises(FieldError) as info:
            cents(bad, "USD", "pricing.mrc_cents")
        assert info.value.field == "pricing.mrc_cents"


def test_string_and_number_money_round_to_the_cent():
    assert MONEY_READERS["string"]("19.9", "USD", "f").amount == Decimal("19.90")
    assert MONEY_READERS["decimal"](Decimal("0.1"), "USD", "f").amount == Decimal("0.10")
    with pytest.raises(FieldError):
        MONEY_READERS["string"](19.9, "USD", "f")
    with pytest.raises(FieldError):
        MONEY_READERS["string"]("NaN", "USD", "f")


REGINA, AMSTERDAM, PHOENIX = "America/Regina", "Europe/Amsterdam", "America/Phoenix"
DMY = "%d/%m/%Y %H:%M:%S"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fmt", "zone", "wire", "instant"),
    [
        ("epoch", "UTC", 1_700_000_000, utc(2023, 11, 14, 22, 13, 20)),
        ("epoch_ms", "UTC", 1_700_000_000_123, utc(2023, 11, 14, 22, 13, 20, 123_000)),
        (DMY, REGINA, "14/11/2023 16:13:20", utc(2023, 11, 14, 22, 13, 20)),  # UTC-6 all year
        (DMY, AMSTERDAM, "01/07/2024 12:00:00", utc(2024, 7, 1, 10)),  # summer time: +02:00
        (DMY, AMSTERDAM, "15/01/2024 12:00:00", utc(2024, 1, 15, 11)),  # winter: +01:00
        ("%Y-%m-%dT%H:%M:%S", PHOENIX, "2024-03-10T02:30:00", utc(2024, 3, 10, 9, 30)),
        ("%Y%m%d%H%M%S", "UTC", "20240229235959", utc(2024, 2, 29, 23, 59, 59)),
        ("iso", "UTC", "2024-06-01T12:00:00+05:30", utc(2024, 6, 1, 6, 30)),
        ("%d %b %Y %H:%M", "UTC", "05 Mar 2024 07:08", utc(2024, 3, 5, 7, 8)),  # via strptime
    ],
)
def test_odd_instant_formats_become_the_right_utc_instant(fmt, zone, wire, instant):
    tz = UTC if zone == "UTC" else ZoneInfo(zone)
    got = instant_reader(fmt, tz)(wire, "ts")
    assert got == instant
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("fmt", "wire"),
    [
        ("epoch", "1700000000"),
        ("epoch", 1.7e9),
        ("epoch_ms", True),
        ("%d/%m/%Y %H:%M:%S", "2023-11-14 16:13:20"),
        ("%d/%m/%Y %H:%M:%S", "31/02/2024 10:00:00"),
        ("%d/%m/%Y %H:%M:%S", "14/11/2023 16:13"),
        ("%d/%m/%Y %H:%M:%S", "1a/11/2023 16:13:20"),
        ("%Y%m%d%H%M%S", "2024-02-29T23:59"),
        ("iso", "2024-06-01T12:00:00"),  # no offset: never guessed
        ("iso", 1_700_000_000),
    ],
)
def test_unreadable_instants_name_the_field(fmt, wire):
    with pytest.raises(FieldError) as info:
        instant_reader(fmt, UTC)(wire, "meta.opened")
    assert info.value.field == "meta.opened"


@pytest.mark.parametrize(
    "wire",
    ["27/10/2024 02:30:00", "31/03/2024 02:30:00"],  # clocks fall back / spring forward
)
def test_a_local_time_in_a_daylight_saving_change_is_refused_not_guessed(wire):
    read = instant_reader(DMY, ZoneInfo(AMSTERDAM))
    with pytest.raises(FieldError, match="DST") as info:
        read(wire, "opened")
    assert info.value.field == "opened"
    assert read("27/10/2024 03:30:00", "opened") == utc(2024, 10, 27, 2, 30)  # an hour later: fine


def test_compact_and_day_first_dates():
    assert date_reader("%Y%m%d")("20240229", "d") == date(2024, 2, 29)
    assert date_reader("%d/%m/%Y")("01/11/2025", "d") == date(2025, 11, 1)
    assert date_reader("iso")("2025-11-01", "d") == date(2025, 11, 1)
    with pytest.raises(FieldError):
        date_reader("%Y%m%d")(20240229, "d")
    with pytest.raises(FieldError):
        date_reader("%Y%m%d")("20240230", "d")


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2099, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ).map(lambda d: d.replace(microsecond=0)),
    fmt=st.sampled_from(["epoch", "epoch_ms", "iso", "%d/%m/%Y %H:%M:%S", "%Y%m%d%H%M%S"]),
    zone=st.sampled_from(["UTC", "America/Regina", "America/Phoenix", "Asia/Kolkata"]),
)
def test_sandbox_writer_and_adapter_reader_are_inverse(when, fmt, zone):
    formats = Formats(datetime=fmt, date="iso", money="cents", timezone=zone)
    assert instant_reader(fmt, formats.zone)(instant_writer(formats)(when), "t") == when


async def test_local_dd_mm_yyyy_times_read_back_as_the_data_set_instants(sandbox, recorded):
    registry, _ = recorded
    carrier = "driftwood-comms"  # "%d/%m/%Y %H:%M:%S" in America/Regina, money as strings
    invoice = sandbox.data.carriers[carrier].invoices[0]
    found = await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, [invoice.account_number])

    assert invoice in found[invoice.account_number]
    local = invoice.issued_at.astimezone(ZoneInfo("America/Regina"))
    response = await registry.clients[carrier].send(
        "GET", f"/billing/api/invoices?INV_NO={invoice.invoice_number}"
    )
    (row,) = json.loads(response.content)["result"]["rows"]
    assert row["INV_DT"] == local.strftime("%d/%m/%Y %H:%M:%S")
    assert row["TOT_AMT"] == str(invoice.total.amount)
    assert local.utcoffset() == timedelta(hours=-6)


def _service_page(sandbox, carrier: str, drop: str):
    """One real service of the carrier as its wire document, one dotted path removed."""
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    doc = RestWriter(layouts(spec), spec.address, "USD").write(Resource.SERVICES, data.services[0])
    *parents, leaf = drop.split(".")
    node = doc
    for step in parents:
        node = node[step]
    del node[leaf]
    return spec, {"data": [doc], "meta": {"next": None}}


async def test_a_record_without_its_account_is_left_out_and_named_by_its_wire_path(sandbox):
    carrier = "kestrelridge-telecom"  # account_number is renamed to acct.no
    spec, page = _service_page(sandbox, carrier, "acct.no")
    registry = answering(spec, page)
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, ["A1"])
    finally:
        await registry.aclose()
    assert list(found["A1"]) == []
    (error,) = dropped_of(found["A1"])
    service = sandbox.data.carriers[carrier].services[0]
    assert (error.carrier, error.record, error.field) == (carrier, service.service_id, "acct.no")
    assert "account_number" in error.message


async def test_a_missing_field_inside_a_renamed_list_is_a_problem_of_the_list(sandbox):
    carrier = "willowmere-fiber"  # order items live under "lines"
    spec = sandbox.specs[carrier]
    order = next(o for o in sandbox.data.carriers[carrier].orders if o.items)
    doc = RestWriter(layouts(spec), spec.address, "USD").write(Resource.ORDERS, order)
    del doc["lines"][0]["status"]
    page = {"results": [doc]}
    registry = answering(spec, page)
    try:
        found = await registry.get(carrier).fetch(ORDERS_BY_ACCOUNT, [order.account_number])
    finally:
        await registry.aclose()
    (got,) = found[order.account_number]
    assert [(p.field, p.wire_field) for p in got.problems] == [("items", "lines[].status")]
    assert got.items == ()
    assert dataclasses.replace(got, items=order.items, problems=()) == order


async def test_integer_status_codes_are_integers_on_the_wire(sandbox, recorded):
    registry, _ = recorded
    carrier = "larkspur-networks"  # ticket status 10..70
    ticket = sandbox.data.carriers[carrier].tickets[0]
    response = await registry.clients[carrier].send("GET", f"/v1/tickets?ticket={ticket.ticket_id}")
    (doc,) = json.loads(response.content)
    assert isinstance(doc["status"], int)
    found = await registry.get(carrier).fetch(TICKETS_BY_ACCOUNT, [ticket.account_number])
    assert ticket in found[ticket.account_number]

    doc["status"] = str(doc["status"])  # the same code as a string is not the carrier's code
    spec = sandbox.specs[carrier]
    mock = answering(spec, [doc])
    try:
        found = await mock.get(carrier).fetch(TICKETS_BY_ACCOUNT, [ticket.account_number])
    finally:
        await mock.aclose()
    (got,) = found[ticket.account_number]
    assert got.status is None
    assert [(p.field, p.wire_field) for p in got.problems] == [("status", "status")]
    assert dataclasses.replace(got, status=ticket.status, problems=()) == ticket


async def test_the_api_key_header_is_sent(sandbox, recorded):
    registry, recorders = recorded
    carrier = "kestrelridge-telecom"
    auth = sandbox.specs[carrier].auth
    await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, carrier)[:1])
    assert recorders[carrier].requests
    assert all(r.headers[auth.header] == auth.key for r in recorders[carrier].requests)


@pytest.mark.parametrize(
    "change",
    [{"key": "wrong-key"}, {"header": "X-Api-Key"}],  # a wrong key, or the right key misplaced
)
async def test_the_sandbox_refuses_requests_without_the_api_key(sandbox, change):
    carrier = "kestrelridge-telecom"
    spec = sandbox.specs[carrier]
    bad = spec.model_copy(update={"auth": spec.auth.model_copy(update=change)})
    registry = Registry({carrier: bad})
    try:
        with pytest.raises(UpstreamUnavailable, match="HTTP 401") as info:
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, carrier)[:1])
        assert info.value.carrier == carrier
    finally:
        await registry.aclose()


@pytest.mark.parametrize("carrier", REST_CARRIERS)
@pytest.mark.parametrize("garbage", ["not_json", "wrong_shape"])
async def test_garbage_is_upstream_invalid_in_every_dialect(sandbox, recorded, carrier, garbage):
    registry, _ = recorded
    sandbox.sandbox.set_faults(carrier, Faults(garbage=garbage))
    with pytest.raises(UpstreamInvalid) as info:
        await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, carrier))
    assert info.value.carrier == carrier


@pytest.mark.parametrize("carrier", REST_CARRIERS)
async def test_a_bad_record_reads_unknown_with_its_code_and_a_null_value(sandbox, carrier):
    # bad_record no longer voids the list: an unmapped status is UNKNOWN with the raw code,
    # an emptied value is None, and every service still arrives.
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_record"))
    registry = Registry({carrier: sandbox.specs[carrier]})
    numbers = accounts(sandbox, carrier)[:1]
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    held = {
        s.service_id: s
        for s in sandbox.data.carriers[carrier].services
        if s.account_number in numbers
    }
    got = {s.service_id: s for v in found.values() for s in v}
    assert set(got) == set(held)
    drifted = [s for s in got.values() if s.status is ServiceStatus.UNKNOWN]
    assert len(drifted) == 1
    assert drifted[0].status_code in {"??unmapped??", "9999"}
    assert drifted[0].mrc is None
    assert drifted[0].problems == ()  # absent is not a problem
    same = dataclasses.replace(drifted[0], status=None, status_code=None, mrc=None)
    assert same == dataclasses.replace(held[drifted[0].service_id], status=None, mrc=None)


@pytest.mark.parametrize("carrier", REST_CARRIERS)
async def test_a_bad_value_nulls_that_field_and_keeps_the_record(sandbox, carrier):
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_value"))  # mrc -3.4e38
    registry = Registry({carrier: sandbox.specs[carrier]})
    numbers = accounts(sandbox, carrier)[:1]
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    held = {
        s.service_id: s
        for s in sandbox.data.carriers[carrier].services
        if s.account_number in numbers
    }
    got = [s for v in found.values() for s in v]
    assert sorted(s.service_id for s in got) == sorted(held)
    (hurt,) = [s for s in got if s.problems]
    (problem,) = hurt.problems
    wire = layouts(sandbox.specs[carrier])[Resource.SERVICES].fields["mrc"]
    assert (problem.field, problem.wire_field) == ("mrc", wire)
    assert (
        dataclasses.replace(hurt, mrc=held[hurt.service_id].mrc, problems=())
        == held[hurt.service_id]
    )
    assert all(s == held[s.service_id] for s in got if s is not hurt)


@pytest.mark.parametrize("carrier", REST_CARRIERS)
async def test_an_unreadable_record_is_left_out_and_reported(sandbox, carrier):
    sandbox.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))
    registry = Registry({carrier: sandbox.specs[carrier]})
    numbers = accounts(sandbox, carrier)
    try:
        found = await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    held = sandbox.data.carriers[carrier].invoices
    got = [i for v in found.values() for i in v]
    assert len(held) - len(got) > 0
    assert all(i in held for i in got)
    dropped = [(k, e) for k, v in found.items() for e in dropped_of(v)]
    assert len(dropped) == len(held) - len(got)  # each at its own account
    wire = layouts(sandbox.specs[carrier])[Resource.INVOICES].fields["invoice_number"]
    for key, error in dropped:
        assert (error.carrier, error.field) == (carrier, wire)
        assert error.record.startswith("#")
        assert key in numbers


def test_money_and_dates_beyond_the_bounds_are_field_errors():
    with pytest.raises(FieldError, match="ISO 4217"):
        parse_currency("XBT", "currency")
    absurd = {"cents": 10**40, "string": "1e38", "decimal": Decimal("1e38")}
    for name, read in MONEY_READERS.items():
        with pytest.raises(FieldError, match="beyond the bound"):
            read(absurd[name], "USD", "mrc")
    with pytest.raises(FieldError, match="year 9999"):
        date_reader("iso")("9999-01-01", "contract_end")
    with pytest.raises(FieldError, match="year 9999"):
        instant_reader("iso", UTC)("9999-01-01T00:00:00Z", "activated_at")
    with pytest.raises(FieldError, match=r"out of range|year"):
        instant_reader("epoch", UTC)(10**20, "activated_at")


async def test_an_undeclared_resource_or_key_kind_is_not_supported(sandbox, recorded):
    registry, recorders = recorded
    with pytest.raises(NotSupportedByCarrier):
        await registry.get("willowmere-fiber").fetch(TICKETS_BY_ACCOUNT, ["A1"])
    with pytest.raises(NotSupportedByCarrier):
        await registry.get("pinecrest-voice").fetch(ORDERS_BY_ACCOUNT, ["A1"])
    assert not recorders.get("willowmere-fiber", Recorder()).requests


GOOD = """\
id: acme-rest
name: Acme Rest
protocol: rest
base_url: http://127.0.0.1:9/acme-rest
capabilities: [services]
"""


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("resources: {services: {fields: {acount_number: acct}}}\n", "resources", "acount_number"),
        ("resources: {invoices: {path: /bills}}\n", "resources", "not a declared capability"),
        ("resources: {services: {filters: {invoice: inv}}}\n", "resources", "invoice"),
        ('records: ""\n', "resources", "envelope"),  # cursor paging needs the cursor somewhere
        ("formats: {timezone: Mars/Olympus}\n", "formats.timezone", "Mars/Olympus"),
        ("formats: {datetime: yesterday}\n", "formats.datetime", "strftime"),
        ("integer_codes: [colour]\n", "integer_codes", "colour"),
    ],
)
def test_carrier_file_mistakes_are_named(tmp_path: Path, extra, field, words):
    path = tmp_path / "acme-rest.yaml"
    path.write_text(GOOD + extra)
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field == field
    assert words in info.value.expected


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("integer_codes: [service]\nstatus_maps: {service: {'1': ACTIVE}}\n", "PENDING"),
        ("status_maps: {service: {live: ALIVE}}\n", "ALIVE"),
        ("resources: {services: {fields: {mrc: price, nrc: price}}}\n", "price"),
    ],
)
def test_unusable_maps_fail_when_the_connector_is_built(tmp_path: Path, extra, words):
    path = tmp_path / "acme-rest.yaml"
    path.write_text(GOOD + extra)
    spec = load_spec(path, {})
    with pytest.raises(CarrierSpecError) as info:
        Registry({spec.id: spec})
    assert words in str(info.value)
