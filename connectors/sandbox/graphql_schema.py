"""A sandbox GraphQL carrier's own schema and wire records, generated from its carrier file.

The sandbox must look like the carrier its file describes: root fields, type, field and
argument names, connection style, enum values and value formats are the carrier's. Both
halves come from the family's default vocabulary renamed by the file, the inverse of
what the adapter asks for and reads: :func:`carrier_sdl` writes the schema (only the
types the carrier's declared resources reach) and :class:`WireWriter` turns normalized
records into documents in the carrier's names, codes and formats.

Every enum of a carrier graph also holds :data:`DRIFT_CODE`, a value the carrier added
without telling anyone (no carrier file maps it): the ``bad_record`` fault sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors.protocols.graphql_records import GraphqlMaps
from connectors.specs.common import CursorPaging, OffsetPaging
from connectors.specs.graphql import FIXED_ENUMS, WIRE_ROOTS, WIRE_TYPES, WireField

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from decimal import Decimal

    from connectors.spec import GraphqlSpec

__all__ = ["DRIFT_CODE", "STATUS_FIELDS", "Wire", "WireWriter", "carrier_sdl"]

Wire = dict[str, Any]

DRIFT_CODE = "SCHEMA_DRIFT_VALUE"

STATUS_FIELDS: Mapping[str, tuple[str, str]] = {
    "account": ("account", "Status"),
    "service": ("service", "Status"),
    "invoice": ("invoice", "Status"),
    "order": ("order", "Status"),
    "milestone": ("milestone", "Name"),
    "ticket": ("ticket", "Status"),
    "ticket_severity": ("ticket", "Severity"),
    "ticket_priority": ("ticket", "Priority"),
    "quote": ("quote", "Status"),
}
"""Status vocabulary -> (record kind whose type names its enum, enum name suffix)."""

_ENUM_VALUE = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_ATTRIBUTE = {("milestone", "name"): "kind"}  # default field names that differ from the model's
_CAMEL = re.compile(r"([A-Z])")


def _attribute(kind: str, name: str) -> str:
    return _ATTRIBUTE.get((kind, name)) or _CAMEL.sub(r"_\1", name).lower()


def _codes(maps: GraphqlMaps, vocabulary: str) -> list[str]:
    """The codes a carrier writes for a vocabulary, plus the one nobody maps."""
    status = maps.get(vocabulary)
    codes = dict.fromkeys(status.code_for(member) for member in status.enum)
    return [*codes, DRIFT_CODE]


def carrier_sdl(spec: GraphqlSpec) -> str:
    """The schema (SDL) of a carrier's graph: its declared resources and what they reach."""
    maps = GraphqlMaps(spec)
    paging = spec.paging
    fmt = spec.formats
    scalars = {
        "ID": "ID",
        "String": "String",
        "Int": "Int",
        "Decimal": "Decimal",
        "Amount": {"decimal": "Decimal", "float": "Float", "minor_units": "Int"}[fmt.money],
        "DateTime": "Timestamp" if fmt.datetime == "epoch_seconds" else "DateTime",
        "Date": "Date",
    }
    blocks: dict[str, str] = {}
    used_scalars: set[str] = set()

    def enum(name: str, values: Iterable[str]) -> str:
        blocks.setdefault(name, f"enum {name} {{ {' '.join(values)} }}")
        return name

    def type_of(kind: str, field: WireField) -> str:
        if field.kind in WIRE_TYPES:
            base = record(field.kind)
        elif field.kind.startswith("status:"):
            vocabulary = field.kind.removeprefix("status:")
            owner, suffix = STATUS_FIELDS[vocabulary]
            codes = _codes(maps, vocabulary)
            valid = all(_ENUM_VALUE.match(c) and c not in {"true", "false", "null"} for c in codes)
            base = enum(spec.type_name(owner) + suffix, codes) if valid else "String"
        elif field.kind.startswith("enum:"):
            name = field.kind.removeprefix("enum:")
            base = enum(name, [*FIXED_ENUMS[name].__members__, DRIFT_CODE])
        else:
            base = scalars[field.kind]
            used_scalars.add(base)
        if field.many:
            return f"[{base}!]!"
        return f"{base}!" if field.kind == "ID" and field.required else base

    def record(kind: str) -> str:
        name = spec.type_name(kind)
        if name not in blocks:
            blocks[name] = ""  # reserve the name: records may nest (and recurse)
            lines = [
                f"  {spec.field_name(kind, f.name)}: {type_of(kind, f)}" for f in WIRE_TYPES[kind]
            ]
            blocks[name] = f"type {name} {{\n" + "\n".join(lines) + "\n}"
        return name

    roots = []
    for resource in sorted(spec.capabilities):
        root = WIRE_ROOTS[resource]
        node = record(root.kind)
        arguments = [f"{spec.argument_name(key)}: [ID!]" for key in root.keys]
        if isinstance(paging, CursorPaging):
            arguments += [f"{paging.limit_param}: Int", f"{paging.cursor_param}: String"]
        elif isinstance(paging, OffsetPaging):
            arguments += [f"{paging.offset_param}: Int", f"{paging.limit_param}: Int"]
        if spec.connection == "relay":
            result = f"{node}Connection!"
            blocks[f"{node}Connection"] = (
                f"type {node}Connection {{ edges: [{node}Edge!]! pageInfo: PageInfo! "
                "totalCount: Int! }"
            )
            blocks[f"{node}Edge"] = f"type {node}Edge {{ cursor: String! node: {node} }}"
            blocks["PageInfo"] = (
                "type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! "
                "startCursor: String endCursor: String }"
            )
        elif spec.connection == "token" and isinstance(paging, CursorPaging):
            result = f"{node}Page!"
            blocks[f"{node}Page"] = (
                f"type {node}Page {{ items: [{node}]! {paging.next_cursor_field}: String }}"
            )
        else:
            result = f"[{node}]!"
        roots.append(f"  {spec.root_name(resource)}({', '.join(arguments)}): {result}")
    builtin = {"ID", "String", "Int", "Float", "Boolean"}
    custom = [f"scalar {s}" for s in sorted(used_scalars - builtin)]
    query = "type Query {\n" + "\n".join(roots) + "\n}"
    schema = "schema { query: Query }"  # so a record type may be named Subscription
    return "\n\n".join([schema, *custom, query, *blocks.values()]) + "\n"


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    wire: str
    attribute: str
    write: Callable[[Any], Any]


class WireWriter:
    """Normalized records -> one carrier's wire documents (its names, codes and formats)."""

    def __init__(self, spec: GraphqlSpec) -> None:
        self.spec = spec
        self.maps = GraphqlMaps(spec)
        fmt = spec.formats
        zone = ZoneInfo(fmt.time_zone)
        utc = fmt.time_zone in {"UTC", "Etc/UTC"}
        pattern = fmt.date

        def instant(value: datetime) -> object:
            if fmt.datetime == "epoch_seconds":
                return int(value.timestamp())
            text = value.astimezone(UTC if utc else zone).isoformat()
            return text.replace("+00:00", "Z") if utc else text

        def day(value: date) -> str:
            return value.strftime(pattern)

        def amount(value: Decimal) -> object:
            match fmt.money:
                case "float":
                    return float(value)
                case "minor_units":
                    return int(value.scaleb(2))
                case _:
                    return str(value)

        self._scalars: dict[str, Callable[[Any], Any]] = {
            "ID": _same,
            "String": _same,
            "Int": _same,
            "Decimal": str,
            "Amount": amount,
            "DateTime": instant,
            "Date": day,
        }
        self._slots = {kind: self._plan(kind) for kind in WIRE_TYPES}

    def _plan(self, kind: str) -> list[_Slot]:
        slots = []
        for field in WIRE_TYPES[kind]:
            write = self._writer(field)
            if field.many:
                write = _each(write)
            wire = self.spec.field_name(kind, field.name)
            slots.append(_Slot(field.name, wire, _attribute(kind, field.name), _optional(write)))
        return slots

    def _writer(self, field: WireField) -> Callable[[Any], Any]:
        if field.kind in WIRE_TYPES:
            nested = field.kind
            return lambda value: self.write(nested, value)
        if field.kind.startswith("status:"):
            return self.maps.get(field.kind.removeprefix("status:")).code_for
        if field.kind.startswith("enum:"):
            return _value
        return self._scalars[field.kind]

    def write(self, kind: str, record: object, extra: Mapping[str, Any] | None = None) -> Wire:
        """One record as the carrier's graph holds it; ``extra`` sets fields by default name."""
        doc: Wire = {}
        for slot in self._slots[kind]:
            if extra is not None and slot.name in extra:
                doc[slot.wire] = extra[slot.name]
            else:
                doc[slot.wire] = slot.write(getattr(record, slot.attribute))
        return doc


def _same(value: object) -> object:
    return value


def _value(member: Any) -> str:  # noqa: ANN401 - any StrEnum member
    return str(member.value)


def _each(write: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda values: [write(v) for v in values]


def _optional(write: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else write(value)
