"""The carrier file of a carrier with its own (proprietary) JSON REST API.

Each such carrier invents its own URL layout, envelope, field names, date and money
formats and status codes. Its file says only how it differs from the adapter's
defaults (``connectors/protocols/rest.py``): per resource the list path, where the
records sit in an answer, the query parameter each kind of key goes in, and a field map
(normalized field -> dotted JSON path); per carrier its formats, paging, how several
keys share one parameter, its address layout and its code vocabularies. The names a
field map may use are :data:`FIELD_NAMES`; a typo is an error naming the file's field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from connectors.models import Resource
from connectors.specs.common import CarrierBase, CursorPaging, PagePaging, PagingSpec, Strict

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ADDRESS_PARTS",
    "CODE_VOCABULARIES",
    "FIELD_NAMES",
    "KEY_KINDS",
    "STATUS_VOCABULARIES",
    "KeyKind",
    "RestCodeMaps",
    "RestFormats",
    "RestResource",
    "RestSpec",
]

KeyKind = Literal["account", "id", "invoice"]

ADDRESS_PARTS = ("street", "city", "state", "postcode", "country")
STATUS_VOCABULARIES = (
    "account",
    "service",
    "invoice",
    "order",
    "milestone",
    "ticket",
    "ticket_severity",
    "ticket_priority",
    "quote",
)
CODE_VOCABULARIES = (
    "product",
    "line_kind",
    "order_kind",
    "ticket_type",
    "impact",
    "direction",
    "call_type",
    "visibility",
)

KEY_KINDS: Mapping[Resource, frozenset[str]] = {
    resource: frozenset({"id"} if resource is Resource.ACCOUNTS else {"account", "id"})
    for resource in Resource
} | {Resource.INVOICE_LINES: frozenset({"invoice"})}
"""The kinds of key each resource can be asked for (a ``filters`` entry names its parameter)."""

_NOTES = ("notes", "notes.author", "notes.organization", "notes.created_at", "notes.text")

FIELD_NAMES: Mapping[Resource, frozenset[str]] = {
    Resource.ACCOUNTS: frozenset(
        {"account_number", "name", "status", "billing_address", "created_at", "currency"}
    ),
    Resource.SERVICES: frozenset(
        {
            "account_number", "service_id", "circuit_id", "telephone_numbers", "product",
            "bandwidth_mbps", "service_address", "z_address", "status", "activated_at",
            "mrc", "nrc", "currency", "term_months", "contract_end",
        }
    ),
    Resource.INVOICES: frozenset(
        {
            "account_number", "invoice_number", "period_start", "period_end", "issued_at",
            "due_at", "status", "total", "taxes", "currency",
        }
    ),
    Resource.INVOICE_LINES: frozenset(
        {"invoice_number", "kind", "service_id", "description", "quantity", "amount", "currency"}
    ),
    Resource.ORDERS: frozenset(
        {
            "account_number", "order_id", "purchase_order_number", "kind", "status",
            "ordered_at", "requested_date", "committed_date", "items", "items.item_id",
            "items.action", "items.product", "items.status", "items.service_id", "milestones",
            "milestones.kind", "milestones.planned_at", "milestones.actual_at",
            "milestones.note", *_NOTES, "notes.visibility",
        }
    ),
    Resource.TICKETS: frozenset(
        {
            "account_number", "ticket_id", "service_id", "type", "severity", "priority",
            "observed_impact", "status", "description", "opened_at", "expected_resolution_at",
            "resolved_at", "sla_target", "status_changes", "status_changes.status",
            "status_changes.changed_at", *_NOTES, "notes.visibility",
        }
    ),
    Resource.USAGE: frozenset(
        {
            "account_number", "usage_id", "service_id", "started_at", "duration_seconds",
            "from_number", "to_number", "direction", "call_type", "charge", "currency",
        }
    ),
    Resource.QUOTES: frozenset(
        {
            "account_number", "quote_id", "status", "product", "bandwidth_mbps",
            "service_address", "requested_at", "valid_until", "currency", "options",
            "options.term_months", "options.mrc", "options.nrc", "options.interval_days",
        }
    ),
}  # fmt: skip
"""Every normalized field a resource's field map may rename (``list.field``: in a list)."""


class RestFormats(Strict):
    """How a carrier writes instants, calendar dates and money; unset values are inherited.

    A resource's formats fall back to the carrier's, and those to the adapter's defaults
    (ISO 8601, JSON numbers, UTC).

    Attributes:
        datetime: ``iso`` (ISO 8601 with an offset), ``epoch`` (whole seconds),
            ``epoch_ms`` (milliseconds), or a ``strftime`` pattern of a naive local time
            in ``timezone``, e.g. ``"%d/%m/%Y %H:%M:%S"``.
        date: ``iso`` (``YYYY-MM-DD``) or a ``strftime`` pattern, e.g. ``"%Y%m%d"``.
        money: ``decimal`` (a JSON number), ``string`` (``"12.34"``) or ``cents`` (an
            integer count of minor units).
        timezone: the IANA zone naive local times are in (and ISO times are written in).

    Example:
        >>> RestFormats(datetime="epoch", money="cents").date is None
        True
    """

    datetime: str | None = None
    date: str | None = None
    money: Literal["decimal", "string", "cents"] | None = None
    timezone: str | None = None

    @field_validator("datetime")
    @classmethod
    def _instant_format(cls, value: str | None) -> str | None:
        if value is None or value in {"iso", "epoch", "epoch_ms"} or "%" in value:
            return value
        raise ValueError("expected iso, epoch, epoch_ms or a strftime pattern")

    @field_validator("date")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        if value is None or value == "iso" or "%" in value:
            return value
        raise ValueError("expected iso or a strftime pattern")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA time zone '{value}'") from None
        return value


class RestCodeMaps(Strict):
    """Carrier codes -> enum names for the non-status vocabularies (defaults: lower case)."""

    product: dict[str, str] = Field(default_factory=dict)
    line_kind: dict[str, str] = Field(default_factory=dict)
    order_kind: dict[str, str] = Field(default_factory=dict)
    ticket_type: dict[str, str] = Field(default_factory=dict)
    impact: dict[str, str] = Field(default_factory=dict)
    direction: dict[str, str] = Field(default_factory=dict)
    call_type: dict[str, str] = Field(default_factory=dict)
    visibility: dict[str, str] = Field(default_factory=dict)


class RestResource(Strict):
    """How one resource differs from the adapter's default layout.

    Attributes:
        path: the list path, relative to the base URL (default ``/v1/<resource>``).
        records: dotted path of the record list in an answer; ``""`` for a top-level
            array (default: the carrier's ``records``).
        filters: the query parameter each kind of key goes in (``account``, ``id``,
            ``invoice``), merged over the defaults.
        fields: normalized field (see :data:`FIELD_NAMES`) -> dotted JSON path, merged
            over the defaults; fields inside a list are relative to the list's item.
        formats: overrides of the carrier's formats for this resource only.
    """

    path: str | None = Field(default=None, pattern=r"^/")
    records: str | None = None
    filters: dict[KeyKind, str] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)
    formats: RestFormats = RestFormats()


class RestSpec(CarrierBase):
    """A carrier with its own JSON REST API.

    Example:
        A carrier with cursor paging under ``meta.next``, integer cents and epoch times
        that calls an account number ``acct.no``::

            protocol: rest
            paging: {type: cursor, next_cursor_field: meta.next}
            formats: {datetime: epoch, money: cents}
            resources:
              services: {path: /api/circuits, fields: {account_number: acct.no}}
    """

    protocol: Literal["rest"]
    paging: PagingSpec = CursorPaging(type="cursor")
    records: str = "data"
    keys: Literal["csv", "repeat"] = "csv"
    formats: RestFormats = RestFormats()
    address: dict[str, str] = Field(default_factory=dict)
    codes: RestCodeMaps = RestCodeMaps()
    integer_codes: frozenset[str] = frozenset()
    resources: dict[Resource, RestResource] = Field(default_factory=dict, validate_default=True)

    @field_validator("address")
    @classmethod
    def _address_parts(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(ADDRESS_PARTS))
        if unknown:
            raise ValueError(f"unknown address parts {unknown}, expected {list(ADDRESS_PARTS)}")
        return value

    @field_validator("integer_codes")
    @classmethod
    def _vocabularies(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - {*STATUS_VOCABULARIES, *CODE_VOCABULARIES})
        if unknown:
            raise ValueError(f"unknown vocabularies {unknown}")
        return value

    @field_validator("resources")
    @classmethod
    def _resources(
        cls, value: dict[Resource, RestResource], info: ValidationInfo
    ) -> dict[Resource, RestResource]:
        data: dict[str, Any] = info.data
        capabilities = data.get("capabilities", frozenset())
        needs_envelope = _paging_needs_envelope(data.get("paging"))
        for resource, layout in value.items():
            if resource not in capabilities:
                raise ValueError(f"{resource.value}: not a declared capability")
            unknown = sorted(set(layout.fields) - FIELD_NAMES[resource])
            if unknown:
                raise ValueError(f"{resource.value}.fields: unknown normalized fields {unknown}")
            kinds = sorted(set(layout.filters) - KEY_KINDS[resource])
            if kinds:
                raise ValueError(f"{resource.value}.filters: cannot be asked for by {kinds}")
        if needs_envelope:
            flat = [r.value for r in capabilities if _records(value.get(r), data) == ""]
            if flat:
                raise ValueError(f"{sorted(flat)}: this paging needs records inside an envelope")
        return value


def _paging_needs_envelope(paging: object) -> bool:
    """Cursor paging (and a page count in the body) need an object around the records."""
    if isinstance(paging, CursorPaging):
        return True
    return isinstance(paging, PagePaging) and paging.total_pages_field is not None


def _records(layout: RestResource | None, data: Mapping[str, Any]) -> str:
    if layout is not None and layout.records is not None:
        return layout.records
    return str(data.get("records", "data"))
