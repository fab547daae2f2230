"""A sandbox carrier back office that only publishes monthly CSV export files.

Serves one carrier's slice of the seeded data set as the files its carrier file
describes: an invoice export per billing month (one row per invoice line, or one row
per invoice plus an invoice-line export), a call-record export per calendar month (UTC),
an account list, and optionally a JSON index of the monthly files. Cells are written in
the carrier's own headers, codes, number and date formats, delimiter and encoding
(:mod:`connectors.sandbox.csv_writer`). Files exist only for the months the data set
covers (twelve of bills, three of calls, before the data set's anchor), so asking for
another month is a 404, as on a real file server. Files are encoded once at start-up.

Garbage, the CSV way: ``not_json`` serves the gzip-compressed file as if it were text
(a misconfigured file server), ``wrong_shape`` serves the rows under positional
headers (``Column1``, ``Column2``, ... as a spreadsheet export that lost its header
mapping), ``bad_record`` writes an unmapped code and an empty cell into the first row,
``bad_value`` an amount of 10^40 (or a date that is none) into each account's first
row, and ``unreadable_record`` blanks the own id of each account's newest invoice (or
its last call of each month).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from starlette.responses import Response

from connectors.models import Resource
from connectors.protocols.csv_export import CsvLayout, months_before
from connectors.sandbox._usage import MONTHS as USAGE_MONTHS
from connectors.sandbox.csv_writer import CsvWriter, Row

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.requests import Request

    from connectors.protocols.csv_export_records import Export, ExportKind
    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.specs.csv_export import CsvSpec

__all__ = ["CsvCarrierBackOffice"]

INVOICE_MONTHS = 12  # months of bills the data set holds before its anchor
UNMAPPED = "??unmapped??"

_CHARSETS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "latin-1": "iso-8859-1",
    "cp1252": "windows-1252",
}
_RESOURCES: dict[ExportKind, Resource] = {
    "accounts": Resource.ACCOUNTS,
    "invoices": Resource.INVOICES,
    "lines": Resource.INVOICE_LINES,
    "usage": Resource.USAGE,
}
# bad_record: per export, the code cells made unmapped and the required cells emptied.
_BREAK: dict[ExportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accounts": (("account_status",), ("account_name",)),
    "invoices": (("invoice_status", "line_kind"), ("issued_at",)),
    "lines": (("line_kind",), ("description",)),
    "usage": (("direction",), ("duration",)),
}


# bad_value: the amount made absurd, the first of these the export has (else a date).
_ABSURD = ("total", "amount", "charge")


def _anchor(data: CarrierData) -> date:
    """The data set's "today": the month after its latest bill (this month when none)."""
    if not data.invoices:
        return datetime.now(UTC).date().replace(day=1)
    latest = max(i.period_start for i in data.invoices)
    return date(latest.year + latest.month // 12, latest.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class _File:
    """One published export file: its rows kept for garbage, its bytes ready to send."""

    export: Export
    header: list[str]
    rows: list[list[str]]
    body: bytes
    period: date | None = None


class CsvCarrierBackOffice:
    """The export files of one sandbox carrier, independent of any web framework."""

    def __init__(self, spec: CsvSpec, data: CarrierData) -> None:
        self.spec = spec
        self.layout = layout = CsvLayout(spec)
        self.writer = w = CsvWriter(layout)
        self.media_type = f"text/csv; charset={_CHARSETS[spec.dialect.encoding]}"
        self.files: dict[str, _File] = {}
        listed: list[dict[str, str]] = []
        caps = spec.capabilities
        anchor = _anchor(data)
        self.newest_bills = max(months_before(anchor, INVOICE_MONTHS))
        exports = layout.exports
        summary = spec.invoice_layout == "summary"

        def publish(export: Export, path: str, rows: Iterable[Row], period: date | None) -> None:
            header = w.header(export)
            cells = w.cells(export, rows)
            self.files[path] = _File(export, header, cells, w.encode(header, cells), period)
            if period is not None:
                listed.append({"kind": export.kind, "period": f"{period:%Y-%m}", "path": path})

        if Resource.ACCOUNTS in caps:
            publish(
                exports["accounts"], exports["accounts"].path, map(w.account, data.accounts), None
            )
        lines = data.invoice_lines
        for period in months_before(anchor, INVOICE_MONTHS):
            bills = [i for i in data.invoices if i.period_start == period]
            if Resource.INVOICES in caps or (Resource.INVOICE_LINES in caps and not summary):
                rows = (
                    [w.invoice(i) for i in bills]
                    if summary
                    else [
                        w.invoice(i) | w.line(i.invoice_number, line)
                        for i in bills
                        for line in lines.get(i.invoice_number, ())
                    ]
                )
                export = exports["invoices"]
                publish(export, export.path.format(period=period), rows, period)
            if Resource.INVOICE_LINES in caps and summary:
                export = exports["lines"]
                rows = [
                    w.line(i.invoice_number, line)
                    for i in bills
                    for line in lines.get(i.invoice_number, ())
                ]
                publish(export, export.path.format(period=period), rows, period)
        if Resource.USAGE in caps:
            export = exports["usage"]
            for period in months_before(anchor, USAGE_MONTHS):
                calls = [
                    u
                    for u in data.usage
                    if u.started_at.astimezone(UTC).date().replace(day=1) == period
                ]
                publish(export, export.path.format(period=period), map(w.usage, calls), period)
        self.index = json.dumps({"exports": listed}, separators=(",", ":")).encode()

    def resource_of(self, path: str) -> Resource | None:
        file = self.files.get(path)
        return None if file is None else _RESOURCES[file.export.kind]

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Serve one file (or the index), broken as ``garbage`` asks."""
        if request.method != "GET":
            return Response("method not allowed", 405, media_type="text/plain")
        if path == self.layout.index:
            body = self.index
            if garbage == "not_json":
                body = gzip.compress(body, mtime=0)
            return Response(body, 200, media_type="application/json")
        file = self.files.get(path)
        if file is None:
            return Response(f"404 Not Found: {path}", 404, media_type="text/plain")
        body = file.body
        match garbage:
            case "not_json":
                body = gzip.compress(body, mtime=0)
            case "wrong_shape":
                header = [f"Column{n}" for n in range(1, len(file.header) + 1)]
                body = self.writer.encode(header, file.rows)
            case "bad_record":
                body = self.writer.encode(file.header, self._broken(file))
            case "bad_value":
                body = self.writer.encode(file.header, self._absurd(file))
            case "unreadable_record":
                body = self.writer.encode(file.header, self._without_id(file))
            case "none":
                pass
        name = path.rsplit("/", 1)[-1]
        return Response(
            body,
            200,
            media_type=self.media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _absurd(self, file: _File) -> list[list[str]]:
        """The rows with an absurd amount (or a date that is none) in each account's first.

        A file holds every account, and each should see one.
        """
        rows = [list(row) for row in file.rows]
        fields = file.export.fields
        field = next((f for f in _ABSURD if f in fields), "created_at")
        at, value = fields.index(field), "1" + "0" * 40 if field != "created_at" else "soon"
        seen: set[str] = set()
        for row in rows:
            account = row[fields.index("account_number")] if "account_number" in fields else ""
            if account not in seen:
                seen.add(account)
                row[at] = value
        return rows

    def _without_id(self, file: _File) -> list[list[str]]:
        """The rows with each account's last record's own id blanked (every row of it).

        Calls: where the account has at least two in the file; invoices (one a month per
        account): in the newest month's file only. Only in exports
        whose rows have an id beside the key they are asked by, which can lose it
        readably: invoices (asked by account) and calls. Accounts and invoice lines are
        found by the very cell that would be blanked, so a blank one is simply not asked for.
        """
        rows = [list(row) for row in file.rows]
        fields = file.export.fields
        if file.export.kind in {"accounts", "lines"}:
            return rows
        own = fields.index("usage_id" if "usage_id" in fields else "invoice_number")
        account = fields.index("account_number")
        ids: dict[str, list[str]] = {}
        for row in rows:
            found = ids.setdefault(row[account], [])
            if row[own] not in found:
                found.append(row[own])
        if file.export.kind == "invoices":  # one bill a month: the newest month's is lost
            newest = file.period == self.newest_bills
            lost = {found[-1] for found in ids.values()} if newest else set()
        else:
            lost = {found[-1] for found in ids.values() if len(found) > 1}
        for row in rows:
            if row[own] in lost:
                row[own] = ""
        return rows

    def _broken(self, file: _File) -> list[list[str]]:
        """The file's rows with an unmapped code and an empty required cell in the first."""
        rows = [list(row) for row in file.rows]
        if rows:
            codes, required = _BREAK[file.export.kind]
            fields = file.export.fields
            for field in codes:
                if field in fields:
                    rows[0][fields.index(field)] = UNMAPPED
            for field in required:
                rows[0][fields.index(field)] = ""
        return rows
