"""Normalized records -> one CSV export carrier's cells: the inverse of the adapter's reader.

The sandbox writes each carrier's files from the very layout the adapter reads them
with (:class:`~connectors.protocols.csv_export_records.CsvLayout`): its headers, its
codes (the first code of each status map), its number, date and duration formats, its
delimiter and its encoding. So a round trip through the sandbox is an exact test of
the carrier file.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date, datetime

    from connectors.models import CarrierAccount, Invoice, InvoiceLine, UsageRecord
    from connectors.protocols.csv_export import CsvLayout
    from connectors.protocols.csv_export_records import Export

__all__ = ["CsvWriter", "Row"]

Row = dict[str, str]
"""One file row: normalized field -> cell text."""

_CENT = Decimal("0.01")


class CsvWriter:
    """Writes records as one carrier's CSV cells and files.

    Example:
        >>> writer = CsvWriter(CsvLayout(spec))  # doctest: +SKIP
        >>> writer.money(Decimal("1234.5"))  # doctest: +SKIP
        '1.234,50'
    """

    def __init__(self, layout: CsvLayout) -> None:
        self.layout = layout
        d = layout.dialect
        self.dialect = d
        self._digits = str.maketrans({",": d.thousands or None, ".": d.decimal})
        self._grouped = ",f" if d.thousands else "f"

    def number(self, value: Decimal) -> str:
        return format(value, self._grouped).translate(self._digits)

    def money(self, value: Decimal) -> str:
        if self.dialect.money == "cents":
            return str(int(value.quantize(_CENT).scaleb(2)))
        return self.number(value.quantize(_CENT))

    def day(self, value: date) -> str:
        return value.strftime(self.dialect.date_format)

    def instant(self, value: datetime) -> str:
        local = value.astimezone(self.layout.zone)
        if self.dialect.datetime_format != "iso":
            return local.strftime(self.dialect.datetime_format)
        if self.layout.zone.key == "UTC":
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return local.isoformat()

    def duration(self, seconds: int) -> str:
        if self.dialect.duration == "seconds":
            return str(seconds)
        minutes, second = divmod(seconds, 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}:{second:02d}"

    def account(self, a: CarrierAccount) -> Row:
        addr = a.billing_address
        return {
            "account_number": a.account_number,
            "account_name": a.name,
            "account_status": self.layout.account.code_for(a.status),
            "street": addr.street,
            "city": addr.city,
            "state": addr.state,
            "postcode": addr.postcode,
            "country": addr.country,
            "currency": a.currency,
            "created_at": self.instant(a.created_at),
        }

    def invoice(self, i: Invoice) -> Row:
        return {
            "account_number": i.account_number,
            "invoice_number": i.invoice_number,
            "period_start": self.day(i.period_start),
            "period_end": self.day(i.period_end),
            "issued_at": self.instant(i.issued_at),
            "due_at": self.instant(i.due_at),
            "invoice_status": self.layout.invoice.code_for(i.status),
            "currency": i.total.currency,
            "total": self.money(i.total.amount),
            "taxes": self.money(i.taxes.amount),
        }

    def line(self, invoice_number: str, line: InvoiceLine) -> Row:
        return {
            "invoice_number": invoice_number,
            "line_kind": self.layout.line_kind.code_for(line.kind),
            "service_id": line.service_id or "",
            "description": line.description,
            "quantity": self.number(line.quantity),
            "amount": self.money(line.amount.amount),
            "currency": line.amount.currency,
        }

    def usage(self, u: UsageRecord) -> Row:
        return {
            "account_number": u.account_number,
            "usage_id": u.usage_id,
            "service_id": u.service_id,
            "started_at": self.instant(u.started_at),
            "duration": self.duration(u.duration_seconds),
            "from_number": u.from_number,
            "to_number": u.to_number,
            "direction": self.layout.direction.code_for(u.direction),
            "call_type": self.layout.call_type.code_for(u.call_type),
            "charge": self.money(u.charge.amount),
            "currency": u.charge.currency,
        }

    def header(self, export: Export) -> list[str]:
        """The carrier's header row of an export."""
        return [self.layout.headers[field] for field in export.fields]

    def cells(self, export: Export, rows: Iterable[Mapping[str, str]]) -> list[list[str]]:
        """Rows as cell lists in the export's column order."""
        return [[row[field] for field in export.fields] for row in rows]

    def encode(self, header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
        """A whole file: header and rows, delimited and encoded as the carrier does."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=self.dialect.delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode(self.dialect.encoding)
