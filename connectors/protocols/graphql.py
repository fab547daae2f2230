"""GraphQL adapter: the gateway as a client of a carrier's own graph.

Written once, driven by a carrier's :class:`~connectors.spec.GraphqlSpec`. At start-up
it compiles one query document per (resource, kind of key) from the carrier file: the
carrier's root field, filter argument and field names, each field aliased to the
family's default name so one reader (:mod:`connectors.protocols.graphql_records`)
serves every carrier. A batch is one ``POST`` per chunk of ``max_keys_per_call`` keys
(chunks run concurrently) with variables ``{accounts: [...], first: N, after: cursor}``,
paged by :func:`connectors.paging.collect`: Relay ``pageInfo`` cursors, ``nextToken``
cursors or ``offset``/``limit`` lists. GraphQL ``errors`` in a 200 answer are
``UpstreamUnavailable`` when no data came with them and ``UpstreamInvalid`` when some
did; a record that does not fit is ``UpstreamInvalid`` naming the carrier, its type
and the field in the carrier's own names.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.base import Records, chunked, together
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid, UpstreamUnavailable
from connectors.mapping import FieldError
from connectors.paging import collect
from connectors.protocols.graphql_records import GraphqlReader, Json
from connectors.specs.common import CursorPaging, OffsetPaging
from connectors.specs.graphql import WIRE_ROOTS, WIRE_TYPES
from connectors.transport import JsonPage

if TYPE_CHECKING:
    from connectors.base import Fetch
    from connectors.models import Carrier, Resource
    from connectors.spec import GraphqlSpec
    from connectors.transport import CarrierClient

__all__ = ["GraphqlConnector", "Operation", "compile_operation"]

T = TypeVar("T")

_VARIABLE = {"account": "accounts", "id": "ids", "invoice": "invoices"}
_HEADERS = {"Content-Type": "application/json"}
_PLUMBING = (("edges", "node"), ("items",))


@dataclass(frozen=True, slots=True)
class Operation:
    """One compiled query: a root field filtered by one kind of key.

    Attributes:
        resource: what it lists.
        kind: the record kind of the default vocabulary.
        record: the carrier's GraphQL type name (named in errors).
        key_field: the (aliased) field that holds the key the answer is grouped by.
        variable: the variable carrying the keys.
        name: the operation name.
        document: the query document.
        prefix: the JSON request body up to its ``variables`` object.
    """

    resource: Resource
    kind: str
    record: str
    key_field: str
    variable: str
    name: str
    document: str
    prefix: bytes


def _selection(spec: GraphqlSpec, kind: str) -> str:
    """Every field of a record kind, aliased to its default name where the carrier renames."""
    parts = []
    for field in WIRE_TYPES[kind]:
        wire = spec.field_name(kind, field.name)
        part = wire if wire == field.name else f"{field.name}: {wire}"
        if field.kind in WIRE_TYPES:
            part = f"{part} {{ {_selection(spec, field.kind)} }}"
        parts.append(part)
    return " ".join(parts)


def compile_operation(spec: GraphqlSpec, resource: Resource, key: str) -> Operation:
    """The query document (and request body prefix) for one resource and kind of key."""
    root = WIRE_ROOTS[resource]
    variable = _VARIABLE[key]
    definitions = [f"${variable}: [ID!]!"]
    arguments = [f"{spec.argument_name(key)}: ${variable}"]
    paging = spec.paging
    if isinstance(paging, CursorPaging):
        definitions += [f"${paging.limit_param}: Int!", f"${paging.cursor_param}: String"]
        arguments += [f"{p}: ${p}" for p in (paging.limit_param, paging.cursor_param)]
    elif isinstance(paging, OffsetPaging):
        definitions += [f"${paging.limit_param}: Int!", f"${paging.offset_param}: Int!"]
        arguments += [f"{p}: ${p}" for p in (paging.limit_param, paging.offset_param)]
    selection = _selection(spec, root.kind)
    match spec.connection:
        case "relay":
            body = f"edges {{ node {{ {selection} }} }} pageInfo {{ hasNextPage endCursor }}"
        case "token" if isinstance(paging, CursorPaging):
            body = f"items {{ {selection} }} {paging.next_cursor_field}"
        case _:
            body = selection
    name = "Switchboard" + "".join(p.title() for p in f"{resource.value}_by_{key}".split("_"))
    document = (
        f"query {name}({', '.join(definitions)}) "
        f"{{ page: {spec.root_name(resource)}({', '.join(arguments)}) {{ {body} }} }}"
    )
    head = json.dumps({"operationName": name, "query": document}, separators=(",", ":"))
    return Operation(
        resource=resource,
        kind=root.kind,
        record=spec.type_name(root.kind),
        key_field=root.keys[key],
        variable=variable,
        name=name,
        document=document,
        prefix=(head[:-1] + ',"variables":').encode(),
    )


_ID_FIELDS: Mapping[str, str] = {
    "account": "accountNumber",
    "service": "serviceId",
    "invoice": "invoiceNumber",
    "order": "orderId",
    "ticket": "ticketId",
    "usage": "usageId",
    "quote": "quoteId",
}
"""Each kind's own id (default name), to name a record that could not be read."""


def _key(node: Json, key_field: str) -> str:
    key = node.get(key_field)
    if type(key) is not str:
        raise FieldError(key_field, "expected a string key")
    return key


class GraphqlConnector:
    """A connector for any carrier that exposes its own GraphQL API."""

    def __init__(self, spec: GraphqlSpec, client: CarrierClient) -> None:
        self.spec = spec
        self.client = client
        self.reader = GraphqlReader(spec)
        self._carrier = spec.record()
        self.operations: dict[tuple[Resource, str], Operation] = {
            (resource, key): compile_operation(spec, resource, key)
            for resource in sorted(spec.capabilities)
            for key in WIRE_ROOTS[resource].keys
        }
        self._readers: dict[str, Callable[[Json], Any]] = {
            root.kind: getattr(self.reader, root.kind) for root in WIRE_ROOTS.values()
        }
        paging = spec.paging
        self._cursor_param = paging.cursor_param if isinstance(paging, CursorPaging) else None

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        op = self.operations.get((what.resource, what.key))
        if op is None:
            detail = "" if what.resource in self.spec.capabilities else f" by {what.key}"
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not offer {what.resource.value}{detail}",
                carrier=self.spec.id,
            )
        if not keys:
            return {}
        step = self.spec.max_keys_per_call
        chunks = [list(chunk) for chunk in chunked(keys, step)]
        pages = await together([self._list(op, chunk) for chunk in chunks])
        grouped: dict[str, tuple[list[T], list[UpstreamInvalid]]] = defaultdict(lambda: ([], []))
        for chunk, nodes in zip(chunks, pages, strict=True):
            self._read(op, nodes, chunk, grouped)
        return {k: Records(found, dropped=dropped) for k, (found, dropped) in grouped.items()}

    def _read(
        self, op: Operation, nodes: list[Json], chunk: Sequence[str], grouped: dict[str, Any]
    ) -> None:
        """Read every node into its key's list; a node without a readable identity is dropped.

        A dropped node is reported beside its key's records (or every key of ``chunk``
        when its key cannot be read either); a value that cannot be read is a problem
        of its record, renamed here into the carrier's own field names.
        """
        read = self._readers[op.kind]
        key_field = op.key_field
        for position, node in enumerate(nodes):
            try:
                if not isinstance(node, Mapping):
                    raise FieldError(key_field, "expected an object")  # noqa: TRY301
                record = read(node)
                key = _key(node, key_field)
            except FieldError as exc:
                field = self.spec.wire_path(op.kind, exc.field.split("."))
                problem = f"field '{field}': {exc.problem}"
                self._drop(op, node, position, problem, field, chunk, grouped)
                continue
            except (TypeError, ValueError, ArithmeticError, KeyError) as exc:  # last resort
                problem = f"malformed ({type(exc).__name__})"
                self._drop(op, node, position, problem, None, chunk, grouped)
                continue
            problems = getattr(record, "problems", ())
            if problems:
                record = replace(
                    record,
                    problems=tuple(
                        replace(p, wire_field=self.spec.wire_path(op.kind, p.wire_field.split(".")))
                        for p in problems
                    ),
                )
            grouped[key][0].append(record)

    def _drop(
        self,
        op: Operation,
        node: object,
        position: int,
        problem: str,
        field: str | None,
        chunk: Sequence[str],
        grouped: dict[str, Any],
    ) -> None:
        carrier = self.spec.id
        ident = node.get(_ID_FIELDS.get(op.kind, "")) if isinstance(node, Mapping) else None
        record = ident if type(ident) is str and ident else f"#{position + 1}"
        error = UpstreamInvalid(
            f"carrier '{carrier}' sent an unreadable {op.record} ({record}): {problem}",
            carrier=carrier,
            record=record,
            field=field,
        )
        key = node.get(op.key_field) if isinstance(node, Mapping) else None
        for k in [key] if type(key) is str and key in chunk else chunk:
            grouped[k][1].append(error)

    async def _list(self, op: Operation, keys: list[str]) -> list[Json]:
        """Every node matching the keys, however many pages that takes."""
        cursor_param = self._cursor_param

        async def fetch(params: Mapping[str, str], url: str | None) -> JsonPage:
            del url  # GraphQL pages are always the same endpoint
            variables: dict[str, object] = {op.variable: keys}
            for name, value in params.items():
                variables[name] = value if name == cursor_param else int(value)
            return await self._post(op, variables)

        def items(page: JsonPage) -> list[Json]:
            return self._nodes(op, page.body)

        return await collect(self.spec.paging, fetch, items, {}, carrier=self.spec.id)

    async def _post(self, op: Operation, variables: dict[str, object]) -> JsonPage:
        """One query over ``POST``; the answer's connection object, errors mapped."""
        content = op.prefix + json.dumps(variables, separators=(",", ":")).encode() + b"}"
        response = await self.client.send(
            "POST", self.spec.endpoint, content=content, headers=_HEADERS, idempotent=True
        )
        page = self._data(op, self.client.decode_json(response))
        if self.spec.connection == "relay":
            self._check_page_info(op, page)
        return JsonPage(page, response.headers)

    def _data(self, op: Operation, body: object) -> Any:  # noqa: ANN401 - JSON
        """The root field's value, or the error the GraphQL answer amounts to."""
        carrier = self.spec.id
        if not isinstance(body, Mapping):
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent a body that is not a GraphQL response",
                carrier=carrier,
                record=op.record,
            )
        data = body.get("data")
        errors = body.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) else None
            first = first if isinstance(first, Mapping) else {}
            message = str(first.get("message", "no message"))[:160]
            if not isinstance(data, Mapping) or all(v is None for v in data.values()):
                raise UpstreamUnavailable(
                    f"carrier '{carrier}' answered GraphQL errors and no data: {message}",
                    carrier=carrier,
                )
            raise UpstreamInvalid(
                f"carrier '{carrier}' answered partial data with GraphQL errors: {message}",
                carrier=carrier,
                record=op.record,
                field=self._error_field(op, first.get("path")),
            )
        page = data.get("page") if isinstance(data, Mapping) else None
        if page is None:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent a GraphQL answer without its {op.record} list",
                carrier=carrier,
                record=op.record,
            )
        return page

    def _error_field(self, op: Operation, path: object) -> str | None:
        """The carrier's field a GraphQL error ``path`` points at, if it names one."""
        if not isinstance(path, list):
            return None
        steps = [str(p) for p in path[1:] if isinstance(p, str)]
        for plumbing in _PLUMBING:
            if tuple(steps[: len(plumbing)]) == plumbing:
                steps = steps[len(plumbing) :]
                break
        return self.spec.wire_path(op.kind, steps) if steps else None

    def _check_page_info(self, op: Operation, page: object) -> None:
        """Relay's has-next check: a last page's ``endCursor`` ends the walk (it is cleared)."""
        info = page.get("pageInfo") if isinstance(page, dict) else None
        has_next = info.get("hasNextPage") if isinstance(info, dict) else None
        if not isinstance(info, dict) or type(has_next) is not bool:
            raise UpstreamInvalid(
                f"carrier '{self.spec.id}' sent a {op.record} connection without pageInfo",
                carrier=self.spec.id,
                record=op.record,
                field="pageInfo.hasNextPage",
            )
        if not has_next:
            info["endCursor"] = None
        elif not info.get("endCursor"):
            raise UpstreamInvalid(
                f"carrier '{self.spec.id}' said hasNextPage without an endCursor",
                carrier=self.spec.id,
                record=op.record,
                field="pageInfo.endCursor",
            )

    def _nodes(self, op: Operation, page: object) -> list[Json]:
        """The records of one page, whatever the connection style (shape checked)."""
        nodes: object = page
        match self.spec.connection:
            case "relay":
                edges = page.get("edges") if isinstance(page, Mapping) else None
                if isinstance(edges, list) and all(isinstance(e, Mapping) for e in edges):
                    nodes = [e.get("node") for e in edges]
                else:
                    nodes = None
            case "token":
                nodes = page.get("items") if isinstance(page, Mapping) else None
            case _:
                pass
        if isinstance(nodes, list) and all(isinstance(n, Mapping) for n in nodes):
            return nodes
        raise UpstreamInvalid(
            f"carrier '{self.spec.id}' sent a {op.record} page of the wrong shape",
            carrier=self.spec.id,
            record=op.record,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
