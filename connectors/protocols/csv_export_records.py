"""CSV export rows -> normalized records: locating columns, keeping wanted rows, reading them.

The reading half of the CSV export adapter. :func:`open_table` decodes one downloaded
file, finds its columns by header and keeps only the rows of the wanted keys, before a
single cell is parsed; the ``read_*`` functions turn those rows into records with the
cell parsers of the carrier's :class:`~connectors.protocols.csv_export.CsvLayout`. Every
failure is an :class:`ExportInvalid` naming the carrier, the record, the column as the
carrier calls it, the file and the row (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from connectors.builders import builder
from connectors.currencies import ISO_4217
from connectors.errors import UpstreamInvalid
from connectors.mapping import FieldError, Salvage, parse_currency
from connectors.models import (
    Address,
    CarrierAccount,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    Money,
    UsageRecord,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping

    from connectors.protocols.csv_export import CsvLayout

__all__ = [
    "ACCOUNT_FIELDS",
    "INVOICE_FIELDS",
    "LINE_FIELDS",
    "RECORDS",
    "USAGE_FIELDS",
    "Export",
    "ExportInvalid",
    "ExportKind",
    "Table",
    "open_table",
    "read_accounts",
    "read_invoices",
    "read_lines",
    "read_usage",
]

ExportKind = Literal["accounts", "invoices", "lines", "usage"]
R = TypeVar("R")
X = TypeVar("X")
Parse = Callable[[str, str], R]  # (cell text, column header) -> value, or FieldError

# The columns of each export, in the order the sandbox writes them.
ACCOUNT_FIELDS = ("account_number", "account_name", "account_status", "street", "city", "state",
                  "postcode", "country", "currency", "created_at")  # fmt: skip
INVOICE_FIELDS = ("account_number", "invoice_number", "period_start", "period_end", "issued_at",
                  "due_at", "invoice_status", "currency")  # fmt: skip
LINE_FIELDS = ("line_kind", "service_id", "description", "quantity", "amount")
USAGE_FIELDS = ("account_number", "usage_id", "service_id", "started_at", "duration",
                "from_number", "to_number", "direction", "call_type", "charge",
                "currency")  # fmt: skip
RECORDS: Mapping[ExportKind, str] = {
    "accounts": "CarrierAccount",
    "invoices": "Invoice",
    "lines": "InvoiceLine",
    "usage": "UsageRecord",
}
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


class ExportInvalid(UpstreamInvalid):
    """An export file that breaks its carrier file's contract, located by path and row.

    Attributes:
        path: The file's path relative to the carrier's base URL.
        row: The line of the file (the header is row 1); None for the file as a whole.
    """

    def __init__(
        self,
        problem: str,
        *,
        carrier: str,
        record: str,
        path: str,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        where = path if row is None else f"{path} row {row}"
        super().__init__(
            f"carrier '{carrier}' sent an invalid {record} export ({where}): {problem}",
            carrier=carrier,
            record=record,
            field=field,
        )
        self.path = path
        self.row = row


@dataclass(frozen=True, slots=True)
class Export:
    """One kind of file: where it lives, how many months to fetch, which columns it has."""

    kind: ExportKind
    record: str
    path: str
    months: int
    fields: tuple[str, ...]


class Table:
    """One downloaded export: its columns located, and the rows of the wanted keys."""

    __slots__ = ("at", "dropped", "key", "layout", "path", "record", "rows")

    def __init__(self, layout: CsvLayout, export: Export, path: str) -> None:
        self.layout = layout
        self.record = export.record
        self.path = path
        self.at: dict[str, int] = {}  # field -> position of its column
        self.key = 0  # position of the column the rows were selected by
        self.rows: list[tuple[int, list[str]]] = []  # (row number, cells) of wanted keys
        self.dropped: list[tuple[str, ExportInvalid]] = []  # (key cell, why) of rows left out

    def each(self, items: Iterable[tuple[int, str, X]], build: Callable[[X], R]) -> list[R]:
        """``build`` over row payloads; a row whose identity cannot be read is left out.

        The rows left out are in :attr:`dropped`, each with the key cell it was selected by.
        """
        out = []
        for line, key, item in items:
            try:
                out.append(build(item))
            except FieldError as exc:
                error = self.invalid(line, exc.problem, exc.field)
            except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as exc:
                error = self.invalid(line, f"unreadable row ({type(exc).__name__})", None)
            else:
                continue
            error.record = f"{self.path}#{line}"  # its id could not be read: named by its row
            self.dropped.append((key, error))
        return out

    def invalid(self, row: int | None, problem: str, column: str | None) -> ExportInvalid:
        if column is not None:
            names = {h: f for f, h in self.layout.headers.items()}
            problem = f"column '{column}' ({names.get(column, '?')}): {problem}"
        return ExportInvalid(
            problem,
            carrier=self.layout.carrier,
            record=self.record,
            path=self.path,
            row=row,
            field=column,
        )


def open_table(
    layout: CsvLayout, export: Export, path: str, body: bytes, key: str, wanted: Collection[str]
) -> Table:
    """Decode one file, locate its columns and keep the rows whose ``key`` cell is wanted.

    Raises:
        ExportInvalid: the bytes are not text in the declared encoding, not CSV, lack a
            column the layout needs, or a row has a different number of cells than the header.
    """
    table = Table(layout, export, path)
    try:
        text = body.decode(layout.codec)
    except UnicodeDecodeError as exc:
        raise table.invalid(None, f"not {layout.dialect.encoding} text", None) from exc
    if "\x00" in text:
        raise table.invalid(None, "binary data, not CSV text", None)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=layout.dialect.delimiter, strict=True
    )
    try:
        header = next(reader, None)
        if header is None:
            raise table.invalid(None, "empty file (no header row)", None)
        names = {name.strip(): n for n, name in enumerate(header)}
        for field in export.fields:
            column = layout.headers[field]
            if column not in names:
                raise table.invalid(1, "missing column", column)
            table.at[field] = names[column]
        width, k, rows = len(header), table.at[key], table.rows
        table.key = k
        for cells in reader:
            if len(cells) != width:
                if not cells:
                    continue  # a blank line
                problem = f"{len(cells)} cells where the header has {width}"
                raise table.invalid(reader.line_num, problem, None)
            if cells[k] in wanted:
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise table.invalid(reader.line_num, f"not valid CSV ({exc})", None) from exc
    return table


def _parsed(s: Salvage, name: str, text: str, parse: Parse[R], column: str) -> R | None:
    """A cell read by one of the layout's parsers: empty is None, unreadable a problem."""
    if not text:
        return None
    try:
        return parse(text, column)
    except FieldError as exc:
        s.note(name, exc)
        return None


def _currency(text: str, column: str) -> str | FieldError | None:
    """The row's currency, None when empty, the error when it is not ISO 4217."""
    if not text:
        return None
    if text in ISO_4217:
        return text
    try:
        return parse_currency(text, column)
    except FieldError as exc:
        return exc


def _priced(
    s: Salvage, name: str, amount: Decimal | None, currency: str | FieldError | None, column: str
) -> Money | None:
    """An amount in the row's currency; an unreadable currency is the amount's problem."""
    if amount is None:
        return None
    if isinstance(currency, str):
        return _make_money(amount, currency)
    s.note(name, currency or FieldError(column, "empty"))
    return None


def _identity(text: str, column: str) -> str:
    """A required cell (empty is missing): only identities are read this way."""
    if not text:
        raise FieldError(column, "empty")
    return text


def _rows(t: Table) -> Iterator[tuple[int, str, list[str]]]:
    key = t.key
    return ((line, cells[key], cells) for line, cells in t.rows)


def read_accounts(t: Table) -> list[tuple[str, CarrierAccount]]:
    """Account list rows -> (account number, CarrierAccount)."""
    lay = t.layout
    at, h = t.at, lay.headers
    carrier, statuses, instant = lay.carrier, lay.account, lay.instant
    i_number, i_name, i_status, i_currency, i_created = (
        at[f]
        for f in ("account_number", "account_name", "account_status", "currency", "created_at")
    )
    c_number, c_status, c_currency, c_created = (
        h[f] for f in ("account_number", "account_status", "currency", "created_at")
    )
    i_parts = [at[f] for f in ("street", "city", "state", "postcode", "country")]

    def build(cells: list[str]) -> tuple[str, CarrierAccount]:
        number = _identity(cells[i_number], c_number)
        s = Salvage()
        currency = _currency(cells[i_currency], c_currency)
        if isinstance(currency, FieldError):
            s.note("currency", currency)
        parts = [cells[i] or None for i in i_parts]
        status = cells[i_status]
        return number, _make_account(
            carrier=carrier,
            account_number=number,
            name=cells[i_name] or None,
            status=statuses.lenient(status, c_status) if status else None,
            billing_address=_make_address(*parts) if any(parts) else None,
            created_at=_parsed(s, "created_at", cells[i_created], instant, c_created),
            currency=currency if isinstance(currency, str) else None,
            status_code=status or None,
            problems=s.done(),
        )

    return t.each(_rows(t), build)


_Invoicer = Callable[[Salvage, list[str], Decimal | None, Decimal | None], Invoice]


def _invoice_reader(t: Table) -> _Invoicer:
    """Reads an invoice from its (first) row, the salvage of its row(s) and its totals."""
    lay = t.layout
    at, h = t.at, lay.headers
    carrier, statuses, day, instant = lay.carrier, lay.invoice, lay.day, lay.instant
    i_account, i_number, i_start, i_end, i_issued, i_due, i_status, i_currency = (
        at[f] for f in INVOICE_FIELDS
    )
    c_account, c_number, c_start, c_end, c_issued, c_due, c_status, c_currency = (
        h[f] for f in INVOICE_FIELDS
    )

    def read(s: Salvage, cells: list[str], total: Decimal | None, taxes: Decimal | None) -> Invoice:
        currency = _currency(cells[i_currency], c_currency)
        account = _identity(cells[i_account], c_account)
        number = _identity(cells[i_number], c_number)
        period_start = _parsed(s, "period_start", cells[i_start], day, c_start)
        period_end = _parsed(s, "period_end", cells[i_end], day, c_end)
        issued_at = _parsed(s, "issued_at", cells[i_issued], instant, c_issued)
        due_at = _parsed(s, "due_at", cells[i_due], instant, c_due)
        status = cells[i_status]
        return _make_invoice(
            carrier=carrier,
            account_number=account,
            invoice_number=number,
            period_start=period_start,
            period_end=period_end,
            issued_at=issued_at,
            due_at=due_at,
            status=statuses.lenient(status, c_status) if status else None,
            total=_priced(s, "total", total, currency, c_currency),
            taxes=_priced(s, "taxes", taxes, currency, c_currency),
            status_code=status or None,
            problems=s.done(),
        )

    return read


def read_invoices(t: Table) -> list[tuple[str, Invoice]]:
    """Invoice rows -> (key cell, Invoice); one-row-per-line files are grouped first.

    Grouped invoices total their lines, and their tax lines make the taxes; a line whose
    amount, kind or currency cannot be read leaves its invoice's totals unknown (null).
    """
    lay = t.layout
    at, key, money = t.at, t.key, lay.money
    invoice = _invoice_reader(t)
    if "total" in at:  # one row per invoice
        i_total, i_taxes = at["total"], at["taxes"]
        c_total, c_taxes = lay.headers["total"], lay.headers["taxes"]

        def one(cells: list[str]) -> tuple[str, Invoice]:
            s = Salvage()
            total = _parsed(s, "total", cells[i_total], money, c_total)
            taxes = _parsed(s, "taxes", cells[i_taxes], money, c_taxes)
            return cells[key], invoice(s, cells, total, taxes)

        return t.each(_rows(t), one)
    at_number, at_currency = at["invoice_number"], at["currency"]
    at_amount, at_kind = at["amount"], at["line_kind"]
    # (key cell, invoice number) -> [first row, its cells, total, taxes, problems]; rows
    # without a number stay apart per key, so each is reported beside its own account
    groups: dict[tuple[str, str], list[Any]] = {}
    amount_column, kind_column = lay.headers["amount"], lay.headers["line_kind"]
    currency_column = lay.headers["currency"]
    kinds, tax_kind = lay.line_kind.lenient, InvoiceLineKind.TAX
    for line, cells in t.rows:
        number = (cells[key], cells[at_number])
        group = groups.get(number)
        if group is None:
            group = groups[number] = [line, cells, _ZERO, _ZERO, Salvage()]
        s: Salvage = group[4]
        text, kind = cells[at_amount], cells[at_kind]
        try:
            if not text:
                raise FieldError(amount_column, "empty")  # noqa: TRY301
            amount = money(text, amount_column)
            tax = kinds(kind, kind_column) is tax_kind if kind else None
            if tax is None:
                raise FieldError(kind_column, "empty")  # noqa: TRY301
            if cells[at_currency] != group[1][at_currency]:
                raise FieldError(currency_column, "differs from the invoice's first line")  # noqa: TRY301
        except FieldError as exc:
            if group[2] is not None:
                s.note("total", exc)
                s.note("taxes", exc)
            group[2] = group[3] = None
            continue
        if group[2] is not None:
            group[2] += amount
            if tax:
                group[3] += amount
    return t.each(
        ((g[0], g[1][key], g) for g in groups.values()),
        lambda g: (g[1][key], invoice(g[4], g[1], g[2], g[3])),
    )


def read_lines(t: Table) -> list[tuple[str, InvoiceLine]]:
    """Invoice line rows (of either layout) -> (invoice number, InvoiceLine), in file order."""
    lay = t.layout
    at, h = t.at, lay.headers
    kinds, money, number_of = lay.line_kind, lay.money, lay.number
    fields = ("invoice_number", "line_kind", "service_id", "description", "quantity", "amount")
    i_invoice, i_kind, i_service, i_description, i_quantity, i_amount = (at[f] for f in fields)
    i_currency = at["currency"]
    c_invoice, c_kind, c_quantity, c_amount, c_currency = (
        h[f] for f in ("invoice_number", "line_kind", "quantity", "amount", "currency")
    )

    def build(cells: list[str]) -> tuple[str, InvoiceLine]:
        s = Salvage()
        amount = _parsed(s, "amount", cells[i_amount], money, c_amount)
        invoice = _identity(cells[i_invoice], c_invoice)
        kind = cells[i_kind]
        return invoice, _make_line(
            kind=kinds.lenient(kind, c_kind) if kind else None,
            service_id=cells[i_service] or None,
            description=cells[i_description] or None,
            quantity=_parsed(s, "quantity", cells[i_quantity], number_of, c_quantity),
            amount=_priced(
                s, "amount", amount, _currency(cells[i_currency], c_currency), c_currency
            ),
            kind_code=kind or None,
            problems=s.done(),
        )

    return t.each(_rows(t), build)


def read_usage(t: Table) -> list[tuple[str, UsageRecord]]:
    """Call record rows -> (account number, UsageRecord)."""
    lay = t.layout
    at, h = t.at, lay.headers
    carrier, money, instant, seconds = lay.carrier, lay.money, lay.instant, lay.seconds
    directions, call_types = lay.direction, lay.call_type
    i_account, i_usage, i_service, i_started, i_duration = (
        at[f] for f in ("account_number", "usage_id", "service_id", "started_at", "duration")
    )
    i_from, i_to, i_direction, i_type, i_charge, i_currency = (
        at[f] for f in ("from_number", "to_number", "direction", "call_type", "charge", "currency")
    )
    c_account, c_usage, c_started, c_duration, c_direction, c_type, c_charge, c_currency = (
        h[f]
        for f in (
            "account_number",
            "usage_id",
            "started_at",
            "duration",
            "direction",
            "call_type",
            "charge",
            "currency",
        )
    )

    def build(cells: list[str]) -> tuple[str, UsageRecord]:
        account = _identity(cells[i_account], c_account)
        s = Salvage()
        charge = _parsed(s, "charge", cells[i_charge], money, c_charge)
        usage_id = _identity(cells[i_usage], c_usage)
        started_at = _parsed(s, "started_at", cells[i_started], instant, c_started)
        duration = _parsed(s, "duration_seconds", cells[i_duration], seconds, c_duration)
        direction, call_type = cells[i_direction], cells[i_type]
        return account, _make_usage(
            carrier=carrier,
            account_number=account,
            usage_id=usage_id,
            service_id=cells[i_service] or None,
            started_at=started_at,
            duration_seconds=duration,
            from_number=cells[i_from] or None,
            to_number=cells[i_to] or None,
            direction=directions.lenient(direction, c_direction) if direction else None,
            call_type=call_types.lenient(call_type, c_type) if call_type else None,
            charge=_priced(
                s, "charge", charge, _currency(cells[i_currency], c_currency), c_currency
            ),
            problems=s.done(),
        )

    return t.each(_rows(t), build)


_make_account = builder(CarrierAccount)
_make_address = builder(Address)
_make_invoice = builder(Invoice)
_make_line = builder(InvoiceLine)
_make_usage = builder(UsageRecord)
_make_money = builder(Money)
