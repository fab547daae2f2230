"""The carrier file of a carrier that only publishes monthly CSV exports.

Some carriers offer no API at all: once a month their billing system drops an invoice
export, an invoice-line export and a call-record (usage) export, one CSV file per
billing period, and sometimes a customer account list. What differs between them is
where the files live, how the bytes are written (delimiter, encoding, number and date
formats) and what the columns and codes are called; that is all a carrier file says.
Defaults (paths, how many months, column headers, codes) live in the adapter,
:mod:`connectors.protocols.csv_export`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator, model_validator

from connectors.models import CallDirection, CallType, InvoiceLineKind, Resource
from connectors.specs.common import CarrierBase, Strict

if TYPE_CHECKING:
    from enum import StrEnum

__all__ = [
    "COLUMN_FIELDS",
    "CSV_RESOURCES",
    "CsvCodes",
    "CsvDialect",
    "CsvExports",
    "CsvSpec",
    "PeriodicExport",
]

CSV_RESOURCES = frozenset(
    {Resource.ACCOUNTS, Resource.INVOICES, Resource.INVOICE_LINES, Resource.USAGE}
)
"""What CSV exports can hold; services, orders, tickets and quotes never come as files."""

COLUMN_FIELDS = frozenset(
    {
        # accounts
        "account_number",
        "account_name",
        "account_status",
        "street",
        "city",
        "state",
        "postcode",
        "country",
        "created_at",
        # invoices (summary rows, or the invoice half of one-row-per-line files)
        "invoice_number",
        "period_start",
        "period_end",
        "issued_at",
        "due_at",
        "invoice_status",
        "currency",
        "total",
        "taxes",
        # invoice lines
        "line_kind",
        "service_id",
        "description",
        "quantity",
        "amount",
        # usage (call records)
        "usage_id",
        "started_at",
        "duration",
        "from_number",
        "to_number",
        "direction",
        "call_type",
        "charge",
    }
)
"""Normalized field names a carrier file's ``columns`` may give a header for."""

_CODE_ENUMS: dict[str, type[StrEnum]] = {
    "line_kind": InvoiceLineKind,
    "direction": CallDirection,
    "call_type": CallType,
}
_SAMPLE_DAY = date(2031, 12, 31)
_SAMPLE_INSTANT = datetime(2031, 12, 31, 17, 4, 5, tzinfo=UTC)


def _check_path(path: str, *, periodic: bool) -> str:
    if not path.startswith("/"):
        raise ValueError("an export path starts with '/' (it is relative to base_url)")
    if periodic and "{period" not in path:
        raise ValueError("a monthly export path names its month, e.g. '{period:%Y-%m}'")
    try:
        path.format(period=_SAMPLE_DAY)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"'{path}' is not a path template with only {{period}}: {exc}") from None
    return path


class PeriodicExport(Strict):
    """One export published once per billing month.

    Attributes:
        path: Where a month's file lives, relative to ``base_url``; ``{period:<strftime>}``
            is the month's first day (``/exports/usage/{period:%Y-%m}.csv``).
        months: How many past full months to download (adapter default: 12 for invoices
            and invoice lines, 3 for usage).
    """

    path: str | None = None
    months: int | None = Field(default=None, ge=1, le=60)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return None if value is None else _check_path(value, periodic=True)


class CsvExports(Strict):
    """Where the carrier publishes its files.

    Attributes:
        invoices: The invoice export (one row per invoice line, or one per invoice).
        lines: The invoice-line export of a ``summary`` layout carrier.
        usage: The call-record export.
        accounts: The account list (one file, not monthly).
        index: A JSON index of the monthly files; when set, months and paths come from it
            (``{"exports": [{"kind": "invoices", "period": "2026-10", "path": "/..."}]}``).
    """

    invoices: PeriodicExport = PeriodicExport()
    lines: PeriodicExport = PeriodicExport()
    usage: PeriodicExport = PeriodicExport()
    accounts: str | None = None
    index: str | None = None

    @field_validator("accounts", "index")
    @classmethod
    def _fixed_path(cls, value: str | None) -> str | None:
        return None if value is None else _check_path(value, periodic=False)


class CsvDialect(Strict):
    """How the bytes of every file are written.

    Attributes:
        delimiter: Cell separator.
        encoding: Text encoding; ``utf-8-sig`` files start with a byte-order mark (Excel).
        decimal: Decimal separator of amounts and quantities.
        thousands: Digit-group separator ("" when the carrier writes none).
        money: ``units`` (``1234.50``) or integer ``cents`` (``123450``).
        date_format: strftime format of calendar dates.
        datetime_format: ``iso`` (ISO 8601 with an offset) or a strftime format; without
            ``%z`` the time is read as wall time in ``timezone``.
        timezone: IANA zone the carrier writes its times in.
        duration: Call durations as ``seconds`` or ``hms`` (``01:02:03``).
    """

    delimiter: Literal[",", ";", "|", "\t"] = ","
    encoding: Literal["utf-8", "utf-8-sig", "latin-1", "cp1252"] = "utf-8"
    decimal: Literal[".", ","] = "."
    thousands: Literal["", ",", ".", " ", "\u00a0", "'"] = ""
    money: Literal["units", "cents"] = "units"
    date_format: str = "%Y-%m-%d"
    datetime_format: str = "iso"
    timezone: str = "UTC"
    duration: Literal["seconds", "hms"] = "seconds"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone '{value}'") from None
        return value

    @field_validator("date_format")
    @classmethod
    def _date_round_trips(cls, value: str) -> str:
        text = _SAMPLE_DAY.strftime(value)
        try:
            back = datetime.strptime(text, value).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            back = None
        if back != _SAMPLE_DAY:
            raise ValueError(f"'{value}' does not read back the date it writes ('{text}')")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CsvDialect:
        if self.thousands == self.decimal:
            raise ValueError("thousands and decimal separators must differ")
        fmt = self.datetime_format
        if fmt != "iso":
            local = _SAMPLE_INSTANT.astimezone(ZoneInfo(self.timezone))
            text = local.strftime(fmt)
            try:
                back = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone applied below
            except ValueError:
                back = None
            if back is not None and back.tzinfo is None:
                back = back.replace(tzinfo=local.tzinfo)
            if back != _SAMPLE_INSTANT:
                raise ValueError(
                    f"datetime_format '{fmt}' does not read back the instant it writes "
                    f"('{text}'); keep seconds and the full date"
                )
        return self


class CsvCodes(Strict):
    """Carrier codes of the export-only vocabularies, merged over the adapter's defaults."""

    line_kind: dict[str, str] = Field(default_factory=dict)
    direction: dict[str, str] = Field(default_factory=dict)
    call_type: dict[str, str] = Field(default_factory=dict)

    @field_validator("line_kind", "direction", "call_type")
    @classmethod
    def _members(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        enum = _CODE_ENUMS[str(info.field_name)]
        for code, name in value.items():
            if name not in enum.__members__:
                allowed = ", ".join(enum.__members__)
                raise ValueError(f"code '{code}' maps to '{name}', expected one of: {allowed}")
        return value


class CsvSpec(CarrierBase):
    """A carrier publishing monthly invoice and usage exports as CSV files.

    Invoice and account statuses use the common ``status_maps`` (``invoice``,
    ``account``); line kinds, call directions and call types use ``codes``.
    ``max_keys_per_call`` does not apply: a file holds every account, so one request
    per month and export answers any number of keys.

    Example:
        >>> CsvSpec.model_validate({  # doctest: +SKIP
        ...     "id": "acme", "name": "Acme", "protocol": "csv",
        ...     "base_url": "https://files.acme.example", "capabilities": ["invoices"],
        ...     "dialect": {"delimiter": ";", "decimal": ","},
        ...     "columns": {"invoice_number": "Invoice No"},
        ... })
    """

    protocol: Literal["csv"]
    exports: CsvExports = CsvExports()
    invoice_layout: Literal["lines", "summary"] = "lines"
    dialect: CsvDialect = CsvDialect()
    columns: dict[str, str] = Field(default_factory=dict)
    codes: CsvCodes = CsvCodes()

    @field_validator("capabilities")
    @classmethod
    def _exportable(cls, value: frozenset[Resource]) -> frozenset[Resource]:
        extra = value - CSV_RESOURCES
        if extra:
            offered = ", ".join(sorted(CSV_RESOURCES))
            raise ValueError(f"CSV exports hold only {offered}; not {', '.join(sorted(extra))}")
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - COLUMN_FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {unknown}; known: {sorted(COLUMN_FIELDS)}")
        if any(not header.strip() for header in value.values()):
            raise ValueError("a column header cannot be blank")
        return value
