"""The CSV export family: formats, files per month, missing months, broken files and rows.

The conformance kit already round-trips every declared capability of every CSV
carrier; these tests pin what is particular to files: each carrier's bytes, encoding
and number/date formats, one download per month whatever the keys (and whatever the
questions of one request), the JSON index, 404 months, and errors that name the
column, the file and the row.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    INVOICES_BY_ID,
    ORDERS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
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
from connectors.io import transport_factory
from connectors.mapping import LIMITS, FieldError
from connectors.models import (
    AccountStatus,
    Address,
    CarrierAccount,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceStatus,
    Money,
    Resource,
)
from connectors.protocols import csv_export
from connectors.protocols.csv_export import CsvExportConnector, CsvLayout, months_before
from connectors.protocols.csv_export_records import ExportInvalid
from connectors.registry import CARRIERS_DIR, Registry, load_spec
from connectors.sandbox.csv_app import UNMAPPED
from connectors.sandbox.csv_writer import CsvWriter
from connectors.sandbox.faults import Faults
from connectors.specs.common import NoAuth
from connectors.transport import CarrierClient
from gateway.loaders import LoaderSet

CSV_CARRIERS = [
    "bellecour-telecom",
    "copperline-networks",
    "lindenfeld-telekom",
    "prairie-link",
    "saguaro-voice",
]
SPECS = {c: load_spec(CARRIERS_DIR / f"{c}.yaml", {}) for c in CSV_CARRIERS}
LAYOUTS = {c: CsvLayout(spec) for c, spec in SPECS.items()}
WRITERS = {c: CsvWriter(layout) for c, layout in LAYOUTS.items()}


def this_month() -> date:
    return datetime.now(UTC).date().replace(day=1)


def with_export(spec, kind, **changes):
    exports = spec.exports
    current = getattr(exports, kind)
    return spec.model_copy(
        update={"exports": exports.model_copy(update={kind: current.model_copy(update=changes)})}
    )


def mock_connector(spec, files: dict[str, bytes], today=date(2026, 11, 15)):
    spec = spec.model_copy(update={"auth": NoAuth()})  # credentials are the server's business
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        path = request.url.path.removeprefix(httpx.URL(spec.base_url).path)
        if path in files:
            return httpx.Response(200, content=files[path])
        return httpx.Response(404, text="not found")

    client = CarrierClient(spec, transport=httpx.MockTransport(handler))
    return CsvExportConnector(spec, client, today=lambda: today), seen


@pytest.fixture
async def registry(sandbox):
    reg = Registry(
        {c: sandbox.specs[c] for c in CSV_CARRIERS}, transport_factory=transport_factory("httpx")
    )
    yield reg
    await reg.aclose()


# formats -------------------------------------------------------------------------------


@pytest.mark.parametrize("carrier", CSV_CARRIERS)
@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9),
    quantity=st.integers(min_value=0, max_value=10**7),
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),  # noqa: DTZ001
    seconds=st.integers(min_value=0, max_value=200_000),
)
def test_each_carrier_reads_back_exactly_what_it_writes(carrier, cents, quantity, moment, seconds):
    layout, writer = LAYOUTS[carrier], WRITERS[carrier]
    amount = Decimal(cents).scaleb(-2)
    instant = moment.replace(microsecond=0, tzinfo=UTC)
    assert layout.money(writer.money(amount), "x") == amount
    assert layout.number(writer.number(Decimal(quantity)), "x") == quantity
    assert layout.instant(writer.instant(instant), "x") == instant
    assert layout.day(writer.day(instant.date()), "x") == instant.date()
    assert layout.seconds(writer.duration(seconds), "x") == seconds


@pytest.mark.parametrize(
    ("carrier", "amount", "instant", "seconds"),
    [
        ("copperline-networks", "1,234.50", "2026-10-04T07:12:09Z", "3723"),
        ("lindenfeld-telekom", "1.234,50", "04.10.2026 09:12:09 +0200", "01:02:03"),
        ("bellecour-telecom", "1\u00a0234,50", "04/10/2026 07:12:09", None),
        ("prairie-link", "123450", "2026-10-04 01:12:09", "3723"),
        ("saguaro-voice", "1,234.50", "10/04/2026 12:12:09 AM", "01:02:03"),
    ],
)
def test_each_carrier_writes_its_own_number_and_time_formats(carrier, amount, instant, seconds):
    writer = WRITERS[carrier]
    moment = datetime(2026, 10, 4, 7, 12, 9, tzinfo=UTC)
    assert writer.money(Decimal("1234.5")) == amount
    assert writer.instant(moment) == instant
    if seconds is not None:
        assert writer.duration(3723) == seconds


@pytest.mark.parametrize("carrier", CSV_CARRIERS)
async def test_the_sandbox_files_use_the_declared_delimiter_and_encoding(
    sandbox, registry, carrier
):
    spec = sandbox.specs[carrier]
    layout = LAYOUTS[carrier]
    export = layout.exports["invoices"]
    month = months_before(this_month(), 1)[0]
    path = export.path.format(period=month)
    if spec.exports.index:
        assert f'"path":"{path}"'.encode() in sandbox.sandbox.back_offices[carrier].index
    response = await registry.clients[carrier].send("GET", path)
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf") == (spec.dialect.encoding == "utf-8-sig")
    text = body.decode(spec.dialect.encoding)
    header = text.split("\r\n", 1)[0].removeprefix("\ufeff")
    assert header.split(spec.dialect.delimiter) == [layout.headers[f] for f in export.fields]
    assert len(text.strip().split("\r\n")) > 1


async def test_a_latin1_file_with_accents_and_decimal_commas_parses_exactly():
    spec = with_export(SPECS["bellecour-telecom"], "invoices", months=1)
    accounts = (
        "N° de compte;Raison sociale;État du compte;Adresse;Ville;Région;Code postal;Pays;"
        "Devise;Date d'ouverture\r\n"
        "BELL-0001;Crémerie Hélène & Fils;actif;12 rue de la Barre;Besançon;"
        "Bourgogne-Franche-Comté;25000;FR;EUR;03/02/2021 09:15:00\r\n"
        "BELL-0002;Müller Straßenbau GmbH;suspendu;Königstraße 5;Saarbrücken;Saarland;"
        "66111;DE;EUR;28/11/2019 17:45:30\r\n"
    ).encode("latin-1")
    bills = (
        "N° de compte;Numéro de facture;Début de période;Fin de période;Date d'émission;"
        "Date d'échéance;Statut;Devise;Montant TTC;Dont TVA\r\n"
        "BELL-0001;FA-2026-10-0042;01/10/2026;31/10/2026;03/11/2026 08:00:05;03/12/2026 08:00:05;"
        "à payer;EUR;1\u00a0234\u00a0567,89;205\u00a0761,31\r\n"
    ).encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        accounts.decode("utf-8")
    connector, seen = mock_connector(
        spec,
        {"/extractions/comptes.csv": accounts, "/extractions/factures/202610_factures.csv": bills},
    )
    try:
        found = await connector.fetch(ACCOUNTS_BY_ID, ["BELL-0001", "BELL-0002"])
        invoices = await connector.fetch(INVOICES_BY_ACCOUNT, ["BELL-0001"])
    finally:
        await connector.aclose()
    assert found["BELL-0001"] == [
        CarrierAccount(
            carrier="bellecour-telecom",
            account_number="BELL-0001",
            name="Crémerie Hélène & Fils",
            status=AccountStatus.ACTIVE,
            billing_address=Address(
                "12 rue de la Barre", "Besançon", "Bourgogne-Franche-Comté", "25000", "FR"
            ),
            created_at=datetime(2021, 2, 3, 9, 15, 0, tzinfo=UTC),
            currency="EUR",
        )
    ]
    assert [path.rsplit("/", 1)[-1] for path in seen] == ["comptes.csv", "202610_factures.csv"]
    assert found["BELL-0002"][0].name == "Müller Straßenbau GmbH"
    assert found["BELL-0002"][0].billing_address.city == "Saarbrücken"
    assert found["BELL-0002"][0].status is AccountStatus.SUSPENDED
    assert invoices["BELL-0001"] == [
        Invoice(
            carrier="bellecour-telecom",
            account_number="BELL-0001",
            invoice_number="FA-2026-10-0042",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            issued_at=datetime(2026, 11, 3, 8, 0, 5, tzinfo=UTC),
            due_at=datetime(2026, 12, 3, 8, 0, 5, tzinfo=UTC),
            status=InvoiceStatus.PAYMENT_DUE,
            total=Money(Decimal("1234567.89"), "EUR"),
            taxes=Money(Decimal("205761.31"), "EUR"),
        )
    ]


async def test_one_line_per_row_invoices_total_their_lines_and_tax_lines():
    spec = with_export(SPECS["lindenfeld-telekom"], "invoices", months=1)
    rows = (
        "Kundennummer;Rechnungsnummer;Leistungszeitraum von;Leistungszeitraum bis;"
        "Rechnungsdatum;Fällig am;Status;Währung;Positionsart;Anschluss;Bezeichnung;Menge;"
        "Betrag netto\r\n"
        "K1;R1;01.10.2026;31.10.2026;03.11.2026 09:00:00 +0100;03.12.2026 09:00:00 +0100;"
        "fällig;EUR;Grundentgelt;S1;Glasfaser 1000;1;1.500,00\r\n"
        "K1;R1;01.10.2026;31.10.2026;03.11.2026 09:00:00 +0100;03.12.2026 09:00:00 +0100;"
        "fällig;EUR;Gutschrift;S1;SLA-Gutschrift;1;-150,25\r\n"
        "K1;R1;01.10.2026;31.10.2026;03.11.2026 09:00:00 +0100;03.12.2026 09:00:00 +0100;"
        "fällig;EUR;Umsatzsteuer;;Umsatzsteuer 19 %;1;256,45\r\n"
    ).encode("utf-8-sig")
    path = "/export/rechnungen/Rechnungspositionen_2026_10.csv"
    connector, seen = mock_connector(spec, {path: rows})
    try:
        invoices = await connector.fetch(INVOICES_BY_ID, ["R1"])
        lines = await connector.fetch(INVOICE_LINES_BY_INVOICE, ["R1"])
    finally:
        await connector.aclose()
    assert seen == [f"/lindenfeld-telekom{path}"] * 2  # one month, once per question
    (invoice,) = invoices["R1"]
    assert invoice.total == Money(Decimal("1606.20"), "EUR")
    assert invoice.taxes == Money(Decimal("256.45"), "EUR")
    assert invoice.issued_at == datetime(2026, 11, 3, 8, 0, 0, tzinfo=UTC)
    assert lines["R1"][2] == InvoiceLine(
        InvoiceLineKind.TAX, None, "Umsatzsteuer 19 %", Decimal(1), Money(Decimal("256.45"), "EUR")
    )
    assert [line.kind for line in lines["R1"]] == [
        InvoiceLineKind.RECURRING,
        InvoiceLineKind.CREDIT,
        InvoiceLineKind.TAX,
    ]


# files per month -----------------------------------------------------------------------


def first_key(data, fetch):
    match fetch:
        case f if f is INVOICE_LINES_BY_INVOICE:
            return data.invoices[0].invoice_number
        case f if f is USAGE_BY_ACCOUNT:
            return data.usage[0].account_number
        case _:
            return data.accounts[0].account_number


def all_keys(data, fetch):
    if fetch is INVOICE_LINES_BY_INVOICE:
        return [i.invoice_number for i in data.invoices]
    return [a.account_number for a in data.accounts]


@pytest.mark.parametrize(
    ("carrier", "fetch", "months"),
    [
        ("copperline-networks", INVOICES_BY_ACCOUNT, 12),
        ("copperline-networks", USAGE_BY_ACCOUNT, 3),
        ("bellecour-telecom", INVOICE_LINES_BY_INVOICE, 12),
        ("saguaro-voice", ACCOUNTS_BY_ID, 1),
    ],
)
async def test_one_download_per_month_whatever_the_number_of_keys(
    sandbox, registry, carrier, fetch, months
):
    data = sandbox.data.carriers[carrier]
    connector = registry.get(carrier)
    for chosen in ([first_key(data, fetch)], all_keys(data, fetch)):
        sandbox.sandbox.log.clear()
        found = await connector.fetch(fetch, chosen)
        assert found
        assert set(found) <= set(chosen)
        counts = sandbox.sandbox.log.counts()
        counts.pop((carrier, "token"), None)  # an OAuth2 carrier's first call fetches a token
        assert counts == {(carrier, fetch.resource.value): months}


def add_months(day: date, count: int) -> date:
    year, month0 = divmod(day.year * 12 + day.month - 1 + count, 12)
    return date(year, month0 + 1, 1)


async def test_an_indexed_carrier_downloads_only_the_months_its_index_lists(sandbox):
    carrier = "prairie-link"
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    later = add_months(this_month(), 2)  # the two newest months of its window are not out yet
    connector = CsvExportConnector(spec, CarrierClient(spec), today=lambda: later)
    try:
        found = await connector.fetch(
            INVOICES_BY_ACCOUNT, [a.account_number for a in data.accounts]
        )
    finally:
        await connector.aclose()
    window = set(months_before(later, 12))
    expected = [i for i in data.invoices if i.period_start in window]
    assert len({i.period_start for i in expected}) == 10
    assert sorted(i.invoice_number for rs in found.values() for i in rs) == sorted(
        i.invoice_number for i in expected
    )
    paths = [r.path for r in sandbox.sandbox.log.records() if r.carrier == carrier]
    assert paths[0] == "/outbound/index.json"
    assert len(paths) == 1 + 10


LINES_LAYOUT = [c for c in CSV_CARRIERS if SPECS[c].invoice_layout == "lines"]


@pytest.mark.parametrize("carrier", LINES_LAYOUT)
async def test_one_request_downloads_each_file_once_for_invoices_and_their_lines(
    sandbox, registry, carrier
):
    data = sandbox.data.carriers[carrier]
    accounts = sorted({i.account_number for i in data.invoices})[:5]
    assert len(accounts) > 1, "the test needs several accounts with bills"

    async def invoices_then_lines(loaders: LoaderSet) -> tuple[list[str], list[list[object]]]:
        bills = await loaders.get(carrier, INVOICES_BY_ACCOUNT).many(accounts)
        numbers = sorted(i.invoice_number for part in bills for i in part)
        lines = await loaders.get(carrier, INVOICE_LINES_BY_INVOICE).many(numbers)
        return numbers, [list(part) for part in lines]

    sandbox.sandbox.log.clear()
    numbers, lines = await invoices_then_lines(LoaderSet(registry))

    assert numbers
    assert all(lines), "every bill of this layout has lines"
    downloads = Counter(
        r.path
        for r in sandbox.sandbox.log.records()
        if r.carrier == carrier and r.resource != "token"
    )
    assert set(downloads.values()) == {1}, downloads
    months = SPECS[carrier].exports.invoices.months or 12
    assert len(downloads) in (months, months + 1)  # + the index, where the carrier has one
    # The lines are those a lone fetch reads, and the next request downloads afresh.
    alone = await registry.get(carrier).fetch(INVOICE_LINES_BY_INVOICE, numbers)
    assert lines == [list(alone.get(n, ())) for n in numbers]
    sandbox.sandbox.log.clear()
    assert await invoices_then_lines(LoaderSet(registry)) == (numbers, lines)
    again = Counter(
        r.path
        for r in sandbox.sandbox.log.records()
        if r.carrier == carrier and r.resource != "token"
    )
    assert again == downloads


async def test_a_missing_month_is_unavailable(sandbox):
    carrier = "lindenfeld-telekom"
    spec = with_export(sandbox.specs[carrier], "invoices", months=13)  # one more than published
    registry = Registry({carrier: spec})
    oldest = months_before(this_month(), 13)[0]
    try:
        with pytest.raises(UpstreamUnavailable) as info:
            await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, ["any"])
        assert info.value.carrier == carrier
        assert "HTTP 404" in info.value.message
        missing = f"/export/rechnungen/Rechnungspositionen_{oldest:%Y_%m}.csv"
        assert missing in [r.path for r in sandbox.sandbox.log.records()]
    finally:
        await registry.aclose()


@pytest.mark.parametrize(
    "fetch",
    [SERVICES_BY_ACCOUNT, ORDERS_BY_ACCOUNT, TICKETS_BY_ACCOUNT, QUOTES_BY_ACCOUNT],
)
async def test_services_orders_tickets_and_quotes_are_never_exported(registry, fetch):
    for carrier in CSV_CARRIERS:
        with pytest.raises(NotSupportedByCarrier) as info:
            await registry.get(carrier).fetch(fetch, ["A1"])
        assert info.value.carrier == carrier


async def test_undeclared_exports_are_not_supported(sandbox, registry):
    with pytest.raises(NotSupportedByCarrier):
        await registry.get("bellecour-telecom").fetch(USAGE_BY_ACCOUNT, ["A1"])
    with pytest.raises(NotSupportedByCarrier):
        await registry.get("saguaro-voice").fetch(INVOICE_LINES_BY_INVOICE, ["I1"])
    assert sandbox.sandbox.log.records() == []


# broken files and rows -----------------------------------------------------------------


async def test_a_missing_column_is_named(sandbox):
    carrier = "copperline-networks"
    spec = sandbox.specs[carrier]
    renamed = spec.model_copy(update={"columns": spec.columns | {"amount": "Amount (USD)"}})
    registry = Registry({carrier: renamed})
    try:
        with pytest.raises(ExportInvalid) as info:
            await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, ["any"])
    finally:
        await registry.aclose()
    error = info.value
    assert (error.carrier, error.record, error.field, error.row) == (
        carrier,
        "Invoice",
        "Amount (USD)",
        1,
    )
    assert "column 'Amount (USD)' (amount): missing column" in error.message


async def test_an_unparseable_amount_names_the_column_and_row():
    spec = with_export(SPECS["lindenfeld-telekom"], "invoices", months=1)
    good = "K1;R1;01.10.2026;31.10.2026;03.11.2026 09:00:00 +0100;03.12.2026 09:00:00 +0100;"
    body = (
        "Kundennummer;Rechnungsnummer;Leistungszeitraum von;Leistungszeitraum bis;"
        "Rechnungsdatum;Fällig am;Status;Währung;Positionsart;Anschluss;Bezeichnung;Menge;"
        "Betrag netto\r\n"
        f"{good}fällig;EUR;Grundentgelt;S1;Glasfaser;1;1.500,00\r\n"
        f"{good}fällig;EUR;Grundentgelt;S2;Glasfaser;1;12,3,4\r\n"
    ).encode("utf-8-sig")
    path = "/export/rechnungen/Rechnungspositionen_2026_10.csv"
    connector, _ = mock_connector(spec, {path: body})
    try:
        found = await connector.fetch(INVOICES_BY_ACCOUNT, ["K1"])
    finally:
        await connector.aclose()
    # The invoice still arrives: its totals (made of that line) are unknown, the rest read.
    (invoice,) = found["K1"]
    assert (invoice.invoice_number, invoice.total, invoice.taxes) == ("R1", None, None)
    assert invoice.period_start == date(2026, 10, 1)
    assert [(p.field, p.wire_field) for p in invoice.problems] == [
        ("total", "Betrag netto"),
        ("taxes", "Betrag netto"),
    ]
    assert "'12,3,4'" in invoice.problems[0].problem


@pytest.mark.parametrize(
    ("carrier", "fetch", "record"),
    [
        ("saguaro-voice", ACCOUNTS_BY_ID, "CarrierAccount"),
        ("prairie-link", INVOICES_BY_ACCOUNT, "Invoice"),
        ("lindenfeld-telekom", USAGE_BY_ACCOUNT, "UsageRecord"),
        ("bellecour-telecom", INVOICE_LINES_BY_INVOICE, "InvoiceLine"),
    ],
)
async def test_a_bad_row_reads_unknown_codes_and_empty_cells_as_null(
    sandbox, registry, carrier, fetch, record
):
    # bad_record no longer voids the file: an unmapped code reads UNKNOWN with the raw code,
    # an emptied cell is None, and every record still arrives.
    data = sandbox.data.carriers[carrier]
    keys = (
        [i.invoice_number for i in data.invoices]
        if fetch is INVOICE_LINES_BY_INVOICE
        else [a.account_number for a in data.accounts]
    )
    clean = await registry.get(carrier).fetch(fetch, keys)
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_record"))
    found = await registry.get(carrier).fetch(fetch, keys)
    assert {k: len(v) for k, v in found.items()} == {k: len(v) for k, v in clean.items()}
    assert not any(dropped_of(v) for v in found.values())
    got = [r for v in found.values() for r in v]
    assert type(got[0]).__name__ == record
    raw = {getattr(r, a, None) for r in got for a in ("status_code", "kind_code")}
    unknown = {getattr(r, "direction", None) for r in got}  # calls keep no raw code
    assert UNMAPPED in raw or "UNKNOWN" in unknown
    changed = [r for r in got if r not in [c for v in clean.values() for c in v]]
    assert changed  # the first row of each file


@pytest.mark.parametrize("carrier", ["bellecour-telecom", "prairie-link", "copperline-networks"])
async def test_gzip_bytes_are_not_csv_even_in_single_byte_encodings(sandbox, registry, carrier):
    data = sandbox.data.carriers[carrier]
    sandbox.sandbox.set_faults(carrier, Faults(garbage="not_json"))
    with pytest.raises(UpstreamInvalid) as info:
        await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, [data.accounts[0].account_number])
    assert info.value.carrier == carrier
    if carrier != "prairie-link":  # its index is JSON, and the index breaks first
        assert isinstance(info.value, ExportInvalid)
        assert info.value.row is None
        assert "binary data" in info.value.message or "text" in info.value.message


async def test_positional_headers_are_a_wrong_shape(sandbox, registry):
    carrier = "saguaro-voice"
    data = sandbox.data.carriers[carrier]
    sandbox.sandbox.set_faults(carrier, Faults(garbage="wrong_shape"))
    with pytest.raises(ExportInvalid) as info:
        await registry.get(carrier).fetch(USAGE_BY_ACCOUNT, [data.accounts[0].account_number])
    assert info.value.field == "Customer ID"
    assert info.value.row == 1


# carrier files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("capabilities: [invoices, services]", "capabilities"),
        ('exports: {invoices: {path: "/exports/invoices.csv"}}', "exports.invoices.path"),
        ("exports: {accounts: exports/accounts.csv}", "exports.accounts"),
        ("columns: {invoice_no: Invoice}", "columns"),
        ('dialect: {datetime_format: "%d.%m.%Y %H:%M"}', "dialect"),
        ('dialect: {decimal: ",", thousands: ","}', "dialect"),
        ("dialect: {timezone: Mars/Olympus_Mons}", "dialect.timezone"),
        ('dialect: {date_format: "%d.%m."}', "dialect.date_format"),
        ("codes: {direction: {inbound: SIDEWAYS}}", "codes.direction"),
        ("status_maps: {invoice: {paid: SETTLED}}", "status_maps"),
    ],
)
def test_an_invalid_csv_carrier_file_is_named(tmp_path, change, field):
    text = (
        "id: acme-files\nname: Acme Files\nprotocol: csv\nbase_url: http://127.0.0.1:9/acme\n"
        "capabilities: [invoices, usage]\n"
    )
    key = change.split(":", 1)[0]
    if key == "capabilities":
        text = text.replace("capabilities: [invoices, usage]\n", "")
    path = Path(tmp_path, "acme-files.yaml")
    path.write_text(text + change + "\n")
    with pytest.raises(CarrierSpecError) as info:
        Registry({"acme-files": load_spec(path, {})})
    assert info.value.field.startswith(field)


def test_two_columns_of_one_export_cannot_share_a_header(tmp_path):
    # One header in two files (Status) is fine; two fields of one file under one is not.
    path = Path(tmp_path, "acme-files.yaml")
    path.write_text(
        "id: acme-files\nname: Acme Files\nprotocol: csv\nbase_url: http://127.0.0.1:9/acme\n"
        "capabilities: [accounts, invoices]\n"
        "columns: {account_status: Status, invoice_status: Status, street: city}\n"
    )
    with pytest.raises(CarrierSpecError) as info:
        Registry({"acme-files": load_spec(path, {})})
    assert "accounts export share a header" in info.value.expected


@pytest.mark.parametrize("carrier", CSV_CARRIERS)
async def test_a_bad_value_nulls_that_field_and_keeps_the_invoice(sandbox, registry, carrier):
    if Resource.INVOICES not in sandbox.specs[carrier].capabilities:
        pytest.skip("no invoice export")
    data = sandbox.data.carriers[carrier]
    keys = [a.account_number for a in data.accounts]
    before = await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, keys)
    clean = {i.invoice_number: i for v in before.values() for i in v}
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_value"))  # an amount of 10^40
    found = await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, keys)
    got = [i for v in found.values() for i in v]
    assert sorted(i.invoice_number for i in got) == sorted(clean)
    hurt = [i for i in got if i.problems]
    assert hurt  # the first row of each monthly file
    headers = LAYOUTS[carrier].headers
    for invoice in hurt:
        assert {p.wire_field for p in invoice.problems} <= {headers["total"], headers["amount"]}
        assert all("beyond the bound" in p.problem for p in invoice.problems)
        assert invoice.total is None
        held = clean[invoice.invoice_number]
        nulled = {p.field: None for p in invoice.problems}
        assert dataclasses.replace(invoice, problems=()) == dataclasses.replace(held, **nulled)
    assert all(i == clean[i.invoice_number] for i in got if not i.problems)


async def test_a_call_without_its_id_is_left_out_and_reported_at_its_account(sandbox, registry):
    carrier = "lindenfeld-telekom"
    data = sandbox.data.carriers[carrier]
    keys = [a.account_number for a in data.accounts]
    clean = await registry.get(carrier).fetch(USAGE_BY_ACCOUNT, keys)
    sandbox.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))
    found = await registry.get(carrier).fetch(USAGE_BY_ACCOUNT, keys)
    held = [u for v in clean.values() for u in v]
    got = [u for v in found.values() for u in v]
    assert len(held) - len(got) > 0
    assert all(u in held for u in got)
    dropped = [(k, e) for k, v in found.items() for e in dropped_of(v)]
    assert len(dropped) == len(held) - len(got)  # one per monthly file
    for key, error in dropped:
        assert (error.carrier, error.field) == (carrier, LAYOUTS[carrier].headers["usage_id"])
        assert error.record.startswith(error.path + "#")
        assert key in keys


def test_a_layout_re_checks_remembered_cells_against_the_limits(monkeypatch):
    layout = CsvLayout(SPECS["saguaro-voice"])
    writer = WRITERS["saguaro-voice"]
    moment = datetime(2024, 7, 1, 15, 0, tzinfo=UTC)
    cells = (writer.money(Decimal("1234.50")), writer.day(moment.date()), writer.instant(moment))
    read = (layout.money(cells[0], "m"), layout.day(cells[1], "d"), layout.instant(cells[2], "t"))
    assert read == (Decimal("1234.50"), moment.date(), moment)
    assert (layout.money(cells[0], "m"), layout.day(cells[1], "d")) == read[:2]  # remembered
    monkeypatch.setattr(LIMITS, "latest_year", 2023)
    monkeypatch.setattr(LIMITS, "max_amount", Decimal(1000))
    for parse, cell, problem in (
        (layout.money, cells[0], "amount beyond the bound of 1,000"),
        (layout.day, cells[1], "year 2024 outside 1900-2023"),
        (layout.instant, cells[2], "year 2024 outside 1900-2023"),
    ):
        with pytest.raises(FieldError) as info:
            parse(cell, "c")
        assert (info.value.field, info.value.problem) == ("c", problem)
    monkeypatch.undo()
    assert (layout.money(cells[0], "m"), layout.day(cells[1], "d")) == read[:2]


def test_a_layout_fails_a_bad_cell_every_time_and_starts_its_memo_again_when_full(monkeypatch):
    monkeypatch.setattr(csv_export, "MEMO_LIMIT", 2)
    layout = CsvLayout(SPECS["copperline-networks"])
    for _ in range(2):
        with pytest.raises(FieldError, match="not a number"):
            layout.money("12.3.4", "amount")
    assert not layout._amounts
    for cents in range(5):
        assert layout.money(f"1.0{cents}", "amount") == Decimal(f"1.0{cents}")
        assert len(layout._amounts) <= 2
