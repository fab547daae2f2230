"""Demand control: depth, alias and cost limits that cost time linear in the document.

A hostile document can be small and still describe an enormous amount of work: 22
fragments each spreading the next twice name 4 million paths in under a kilobyte. Every
measure here therefore walks each fragment definition once and combines the memoized
figures arithmetically (a fragment spread twice counts twice, without being walked
twice), so the checks finish in microseconds whatever the document multiplies to.

* **Depth** and **aliases** are validation rules (cached with the document).
* **Cost** is computed before execution, when the variables are known: a field that
  returns an object costs 1, a leaf 0; a connection multiplies what is under it by its
  ``first``/``last`` (or the default page size), any other list field by
  :data:`DEFAULT_LIST_SIZE`; a connection's own ``edges``/``nodes`` lists do not
  multiply again. The total is compared with the audience's budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableNode,
)

from gateway.schema.nodes import DEFAULT_PAGE_SIZE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from graphql import (
        DocumentNode,
        GraphQLField,
        GraphQLNamedType,
        GraphQLOutputType,
        GraphQLSchema,
        SelectionSetNode,
    )

__all__ = [
    "DEFAULT_LIST_SIZE",
    "MAX_ALIASES",
    "MAX_DEPTH",
    "CostCache",
    "QueryCost",
    "ShapeLimits",
    "query_cost",
    "too_complex",
]

MAX_DEPTH = 12
MAX_ALIASES = 50
DEFAULT_LIST_SIZE = 10
"""What a plain list field (``accounts``, ``milestones``, ``lines``) is assumed to hold."""

_CONNECTION_LISTS = frozenset({"edges", "nodes"})


def too_complex(message: str, **details: object) -> GraphQLError:
    """The ``QUERY_TOO_COMPLEX`` error (a request error: nothing was executed)."""
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX", **details})


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


@dataclass
class _Shape:
    """Depth and alias count of selection sets, each fragment measured once."""

    fragments: Mapping[str, FragmentDefinitionNode]
    memo: dict[str, tuple[int, int]] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)

    def measure(self, selections: SelectionSetNode | None) -> tuple[int, int]:
        """(depth below, aliases within) of a selection set."""
        if selections is None:
            return 0, 0
        depth = aliases = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                below, inner = self.measure(node.selection_set)
                depth = max(depth, 1 + below) if node.selection_set else max(depth, 1)
                aliases += inner + (node.alias is not None)
            elif isinstance(node, InlineFragmentNode):
                below, inner = self.measure(node.selection_set)
                depth, aliases = max(depth, below), aliases + inner
            elif isinstance(node, FragmentSpreadNode):
                below, inner = self.fragment(node.name.value)
                depth, aliases = max(depth, below), aliases + inner
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        known = self.memo.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.active:  # unknown or cyclic: other rules say so
            return 0, 0
        self.active.add(name)
        self.memo[name] = measured = self.measure(definition.selection_set)
        self.active.discard(name)
        return measured


class ShapeLimits(ValidationRule):
    """Depth beyond :data:`MAX_DEPTH` fields and more than :data:`MAX_ALIASES` aliases.

    Aliases inside a fragment count once per spread, as if the fragment were written
    out, but each fragment is measured once.
    """

    def enter_document(self, node: DocumentNode, *_: object) -> None:
        shape = _Shape(_fragments(node))
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                depth, aliases = shape.measure(definition.selection_set)
                name = definition.name.value if definition.name else "anonymous"
                if depth > MAX_DEPTH:
                    self.report_error(
                        too_complex(
                            f"'{name}' exceeds maximum operation depth of {MAX_DEPTH} "
                            f"(it is {depth})",
                            depth=depth,
                            limit=MAX_DEPTH,
                        )
                    )
                if aliases > MAX_ALIASES:
                    self.report_error(
                        too_complex(
                            f"{aliases} aliases found. Allowed: {MAX_ALIASES}",
                            aliases=aliases,
                            limit=MAX_ALIASES,
                        )
                    )


def _unwrap(kind: GraphQLOutputType) -> tuple[Any, bool]:
    """The named type under non-null/list wrappers, and whether a list is among them."""
    is_list = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(kind, GraphQLList)
        kind = kind.of_type
    return kind, is_list


@dataclass
class QueryCost:
    """The cost of one operation of a validated document, for given variables."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    memo: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)

    def selection(
        self,
        selections: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        in_connection: bool,
    ) -> int:
        if selections is None:
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, in_connection)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, kind, in_connection)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value, in_connection)
        return total

    def fragment(self, name: str, in_connection: bool) -> int:
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return 0
        key = (name, definition.type_condition.name.value, in_connection)
        known = self.memo.get(key)
        if known is not None:
            return known
        self.active.add(name)
        kind = self.schema.get_type(definition.type_condition.name.value)
        self.memo[key] = cost = self.selection(definition.selection_set, kind, in_connection)
        self.active.discard(name)
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, in_connection: bool) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0 if name == "__typename" else 1
        definition: GraphQLField | None = parent.fields.get(name)
        if definition is None:
            return 0
        kind, is_list = _unwrap(definition.type)
        if node.selection_set is None:
            return 0  # a leaf
        paged = "first" in definition.args or "last" in definition.args
        multiplier = 1
        if paged:
            multiplier = self.page_size(node)
        elif is_list and not (in_connection and name in _CONNECTION_LISTS):
            multiplier = DEFAULT_LIST_SIZE
        below = self.selection(
            node.selection_set,
            kind if not isinstance(kind, GraphQLUnionType) else None,
            paged or (in_connection and name in _CONNECTION_LISTS),
        )
        return multiplier * (1 + below)

    def page_size(self, node: FieldNode) -> int:
        """``first`` or ``last`` of a connection field (variables resolved), else the default."""
        sizes = [
            self.argument(a.value)
            for a in node.arguments or ()
            if a.name.value in {"first", "last"}
        ]
        known = [s for s in sizes if s is not None]
        return max(known) if known else DEFAULT_PAGE_SIZE

    def argument(self, value: object) -> int | None:
        if isinstance(value, IntValueNode):
            return max(0, int(value.value))
        if isinstance(value, VariableNode):
            given = self.variables.get(value.name.value)
            return max(0, given) if isinstance(given, int) and not isinstance(given, bool) else None
        return None


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation a request runs (0 if it names none the document has)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    cost = QueryCost(schema, _fragments(document), variables or {})
    return cost.selection(operation.selection_set, root, in_connection=False)


class CostCache:
    """Costs already computed, per (schema, document text, operation, page-size variables).

    A cost depends only on the document and the integer variables it may read as
    ``first``/``last``, so a dashboard sent again with the same page sizes costs a dict
    lookup. Bounded: cleared when full (documents are few; a flood of distinct ones only
    costs recomputing, which is linear anyway).
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._costs: dict[tuple[object, ...], int] = {}
        self.computed = 0

    def cost(
        self,
        schema: GraphQLSchema,
        query: str | None,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> int:
        """:func:`query_cost`, from the cache when this shape was seen."""
        sizes = tuple(
            sorted(
                (name, value)
                for name, value in (variables or {}).items()
                if isinstance(value, int) and not isinstance(value, bool)
            )
        )
        key = (id(schema), query if query is not None else id(document), operation_name, sizes)
        known = self._costs.get(key)
        if known is not None:
            return known
        self.computed += 1
        cost = query_cost(schema, document, operation_name, variables)
        if len(self._costs) >= self.max_entries:
            self._costs.clear()
        self._costs[key] = cost
        return cost
