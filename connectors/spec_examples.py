"""Carriers made from the official API specs alone: spec examples and required-only objects.

The sandbox answers what our own writer writes; a real carrier answers what the
standard allows. This module builds, from an OpenAPI file (Swagger 2.0 JSON as the TM
Forum ships, or OpenAPI 3 YAML as MEF ships), the documents a conformant carrier may
send, and serves the TMF ones as a carrier over HTTP (an ASGI app) for the conformance
tests (``tests/connectors/test_spec_examples_tmf_links.py``):

* :class:`SchemaBuilder` turns one schema into a document: ``$ref`` followed,
  ``allOf`` merged, a ``oneOf``/``anyOf`` its first choice; either every property
  (``full``, with the spec's own ``example`` where it gives one, Prism-style) or only
  the ``required`` ones, recursively; values type-valid (strings, ``date-time``
  instants, numbers, an enum's first value, Money ``unit`` an ISO 4217 code);
* :data:`VARIANTS` are the ways a conformant carrier may write them: the spec's
  examples, required-only, unknown extra fields, every list empty, its own codes in
  place of every enum value;
* :data:`TMF_LINKS` are the ways a TMF record may name its billing account: a
  ``billingAccount`` reference where the spec has one (a list on TMF648 quotes), a
  related party referring to a ``BillingAccount``, or nothing (the carrier file then
  says ``account_link.by_request``).

The identity the gateway needs (a record's id and its account) is added to every
document: the v4 specs mark neither required because a server assigns them.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl

from starlette.responses import Response

from connectors.models import Resource

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from starlette.types import Receive, Scope, Send

__all__ = [
    "TMF_LINKS",
    "TMF_RESOURCES",
    "VARIANTS",
    "Link",
    "SchemaBuilder",
    "TmfSpecCarrier",
    "Variant",
    "find_specs",
    "load_openapi",
    "schemas_of",
    "tmf_documents",
]

Json = dict[str, Any]
Link = Literal["billingAccount", "relatedParty", "none"]

_INSTANT = "2024-03-01T10:00:00Z"
_DEPTH = 6  # TMF products nest products: past this depth only required properties are built


def find_specs(family: str, start: Path | None = None) -> Path | None:
    """The ``shared/specs/<family>`` directory beside this repository (or a parent's)."""
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "specs" / family
        if candidate.is_dir():
            return candidate
    return None


@functools.lru_cache(maxsize=32)
def load_openapi(path: Path) -> Json:
    """One OpenAPI file, JSON or YAML (parsed once; treat it as read-only)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        loaded: Json = json.loads(text)
        return loaded
    import yaml  # only the YAML specs (MEF) need it

    parsed: Json = yaml.safe_load(text)
    return parsed


def schemas_of(doc: Mapping[str, Any]) -> Mapping[str, Json]:
    """The named schemas of an OpenAPI document: ``definitions`` (2.0) or ``components``."""
    if "definitions" in doc:
        found: Mapping[str, Json] = doc["definitions"]
        return found
    components: Mapping[str, Json] = doc.get("components", {}).get("schemas", {})
    return components


class SchemaBuilder:
    """Builds documents from the schemas of one OpenAPI file.

    Example:
        >>> builder = SchemaBuilder(load_openapi(path), full=False)  # doctest: +SKIP
        >>> builder.build("Quote")  # doctest: +SKIP
        {'quoteItem': [{'action': 'action', 'id': 'id-1', 'state': 'state'}]}
    """

    def __init__(self, doc: Mapping[str, Any], *, full: bool, code: str | None = None) -> None:
        self.schemas = schemas_of(doc)
        self.full = full
        self.code = code
        self._counter = 0

    def build(self, name: str) -> Json:
        """A document of the named schema."""
        return self.object(self.schemas[name], 0, name)

    def resolve(self, schema: Mapping[str, Any]) -> Json:
        """``$ref`` followed and ``allOf`` merged into one schema."""
        while "$ref" in schema:
            schema = self.schemas[str(schema["$ref"]).rpartition("/")[2]]
        if "allOf" not in schema:
            return dict(schema)
        merged: Json = {"type": "object", "properties": {}, "required": []}
        for part in [*schema["allOf"], {k: v for k, v in schema.items() if k != "allOf"}]:
            resolved = self.resolve(part)
            merged["properties"].update(resolved.get("properties", {}))
            merged["required"] += resolved.get("required", [])
            for key in ("discriminator", "enum", "description"):
                if key in resolved:
                    merged[key] = resolved[key]
        return merged

    def object(self, schema: Mapping[str, Any], depth: int, name: str) -> Json:
        """An object with its required properties (every one when ``full``, to a depth)."""
        schema = self.resolve(schema)
        props: Json = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in props]
        wanted = list(props) if self.full and depth < _DEPTH else required
        built: Json = {}
        for key in wanted:
            built[key] = self.value(props[key], key, depth + 1, props)
        disc = schema.get("discriminator")
        tag = disc.get("propertyName") if isinstance(disc, Mapping) else disc
        if isinstance(tag, str) and tag in props:
            built[tag] = name
        return built

    def value(self, schema: Mapping[str, Any], name: str, depth: int, siblings: Json) -> Any:  # noqa: ANN401
        """A type-valid value for one property (the spec's example when ``full``)."""
        ref = str(schema.get("$ref", "")).rpartition("/")[2]
        schema = self.resolve(schema)
        for choice in ("oneOf", "anyOf"):
            if choice in schema:
                return self.value(schema[choice][0], name, depth, siblings)
        if self.full and "example" in schema:
            example = schema["example"]
            if isinstance(example, datetime | date):  # YAML reads an unquoted instant
                return example.isoformat().replace("+00:00", "Z")
            return copy.deepcopy(example)
        if "enum" in schema:
            return self.code or schema["enum"][0]
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if kind == "object":
            return self.object(schema, depth, ref or name)
        if kind == "array":
            return [self.value(schema.get("items", {}), name, depth + 1, siblings)]
        if kind == "integer":
            return 3
        if kind == "number":
            return 12.5
        if kind == "boolean":
            return True
        return self._string(schema, name, siblings)

    def _string(self, schema: Mapping[str, Any], name: str, siblings: Json) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            return _INSTANT
        if fmt == "date":
            return _INSTANT[:10]
        if fmt == "uri":
            return f"https://carrier.example/{name}"
        if name == "unit" and "value" in siblings:
            return "USD"  # Money: "Currency (ISO4217 norm uses 3 letters to define the currency)"
        if name in ("id", "href", "billNo") or name.endswith("Id"):
            self._counter += 1
            return f"{name}-{self._counter}"
        return name or "text"


@dataclass(frozen=True, slots=True)
class Variant:
    """One way a spec-valid carrier may write its documents."""

    name: str
    full: bool
    change: Callable[[Json], Json]
    code: str | None = None


def _same(doc: Json) -> Json:
    return doc


def _objects(doc: Any) -> Iterator[Json]:  # noqa: ANN401
    if isinstance(doc, dict):
        yield doc
        for value in list(doc.values()):
            yield from _objects(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _objects(value)


def _extra_fields(doc: Json) -> Json:
    """Unknown fields beside the known ones, at every level (the specs allow extension)."""
    for node in list(_objects(doc)):
        node["x-carrierExtension"] = {"note": "unknown to the gateway", "n": [1, 2]}
    return doc


def _empty_lists(doc: Json) -> Json:
    for node in list(_objects(doc)):
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = []
    return doc


SELLER_CODE = "x-carrierOwnCode"
"""The code ``unknown_codes`` writes in place of every enum value."""

VARIANTS: tuple[Variant, ...] = (
    Variant("examples", True, _same),
    Variant("minimal", False, _same),
    Variant("extra_fields", False, _extra_fields),
    Variant("empty_lists", True, _empty_lists),
    Variant("unknown_codes", True, _same, code=SELLER_CODE),
)

TMF_RESOURCES: Mapping[Resource, tuple[str, str]] = {
    Resource.ACCOUNTS: ("TMF666-account", "BillingAccount"),
    Resource.SERVICES: ("TMF637-product-inventory", "Product"),
    Resource.INVOICES: ("TMF678-customer-bill", "CustomerBill"),
    Resource.INVOICE_LINES: ("TMF678-customer-bill", "AppliedCustomerBillingRate"),
    Resource.ORDERS: ("TMF622-product-ordering", "ProductOrder"),
    Resource.USAGE: ("TMF635-usage", "Usage"),
    Resource.QUOTES: ("TMF648-quote", "Quote"),
}
"""Resource -> (spec file, resource schema). TMF621 tickets have no spec in the shared
set (``shared/specs/SOURCES.md``), so they are not built here."""

TMF_LINKS: tuple[Link, ...] = ("billingAccount", "relatedParty", "none")

_OWNER = {Resource.INVOICE_LINES: "bill"}


def _place(doc: Json, schema: Json, resource: Resource, link: Link, owner: str) -> None:
    """Name ``owner`` as the document's account (or bill) the way ``link`` says, only."""
    props = schema.get("properties", {})
    key = _OWNER.get(resource, "billingAccount")
    doc.pop(key, None)
    parties = [
        p
        for p in doc.get("relatedParty", [])
        if str(p.get("@referredType", "")).lower() != "billingaccount"
    ]
    if "relatedParty" in doc:
        doc["relatedParty"] = parties
    if resource is Resource.ACCOUNTS or link == "none":
        return
    if link == "billingAccount" and key in props:
        ref = {"id": owner, "@referredType": "BillingAccount"}
        doc[key] = [ref] if props[key].get("type") == "array" else ref
    elif link == "relatedParty" and "relatedParty" in props:
        party = {"id": owner, "role": "payer", "@referredType": "BillingAccount"}
        doc["relatedParty"] = [party, *parties]


def links_of(directory: Path, resource: Resource) -> tuple[Link, ...]:
    """The ways this resource's spec lets a record name its account (``none`` always)."""
    if resource is Resource.ACCOUNTS:
        return ("none",)  # an account is its own identity
    file, name = TMF_RESOURCES[resource]
    builder = SchemaBuilder(load_openapi(directory / f"{file}.json"), full=False)
    props = builder.resolve(builder.schemas[name]).get("properties", {})
    key = _OWNER.get(resource, "billingAccount")
    return tuple(
        link
        for link in TMF_LINKS
        if link == "none"
        or (link == "billingAccount" and key in props)
        or (link == "relatedParty" and link in props and resource not in _OWNER)
    )


def tmf_documents(
    directory: Path,
    resource: Resource,
    variant: Variant,
    link: Link,
    owners: Sequence[str],
    per_owner: int = 2,
) -> list[tuple[str, Json]]:
    """``per_owner`` documents per owner (account, or bill for lines), as (owner, document)."""
    file, name = TMF_RESOURCES[resource]
    builder = SchemaBuilder(load_openapi(directory / f"{file}.json"), full=variant.full)
    builder.code = variant.code
    schema = builder.resolve(builder.schemas[name])
    docs = []
    for owner in owners:
        for n in range(per_owner):
            doc = variant.change(builder.build(name))
            ident = owner if resource is Resource.ACCOUNTS else f"{name}-{owner}-{n + 1}"
            doc["id"] = ident
            if "billNo" in doc:
                doc["billNo"] = ident
            _place(doc, schema, resource, link, owner)
            docs.append((owner, doc))
            if resource is Resource.ACCOUNTS:
                break
    return docs


class TmfSpecCarrier:
    """A TMF carrier on loopback serving spec-built documents (an ASGI app).

    A list request's filter values select the documents owned by (or identified by)
    one of them, whatever the parameter's name, as a carrier filtering by account,
    bill or id would; every match is one page with ``X-Total-Count``.

    Example:
        >>> carrier = TmfSpecCarrier({"/tmf-api/usageManagement/v4/usage": docs})  # doctest: +SKIP
        >>> with serve_in_thread(carrier) as url: ...  # doctest: +SKIP
    """

    def __init__(self, routes: Mapping[str, Sequence[tuple[str, Json]]]) -> None:
        self.routes = {path: list(docs) for path, docs in routes.items()}
        self.requests: list[tuple[str, dict[str, str]]] = []

    def select(self, path: str, query: Mapping[str, str]) -> list[Json] | None:
        """The documents a list request selects, or None for an unknown path."""
        docs = self.routes.get(path)
        if docs is None:
            return None
        wanted: set[str] | None = None
        for param, raw in query.items():
            if param in ("offset", "limit", "fields"):
                continue
            values = set(raw.split(","))
            wanted = values if wanted is None else wanted & values
        if wanted is None:
            return [doc for _, doc in docs]
        return [doc for owner, doc in docs if owner in wanted or doc.get("id") in wanted]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        query = dict(parse_qsl(scope["query_string"].decode()))
        self.requests.append((scope["path"], query))
        docs = self.select(scope["path"], query)
        if docs is None:
            answer = Response(b'{"code":"404","reason":"Not Found"}', 404)
        else:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", "100"))
            answer = Response(
                json.dumps(docs[offset : offset + limit]),
                200,
                media_type="application/json",
                headers={"X-Total-Count": str(len(docs))},
            )
        await answer(scope, receive, send)
