"""Field visibility declared beside each type, and the per-audience schemas compiled from it.

Every field of every object and interface type names one :class:`~auth.policy.Visibility`
(``declare(Type, field=RULE, ...)`` right after the type). At start-up
:func:`audience_schemas` builds, for each audience (party kind and role), a copy of the
schema without the fields it may not read, so introspection shows each audience only
its slice, and asking for a hidden field fails validation exactly like asking for one
that does not exist. Nothing is checked per resolved field.
"""

from __future__ import annotations

import copy
import inspect
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)
from graphql.utilities.map_schema_config import SchemaElementKind, map_schema_config
from strawberry.utils.str_converters import to_camel_case

from auth.policy import AUDIENCES

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from graphql.utilities.map_schema_config import ConfigMapperMap, MappedSchemaContext

    from auth.policy import Visibility
    from gateway.schema import GatewaySchema

__all__ = ["RULES", "audience_schemas", "declare", "missing_rules", "restrict"]

RULES: dict[str, dict[str, Visibility]] = {}
"""GraphQL type name -> GraphQL field name -> who may read it."""


def declare(type_: type | str, /, **fields: Visibility) -> None:
    """Declare the visibility of a type's fields (Python or GraphQL field names).

    Example:
        >>> declare(Service, service_id=PUBLIC, wholesale_cost=WHOLESALE)  # doctest: +SKIP
    """
    name = type_ if isinstance(type_, str) else _graphql_name(type_)
    table = RULES.setdefault(name, {})
    for field, rule in fields.items():
        table[field if field.startswith("_") else to_camel_case(field)] = rule


def _graphql_name(type_: type) -> str:
    definition = getattr(type_, "__strawberry_definition__", None)
    return cast("str", definition.name) if definition is not None else type_.__name__


def missing_rules(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` of every object/interface field without a rule, and rules for no field."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field in type_.fields:
            seen.add((name, field))
            if field not in RULES.get(name, {}):
                problems.append(f"{name}.{field}: no visibility rule")
    problems.extend(
        f"{name}.{field}: rule for a field the schema does not have"
        for name, table in RULES.items()
        for field in table
        if (name, field) not in seen
    )
    return sorted(problems)


def restrict(schema: GraphQLSchema, allowed: Callable[[str, str], bool]) -> GraphQLSchema:
    """A copy of ``schema`` with only the allowed object/interface fields.

    A field whose type is left with no fields goes too (repeated until nothing changes),
    and so do types that are left empty. Scalars, enums, inputs and directives stay.
    """
    kept = _kept_fields(schema, allowed)
    empty = {
        name
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) and not kept.get(name)
    }

    def fields(type_name: str, config: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        mapped = config["fields"]
        return lambda: {f: v for f, v in mapped().items() if f in kept.get(type_name, ())}

    def interfaces(config: dict[str, Any]) -> Callable[[], list[Any]]:
        mapped = config["interfaces"]
        return lambda: [i for i in mapped() if i.name not in empty]

    def mapper(_context: MappedSchemaContext) -> ConfigMapperMap:
        return cast(
            "ConfigMapperMap",
            {
                SchemaElementKind.OBJECT: lambda c: {
                    **c,
                    "fields": fields(c["name"], c),
                    "interfaces": interfaces(c),
                },
                SchemaElementKind.INTERFACE: lambda c: {
                    **c,
                    "fields": fields(c["name"], c),
                    "interfaces": interfaces(c),
                    "resolve_type": _by_name(c.get("resolve_type"), schema.type_map[c["name"]]),
                },
                SchemaElementKind.UNION: lambda c: {
                    **c,
                    "types": _filtered_members(c["types"], empty),
                    "resolve_type": _by_name(c.get("resolve_type"), schema.type_map[c["name"]]),
                },
                SchemaElementKind.SCHEMA: lambda c: {
                    **c,
                    "types": [t for t in c["types"] if t.name not in empty],
                },
            },
        )

    return GraphQLSchema(**map_schema_config(schema.to_kwargs(), mapper))


def _by_name(
    resolve_type: Callable[..., Any] | None,
    original: Any,  # noqa: ANN401
) -> Callable[..., Any] | None:
    """Abstract types resolve to a type *name*: the copy's types are new objects.

    The wrapped resolver sees the full schema's abstract type, whose members it knows.
    """
    if resolve_type is None:
        return None

    def resolve(value: Any, info: Any, _abstract: Any) -> Any:  # noqa: ANN401
        found = resolve_type(value, info, original)
        if inspect.isawaitable(found):
            return _name_later(found)
        return found.name if isinstance(found, GraphQLObjectType) else found

    return resolve


async def _name_later(found: Awaitable[Any]) -> Any:  # noqa: ANN401
    value = await found
    return value.name if isinstance(value, GraphQLObjectType) else value


def _filtered_members(members: Callable[[], list[Any]], empty: set[str]) -> Callable[[], list[Any]]:
    return lambda: [t for t in members() if t.name not in empty]


def _kept_fields(schema: GraphQLSchema, allowed: Callable[[str, str], bool]) -> dict[str, set[str]]:
    composite = {
        name: t
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
    }
    kept = {
        name: {f for f in t.fields if name.startswith("__") or allowed(name, f)}
        for name, t in composite.items()
    }
    unions = {n: t for n, t in schema.type_map.items() if isinstance(t, GraphQLUnionType)}
    changed = True
    while changed:
        changed = False
        alive = {n for n, fs in kept.items() if fs} | {
            n for n, u in unions.items() if any(m.name in kept and kept[m.name] for m in u.types)
        }
        for name, t in composite.items():
            for f in list(kept[name]):
                target = get_named_type(t.fields[f].type).name
                if (target in composite or target in unions) and target not in alive:
                    kept[name].discard(f)
                    changed = True
    return kept


def audience_schemas(base: GatewaySchema) -> dict[str, GatewaySchema]:
    """One schema per audience, each holding only the fields that audience may read.

    Raises:
        ValueError: a field of ``base`` has no declared visibility rule.
    """
    problems = missing_rules(base._schema)
    if problems:
        raise ValueError("fields without a visibility rule: " + "; ".join(problems))
    result: dict[str, GatewaySchema] = {}
    for audience in AUDIENCES:

        def allowed(type_name: str, field: str, audience: str = audience) -> bool:
            return RULES[type_name][field].allows(audience)

        view = copy.copy(base)
        graphql_schema = restrict(base._schema, allowed)
        graphql_schema._strawberry_schema = view  # type: ignore[attr-defined]
        view._schema = graphql_schema
        result[audience] = view
    return result
