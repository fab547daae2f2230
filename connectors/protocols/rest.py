"""Adapter for carriers with their own (proprietary) JSON REST APIs.

Written once, driven entirely by a carrier's :class:`~connectors.specs.rest.RestSpec`:
there is no per-carrier code. The defaults below describe a plain REST API
(``GET /v1/services?account_id=a,b`` answering ``{"data": [...], "next_cursor": ...}``
with snake_case fields, ISO 8601 times and JSON-number money); a carrier file overrides
only what its API does differently. :func:`layouts` resolves file and defaults into one
:class:`Layout` per declared resource, which the sandbox's REST back office uses too, so
both sides of the wire read the same carrier file the same way.

A batch is one list request per ``max_keys_per_call`` chunk (chunks fetched
concurrently), keys comma-joined in one parameter or repeated, paged by
:func:`connectors.paging.collect`. Records are read by
:mod:`connectors.protocols.rest_records`; anything that does not fit is
``UpstreamInvalid`` naming the carrier, the record and the wire field.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from connectors import models as m
from connectors.base import Records, chunked, together
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid
from connectors.mapping import FieldError
from connectors.models import Carrier, Resource
from connectors.paging import collect
from connectors.protocols.rest_records import Codes, Formats, Path, Reader, vocabularies

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectors.base import Fetch
    from connectors.specs.rest import KeyKind, RestSpec
    from connectors.transport import CarrierClient, JsonPage

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_FILTERS",
    "DEFAULT_FORMATS",
    "SCHEMAS",
    "Field",
    "Layout",
    "Record",
    "RestConnector",
    "default_fields",
    "key_field",
    "layouts",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record schema.

    Attributes:
        name: the normalized field (the record's attribute, or ``currency`` and the
            grouping key, which some records only carry on the wire).
        wire: the default wire path (a carrier file renames it).
        kind: how it reads; a trailing ``?`` marks it optional (absent or null: None).
        vocabulary: for ``code``, which vocabulary (see :data:`VOCABULARIES`).
        of: for ``list``, the schema of its items.
    """

    name: str
    wire: str
    kind: str
    vocabulary: str = ""
    of: Record | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """What one normalized record is made of, and how it is built.

    Attributes:
        name: the record's name in errors (``service``, ``invoice_line``...).
        make: the normalized record class.
        fields: its fields, read in this order.
        key: a field returned beside the record instead of inside it (invoice lines
            are grouped by an invoice number they do not hold).
    """

    name: str
    make: type[Any]
    fields: tuple[Field, ...]
    key: str | None = None


def _fields(*specs: tuple[str, ...] | Field) -> tuple[Field, ...]:
    return tuple(
        s if isinstance(s, Field) else Field(s[0], s[1], s[2], s[3] if len(s) > 3 else "")
        for s in specs
    )


_NOTES = Field("notes", "notes", "list", of=Record("note", m.Note, _fields(
    ("author", "author", "text"), ("organization", "organization", "text"),
    ("created_at", "created_at", "instant"), ("text", "text", "text"),
    ("visibility", "visibility", "code", "visibility"))))  # fmt: skip

SCHEMAS: Mapping[m.Resource, Record] = {
    m.Resource.ACCOUNTS: Record("account", m.CarrierAccount, _fields(
        ("account_number", "id", "text"), ("name", "name", "text"),
        ("status", "status", "code", "account"), ("billing_address", "billing_address", "address"),
        ("created_at", "created_at", "instant"), ("currency", "currency", "currency"))),
    m.Resource.SERVICES: Record("service", m.Service, _fields(
        ("account_number", "account_id", "text"), ("currency", "currency", "currency"),
        ("service_id", "id", "text"), ("circuit_id", "circuit_id", "text?"),
        ("telephone_numbers", "telephone_numbers", "texts"),
        ("product", "product", "code", "product"), ("bandwidth_mbps", "bandwidth_mbps", "int?"),
        ("service_address", "service_address", "address"), ("z_address", "z_address", "address?"),
        ("status", "status", "code", "service"), ("activated_at", "activated_at", "instant?"),
        ("mrc", "mrc", "money"), ("nrc", "nrc", "money"), ("term_months", "term_months", "int"),
        ("contract_end", "contract_end", "day?"))),
    m.Resource.INVOICES: Record("invoice", m.Invoice, _fields(
        ("account_number", "account_id", "text"), ("currency", "currency", "currency"),
        ("invoice_number", "number", "text"), ("period_start", "period_start", "day"),
        ("period_end", "period_end", "day"), ("issued_at", "issued_at", "instant"),
        ("due_at", "due_at", "instant"), ("status", "status", "code", "invoice"),
        ("total", "total", "money"), ("taxes", "taxes", "money"))),
    m.Resource.INVOICE_LINES: Record("invoice_line", m.InvoiceLine, _fields(
        ("invoice_number", "invoice_number", "text"), ("currency", "currency", "currency"),
        ("kind", "kind", "code", "line_kind"), ("service_id", "service_id", "text?"),
        ("description", "description", "text"), ("quantity", "quantity", "decimal"),
        ("amount", "amount", "money")), key="invoice_number"),
    m.Resource.ORDERS: Record("order", m.Order, _fields(
        ("account_number", "account_id", "text"), ("order_id", "id", "text"),
        ("purchase_order_number", "purchase_order_number", "text?"),
        ("kind", "kind", "code", "order_kind"), ("status", "status", "code", "order"),
        ("ordered_at", "ordered_at", "instant"), ("requested_date", "requested_date", "day?"),
        ("committed_date", "committed_date", "day?"),
        Field("items", "items", "list", of=Record("order_item", m.OrderItem, _fields(
            ("item_id", "id", "text"), ("action", "action", "code", "order_kind"),
            ("product", "product", "code", "product"), ("status", "status", "code", "order"),
            ("service_id", "service_id", "text?")))),
        Field("milestones", "milestones", "list", of=Record("milestone", m.OrderMilestone, _fields(
            ("kind", "name", "code", "milestone"), ("planned_at", "planned_at", "instant?"),
            ("actual_at", "actual_at", "instant?"), ("note", "note", "text?")))),
        _NOTES)),
    m.Resource.TICKETS: Record("ticket", m.TroubleTicket, _fields(
        ("account_number", "account_id", "text"), ("ticket_id", "id", "text"),
        ("service_id", "service_id", "text?"), ("type", "type", "code", "ticket_type"),
        ("severity", "severity", "code", "ticket_severity"),
        ("priority", "priority", "code", "ticket_priority"),
        ("observed_impact", "impact", "code", "impact"), ("status", "status", "code", "ticket"),
        ("description", "description", "text"), ("opened_at", "opened_at", "instant"),
        ("expected_resolution_at", "expected_resolution_at", "instant?"),
        ("resolved_at", "resolved_at", "instant?"), ("sla_target", "sla_target", "instant?"),
        Field("status_changes", "status_changes", "list", of=Record(
            "status_change", m.StatusChange, _fields(
                ("status", "status", "code", "ticket"), ("changed_at", "changed_at", "instant"))
        )),
        _NOTES)),
    m.Resource.USAGE: Record("usage_record", m.UsageRecord, _fields(
        ("account_number", "account_id", "text"), ("currency", "currency", "currency"),
        ("usage_id", "id", "text"), ("service_id", "service_id", "text"),
        ("started_at", "started_at", "instant"), ("duration_seconds", "duration_seconds", "int"),
        ("from_number", "from", "text"), ("to_number", "to", "text"),
        ("direction", "direction", "code", "direction"),
        ("call_type", "call_type", "code", "call_type"), ("charge", "charge", "money"))),
    m.Resource.QUOTES: Record("quote", m.Quote, _fields(
        ("account_number", "account_id", "text"), ("currency", "currency", "currency"),
        ("quote_id", "id", "text"), ("status", "status", "code", "quote"),
        ("product", "product", "code", "product"), ("bandwidth_mbps", "bandwidth_mbps", "int?"),
        ("service_address", "service_address", "address"),
        ("requested_at", "requested_at", "instant"), ("valid_until", "valid_until", "instant"),
        Field("options", "options", "list", of=Record("quote_option", m.QuoteOption, _fields(
            ("term_months", "term_months", "int"), ("mrc", "mrc", "money"),
            ("nrc", "nrc", "money"), ("interval_days", "interval_days", "int")))))),
}  # fmt: skip
"""Every record the family reads: its fields, their default wire paths and kinds."""


def default_fields(record: Record, prefix: str = "") -> dict[str, str]:
    """Normalized field -> default wire path, nested list fields as ``list.field``."""
    paths: dict[str, str] = {}
    for f in record.fields:
        paths[prefix + f.name] = f.wire
        if f.of is not None:
            paths.update(default_fields(f.of, f"{prefix}{f.name}."))
    return paths


DEFAULT_FORMATS = Formats(datetime="iso", date="iso", money="decimal", timezone="UTC")

DEFAULT_FIELDS: Mapping[Resource, Mapping[str, str]] = {
    resource: default_fields(record) for resource, record in SCHEMAS.items()
}
"""Normalized field -> wire path of a plain snake_case REST API (a file renames some)."""

DEFAULT_FILTERS: Mapping[Resource, Mapping[KeyKind, str]] = {
    Resource.ACCOUNTS: {"id": "id"},
    Resource.SERVICES: {"account": "account_id", "id": "id"},
    Resource.INVOICES: {"account": "account_id", "id": "number"},
    Resource.INVOICE_LINES: {"invoice": "invoice_number"},
    Resource.ORDERS: {"account": "account_id", "id": "id"},
    Resource.TICKETS: {"account": "account_id", "id": "id"},
    Resource.USAGE: {"account": "account_id"},
    Resource.QUOTES: {"account": "account_id", "id": "id"},
}
"""Query parameter per kind of key; a kind missing here cannot be asked for."""

_ID_FIELDS: Mapping[Resource, str] = {
    Resource.ACCOUNTS: "account_number",
    Resource.SERVICES: "service_id",
    Resource.INVOICES: "invoice_number",
    Resource.INVOICE_LINES: "invoice_number",
    Resource.ORDERS: "order_id",
    Resource.TICKETS: "ticket_id",
    Resource.USAGE: "usage_id",
    Resource.QUOTES: "quote_id",
}
_KIND_FIELDS: Mapping[str, str] = {"account": "account_number", "invoice": "invoice_number"}


def _record_id(layout: Layout, obj: object) -> str | None:
    """The record's own id as the carrier sent it, when it is a non-empty string."""
    name = _ID_FIELDS[layout.resource]
    wire = layout.fields.get(name)
    found = (
        Path(wire, wire).get(obj)
        if wire and layout.resource is not Resource.INVOICE_LINES
        else None
    )
    return found if isinstance(found, str) and found else None


def key_field(resource: Resource, kind: KeyKind) -> str:
    """The normalized field a kind of key matches (records are grouped by it)."""
    return _KIND_FIELDS.get(kind) or _ID_FIELDS[resource]


@dataclass(frozen=True, slots=True)
class Layout:
    """One resource of one carrier, file and defaults resolved, ready to read and write.

    Attributes:
        resource: which resource.
        record: the record's name in errors (``service``, ``invoice_line``...).
        path: the list path relative to the carrier's base URL.
        records: where the record list sits in an answer (``None``: a top-level array).
        filters: kind of key -> query parameter.
        fields: normalized field -> wire path, every field of the resource.
        formats: the resource's resolved formats.
        codes: the carrier's vocabularies, by name.
        reader: the record schema compiled against all of the above.
    """

    resource: Resource
    record: str
    path: str
    records: Path | None
    filters: Mapping[KeyKind, str]
    fields: Mapping[str, str]
    formats: Formats
    codes: Mapping[str, Codes[Any]]
    reader: Reader

    def items(self, body: object, carrier: str) -> list[Any]:
        """The record list of one answer, or UpstreamInvalid when it has the wrong shape."""
        found = body if self.records is None else self.records.get(body)
        if not isinstance(found, list):
            where = "the top level" if self.records is None else f"'{self.records.label}'"
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent a {self.record} page without a list at {where}",
                carrier=carrier,
                record=self.record,
            )
        return found


def _check_paths(resource: Resource, fields: Mapping[str, str]) -> None:
    """Two fields at one wire path, or one inside the other, cannot both be written."""
    scopes: dict[str, list[str]] = defaultdict(list)
    for name, wire in fields.items():
        scope = name.rpartition(".")[0] if "." in name else ""
        scopes[scope].append(wire)
    for scope, wires in scopes.items():
        for wire in wires:
            clash = [w for w in wires if w.startswith(wire + ".")] or wires.count(wire) > 1
            if clash:
                where = f"{resource.value}.fields" + (f" ({scope})" if scope else "")
                raise ValueError(f"resources.{where}: wire path '{wire}' is used twice")


def layouts(spec: RestSpec) -> dict[Resource, Layout]:
    """Every declared resource's layout: the carrier file merged over the defaults.

    Raises:
        ValueError: two fields share a wire path, or a vocabulary is invalid (the
            message names the carrier file's field).
    """
    codes = vocabularies(spec)
    result: dict[Resource, Layout] = {}
    for resource in sorted(spec.capabilities):
        own = spec.resources.get(resource)
        over = own.formats if own else None
        base = spec.formats
        formats = Formats(
            datetime=(over and over.datetime) or base.datetime or DEFAULT_FORMATS.datetime,
            date=(over and over.date) or base.date or DEFAULT_FORMATS.date,
            money=(over and over.money) or base.money or DEFAULT_FORMATS.money,
            timezone=(over and over.timezone) or base.timezone or DEFAULT_FORMATS.timezone,
        )
        fields = {**DEFAULT_FIELDS[resource], **(own.fields if own else {})}
        _check_paths(resource, fields)
        records = own.records if own and own.records is not None else spec.records
        result[resource] = Layout(
            resource=resource,
            record=SCHEMAS[resource].name,
            path=own.path if own and own.path else f"/v1/{resource.value.replace('_', '-')}",
            records=Path(records, records) if records else None,
            filters={**DEFAULT_FILTERS[resource], **(own.filters if own else {})},
            fields=fields,
            formats=formats,
            codes=codes,
            reader=Reader(SCHEMAS[resource], fields, spec.address, formats, codes, spec.id),
        )
    return result


class RestConnector:
    """A connector for any carrier with its own JSON REST API, driven by its carrier file."""

    def __init__(self, spec: RestSpec, client: CarrierClient) -> None:
        self.spec = spec
        self.client = client
        self.layouts = layouts(spec)
        self._carrier = spec.record()

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        layout = self.layouts.get(what.resource)
        if layout is None or what.key not in layout.filters:
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not offer {what.name}", carrier=self.spec.id
            )
        step = self.spec.max_keys_per_call
        chunks = chunked(keys, step)
        lists = await together([self._list(layout, what.key, chunk) for chunk in chunks])
        group = key_field(what.resource, what.key)
        lines = what.resource is Resource.INVOICE_LINES
        grouped: dict[str, list[T]] = defaultdict(list)
        dropped: dict[str, list[UpstreamInvalid]] = defaultdict(list)
        for chunk, objs in zip(chunks, lists, strict=True):
            for position, obj in enumerate(objs):
                try:
                    record = self._read(layout, obj)
                except UpstreamInvalid as exc:
                    # Only this record is left out; it is reported beside its key's
                    # records, or beside every key of its request when its key is unreadable.
                    wire_key = layout.fields.get(group)
                    key = Path(wire_key, wire_key).get(obj) if wire_key else None
                    exc.record = _record_id(layout, obj) or f"#{position + 1}"
                    for k in [key] if isinstance(key, str) and key in chunk else chunk:
                        dropped[k].append(exc)
                    continue
                if lines:
                    number, line = record
                    grouped[number].append(line)
                else:
                    grouped[getattr(record, group)].append(record)
        if not dropped:
            return grouped
        return {
            k: Records(grouped.get(k, ()), dropped=dropped.get(k, ())) for k in {*grouped, *dropped}
        }

    def _read(self, layout: Layout, obj: object) -> Any:  # noqa: ANN401 - one of the records
        carrier = self.spec.id
        if not isinstance(obj, dict):
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent a {layout.record} that is not an object",
                carrier=carrier,
                record=layout.record,
            )
        try:
            return layout.reader.read(obj)
        except FieldError as exc:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent an unreadable {layout.record}: {exc}",
                carrier=carrier,
                record=layout.record,
                field=exc.field,
            ) from exc
        except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
            raise UpstreamInvalid(  # a last resort: one record, never its neighbours
                f"carrier '{carrier}' sent a malformed {layout.record}",
                carrier=carrier,
                record=layout.record,
            ) from exc

    async def _list(self, layout: Layout, kind: KeyKind, keys: Sequence[str]) -> list[Any]:
        """Every record matching the keys, however many pages that takes."""
        param = layout.filters[kind]
        pairs = [(param, ",".join(keys))] if self.spec.keys == "csv" else [(param, k) for k in keys]
        carrier = self.spec.id

        async def fetch(query: Mapping[str, str], url: str | None) -> JsonPage:
            if url is not None:  # a Link header's next page: its query is complete
                return await self.client.get_json(url)
            # The query is encoded here, not passed as params: the transport takes a
            # mapping, which cannot repeat a parameter (and httpx would drop a path query).
            encoded = urlencode([*pairs, *query.items()], safe=",")
            return await self.client.get_json(f"{layout.path}?{encoded}")

        return await collect(
            self.spec.paging,
            fetch,
            lambda page: layout.items(page.body, carrier),
            {},
            carrier=carrier,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
