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
    from collections.abc import Collection, Iterable, Mapping

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

    def text(self, cells: list[str], field: str) -> str:
        """A required cell (empty is missing): only identities are read this way."""
        value = cells[self.at[field]]
        if not value:
            raise FieldError(self.layout.headers[field], "empty")
        return value

    def optional(self, cells: list[str], field: str) -> str | None:
        return cells[self.at[field]] or None

    def value(
        self, s: Salvage, cells: list[str], field: str, name: str, parser: Parse[R]
    ) -> R | None:
        """A cell read by one of the layout's parsers: empty is None, unreadable a problem."""
        text = cells[self.at[field]]
        if not text:
            return None
        try:
            return parser(text, self.layout.headers[field])
        except FieldError as exc:
            s.note(name, exc)
            return None

    def code(self, cells: list[str], field: str, codes: StatusMap[Any]) -> Any:  # noqa: ANN401
        """A code cell: empty is None, an unmapped code the enum's UNKNOWN (OTHER) member."""
        text = cells[self.at[field]]
        return codes.lenient(text, self.layout.headers[field]) if text else None

    def raw(self, cells: list[str], field: str) -> str | None:
        """The carrier's code as the cell holds it (empty: None)."""
        return cells[self.at[field]] or None

    def currency(self, cells: list[str]) -> str | FieldError | None:
        """The row's currency, None when empty, the error when it is not ISO 4217."""
        text = cells[self.at["currency"]]
        if not text:
            return None
        try:
            return parse_currency(text, self.layout.headers["currency"])
        except FieldError as exc:
            return exc

    def money(
        self, s: Salvage, name: str, amount: Decimal | None, currency: str | FieldError | None
    ) -> Money | None:
        """An amount in the row's currency; an unreadable currency is the amount's problem."""
        if amount is None:
            return None
        if isinstance(currency, str):
            return Money(amount, currency)
        s.note(name, currency or FieldError(self.layout.headers["currency"], "empty"))
        return None

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


def read_accounts(t: Table) -> list[tuple[str, CarrierAccount]]:
    """Account list rows -> (account number, CarrierAccount)."""
    lay = t.layout

    def build(cells: list[str]) -> tuple[str, CarrierAccount]:
        number = t.text(cells, "account_number")
        s = Salvage()
        currency = t.currency(cells)
        if isinstance(currency, FieldError):
            s.note("currency", currency)
        parts = [t.optional(cells, f) for f in ("street", "city", "state", "postcode", "country")]
        return number, CarrierAccount(
            carrier=lay.carrier,
            account_number=number,
            name=t.optional(cells, "account_name"),
            status=t.code(cells, "account_status", lay.account),
            billing_address=Address(*parts) if any(parts) else None,
            created_at=t.value(s, cells, "created_at", "created_at", lay.instant),
            currency=currency if isinstance(currency, str) else None,
            status_code=t.raw(cells, "account_status"),
            problems=s.done(),
        )

    return t.each(((line, cells[t.key], cells) for line, cells in t.rows), build)


def _invoice(
    t: Table, s: Salvage, cells: list[str], total: Decimal | None, taxes: Decimal | None
) -> Invoice:
    lay = t.layout
    currency = t.currency(cells)
    return Invoice(
        carrier=lay.carrier,
        account_number=t.text(cells, "account_number"),
        invoice_number=t.text(cells, "invoice_number"),
        period_start=t.value(s, cells, "period_start", "period_start", lay.day),
        period_end=t.value(s, cells, "period_end", "period_end", lay.day),
        issued_at=t.value(s, cells, "issued_at", "issued_at", lay.instant),
        due_at=t.value(s, cells, "due_at", "due_at", lay.instant),
        status=t.code(cells, "invoice_status", lay.invoice),
        total=t.money(s, "total", total, currency),
        taxes=t.money(s, "taxes", taxes, currency),
        status_code=t.raw(cells, "invoice_status"),
        problems=s.done(),
    )


def read_invoices(t: Table) -> list[tuple[str, Invoice]]:
    """Invoice rows -> (key cell, Invoice); one-row-per-line files are grouped first.

    Grouped invoices total their lines, and their tax lines make the taxes; a line whose
    amount, kind or currency cannot be read leaves its invoice's totals unknown (null).
    """
    lay = t.layout
    if "total" in t.at:  # one row per invoice

        def one(cells: list[str]) -> tuple[str, Invoice]:
            s = Salvage()
            total = t.value(s, cells, "total", "total", lay.money)
            taxes = t.value(s, cells, "taxes", "taxes", lay.money)
            return cells[t.key], _invoice(t, s, cells, total, taxes)

        return t.each(((line, cells[t.key], cells) for line, cells in t.rows), one)
    at_number, at_currency = t.at["invoice_number"], t.at["currency"]
    # (key cell, invoice number) -> [first row, its cells, total, taxes, problems]; rows
    # without a number stay apart per key, so each is reported beside its own account
    groups: dict[tuple[str, str], list[Any]] = {}
    amount_column, kind_column = lay.headers["amount"], lay.headers["line_kind"]
    for line, cells in t.rows:
        number = (cells[t.key], cells[at_number])
        group = groups.get(number)
        if group is None:
            group = groups[number] = [line, cells, _ZERO, _ZERO, Salvage()]
        s: Salvage = group[4]
        text, kind = cells[t.at["amount"]], cells[t.at["line_kind"]]
        try:
            if not text:
                raise FieldError(amount_column, "empty")  # noqa: TRY301
            amount = lay.money(text, amount_column)
            tax = lay.line_kind.lenient(kind, kind_column) is InvoiceLineKind.TAX if kind else None
            if tax is None:
                raise FieldError(kind_column, "empty")  # noqa: TRY301
            if cells[at_currency] != group[1][at_currency]:
                raise FieldError(lay.headers["currency"], "differs from the invoice's first line")  # noqa: TRY301
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
        ((g[0], g[1][t.key], g) for g in groups.values()),
        lambda g: (g[1][t.key], _invoice(t, g[4], g[1], g[2], g[3])),
    )


def read_lines(t: Table) -> list[tuple[str, InvoiceLine]]:
    """Invoice line rows (of either layout) -> (invoice number, InvoiceLine), in file order."""
    lay = t.layout

    def build(cells: list[str]) -> tuple[str, InvoiceLine]:
        s = Salvage()
        amount = t.value(s, cells, "amount", "amount", lay.money)
        return t.text(cells, "invoice_number"), InvoiceLine(
            kind=t.code(cells, "line_kind", lay.line_kind),
            service_id=t.optional(cells, "service_id"),
            description=t.optional(cells, "description"),
            quantity=t.value(s, cells, "quantity", "quantity", lay.number),
            amount=t.money(s, "amount", amount, t.currency(cells)),
            kind_code=t.raw(cells, "line_kind"),
            problems=s.done(),
        )

    return t.each(((line, cells[t.key], cells) for line, cells in t.rows), build)


def read_usage(t: Table) -> list[tuple[str, UsageRecord]]:
    """Call record rows -> (account number, UsageRecord)."""
    lay = t.layout

    def build(cells: list[str]) -> tuple[str, UsageRecord]:
        account = t.text(cells, "account_number")
        s = Salvage()
        charge = t.value(s, cells, "charge", "charge", lay.money)
        return account, UsageRecord(
            carrier=lay.carrier,
            account_number=account,
            usage_id=t.text(cells, "usage_id"),
            service_id=t.optional(cells, "service_id"),
            started_at=t.value(s, cells, "started_at", "started_at", lay.instant),
            duration_seconds=t.value(s, cells, "duration", "duration_seconds", lay.seconds),
            from_number=t.optional(cells, "from_number"),
            to_number=t.optional(cells, "to_number"),
            direction=t.code(cells, "direction", lay.direction),
            call_type=t.code(cells, "call_type", lay.call_type),
            charge=t.money(s, "charge", charge, t.currency(cells)),
            problems=s.done(),
        )

    return t.each(((line, cells[t.key], cells) for line, cells in t.rows), build)
