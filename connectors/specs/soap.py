"""The carrier file of a legacy WSDL/SOAP billing and orders service.

Carriers of this family expose one SOAP 1.1 document/literal endpoint with a
``Get<Resource>`` operation per resource. What differs between them is what this
spec holds: the target namespace, the SOAPAction style, operation and element names,
the time zone and formats of dates, times and amounts, status vocabularies and paging
(a page number in the request body, a continuation token, or none). Everything else
is the family's and lives in the adapter (``connectors/protocols/soap.py``).

The value formats a carrier file names (:class:`TimeFormat`, :class:`DayFormat`,
:class:`AmountFormat`) live here too: validated and compiled from the file in one
place, read by the adapter and written by the sandbox with the same object.
"""

from __future__ import annotations

import re
import string
import zoneinfo
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from connectors.mapping import FieldError
from connectors.models import Resource
from connectors.specs.common import CarrierBase, CursorPaging, NoPaging, PagePaging, Strict

__all__ = [
    "DEFAULT_OPERATIONS",
    "ELEMENT_NAMES",
    "SOAP_RESOURCES",
    "AmountFormat",
    "DayFormat",
    "SoapCursorPaging",
    "SoapMoney",
    "SoapPagePaging",
    "SoapPaging",
    "SoapSpec",
    "TimeFormat",
]

NCNAME = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"

DEFAULT_OPERATIONS: dict[Resource, str] = {
    Resource.ACCOUNTS: "GetAccounts",
    Resource.SERVICES: "GetServices",
    Resource.INVOICES: "GetInvoices",
    Resource.INVOICE_LINES: "GetInvoiceLines",
    Resource.ORDERS: "GetOrders",
    Resource.TICKETS: "GetTickets",
}
SOAP_RESOURCES = frozenset(DEFAULT_OPERATIONS)
"""The resources this family offers (no usage or quotes)."""

_NAMES = """
    Accounts Account Services Service Invoices Invoice InvoiceLines InvoiceLine Orders Order
    Tickets Ticket AccountNumber Status Currency ServiceId Description
    Street City State PostalCode Country AccountName OpenedDate BillingAddress
    CircuitId TelephoneNumbers TelephoneNumber Product BandwidthMbps ServiceAddress ZEndAddress
    ActivationDate MonthlyCharge InstallCharge TermMonths ContractEndDate
    InvoiceNumber PeriodStart PeriodEnd InvoiceDate DueDate TotalAmount TaxAmount
    LineType Quantity Amount
    OrderId PurchaseOrderNumber OrderType OrderDate RequestedDate CommittedDate Items Item ItemId
    Action Milestones Milestone Name PlannedDate ActualDate Remark
    Notes Note Author Organization CreatedDate Text Visibility
    TicketId TicketType Severity Priority Impact ReportedDate ExpectedResolutionDate
    ResolvedDate SlaTargetDate History StatusChange ChangeDate
"""
ELEMENT_NAMES = frozenset(_NAMES.split())
"""The family's element names of answers; a carrier's ``field_names`` renames some."""

_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal"})
_TOKENS = {
    "Y": r"(?P<Y>\d{4})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})",
    "I": r"(?P<I>\d{1,2})",
    "M": r"(?P<M>\d{2})",
    "S": r"(?P<S>\d{2})",
    "p": r"(?P<p>[AaPp][Mm])",
    "Z": r"(?P<Z>[A-Za-z]{1,6}|[+-]\d{2}(?:\d{2})?)",
    "z": r"(?P<z>Z|[+-]\d{2}:?\d{2})",
    "%": "%",
}
_AMOUNTS = {
    "decimal": re.compile(r"-?\d+(?:\.\d{1,4})?"),
    "grouped": re.compile(r"-?\d{1,3}(?:,\d{3})*(?:\.\d{1,4})?"),
    "decimal_comma": re.compile(r"-?\d{1,3}(?:\.\d{3})*(?:,\d{1,4})?"),
    "minor_units": re.compile(r"-?\d+"),
}
_CENT = Decimal("0.01")
_Parts = tuple[int, int, int, int, int, int]  # year, month, day, hour, minute, second


def _compile(pattern: str) -> re.Pattern[str]:
    """A strftime-style pattern (the spec validated its directives) -> a regex."""
    return re.compile(
        "".join(
            _TOKENS[piece[1]] if len(piece) == 2 and piece[0] == "%" else re.escape(piece)
            for piece in re.split(r"(%.)", pattern)
        )
    )


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


class TimeFormat:
    """A carrier's date-time format: ``iso`` (xs:dateTime) or a strftime-style pattern.

    A time without an offset is the carrier's local time in its ``timezone``; one that
    falls in a DST change (ambiguous or skipped) is refused, never guessed, unless the
    pattern carries the zone abbreviation (``%Z``: ``CST``/``CDT``) that settles it.
    """

    __slots__ = ("abbreviated", "at", "offset", "pattern", "regex", "twelve_hour", "utc", "zone")

    def __init__(self, pattern: str, zone: zoneinfo.ZoneInfo) -> None:
        self.pattern = pattern
        self.zone = zone
        self.utc = zone.key in _UTC_ZONES
        self.regex = None if pattern == "iso" else _compile(pattern)
        self.twelve_hour = "%I" in pattern
        self.abbreviated = "%Z" in pattern
        self.offset = "%z" in pattern
        # Positions in match.groups() (cheaper than looking each group up by name).
        names = {} if self.regex is None else self.regex.groupindex
        self.at = {name: index - 1 for name, index in names.items()}

    def parse(self, text: str, field: str) -> datetime:
        """The UTC instant a wire value stands for."""
        if self.regex is None:
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise FieldError(field, f"not an xs:dateTime: '{text[:40]}'") from None
            if value.tzinfo is not None:
                return value.astimezone(UTC)
            parts = value.year, value.month, value.day, value.hour, value.minute, value.second
            return self._local(parts, field).replace(microsecond=value.microsecond)
        match = self.regex.fullmatch(text)
        if match is None:
            raise FieldError(field, f"expected '{self.pattern}', got '{text[:40]}'")
        g, at = match.groups(), self.at
        if self.twelve_hour:
            hour = int(g[at["I"]])
            if not 0 < hour <= 12:  # a 12-hour clock runs 1..12
                raise FieldError(field, f"not a 12-hour time: '{text[:40]}'")
            hour = hour % 12 + (12 if g[at["p"]] in {"PM", "pm", "Pm", "pM"} else 0)  # 12 AM: 0h
        else:
            hour = int(g[at["H"]])
        parts = (
            int(g[at["Y"]]),
            int(g[at["m"]]),
            int(g[at["d"]]),
            hour,
            int(g[at["M"]]),
            int(g[at["S"]]),
        )
        try:
            if self.offset:
                return datetime(*parts, tzinfo=_offset(g[at["z"]])).astimezone(UTC)
            if self.abbreviated:
                return self._named(parts, g[at["Z"]], field)
            return self._local(parts, field)
        except FieldError:
            raise
        except ValueError:  # from datetime(): a day or an hour that does not exist
            raise FieldError(field, f"not a valid date-time: '{text[:40]}'") from None

    def _local(self, parts: _Parts, field: str) -> datetime:
        if self.utc:
            return datetime(*parts, tzinfo=UTC)
        local = datetime(*parts, tzinfo=self.zone)
        if local.utcoffset() != datetime(*parts, tzinfo=self.zone, fold=1).utcoffset():
            raise FieldError(
                field,
                f"local time {local:%Y-%m-%d %H:%M:%S} is ambiguous or skipped in "
                f"{self.zone.key} (a DST change); the format needs %Z or %z",
            )
        return local.astimezone(UTC)

    def _named(self, parts: _Parts, abbreviation: str, field: str) -> datetime:
        local = datetime(*parts, tzinfo=self.zone)
        if local.tzname() != abbreviation:
            local = datetime(*parts, tzinfo=self.zone, fold=1)
            if local.tzname() != abbreviation:
                if abbreviation in {"UTC", "GMT"}:
                    return datetime(*parts, tzinfo=UTC)
                raise FieldError(field, f"'{abbreviation}' is not a zone of {self.zone.key}")
        return local.astimezone(UTC)

    def write(self, value: datetime) -> str:
        """How the carrier writes an instant (the sandbox's side)."""
        local = value.astimezone(self.zone)
        return local.isoformat() if self.regex is None else local.strftime(self.pattern)


class DayFormat:
    """A carrier's calendar-date format: ``iso`` (xs:date) or a strftime-style pattern."""

    __slots__ = ("pattern", "regex")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.regex = None if pattern == "iso" else _compile(pattern)

    def parse(self, text: str, field: str) -> date:
        match = None if self.regex is None else self.regex.fullmatch(text)
        try:
            if match is not None:
                year, month, day = match.group("Y", "m", "d")
                return date(int(year), int(month), int(day))
            if self.regex is None and len(text) == len("YYYY-MM-DD"):
                return date.fromisoformat(text)
        except ValueError:
            pass
        raise FieldError(field, f"expected a date as '{self.pattern}': '{text[:40]}'")

    def write(self, value: date) -> str:
        return value.isoformat() if self.regex is None else value.strftime(self.pattern)


class AmountFormat:
    """A carrier's way of writing amounts (see :class:`SoapMoney`)."""

    __slots__ = ("regex", "style")

    def __init__(self, style: str) -> None:
        self.style = style
        self.regex = _AMOUNTS[style]

    def parse(self, text: str, field: str) -> Decimal:
        if self.regex.fullmatch(text) is None:
            raise FieldError(field, f"not a {self.style} amount: '{text[:40]}'")
        match self.style:
            case "minor_units":
                return Decimal(int(text)).scaleb(-2)
            case "grouped":
                return Decimal(text.replace(",", "")).quantize(_CENT)
            case "decimal_comma":
                return Decimal(text.replace(".", "").replace(",", ".")).quantize(_CENT)
            case _:
                return Decimal(text).quantize(_CENT)

    def write(self, value: Decimal) -> str:
        match self.style:
            case "minor_units":
                return str(int(value.scaleb(2)))
            case "grouped":
                return f"{value:,.2f}"
            case "decimal_comma":
                return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            case _:
                return f"{value:.2f}"


_DATE_DIRECTIVES = frozenset("Ymd%")
_TIME_DIRECTIVES = _DATE_DIRECTIVES | frozenset("HIMSpZz")


def _directives(pattern: str) -> list[str]:
    return re.findall(r"%(.)", pattern)


class SoapPagePaging(PagePaging):
    """A page number and size in the request body; the answer says how many pages there are."""

    type: Literal["page"] = "page"
    page_param: str = Field(default="PageNumber", pattern=NCNAME)
    size_param: str = Field(default="PageSize", pattern=NCNAME)
    total_pages_field: str | None = Field(default="TotalPages", pattern=NCNAME)


class SoapCursorPaging(CursorPaging):
    """A continuation token: each answer hands back the token of the next page."""

    type: Literal["cursor"] = "cursor"
    cursor_param: str = Field(default="ContinuationToken", pattern=NCNAME)
    limit_param: str = Field(default="MaxRecords", pattern=NCNAME)
    next_cursor_field: str = Field(default="ContinuationToken", pattern=NCNAME)


SoapPaging = Annotated[SoapPagePaging | SoapCursorPaging | NoPaging, Field(discriminator="type")]


class SoapMoney(Strict):
    """How amounts are written.

    Attributes:
        style: ``decimal`` (``-1234.50``), ``grouped`` (``-1,234.50``), ``decimal_comma``
            (``-1.234,50``) or ``minor_units`` (``-123450``, in cents).
        currency: where the ISO 4217 code is: an ``currency`` attribute on each amount
            element, or one ``Currency`` element per record.
    """

    style: Literal["decimal", "grouped", "decimal_comma", "minor_units"] = "decimal"
    currency: Literal["attribute", "element"] = "attribute"


class SoapSpec(CarrierBase):
    """A carrier exposing a legacy SOAP 1.1 (document/literal) billing and orders service.

    Example:
        ```yaml
        protocol: soap
        namespace: urn:copperline:oss:billing:v3
        soap_action: "{namespace}/{operation}"
        timezone: America/Chicago
        datetime_format: "%m/%d/%Y %I:%M:%S %p %Z"
        date_format: "%m/%d/%Y"
        money: {style: grouped}
        paging: {type: page, page_size: 50}
        ```
    """

    protocol: Literal["soap"]
    namespace: str = Field(pattern=r"^[^\s\"'<>&]{3,200}$")
    endpoint: str = Field(default="/services/BillingService", pattern=r"^/[A-Za-z0-9_./-]*$")
    soap_action: str = "{namespace}/{operation}"
    operations: dict[Resource, Annotated[str, Field(pattern=NCNAME)]] = Field(default_factory=dict)
    field_names: dict[str, Annotated[str, Field(pattern=NCNAME)]] = Field(default_factory=dict)
    timezone: str = "UTC"
    datetime_format: str = "iso"
    date_format: str = "iso"
    money: SoapMoney = SoapMoney()
    paging: SoapPaging = SoapPagePaging()

    @field_validator("soap_action")
    @classmethod
    def _action_placeholders(cls, value: str) -> str:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if not names <= {"namespace", "operation"}:
            raise ValueError("only {namespace} and {operation} may be filled in")
        if '"' in value:
            raise ValueError("a SOAPAction is sent quoted; write it without quotes")
        return value

    @field_validator("field_names")
    @classmethod
    def _known_elements(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - ELEMENT_NAMES)
        if unknown:
            raise ValueError(f"unknown element names {unknown}; renamable: {sorted(ELEMENT_NAMES)}")
        names = list(value.values())
        clashes = sorted(set(names) & (ELEMENT_NAMES - set(value)))
        if clashes or len(set(names)) != len(names):
            raise ValueError(f"two elements would share a name: {clashes or names}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone") from None
        return value

    @field_validator("date_format")
    @classmethod
    def _date_pattern(cls, value: str) -> str:
        if value == "iso":
            return value
        used = _directives(value)
        if not set(used) <= _DATE_DIRECTIVES or not {"Y", "m", "d"} <= set(used):
            raise ValueError("'iso' or a pattern of %Y, %m and %d (each once)")
        return value

    @field_validator("datetime_format")
    @classmethod
    def _datetime_pattern(cls, value: str) -> str:
        if value == "iso":
            return value
        used = _directives(value)
        twelve = "I" in used
        if (
            not set(used) <= _TIME_DIRECTIVES
            or not {"Y", "m", "d", "M", "S"} <= set(used)
            or twelve == ("H" in used)
            or twelve != ("p" in used)
            or ("Z" in used and "z" in used)
            or len([d for d in used if d != "%"]) != len({d for d in used if d != "%"})
        ):
            raise ValueError(
                "'iso' or a pattern of %Y %m %d, %H (or %I with %p), %M %S, "
                "and at most one of %Z (zone abbreviation) or %z (UTC offset)"
            )
        return value

    @model_validator(mode="after")
    def _family_resources(self) -> SoapSpec:
        extra = sorted(r.value for r in self.capabilities - SOAP_RESOURCES)
        if extra:
            raise ValueError(f"capabilities {extra} are not offered by SOAP carriers")
        names = [self.operation(r) for r in SOAP_RESOURCES]
        if len(set(names)) != len(names):
            raise ValueError("operations must have distinct names")
        return self

    def operation(self, resource: Resource) -> str:
        """The carrier's operation name for a resource."""
        return self.operations.get(resource) or DEFAULT_OPERATIONS[resource]

    def action(self, operation: str) -> str:
        """The SOAPAction of an operation (unquoted)."""
        return self.soap_action.format(namespace=self.namespace, operation=operation)

    def element(self, name: str) -> str:
        """The carrier's local name for one of the family's element names."""
        return self.field_names.get(name, name)

    def time_format(self) -> TimeFormat:
        """The compiled date-time format (in the carrier's time zone)."""
        return TimeFormat(self.datetime_format, zoneinfo.ZoneInfo(self.timezone))

    def day_format(self) -> DayFormat:
        return DayFormat(self.date_format)

    def amount_format(self) -> AmountFormat:
        return AmountFormat(self.money.style)
