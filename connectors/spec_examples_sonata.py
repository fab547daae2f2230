"""MEF LSO Sonata carriers made from the official specs alone: examples and minimal objects.

The sandbox writes what our own writer writes; a real seller writes what the specs allow.
This module builds, from the Sonata OpenAPI files (``shared/specs/mef-sonata``), the
documents a spec-conformant seller may answer, and serves them as a carrier over HTTP:

* **examples**: every property the schema has (optional ones too), filled with the
  spec's own ``example`` where it gives one (Prism-style) and a type-valid value
  otherwise;
* **minimal**: only the ``required`` properties, recursively;
* odd but valid: minimal objects with **unknown extra fields**, with **every list
  empty**, and with **unknown codes** in place of each enum value (extensions some
  sellers make);

``$ref`` and ``allOf`` are resolved, a ``oneOf`` takes its first choice (with its
discriminator value), enums their first value. Values follow the formats the specs
describe: ``date-time`` strings are instants, ``Money.unit`` is an ISO 4217 code.
List operations answer the ``*_Find`` summary of each document (its required fields,
plus the id its retrieve-by-id path takes); bill items are the refs inside a bill.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from starlette.responses import Response

from connectors.models import Resource
from connectors.protocols.sonata import list_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from starlette.types import Receive, Scope, Send

    from connectors.specs.sonata import SonataSpec

__all__ = [
    "RESOURCES",
    "VARIANTS",
    "SpecCarrier",
    "Variant",
    "build",
    "find_specs",
    "load",
    "summary",
]

Json = dict[str, Any]

RESOURCES: Mapping[Resource, tuple[str, str, str | None]] = {
    Resource.SERVICES: ("productInventoryManagement", "MEFProduct", "MEFProduct_Find"),
    Resource.INVOICES: ("billingManagement", "CustomerBill", "CustomerBill_Find"),
    Resource.INVOICE_LINES: ("billingManagement", "CustomerBillItem", None),
    Resource.ORDERS: ("productOrderManagement", "ProductOrder", "ProductOrder_Find"),
    Resource.TICKETS: ("troubleTicketManagement", "TroubleTicket", "TroubleTicket_Find"),
    Resource.QUOTES: ("quoteManagement", "Quote", "Quote_Find"),
}
"""Resource -> (spec file, detail schema, list summary schema; bill items have no list)."""

_INSTANT = "2024-03-01T10:00:00Z"
_DEPTH = 9  # deep enough for every Sonata record; refs cycle (product relationships)


def find_specs(start: Path | None = None) -> Path | None:
    """The ``shared/specs/mef-sonata`` directory beside this repository (or a parent)."""
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "specs" / "mef-sonata"
        if candidate.is_dir():
            return candidate
    return None


@functools.lru_cache(maxsize=16)
def load(directory: Path, name: str) -> Json:
    """One Sonata OpenAPI document (parsed once; treat it as read-only)."""
    with (directory / f"{name}.api.yaml").open(encoding="utf-8") as handle:
        loaded: Json = yaml.safe_load(handle)
    return loaded


@dataclass
class _Builder:
    """Builds documents from one OpenAPI file's schemas."""

    doc: Json
    full: bool
    code: str | None = None
    counter: list[int] = field(default_factory=lambda: [0])

    def schema(self, name: str) -> Json:
        found: Json = self.doc["components"]["schemas"][name]
        return found

    def resolve(self, schema: Json) -> Json:
        """``$ref`` followed and ``allOf`` merged into one object schema."""
        while "$ref" in schema:
            schema = self.schema(schema["$ref"].rpartition("/")[2])
        if "allOf" not in schema:
            return schema
        merged: Json = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            resolved = self.resolve(part)
            merged["properties"].update(resolved.get("properties", {}))
            merged["required"] += resolved.get("required", [])
            for key in ("discriminator", "enum", "type"):
                if key in resolved and key != "type":
                    merged[key] = resolved[key]
        merged["properties"].update(schema.get("properties", {}))
        merged["required"] += schema.get("required", [])
        return merged

    def value(self, schema: Json, name: str, depth: int, parent: Json) -> Any:  # noqa: ANN401
        """A type-valid value for one schema (the spec's example when it has one)."""
        if "$ref" in schema:
            name = schema["$ref"].rpartition("/")[2] if name == "" else name
            ref = schema["$ref"].rpartition("/")[2]
            schema = self.resolve(schema)
            plain = "enum" not in schema and not any(c in schema for c in ("oneOf", "anyOf"))
            if plain and schema.get("type", "object") == "object":
                return self.object(schema, depth, ref)
        schema = self.resolve(schema)
        for choice in ("oneOf", "anyOf"):
            if choice in schema:
                return self._first_choice(schema, choice, depth)
        if "example" in schema and self.full:
            example = schema["example"]
            if isinstance(example, date):  # YAML reads an unquoted instant as a datetime
                return example.isoformat().replace("+00:00", "Z")
            return copy.deepcopy(example)
        if "enum" in schema:
            return self.code or schema["enum"][0]
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if kind == "object":
            return self.object(schema, depth, name)
        if kind == "array":
            return [self.value(schema.get("items", {}), name, depth + 1, parent)]
        if kind in ("number", "integer"):
            return 1
        if kind == "boolean":
            return False
        fmt = schema.get("format")
        if fmt == "date-time":
            return _INSTANT
        if fmt == "date":
            return _INSTANT[:10]
        if name == "unit" and "value" in parent.get("properties", {}):
            return "USD"  # Money: "Currency (ISO4217 norm uses 3 letters ...)"
        if name in ("id", "href"):
            self.counter[0] += 1
            return f"{name}-{self.counter[0]}"
        return f"{name or 'text'}"

    def _first_choice(self, schema: Json, choice: str, depth: int) -> Any:  # noqa: ANN401
        first = schema[choice][0]
        built = self.value(first, "", depth, schema)
        disc = schema.get("discriminator")
        if isinstance(built, dict) and disc is not None and "$ref" in first:
            ref = first["$ref"]
            mapping = disc.get("mapping", {})
            tag = next((k for k, v in mapping.items() if v == ref), ref.rpartition("/")[2])
            built[disc["propertyName"]] = tag
        return built

    def object(self, schema: Json, depth: int, name: str) -> Json:
        """An object with its required properties (all of them when ``full``)."""
        schema = self.resolve(schema)
        props: Json = schema.get("properties", {})
        wanted = list(props) if self.full and depth < _DEPTH else schema.get("required", [])
        built: Json = {}
        for key in wanted:
            if key in props and depth < _DEPTH + 2:
                built[key] = self.value(props[key], key, depth + 1, schema)
        disc = schema.get("discriminator")
        if disc is not None and disc.get("propertyName") in props:
            built[disc["propertyName"]] = name
        return built


@dataclass(frozen=True, slots=True)
class Variant:
    """One way a spec-valid seller may write its documents."""

    name: str
    full: bool
    change: Callable[[Json], Json]
    code: str | None = None


def _same(doc: Json) -> Json:
    return doc


def _extra_fields(doc: Json) -> Json:
    """Unknown fields beside the known ones, at every level (sellers extend freely)."""
    for node in list(_objects(doc)):
        node["x-sellerExtension"] = {"note": "unknown to the buyer", "n": 3}
    return doc


def _empty_lists(doc: Json) -> Json:
    for node in list(_objects(doc)):
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = []
    return doc


def _objects(doc: Any) -> Iterator[Json]:  # noqa: ANN401
    if isinstance(doc, dict):
        yield doc
        for value in list(doc.values()):
            yield from _objects(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _objects(value)


VARIANTS: tuple[Variant, ...] = (
    Variant("examples", True, _same),
    Variant("minimal", False, _same),
    Variant("extra_fields", False, _extra_fields),
    Variant("empty_lists", True, _empty_lists),
    Variant("unknown_codes", False, _same, code="x-sellerOwnCode"),
)
"""The ways a spec's documents are served; ``unknown_codes`` puts a seller's own code in
place of every enum value (states, types, units), as sellers extending the spec do."""


def build(directory: Path, resource: Resource, variant: Variant, count: int = 3) -> list[Json]:
    """``count`` detail documents of one resource, with distinct ids, as ``variant`` writes them."""
    file, detail, _ = RESOURCES[resource]
    builder = _Builder(load(directory, file), variant.full, variant.code)
    docs = []
    for n in range(count):
        doc = builder.object(builder.schema(detail), 0, detail)
        doc["id"] = f"{detail}-{n + 1}"
        docs.append(variant.change(doc))
    return docs


def summary(directory: Path, resource: Resource, doc: Json) -> Json:
    """The ``*_Find`` summary of a detail document: its required fields (and its id)."""
    file, _, find = RESOURCES[resource]
    assert find is not None  # noqa: S101 - bill items are never listed
    builder = _Builder(load(directory, file), False)
    schema = builder.resolve({"$ref": f"#/components/schemas/{find}"})
    names = [*schema.get("required", []), "id"]
    built = builder.object(schema, 0, find)
    return {k: doc.get(k, built.get(k)) for k in names if k in doc or k in built}


class SpecCarrier:
    """A Sonata seller on loopback serving spec-built documents (an ASGI app).

    Lists answer summaries (every request, whatever the filter: the tests ask for one
    account); ``collection/{id}`` answers the document; bill items are served by id and
    referenced from every bill.

    Example:
        >>> carrier = SpecCarrier(spec, directory, docs)  # doctest: +SKIP
        >>> with serve_in_thread(carrier) as url: ...  # doctest: +SKIP
    """

    def __init__(
        self, spec: SonataSpec, directory: Path, docs: Mapping[Resource, list[Json]]
    ) -> None:
        self.routes: dict[str, bytes] = {}
        self.requests: list[str] = []
        items = docs.get(Resource.INVOICE_LINES, [])
        for resource, served in docs.items():
            path = list_path(spec, resource)
            for doc in served:
                if resource is Resource.INVOICES:
                    doc["customerBillItem"] = [
                        {
                            "id": i["id"],
                            "href": f"{list_path(spec, Resource.INVOICE_LINES)}/{i['id']}",
                        }
                        for i in items
                    ]
                self.routes[f"{path}/{doc['id']}"] = json.dumps(doc).encode()
            if RESOURCES[resource][2] is not None:
                listed = [summary(directory, resource, d) for d in served]
                self.routes[path] = json.dumps(listed).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        self.requests.append(path)
        body = self.routes.get(path)
        if body is None:
            answer = Response(b'{"code":"notFound","reason":"no such resource"}', 404)
        else:
            answer = Response(body, 200, media_type="application/json")
        await answer(scope, receive, send)
