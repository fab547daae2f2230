"""The carrier file of a GraphQL carrier, and the family's default vocabulary it renames.

A GraphQL carrier exposes a graph of its own: its root fields, type and field names,
filter arguments, connection style and enum values are its choice. The family speaks
one default vocabulary (:data:`WIRE_TYPES`, :data:`WIRE_ROOTS`); a carrier file only
says where its graph differs: renamed ``roots``, ``types`` and ``fields``, the names
of its filter ``arguments``, its ``connection`` style and ``paging``, its status codes
(``status_maps``) and the ``formats`` of its money, instants and dates. The adapter
asks for every field under its default name (a GraphQL alias), so it reads every
carrier's records with the same code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from connectors import models
from connectors.models import Resource
from connectors.specs.common import CarrierBase, CursorPaging, NoPaging, OffsetPaging, Strict

if TYPE_CHECKING:
    from enum import StrEnum

__all__ = [
    "DEFAULT_TYPE_NAMES",
    "FIXED_ENUMS",
    "STATUS_ENUMS",
    "WIRE_ROOTS",
    "WIRE_TYPES",
    "GraphqlArguments",
    "GraphqlFormats",
    "GraphqlName",
    "GraphqlSpec",
    "RecordKind",
    "WireField",
    "WireRoot",
]

GraphqlName = Annotated[str, Field(pattern=r"^[_A-Za-z][_0-9A-Za-z]*$", max_length=64)]
"""A GraphQL name (type, field, argument or enum value)."""

RecordKind = Literal[
    "account", "address", "money", "service", "invoice", "invoice_line", "order",
    "order_item", "milestone", "note", "ticket", "status_change", "usage", "quote",
    "quote_option",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class WireField:
    """One field of the default vocabulary.

    ``kind`` is a scalar (``ID``, ``String``, ``Int``, ``Decimal``, ``Amount`` (money,
    as ``formats.money`` says), ``DateTime``, ``Date``), ``status:<map>`` (codes from
    the carrier's ``status_maps``), ``enum:<name>`` (a normalized enum's member names)
    or another record kind (a nested object).
    """

    name: str
    kind: str
    required: bool = True
    many: bool = False


def _f(name: str, kind: str, *, opt: bool = False, many: bool = False) -> WireField:
    return WireField(name, kind, not opt, many)


WIRE_TYPES: dict[str, tuple[WireField, ...]] = {
    "account": (
        _f("accountNumber", "ID"), _f("name", "String"), _f("status", "status:account"),
        _f("billingAddress", "address"), _f("createdAt", "DateTime"), _f("currency", "String"),
    ),
    "address": (
        _f("street", "String"), _f("city", "String"), _f("state", "String"),
        _f("postcode", "String"), _f("country", "String"),
    ),
    "money": (_f("amount", "Amount"), _f("currency", "String")),
    "service": (
        _f("serviceId", "ID"), _f("accountNumber", "ID"), _f("circuitId", "String", opt=True),
        _f("telephoneNumbers", "String", many=True), _f("product", "enum:Product"),
        _f("bandwidthMbps", "Int", opt=True), _f("serviceAddress", "address"),
        _f("zAddress", "address", opt=True), _f("status", "status:service"),
        _f("activatedAt", "DateTime", opt=True), _f("mrc", "money"), _f("nrc", "money"),
        _f("termMonths", "Int"), _f("contractEnd", "Date", opt=True),
    ),
    "invoice": (
        _f("invoiceNumber", "ID"), _f("accountNumber", "ID"), _f("periodStart", "Date"),
        _f("periodEnd", "Date"), _f("issuedAt", "DateTime"), _f("dueAt", "DateTime"),
        _f("status", "status:invoice"), _f("total", "money"), _f("taxes", "money"),
    ),
    "invoice_line": (
        _f("invoiceNumber", "ID"), _f("kind", "enum:InvoiceLineKind"),
        _f("serviceId", "ID", opt=True), _f("description", "String"),
        _f("quantity", "Decimal"), _f("amount", "money"),
    ),
    "order": (
        _f("orderId", "ID"), _f("accountNumber", "ID"),
        _f("purchaseOrderNumber", "String", opt=True), _f("kind", "enum:OrderKind"),
        _f("status", "status:order"), _f("orderedAt", "DateTime"),
        _f("requestedDate", "Date", opt=True), _f("committedDate", "Date", opt=True),
        _f("items", "order_item", many=True), _f("milestones", "milestone", many=True),
        _f("notes", "note", many=True),
    ),
    "order_item": (
        _f("itemId", "ID"), _f("action", "enum:OrderKind"), _f("product", "enum:Product"),
        _f("status", "status:order"), _f("serviceId", "ID", opt=True),
    ),
    "milestone": (
        _f("name", "status:milestone"), _f("plannedAt", "DateTime", opt=True),
        _f("actualAt", "DateTime", opt=True), _f("note", "String", opt=True),
    ),
    "note": (
        _f("author", "String"), _f("organization", "String"), _f("createdAt", "DateTime"),
        _f("text", "String"), _f("visibility", "enum:NoteVisibility"),
    ),
    "ticket": (
        _f("ticketId", "ID"), _f("accountNumber", "ID"), _f("serviceId", "ID", opt=True),
        _f("type", "enum:TicketType"), _f("severity", "status:ticket_severity"),
        _f("priority", "status:ticket_priority"), _f("observedImpact", "enum:ObservedImpact"),
        _f("status", "status:ticket"), _f("description", "String"), _f("openedAt", "DateTime"),
        _f("expectedResolutionAt", "DateTime", opt=True),
        _f("resolvedAt", "DateTime", opt=True), _f("slaTarget", "DateTime", opt=True),
        _f("statusChanges", "status_change", many=True), _f("notes", "note", many=True),
    ),
    "status_change": (_f("status", "status:ticket"), _f("changedAt", "DateTime")),
    "usage": (
        _f("usageId", "ID"), _f("accountNumber", "ID"), _f("serviceId", "ID"),
        _f("startedAt", "DateTime"), _f("durationSeconds", "Int"), _f("fromNumber", "String"),
        _f("toNumber", "String"), _f("direction", "enum:CallDirection"),
        _f("callType", "enum:CallType"), _f("charge", "money"),
    ),
    "quote": (
        _f("quoteId", "ID"), _f("accountNumber", "ID"), _f("status", "status:quote"),
        _f("product", "enum:Product"), _f("bandwidthMbps", "Int", opt=True),
        _f("serviceAddress", "address"), _f("requestedAt", "DateTime"),
        _f("validUntil", "DateTime"), _f("options", "quote_option", many=True),
    ),
    "quote_option": (
        _f("termMonths", "Int"), _f("mrc", "money"), _f("nrc", "money"),
        _f("intervalDays", "Int"),
    ),
}  # fmt: skip
"""Record kind -> its fields, under the names the adapter asks for (and reads)."""

STATUS_ENUMS: dict[str, type[StrEnum]] = {
    "account": models.AccountStatus, "service": models.ServiceStatus,
    "invoice": models.InvoiceStatus, "order": models.OrderStatus,
    "milestone": models.MilestoneKind, "ticket": models.TicketStatus,
    "ticket_severity": models.TicketSeverity, "ticket_priority": models.TicketPriority,
    "quote": models.QuoteStatus,
}  # fmt: skip
"""``status:<vocabulary>`` kinds: carrier codes, mapped by the file's ``status_maps``."""

FIXED_ENUMS: dict[str, type[StrEnum]] = {
    e.__name__: e
    for e in (
        models.Product, models.InvoiceLineKind, models.OrderKind, models.TicketType,
        models.ObservedImpact, models.NoteVisibility, models.CallDirection, models.CallType,
    )
}  # fmt: skip
"""``enum:<name>`` kinds: every carrier writes these with the normalized member names."""

_FIELDS_OF = {kind: {f.name: f for f in fields} for kind, fields in WIRE_TYPES.items()}

DEFAULT_TYPE_NAMES: dict[str, str] = {
    "account": "Account", "address": "Address", "money": "Money", "service": "Service",
    "invoice": "Invoice", "invoice_line": "InvoiceLine", "order": "Order",
    "order_item": "OrderItem", "milestone": "Milestone", "note": "Note", "ticket": "Ticket",
    "status_change": "StatusChange", "usage": "CallRecord", "quote": "Quote",
    "quote_option": "QuoteOption",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class WireRoot:
    """A root field of the default vocabulary: its name, record kind and key fields.

    ``keys`` maps each kind of key the root can be filtered by (``account``, ``id``,
    ``invoice``) to the record field that holds it.
    """

    root: str
    kind: str
    keys: dict[str, str]


WIRE_ROOTS: dict[Resource, WireRoot] = {
    Resource.ACCOUNTS: WireRoot("accounts", "account", {"id": "accountNumber"}),
    Resource.SERVICES: WireRoot(
        "services", "service", {"account": "accountNumber", "id": "serviceId"}
    ),
    Resource.INVOICES: WireRoot(
        "invoices", "invoice", {"account": "accountNumber", "id": "invoiceNumber"}
    ),
    Resource.INVOICE_LINES: WireRoot("invoiceLines", "invoice_line", {"invoice": "invoiceNumber"}),
    Resource.ORDERS: WireRoot("orders", "order", {"account": "accountNumber", "id": "orderId"}),
    Resource.TICKETS: WireRoot("tickets", "ticket", {"account": "accountNumber", "id": "ticketId"}),
    Resource.USAGE: WireRoot("usage", "usage", {"account": "accountNumber"}),
    Resource.QUOTES: WireRoot("quotes", "quote", {"account": "accountNumber", "id": "quoteId"}),
}
"""Resource -> the root field that lists it."""

_PAGING_DEFAULTS: dict[str, dict[str, Any]] = {
    "relay": {
        "type": "cursor",
        "cursor_param": "after",
        "limit_param": "first",
        "next_cursor_field": "pageInfo.endCursor",
        "page_size": 50,
    },
    "token": {
        "type": "cursor",
        "cursor_param": "nextToken",
        "limit_param": "limit",
        "next_cursor_field": "nextToken",
        "page_size": 50,
    },
    "list": {"type": "offset", "total_header": None, "page_size": 50},
}


_RESERVED_TYPE_NAMES = frozenset(
    {"Query", "PageInfo", "ID", "String", "Int", "Float", "Boolean", "Decimal", "Date", "DateTime"}
    | {"Timestamp", "Product", "InvoiceLineKind", "OrderKind", "TicketType", "ObservedImpact"}
    | {"NoteVisibility", "CallDirection", "CallType"}
)
"""Names the family's graphs already use for scalars, enums and paging."""


class GraphqlArguments(Strict):
    """Names of the filter arguments the carrier's root fields take (each a list of keys)."""

    account: GraphqlName = "accounts"
    id: GraphqlName = "ids"
    invoice: GraphqlName = "invoices"


class GraphqlFormats(Strict):
    """How the carrier writes values the GraphQL scalars leave open.

    Attributes:
        money: ``decimal`` (a string such as ``"12.50"``), ``float`` (a JSON number) or
            ``minor_units`` (an integer number of cents).
        datetime: ``iso`` (ISO 8601 with a UTC offset) or ``epoch_seconds``.
        time_zone: the IANA zone the carrier writes ISO instants in (their offsets are
            always read, so this only tells the sandbox and the reader of the file).
        date: the pattern of calendar dates: ``%Y``, ``%m`` and ``%d`` with separators.
    """

    money: Literal["decimal", "float", "minor_units"] = "decimal"
    datetime: Literal["iso", "epoch_seconds"] = "iso"
    time_zone: str = "UTC"
    date: str = "%Y-%m-%d"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone '{value}'") from None
        return value

    @field_validator("date")
    @classmethod
    def _numeric_date(cls, value: str) -> str:
        if sorted(re.findall(r"%.", value)) != ["%Y", "%d", "%m"]:
            raise ValueError(f"'{value}' is not a pattern of %Y, %m and %d with separators")
        return value


class GraphqlSpec(CarrierBase):
    """A carrier exposing its own GraphQL API (one ``POST`` endpoint).

    Example:
        >>> spec = GraphqlSpec(id="acme", name="Acme", protocol="graphql",
        ...     base_url="https://api.acme.example", capabilities=[Resource.SERVICES],
        ...     roots={Resource.SERVICES: "circuits"}, connection="list")
        >>> spec.root_name(Resource.SERVICES), spec.paging.type
        ('circuits', 'offset')
    """

    protocol: Literal["graphql"]
    endpoint: str = Field(default="/graphql", pattern=r"^/")
    connection: Literal["relay", "token", "list"] = "relay"
    paging: Annotated[CursorPaging | OffsetPaging | NoPaging, Field(discriminator="type")] = (
        CursorPaging(
            type="cursor",
            cursor_param="after",
            limit_param="first",
            next_cursor_field="pageInfo.endCursor",
            page_size=50,
        )
    )
    roots: dict[Resource, GraphqlName] = Field(default_factory=dict)
    types: dict[RecordKind, GraphqlName] = Field(default_factory=dict)
    arguments: GraphqlArguments = GraphqlArguments()
    fields: dict[RecordKind, dict[str, GraphqlName]] = Field(default_factory=dict)
    formats: GraphqlFormats = GraphqlFormats()

    @model_validator(mode="before")
    @classmethod
    def _paging_defaults(cls, data: Any) -> Any:  # noqa: ANN401 - raw carrier file
        """Fill the connection style's paging names, so a file only sets what differs."""
        if not isinstance(data, dict):
            return data
        given = data.get("paging") or {}
        style = data.get("connection", "relay")
        defaults = _PAGING_DEFAULTS.get(style) if isinstance(style, str) else None
        if (
            isinstance(given, dict)
            and defaults
            and given.get("type", defaults["type"]) == (defaults["type"])
        ):
            data = {**data, "paging": {**defaults, **given}}
        return data

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for kind, renames in value.items():
            unknown = sorted(set(renames) - set(_FIELDS_OF[kind]))
            if unknown:
                raise ValueError(
                    f"{kind} has no field {', '.join(unknown)}; "
                    f"expected some of: {', '.join(_FIELDS_OF[kind])}"
                )
            names = [renames.get(name, name) for name in _FIELDS_OF[kind]]
            if len(set(names)) < len(names):
                raise ValueError(f"{kind}: two fields would share one name")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> GraphqlSpec:
        paging = self.paging
        if self.connection in {"relay", "token"} and not isinstance(paging, CursorPaging):
            raise ValueError(f"a {self.connection} connection pages with type: cursor")
        if self.connection == "list" and isinstance(paging, CursorPaging):
            raise ValueError("a list connection pages with type: offset or none")
        if isinstance(paging, CursorPaging):
            expected = "pageInfo.endCursor" if self.connection == "relay" else None
            cursor = paging.next_cursor_field
            if (expected and cursor != expected) or (not expected and "." in cursor):
                raise ValueError(
                    f"next_cursor_field '{cursor}' does not fit a {self.connection} connection"
                )
        if isinstance(paging, OffsetPaging) and paging.total_header is not None:
            raise ValueError("GraphQL answers carry no paging headers: total_header must be null")
        names = [self.type_name(kind) for kind in DEFAULT_TYPE_NAMES]
        if len(set(names)) < len(names) or set(names) & _RESERVED_TYPE_NAMES:
            raise ValueError(
                "record types need distinct names other than "
                + ", ".join(sorted(_RESERVED_TYPE_NAMES))
            )
        roots = [self.root_name(r) for r in WIRE_ROOTS]
        if len(set(roots)) < len(roots):
            raise ValueError("two resources share a root field name")
        params = [value for key, value in paging if key.endswith("_param")]
        arguments = [*self.arguments.model_dump().values(), *params]
        if len(set(arguments)) < len(arguments):
            raise ValueError("filter and paging arguments need distinct names")
        return self

    def root_name(self, resource: Resource) -> str:
        """The carrier's root field listing ``resource``."""
        return self.roots.get(resource) or WIRE_ROOTS[resource].root

    def type_name(self, kind: str) -> str:
        """The carrier's GraphQL type name for a record kind."""
        return cast("dict[str, str]", self.types).get(kind) or DEFAULT_TYPE_NAMES[kind]

    def field_name(self, kind: str, name: str) -> str:
        """The carrier's name for a field of the default vocabulary."""
        renames = cast("dict[str, dict[str, str]]", self.fields).get(kind)
        return name if renames is None else renames.get(name, name)

    def argument_name(self, key: str) -> str:
        """The carrier's filter argument for a kind of key (``account``, ``id``, ``invoice``)."""
        return str(getattr(self.arguments, key))

    def wire_path(self, kind: str, path: list[str]) -> str:
        """A dotted path of default names, in the carrier's names (for error messages)."""
        out: list[str] = []
        for step in path:
            field = _FIELDS_OF.get(kind, {}).get(step)
            if field is None:
                out.append(step)
                continue
            out.append(self.field_name(kind, step))
            kind = field.kind
        return ".".join(out)
