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
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from connectors.errors import UpstreamInvalid
from connectors.mapping import FieldError
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
    from collections.abc import Callable, Collection, Iterable, Mapping

    from connectors.mapping import StatusMap
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

    __slots__ = ("at", "key", "layout", "path", "record", "rows")

    def __init__(self, layout: CsvLayout, export: Export, path: str) -> None:
        self.layout = layout
        self.record = export.record
        self.path = path
        self.at: dict[str, int] = {}  # field -> position of its column
        self.key = 0  # position of the column the rows were selected by
        self.rows: list[tuple[int, list[str]]] = []  # (row number, cells) of wanted keys

    def text(self, cells: list[str], field: str) -> str:
        """A required cell (empty is missing)."""
        value = cells[self.at[field]]
        if not value:
            raise FieldError(self.layout.headers[field], "empty")
        return value

    def optional(self, cells: list[str], field: str) -> str | None:
        return cells[self.at[field]] or None

    def parse(self, cells: list[str], field: str, parser: Callable[[str, str], R]) -> R:
        """A required cell read by one of the layout's parsers."""
        return parser(self.text(cells, field), self.layout.headers[field])

    def code(self, cells: list[str], field: str, codes: StatusMap[Any]) -> Any:  # noqa: ANN401
        return codes.read(self.text(cells, field), self.layout.headers[field])

    def currency(self, cells: list[str]) -> str:
        value = self.text(cells, "currency")
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise FieldError(self.layout.headers["currency"], f"not an ISO 4217 code: '{value}'")
        return value

    def each(self, items: Iterable[tuple[int, X]], build: Callable[[X], R]) -> list[R]:
        """``build`` over row payloads; a failure names the row it happened in."""
        line, out = 0, []
        try:
            for line, item in items:  # noqa: B007 - read by the handlers below
                out.append(build(item))
        except FieldError as exc:
            raise self.invalid(line, exc.problem, exc.field) from exc
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as exc:
            raise self.invalid(line, f"unreadable row ({type(exc).__name__})", None) from exc
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


def read_accounts(t: Table) -> list[tuple[str, CarrierAccount]]:
    """Account list rows -> (account number, CarrierAccount)."""
    lay = t.layout

    def build(cells: list[str]) -> tuple[str, CarrierAccount]:
        number = t.text(cells, "account_number")
        return number, CarrierAccount(
            carrier=lay.carrier,
            account_number=number,
            name=t.text(cells, "account_name"),
            status=t.code(cells, "account_status", lay.account),
            billing_address=Address(
                street=t.text(cells, "street"),
                city=t.text(cells, "city"),
                state=t.text(cells, "state"),
                postcode=t.text(cells, "postcode"),
                country=t.text(cells, "country"),
            ),
            created_at=t.parse(cells, "created_at", lay.instant),
            currency=t.currency(cells),
        )

    return t.each(t.rows, build)


def _invoice(t: Table, cells: list[str], total: Decimal, taxes: Decimal) -> Invoice:
    lay = t.layout
    currency = t.currency(cells)
    return Invoice(
        carrier=lay.carrier,
        account_number=t.text(cells, "account_number"),
        invoice_number=t.text(cells, "invoice_number"),
        period_start=t.parse(cells, "period_start", lay.day),
        period_end=t.parse(cells, "period_end", lay.day),
        issued_at=t.parse(cells, "issued_at", lay.instant),
        due_at=t.parse(cells, "due_at", lay.instant),
        status=t.code(cells, "invoice_status", lay.invoice),
        total=Money(total.quantize(_CENT), currency),
        taxes=Money(taxes.quantize(_CENT), currency),
    )


def read_invoices(t: Table) -> list[tuple[str, Invoice]]:
    """Invoice rows -> (key cell, Invoice); one-row-per-line files are grouped first.

    Grouped invoices total their lines, and their tax lines make the taxes.
    """
    lay = t.layout
    if "total" in t.at:  # one row per invoice
        return t.each(
            t.rows,
            lambda cells: (
                cells[t.key],
                _invoice(
                    t, cells, t.parse(cells, "total", lay.money), t.parse(cells, "taxes", lay.money)
                ),
            ),
        )
    at_number, at_currency = t.at["invoice_number"], t.at["currency"]
    groups: dict[str, list[Any]] = {}  # invoice number -> [first row, its cells, total, taxes]

    def add(row: tuple[int, list[str]]) -> None:
        line, cells = row
        amount = t.parse(cells, "amount", lay.money)
        tax = t.code(cells, "line_kind", lay.line_kind) is InvoiceLineKind.TAX
        group = groups.get(cells[at_number])
        if group is None:
            groups[cells[at_number]] = [line, cells, amount, amount if tax else _ZERO]
        else:
            if cells[at_currency] != group[1][at_currency]:
                raise FieldError(lay.headers["currency"], "differs from the invoice's first line")
            group[2] += amount
            if tax:
                group[3] += amount

    t.each(((line, (line, cells)) for line, cells in t.rows), add)
    return t.each(
        ((g[0], g) for g in groups.values()),
        lambda g: (g[1][t.key], _invoice(t, g[1], g[2], g[3])),
    )


def read_lines(t: Table) -> list[tuple[str, InvoiceLine]]:
    """Invoice line rows (of either layout) -> (invoice number, InvoiceLine), in file order."""
    lay = t.layout

    def build(cells: list[str]) -> tuple[str, InvoiceLine]:
        return t.text(cells, "invoice_number"), InvoiceLine(
            kind=t.code(cells, "line_kind", lay.line_kind),
            service_id=t.optional(cells, "service_id"),
            description=t.text(cells, "description"),
            quantity=t.parse(cells, "quantity", lay.number),
            amount=Money(t.parse(cells, "amount", lay.money), t.currency(cells)),
        )

    return t.each(t.rows, build)


def read_usage(t: Table) -> list[tuple[str, UsageRecord]]:
    """Call record rows -> (account number, UsageRecord)."""
    lay = t.layout

    def build(cells: list[str]) -> tuple[str, UsageRecord]:
        account = t.text(cells, "account_number")
        return account, UsageRecord(
            carrier=lay.carrier,
            account_number=account,
            usage_id=t.text(cells, "usage_id"),
            service_id=t.text(cells, "service_id"),
            started_at=t.parse(cells, "started_at", lay.instant),
            duration_seconds=t.parse(cells, "duration", lay.seconds),
            from_number=t.text(cells, "from_number"),
            to_number=t.text(cells, "to_number"),
            direction=t.code(cells, "direction", lay.direction),
            call_type=t.code(cells, "call_type", lay.call_type),
            charge=Money(t.parse(cells, "charge", lay.money), t.currency(cells)),
        )

    return t.each(t.rows, build)
