"""CSV export adapter: carriers whose back office is a folder of monthly CSV files.

Written once, driven by a carrier's :class:`~connectors.specs.csv_export.CsvSpec`. A
file holds every account of its month, so a batch is one download per month and
export whatever the number of keys: the last N full months (from the carrier file's
path templates, or from its JSON index when it publishes one) are fetched concurrently,
parsed with the stdlib ``csv`` module and filtered to the wanted keys before any cell
is parsed. :class:`CsvLayout` resolves the carrier file once (paths, columns, codes,
number and date formats compiled to regular expressions, defaults merged in); rows are
read by :mod:`connectors.protocols.csv_export_records`. Anything that does not fit is
``UpstreamInvalid`` naming the carrier, the record, the column, the file and the row;
a missing month (HTTP 404) is ``UpstreamUnavailable``.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from connectors import downloads
from connectors.base import Records
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid
from connectors.mapping import (
    LIMITS,
    MEMO_LIMIT,
    FieldError,
    StatusMap,
    build_status_map,
    parse_amount,
    parse_datetime,
)
from connectors.models import (
    AccountStatus,
    CallDirection,
    CallType,
    Carrier,
    InvoiceLineKind,
    InvoiceStatus,
    Resource,
)
from connectors.protocols.csv_export_records import (
    ACCOUNT_FIELDS,
    INVOICE_FIELDS,
    LINE_FIELDS,
    RECORDS,
    USAGE_FIELDS,
    Export,
    ExportKind,
    Table,
    open_table,
    read_accounts,
    read_invoices,
    read_lines,
    read_usage,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import tzinfo

    from connectors.base import Fetch
    from connectors.specs.csv_export import CsvSpec
    from connectors.transport import CarrierClient

__all__ = [
    "DEFAULT_CODES",
    "DEFAULT_MONTHS",
    "DEFAULT_PATHS",
    "CsvExportConnector",
    "CsvLayout",
    "months_before",
]

T = TypeVar("T")

DEFAULT_PATHS: Mapping[ExportKind, str] = {
    "accounts": "/exports/accounts.csv",
    "invoices": "/exports/invoices/{period:%Y-%m}.csv",
    "lines": "/exports/invoice-lines/{period:%Y-%m}.csv",
    "usage": "/exports/usage/{period:%Y-%m}.csv",
}
DEFAULT_MONTHS: Mapping[ExportKind, int] = {"accounts": 0, "invoices": 12, "lines": 12, "usage": 3}
DEFAULT_CODES: Mapping[str, Mapping[str, str]] = {
    "account": {"active": "ACTIVE", "suspended": "SUSPENDED", "closed": "CLOSED"},
    "invoice": {"issued": "ISSUED", "due": "PAYMENT_DUE", "paid": "PAID", "overdue": "OVERDUE",
                "disputed": "DISPUTED", "credited": "CREDITED"},
    "line_kind": {k.value.lower(): k.value for k in InvoiceLineKind},
    "direction": {d.value.lower(): d.value for d in CallDirection},
    "call_type": {t.value.lower(): t.value for t in CallType},
}  # fmt: skip

_ACCEPT = {"Accept": "text/csv, text/plain;q=0.5"}
_CENT = Decimal("0.01")
_TOKENS = {"Y": r"(\d{4})", "m": r"(\d{1,2})", "d": r"(\d{1,2})", "H": r"(\d{1,2})",
           "I": r"(\d{1,2})", "M": r"(\d{1,2})", "S": r"(\d{1,2})", "p": r"(AM|PM|am|pm)",
           "z": r"(Z|[+-]\d{2}:?\d{2})"}  # fmt: skip
_DATE, _H24, _H12 = frozenset("Ymd"), frozenset("YmdHMS"), frozenset("YmdIpMS")


def months_before(today: date, count: int) -> list[date]:
    """The first days of the ``count`` full months before ``today``'s, oldest first."""
    base = today.year * 12 + today.month - 1
    months = (divmod(base - back, 12) for back in range(count, 0, -1))
    return [date(year, month0 + 1, 1) for year, month0 in months]


def _utc_today() -> date:
    return datetime.now(UTC).date()


_D = TypeVar("_D", date, datetime)
X = TypeVar("X")


def _in_years(value: _D, column: str) -> _D:
    """A date within :data:`~connectors.mapping.LIMITS`' years, or a FieldError."""
    if not LIMITS.earliest_year <= value.year <= LIMITS.latest_year:
        raise FieldError(
            column, f"year {value.year} outside {LIMITS.earliest_year}-{LIMITS.latest_year}"
        )
    return value


def _remember(memo: dict[str, X], text: str, value: X) -> None:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[text] = value


class _Clock:
    """A strftime format compiled once to a regular expression.

    ``datetime.strptime`` costs 10-20 us a call on these machines (it takes a lock and
    checks the locale each time); the common numeric formats match here in about a
    quarter of that. Other formats (month names, two-digit years) fall back to strptime.
    """

    def __init__(self, fmt: str, zone: tzinfo, allowed: tuple[frozenset[str], ...]) -> None:
        self.fmt, self.zone = fmt, zone
        self.at: dict[str, int] = {}
        pattern = []
        for part in re.split(r"(%.)", fmt):
            key = part[1:] if len(part) == 2 and part[0] == "%" else ""
            if key in _TOKENS and key not in self.at:
                self.at[key] = len(self.at) + 1
                pattern.append(_TOKENS[key])
            else:
                pattern.append("%" if key == "%" else re.escape(part) if not key else "\0")
        usable = frozenset(self.at) - {"z"} in allowed and "\0" not in pattern
        self.match = re.compile("".join(pattern), re.ASCII).fullmatch if usable else None
        self._offsets: dict[str, tzinfo] = {"Z": UTC}

    def read(self, text: str, column: str) -> datetime:
        """A date-time (aware, in UTC); wall times take the zone, first of a repeated hour."""
        if self.match is None:
            parsed = self._strptime(text, column)
            return parsed.replace(tzinfo=parsed.tzinfo or self.zone).astimezone(UTC)
        found = self.match(text)
        if found is None:
            raise self._bad(text, column)
        at = self.at
        if "H" in at:
            hour = int(found[at["H"]])
        else:
            hour = int(found[at["I"]])
            if not 1 <= hour <= 12:
                raise self._bad(text, column)
            hour = hour % 12 + (12 if found[at["p"]] in {"PM", "pm"} else 0)
        zone = self.zone if "z" not in at else self._offset(found[at["z"]])
        try:
            value = datetime(int(found[at["Y"]]), int(found[at["m"]]), int(found[at["d"]]), hour,
                             int(found[at["M"]]), int(found[at["S"]]), tzinfo=zone)  # fmt: skip
        except ValueError:
            raise self._bad(text, column) from None
        return value.astimezone(UTC)

    def day(self, text: str, column: str) -> date:
        """A calendar date."""
        if self.match is None:
            return self._strptime(text, column).date()
        found = self.match(text)
        if found is None:
            raise self._bad(text, column)
        at = self.at
        try:
            return date(int(found[at["Y"]]), int(found[at["m"]]), int(found[at["d"]]))
        except ValueError:
            raise self._bad(text, column) from None

    def _strptime(self, text: str, column: str) -> datetime:
        try:
            return datetime.strptime(text, self.fmt)  # noqa: DTZ007 - the caller adds the zone
        except ValueError:
            raise self._bad(text, column) from None

    def _bad(self, text: str, column: str) -> FieldError:
        return FieldError(column, f"not as '{self.fmt}': '{text[:40]}'")

    def _offset(self, text: str) -> tzinfo:
        zone = self._offsets.get(text)
        if zone is None:
            sign = -1 if text[0] == "-" else 1
            digits = text[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            zone = self._offsets[text] = timezone(sign * delta)
        return zone


class CsvLayout:
    """One carrier's files as its carrier file describes them, defaults merged in.

    Both sides use it: the adapter reads with its cell parsers, the sandbox writes with
    its headers, codes and formats.

    Example:
        >>> layout = CsvLayout(spec)  # doctest: +SKIP
        >>> layout.money("1.234,50", "Betrag")  # doctest: +SKIP
        Decimal('1234.50')
    """

    def __init__(self, spec: CsvSpec) -> None:
        self.carrier = spec.id
        self.dialect = d = spec.dialect
        self.codec = "utf-8-sig" if d.encoding.startswith("utf-8") else d.encoding
        self.headers: dict[str, str] = {f: f for f in ACCOUNT_FIELDS + INVOICE_FIELDS}
        self.headers |= {f: f for f in (*LINE_FIELDS, "total", "taxes", *USAGE_FIELDS)}
        self.headers |= spec.columns
        self.index = spec.exports.index
        self.zone = ZoneInfo(d.timezone)
        self.exports = self._exports(spec)
        status, codes = spec.status_maps, spec.codes

        def build(name: str, enum: Any, overrides: Mapping[str, str], origin: str) -> Any:  # noqa: ANN401
            return build_status_map(enum, DEFAULT_CODES[name], overrides, origin)

        self.account: StatusMap[AccountStatus] = build(
            "account", AccountStatus, status.account, "status_maps.account"
        )
        self.invoice: StatusMap[InvoiceStatus] = build(
            "invoice", InvoiceStatus, status.invoice, "status_maps.invoice"
        )
        self.line_kind: StatusMap[InvoiceLineKind] = build(
            "line_kind", InvoiceLineKind, codes.line_kind, "codes.line_kind"
        )
        self.direction: StatusMap[CallDirection] = build(
            "direction", CallDirection, codes.direction, "codes.direction"
        )
        self.call_type: StatusMap[CallType] = build(
            "call_type", CallType, codes.call_type, "codes.call_type"
        )
        group, point = re.escape(d.thousands), re.escape(d.decimal)
        whole = rf"(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)" if d.thousands else r"\d+"
        self._number = re.compile(rf"-?{whole}(?:{point}\d+)?", re.ASCII).fullmatch
        self._cents = re.compile(r"-?\d+", re.ASCII).fullmatch
        swap: dict[str, str | None] = {d.thousands: None} if d.thousands else {}
        if d.decimal != ".":
            swap[d.decimal] = "."
        self._plain = str.maketrans(swap)
        self._dates = _Clock(d.date_format, self.zone, (_DATE,))
        self._times = _Clock(d.datetime_format, self.zone, (_H24, _H12))
        self._iso_times = d.datetime_format == "iso"
        self._in_cents = d.money == "cents"
        # Cells read well, by their text (LIMITS' years and bound checked on every read).
        self._numbers: dict[str, Decimal] = {}
        self._amounts: dict[str, tuple[Decimal, Decimal]] = {}  # text -> (as read, to the cent)
        self._days: dict[str, date] = {}
        self._instants: dict[str, datetime] = {}

    def _exports(self, spec: CsvSpec) -> dict[ExportKind, Export]:
        files = spec.exports
        summary = spec.invoice_layout == "summary"
        fields: dict[ExportKind, tuple[str, ...]] = {
            "accounts": ACCOUNT_FIELDS,
            "invoices": INVOICE_FIELDS + (("total", "taxes") if summary else LINE_FIELDS),
            "lines": ("invoice_number", *LINE_FIELDS, "currency"),
            "usage": USAGE_FIELDS,
        }
        monthly = {"invoices": files.invoices, "lines": files.lines, "usage": files.usage}
        exports: dict[ExportKind, Export] = {}
        for kind, columns in fields.items():
            file = monthly.get(kind)
            path = files.accounts if file is None else file.path
            months = (file.months if file else None) or DEFAULT_MONTHS[kind]
            exports[kind] = Export(
                kind, RECORDS[kind], path or DEFAULT_PATHS[kind], months, columns
            )
            headers = [self.headers[f] for f in columns]
            if len(set(headers)) != len(headers):
                raise ValueError(f"columns: two fields of the {kind} export share a header")
        return exports

    # cell parsers: each takes the cell text and the column header (for errors) ----------

    def number(self, text: str, column: str) -> Decimal:
        """A quantity in the carrier's number format."""
        found = self._numbers.get(text)
        if found is None:
            if self._number(text) is None:
                raise FieldError(column, f"not a number: '{text[:40]}'")
            found = Decimal(text.translate(self._plain))
            _remember(self._numbers, text, found)
        return found

    def money(self, text: str, column: str) -> Decimal:
        """An amount in units or cents, as the carrier writes money, to the cent."""
        found = self._amounts.get(text)
        if found is not None and abs(found[0]) <= LIMITS.max_amount:
            return found[1]
        if self._in_cents:
            if self._cents(text) is None:
                raise FieldError(column, f"not an amount in cents: '{text[:40]}'")
            raw = Decimal(text).scaleb(-2)
        else:
            raw = self.number(text, column)
        amount = parse_amount(raw, column)
        _remember(self._amounts, text, (raw, amount))
        return amount

    def day(self, text: str, column: str) -> date:
        """A calendar date in the carrier's date format, within the years LIMITS allows."""
        found = self._days.get(text)
        if found is None:
            found = self._dates.day(text, column)
            _remember(self._days, text, found)
        return _in_years(found, column)

    def instant(self, text: str, column: str) -> datetime:
        """A point in time in the carrier's format and zone -> aware UTC."""
        if self._iso_times:
            return parse_datetime(text, column)  # remembered by mapping
        found = self._instants.get(text)
        if found is None:
            try:
                found = self._times.read(text, column)
            except OverflowError:
                raise FieldError(column, f"date-time out of range: '{text[:40]}'") from None
            _remember(self._instants, text, found)
        return _in_years(found, column)

    def seconds(self, text: str, column: str) -> int:
        """A call duration in whole seconds (``123`` or ``00:02:03``)."""
        if self.dialect.duration == "seconds":
            if not text.isdigit():
                raise FieldError(column, f"not a whole number of seconds: '{text[:40]}'")
            return int(text)
        parts = text.split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts) or max(map(int, parts[1:])) > 59:
            raise FieldError(column, f"not a duration as HH:MM:SS: '{text[:40]}'")
        return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])


class CsvExportConnector:
    """A connector for any carrier that publishes monthly CSV exports.

    Example:
        >>> connector = CsvExportConnector(spec, CarrierClient(spec))  # doctest: +SKIP
        >>> await connector.fetch(INVOICES_BY_ACCOUNT, ["100234"])  # doctest: +SKIP
    """

    def __init__(
        self,
        spec: CsvSpec,
        client: CarrierClient,
        *,
        today: Callable[[], date] = _utc_today,
    ) -> None:
        self.spec = spec
        self.client = client
        self.layout = CsvLayout(spec)
        self._today = today
        self._carrier = spec.record()
        lines: ExportKind = "invoices" if spec.invoice_layout == "lines" else "lines"
        # (resource, key kind) -> (export, key column, reader)
        self._plans: dict[tuple[Resource, str], tuple[ExportKind, str, Callable[[Table], Any]]] = {
            (Resource.ACCOUNTS, "id"): ("accounts", "account_number", read_accounts),
            (Resource.INVOICES, "account"): ("invoices", "account_number", read_invoices),
            (Resource.INVOICES, "id"): ("invoices", "invoice_number", read_invoices),
            (Resource.INVOICE_LINES, "invoice"): (lines, "invoice_number", read_lines),
            (Resource.USAGE, "account"): ("usage", "account_number", read_usage),
        }

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        plan = self._plans.get((what.resource, what.key))
        if what.resource not in self.spec.capabilities or plan is None:
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not export {what.name}", carrier=self.spec.id
            )
        kind, key, read = plan
        wanted = frozenset(keys)
        grouped: dict[str, list[T]] = defaultdict(list)
        if not wanted:
            return grouped
        export = self.layout.exports[kind]
        paths = await self._paths(export)
        bodies = await asyncio.gather(*(self._download(path) for path in paths))
        dropped: dict[str, list[UpstreamInvalid]] = defaultdict(list)
        for path, body in zip(paths, bodies, strict=True):
            table = open_table(self.layout, export, path, body, key, wanted)
            for record_key, record in read(table):
                grouped[record_key].append(record)
            for record_key, error in table.dropped:
                dropped[record_key].append(error)
        if not dropped:
            return grouped
        return {
            k: Records(grouped.get(k, ()), dropped=dropped.get(k, ())) for k in {*grouped, *dropped}
        }

    async def _download(self, path: str, headers: Mapping[str, str] | None = _ACCEPT) -> bytes:
        """A file's bytes, once per request: its later batches read the same download."""
        kept = downloads.current()
        body = None if kept is None else kept.get(self.spec.id, path)
        if body is None:
            body = (await self.client.send("GET", path, headers=headers)).content
            if kept is not None:
                kept.keep(self.spec.id, path, body)
        return body

    async def _paths(self, export: Export) -> list[str]:
        """The files to download for an export: the one file, or one per recent month."""
        if not export.months:
            return [export.path]
        periods = months_before(self._today(), export.months)
        if self.layout.index is None:
            return [export.path.format(period=period) for period in periods]
        listed = await self._index(self.layout.index)
        wanted = set(periods)
        return [path for kind, period, path in listed if kind == export.kind and period in wanted]

    async def _index(self, path: str) -> list[tuple[str, date, str]]:
        """The carrier's index of monthly files: (kind, month, path), oldest month first."""
        body = await self._download(path, None)
        index = self.client.decode_json(httpx.Response(200, content=body))
        entries = index.get("exports") if isinstance(index, Mapping) else None
        if not isinstance(entries, list):
            raise self._bad_index("the index has no 'exports' list", "exports")
        listed = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise self._bad_index("an index entry is not an object", "exports")
            kind, period, file = entry.get("kind"), entry.get("period"), entry.get("path")
            if not (isinstance(kind, str) and isinstance(period, str) and isinstance(file, str)):
                raise self._bad_index("an index entry lacks kind, period or path", "exports")
            try:
                month = date.fromisoformat(f"{period}-01")
            except ValueError:
                raise self._bad_index(f"'{period[:20]}' is not a YYYY-MM month", "period") from None
            listed.append((kind, month, file))
        return sorted(listed, key=lambda item: item[1])

    def _bad_index(self, problem: str, field: str) -> UpstreamInvalid:
        carrier = self.spec.id
        return UpstreamInvalid(
            f"carrier '{carrier}' sent an invalid export index: {problem}",
            carrier=carrier,
            record="export index",
            field=field,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
