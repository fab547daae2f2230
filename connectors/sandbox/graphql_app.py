"""A sandbox carrier back office that exposes its own GraphQL API.

Serves one carrier's slice of the seeded data set at ``POST <endpoint>`` (GraphQL over
HTTP, ``application/json``) with graphql-core: a schema built from the carrier file
(:mod:`connectors.sandbox.graphql_schema`), one resolver per root field over documents
written once at start-up in the carrier's names, codes and formats, and the carrier's
connection style (Relay ``edges``/``pageInfo``, ``items``/``nextToken`` or a plain list
with ``offset``/``limit``). Parsed and validated query documents are cached, so a
gateway that sends the same few documents costs only their execution.

GraphQL errors (syntax, validation, a bad cursor or page size) are answered with HTTP
200 and an ``errors`` list, as GraphQL over HTTP does for ``application/json``. The
faults break the dialect in its own way: ``not_json`` cuts the answer short,
``wrong_shape`` swaps each root field's value for one of the wrong structure, and
``bad_record`` sends the first record with an enum value no carrier file maps
(:data:`~connectors.sandbox.graphql_schema.DRIFT_CODE`) and a field null,
``bad_value`` one absurd value in the first record and ``unreadable_record`` a record
without its id among good ones.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLFormattedError,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from starlette.responses import Response

from connectors.models import Resource
from connectors.sandbox.graphql_schema import DRIFT_CODE, Wire, WireWriter, carrier_sdl
from connectors.specs.common import CursorPaging, OffsetPaging
from connectors.specs.graphql import WIRE_ROOTS, WireRoot

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from graphql import GraphQLResolveInfo
    from starlette.requests import Request

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode
    from connectors.spec import GraphqlSpec

__all__ = ["BAD_RECORD_FIELDS", "GraphqlCarrierBackOffice"]

_JSON = "application/json"
_MAX_PAGE = 1000
_CACHED_DOCUMENTS = 256

BAD_RECORD_FIELDS: Mapping[str, tuple[str, str]] = {
    "account": ("status", "name"),
    "service": ("status", "mrc"),
    "invoice": ("status", "total"),
    "invoice_line": ("kind", "description"),
    "order": ("status", "orderedAt"),
    "ticket": ("status", "openedAt"),
    "usage": ("callType", "startedAt"),
    "quote": ("status", "validUntil"),
}
"""Record kind -> (the code field given an unmapped value, the required field nulled)."""


@dataclass
class _Collection:
    """One resource's documents, indexed by each kind of key the root field filters by."""

    docs: list[Wire] = field(default_factory=list)
    index: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, doc: Wire, keys: Mapping[str, str]) -> None:
        for kind, value in keys.items():
            self.index[kind].setdefault(value, []).append(len(self.docs))
        self.docs.append(doc)

    def select(self, filters: Mapping[str, Sequence[str] | None]) -> list[int]:
        chosen: set[int] | None = None
        for kind, values in filters.items():
            if values is None:
                continue
            table = self.index.get(kind, {})
            hits = {n for v in values for n in table.get(v, ())}
            chosen = hits if chosen is None else chosen & hits
        return sorted(range(len(self.docs)) if chosen is None else chosen)


@dataclass(frozen=True, slots=True)
class _Prepared:
    document: DocumentNode | None
    errors: list[GraphQLFormattedError]
    roots: tuple[str, ...]


def _cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def _position(cursor: str) -> int:
    try:
        prefix, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix == "cursor" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise GraphQLError(f"invalid cursor '{cursor[:40]}'")


def _records(data: CarrierData, resource: Resource) -> Iterable[tuple[Any, dict[str, str]]]:
    """(record, extra default-named fields) of one resource, in the data set's order."""
    match resource:
        case Resource.ACCOUNTS:
            return ((a, {}) for a in data.accounts)
        case Resource.SERVICES:
            return ((s, {}) for s in data.services)
        case Resource.INVOICES:
            return ((i, {}) for i in data.invoices)
        case Resource.INVOICE_LINES:
            return (
                (line, {"invoiceNumber": i.invoice_number})
                for i in data.invoices
                for line in data.invoice_lines.get(i.invoice_number, ())
            )
        case Resource.ORDERS:
            return ((o, {}) for o in data.orders)
        case Resource.TICKETS:
            return ((t, {}) for t in data.tickets)
        case Resource.USAGE:
            return ((u, {}) for u in data.usage)
        case Resource.QUOTES:
            return ((q, {}) for q in data.quotes)


class GraphqlCarrierBackOffice:
    """The GraphQL API of one sandbox carrier, independent of any web framework."""

    def __init__(self, spec: GraphqlSpec, data: CarrierData) -> None:
        self.spec = spec
        self.sdl = carrier_sdl(spec)
        self.schema = build_schema(self.sdl)
        writer = WireWriter(spec)
        self._roots: dict[str, Resource] = {}
        self._documents: dict[tuple[str, str | None], _Prepared] = {}
        self._answered: Resource | None = None
        query = self.schema.query_type
        assert query is not None  # noqa: S101 - carrier_sdl always writes a Query type
        for resource in spec.capabilities:
            root = WIRE_ROOTS[resource]
            collection = _Collection()
            for record, extra in _records(data, resource):
                doc = writer.write(root.kind, record, extra)
                keys = {
                    key: doc[spec.field_name(root.kind, name)] for key, name in root.keys.items()
                }
                collection.add(doc, keys)
            name = spec.root_name(resource)
            self._roots[name] = resource
            query.fields[name].resolve = self._resolver(root, collection)

    def resource_of(self, path: str) -> Resource | None:
        """The resource of the request just answered (every query shares one path).

        The server asks right after :meth:`answer` returns, with no await in between, so
        the answer is the one it logs; the value is consumed so a request that never
        reached :meth:`answer` (an injected error) is logged as unknown.
        """
        del path
        answered, self._answered = self._answered, None
        return answered

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Answer one GraphQL-over-HTTP request, broken as ``garbage`` asks."""
        if path != self.spec.endpoint:
            return _errors(f"no GraphQL endpoint at {path}", 404)
        if request.method != "POST":
            return _errors("queries are sent with POST", 405)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            payload = None
        query = payload.get("query") if isinstance(payload, dict) else None
        variables = payload.get("variables") if isinstance(payload, dict) else None
        operation = payload.get("operationName") if isinstance(payload, dict) else None
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(operation, str | None)
        ):
            return _errors("expected a JSON body with a 'query' string", 400)
        prepared = self._prepare(query, operation)
        if prepared.document is None:
            return _json({"errors": prepared.errors})
        result = execute_sync(
            self.schema,
            prepared.document,
            variable_values=variables,
            operation_name=operation,
            context_value=garbage,
        ).formatted
        self._answered = next((self._roots[r] for r in prepared.roots if r in self._roots), None)
        match garbage:
            case "not_json":
                text = json.dumps(result)
                return Response(text[: len(text) // 2], 200, media_type=_JSON)
            case "wrong_shape":
                data = result.get("data") or {}
                result["data"] = {
                    k: {"nodes": v} if isinstance(v, list) else [v] for k, v in data.items()
                }
            case "bad_value" | "unreadable_record":
                answers = (result.get("data") or {}).values()  # keyed by alias, in order
                for name, value in zip(prepared.roots, answers, strict=False):
                    resource = self._roots.get(name)
                    if resource is not None:
                        _break(WIRE_ROOTS[resource].kind, _page_nodes(value), garbage)
            case _:
                pass
        return _json(result)

    def _prepare(self, query: str, operation: str | None) -> _Prepared:
        """Parse and validate a document once; the gateway sends the same few again."""
        cached = self._documents.get((query, operation))
        if cached is not None:
            return cached
        try:
            document = parse(query)
        except GraphQLError as exc:
            return _Prepared(None, [exc.formatted], ())
        errors = validate(self.schema, document)
        if errors:
            prepared = _Prepared(None, [e.formatted for e in errors], ())
        else:
            chosen = get_operation_ast(document, operation)
            selections = chosen.selection_set.selections if chosen else ()
            roots = tuple(s.name.value for s in selections if isinstance(s, FieldNode))
            prepared = _Prepared(document, [], roots)
        if len(self._documents) < _CACHED_DOCUMENTS:
            self._documents[(query, operation)] = prepared
        return prepared

    def _resolver(self, root: WireRoot, collection: _Collection) -> Callable[..., Any]:
        """The root field resolver of one resource: filter, page, shape per connection."""
        spec = self.spec
        paging = spec.paging
        filters = {key: spec.argument_name(key) for key in root.keys}
        code_field, blank_field = (
            spec.field_name(root.kind, f) for f in BAD_RECORD_FIELDS[root.kind]
        )
        style = spec.connection

        def resolve(_root: object, info: GraphQLResolveInfo[str], **args: Any) -> object:  # noqa: ANN401
            hits = collection.select({key: args.get(name) for key, name in filters.items()})
            start, size = 0, len(hits)
            if isinstance(paging, CursorPaging):
                cursor = args.get(paging.cursor_param)
                size = _size(args.get(paging.limit_param), paging.page_size)
                if cursor is not None:
                    start = _position(cursor) + (1 if style == "relay" else 0)
            elif isinstance(paging, OffsetPaging):
                start = max(args.get(paging.offset_param) or 0, 0)
                size = _size(args.get(paging.limit_param), paging.page_size)
            end = min(start + size, len(hits))
            docs = [collection.docs[n] for n in hits[start:end]]
            if info.context == "bad_record" and docs:
                docs[0] = {**docs[0], code_field: DRIFT_CODE, blank_field: None}
            if style == "relay":
                edges = [{"cursor": _cursor(start + n), "node": d} for n, d in enumerate(docs)]
                return {
                    "edges": edges,
                    "totalCount": len(hits),
                    "pageInfo": {
                        "hasNextPage": end < len(hits),
                        "hasPreviousPage": start > 0,
                        "startCursor": edges[0]["cursor"] if edges else None,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                }
            if style == "token" and isinstance(paging, CursorPaging):
                more = _cursor(end) if end < len(hits) else None
                return {"items": docs, paging.next_cursor_field: more}
            return docs

        return resolve


_MONEY = ("total", "mrc", "amount", "charge")
_INSTANTS = ("createdAt", "orderedAt", "openedAt", "requestedAt")
_IDENTITY = {
    "account": "accountNumber",
    "service": "serviceId",
    "invoice": "invoiceNumber",
    "invoice_line": "invoiceNumber",
    "order": "orderId",
    "ticket": "ticketId",
    "usage": "usageId",
    "quote": "quoteId",
}


def _page_nodes(value: object) -> list[dict[str, Any]]:
    """The record objects of one root field's answer, whatever the connection style."""
    if isinstance(value, dict):
        if "edges" in value:
            return [e["node"] for e in value["edges"] if isinstance(e, dict)]
        value = value.get("items")
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _break(kind: str, nodes: list[dict[str, Any]], garbage: GarbageMode) -> None:
    """Break an answer as the gateway asked it (fields carry the gateway's default aliases).

    ``bad_value``: the first record's money amount is absurd (-3.4e38), or, for records
    without money, its first date-time is in year 9999. ``unreadable_record``: the last
    record of the page (of at least two) loses its identity.
    """
    if not nodes:
        return
    if garbage == "unreadable_record":
        if len(nodes) > 1:
            nodes[-1][_IDENTITY[kind]] = None
        return
    first = nodes[0]
    money = next((k for k in _MONEY if isinstance(first.get(k), dict)), None)
    if money is not None:
        first[money] = {**first[money], "amount": -3.4e38}
        return
    instant = next((k for k in _INSTANTS if first.get(k) is not None), None)
    if instant is not None:
        year_9999 = "9999-06-01T00:00:00Z" if isinstance(first[instant], str) else 253385000000
        first[instant] = year_9999


def _size(asked: int | None, default: int) -> int:
    size = default if asked is None else asked
    if not 1 <= size <= _MAX_PAGE:
        raise GraphQLError(f"page size must be between 1 and {_MAX_PAGE}, got {size}")
    return size


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, media_type=_JSON)


def _errors(message: str, status: int) -> Response:
    return _json({"errors": [{"message": message}]}, status)
