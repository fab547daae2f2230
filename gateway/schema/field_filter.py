"""The ``filter`` deployment mode: one shared schema, unauthorized fields answered with null.

For portals whose single front end serves every party (as Apollo Router's and Hive
Router's "filter" mode): the document is checked once against the audience's rules;
fields outside the audience are replaced by ``__typename`` under the same response
key (so nothing behind them runs), then set to ``null`` in the result with a
``FORBIDDEN`` error at each path where they appear. The default mode, ``reject``,
uses one schema per audience instead (see :mod:`gateway.schema.visibility`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NameNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.extensions import SchemaExtension

from gateway.context import GatewayContext
from gateway.schema.visibility import RULES

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema, SelectionSetNode

__all__ = ["FilterUnauthorizedFields"]


class _Forbidden(Visitor):
    """Replaces fields the audience may not read by ``__typename`` (same response key)."""

    def __init__(self, type_info: TypeInfo, audience: str) -> None:
        super().__init__()
        self.type_info = type_info
        self.audience = audience
        self.replaced: set[int] = set()

    def enter_field(self, node: FieldNode, *_args: Any) -> FieldNode | None:  # noqa: ANN401
        parent = self.type_info.get_parent_type()
        if parent is None or node.name.value.startswith("__"):
            return None
        rule = RULES.get(get_named_type(parent).name, {}).get(node.name.value)
        if rule is None or rule.allows(self.audience):
            return None
        stand_in = FieldNode(
            alias=node.alias or NameNode(value=node.name.value),
            name=NameNode(value="__typename"),
            arguments=(),
            directives=node.directives,
            selection_set=None,
        )
        self.replaced.add(id(stand_in))
        return stand_in


def restrict_document(
    schema: GraphQLSchema, document: DocumentNode, audience: str
) -> tuple[DocumentNode, set[int]]:
    """The document with forbidden fields stood in for, and the stand-ins' node ids."""
    type_info = TypeInfo(schema)
    forbidden = _Forbidden(type_info, audience)
    restricted = visit(document, TypeInfoVisitor(type_info, forbidden))
    return restricted, forbidden.replaced


def _null_out(
    value: object,
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    replaced: set[int],
    path: list[str | int],
) -> Iterator[list[str | int]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _null_out(item, selection_set, fragments, replaced, [*path, index])
        return
    if not isinstance(value, dict):
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            if key not in value:
                continue
            if id(selection) in replaced:
                value[key] = None
                yield [*path, key]
            elif selection.selection_set is not None:
                yield from _null_out(
                    value[key], selection.selection_set, fragments, replaced, [*path, key]
                )
        elif isinstance(selection, InlineFragmentNode):
            yield from _null_out(value, selection.selection_set, fragments, replaced, path)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _null_out(value, fragment.selection_set, fragments, replaced, path)


class FilterUnauthorizedFields(SchemaExtension):
    """Runs a document with the audience's forbidden fields nulled and reported."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        context = ctx.context
        document = ctx.graphql_document
        if not isinstance(context, GatewayContext) or document is None:
            yield
            return
        restricted, replaced = restrict_document(ctx.schema._schema, document, context.audience)
        if not replaced:
            yield
            return
        ctx.graphql_document = restricted
        yield
        result = ctx.result
        if result is None or result.data is None:
            return
        fragments = {
            d.name.value: d for d in restricted.definitions if isinstance(d, FragmentDefinitionNode)
        }
        seen: set[tuple[str | int, ...]] = set()
        errors = list(result.errors or [])
        for definition in restricted.definitions:
            selection_set = getattr(definition, "selection_set", None)
            if selection_set is None or isinstance(definition, FragmentDefinitionNode):
                continue
            for path in _null_out(result.data, selection_set, fragments, replaced, []):
                if tuple(path) in seen:
                    continue
                seen.add(tuple(path))
                errors.append(
                    GraphQLError(
                        "Not authorized to read this field.",
                        path=path,
                        extensions={"code": "FORBIDDEN"},
                    )
                )
        result.errors = errors
