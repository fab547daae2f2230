"""Compiled execution: plain subtrees projected straight from records into the answer.

Interpreting a dashboard costs graphql-core ~10 µs per leaf (a resolve-info object, a
resolver wrapper, a chain of type checks), while the leaves below the fields that do I/O
are plain attributes of nodes the resolvers already built. :class:`CompiledExecutor`
keeps graphql-core's executor for every field with a resolver, and completes the rest
with a function generated once per (schema view, object type, selection set), cached
across requests with the parsed document. A generated projector reads attributes,
serializes leaves through the same ``coerce_output_value`` the interpreter uses, and
builds the answer's dicts directly: no per-field task, future, path or info object.

The interpreter stays the oracle. A projector never records an error: at the first value
it cannot take as it is (an error placed in a node by ``flag_problems``, a null in a
non-null position, a value a scalar refuses) it gives up, and graphql-core completes that
subtree instead, which re-reads the same plain attributes and reports the error at its
exact path. Projected subtrees have no side effects, so the answer, its errors and their
order are the interpreter's, byte for byte (``tests/gateway/test_compiled_execution.py``).

A document whose selection depends on variables through ``@skip``/``@include``, or that
uses any other executable directive, runs interpreted; so does every request when a
schema extension wraps resolvers (a graphql-core middleware).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    Visitor,
    is_leaf_type,
    visit,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

if TYPE_CHECKING:
    from graphql import GraphQLLeafType, GraphQLOutputType, OperationDefinitionNode
    from graphql.execution.collect_fields import FieldDetailsList

__all__ = ["PLAN_CACHE_SIZE", "CompiledExecutor", "Plan"]

PLAN_CACHE_SIZE = 4096
"""Object plans kept across requests (a dashboard document needs a few dozen)."""

_DEFINITION = "strawberry-definition"
_SCALAR_CLASSES: dict[str, type] = {"DateTime": datetime, "Date": date, "Decimal": Decimal}
"""Strawberry's scalars, whose serializer takes the exact class as it is (isoformat, str)."""
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_TEXT_MEMO_SIZE = 16_384
"""Serialized instants and days kept per scalar: a dashboard repeats a few hundred."""
_TEXT_MEMOS: dict[Callable[[Any], Any], dict[Any, Any]] = {}

Projector = Callable[[Any], Any]


class _Null(Exception):
    """A null where the type says non-null: the interpreter must report it."""


class Step:
    """One response key of an object plan: projected, or executed by graphql-core."""

    __slots__ = ("attr", "fields", "name", "project")

    def __init__(
        self, name: str, fields: FieldDetailsList, attr: str | None, project: Projector | None
    ) -> None:
        self.name = name
        self.fields = fields
        self.attr = attr
        self.project = project  # None: the field has a resolver (or a shape we don't project)


class Plan:
    """How to complete one object type for one selection set.

    ``project`` is set when every field below is plain (the whole subtree projects);
    otherwise ``steps`` mix projected fields with fields graphql-core executes.
    """

    __slots__ = ("project", "steps", "type")

    def __init__(
        self, type_: GraphQLObjectType, steps: list[Step], project: Projector | None
    ) -> None:
        self.type = type_
        self.steps = steps
        self.project = project


class _Uses(Visitor):
    """Finds directives that make the selection depend on more than the document."""

    def __init__(self) -> None:
        super().__init__()
        self.dynamic = False

    def enter_directive(self, node: DirectiveNode, *_args: object) -> None:
        if node.name.value not in ("skip", "include") or any(
            not isinstance(arg.value, BooleanValueNode) for arg in node.arguments or ()
        ):
            self.dynamic = True


_STATIC_OPERATIONS: dict[int, tuple[object, bool]] = {}
_PLANS: dict[tuple[int, tuple[int, ...]], tuple[tuple[object, ...], Plan]] = {}
_names = itertools.count()


def _static(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> bool:
    """Whether the operation's selections are fixed by its text (cached per operation)."""
    key = id(operation)
    cached = _STATIC_OPERATIONS.get(key)
    if cached is not None and cached[0] is operation:
        return cached[1]
    uses = _Uses()
    visit(operation, uses)
    for fragment in fragments.values():
        visit(fragment, uses)
    if len(_STATIC_OPERATIONS) >= PLAN_CACHE_SIZE:
        _STATIC_OPERATIONS.clear()
    # Fragments travel with the document, and the document with its operation node.
    _STATIC_OPERATIONS[key] = (operation, not uses.dynamic)
    return not uses.dynamic


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing plain object subtrees with generated code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._compiling = (manager is None or not manager.middlewares) and _static(
            self.operation, self.fragment_definitions
        )
        self._plans: dict[tuple[GraphQLObjectType, int], Plan] = {}
        # A selection set means what its document's fragments say: plans are the
        # document's (the ``filter`` mode runs copies that share unchanged nodes).
        self._document = (self.operation, *self.fragment_definitions.values())

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,  # noqa: ANN401
        position_context: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        if not self._compiling:
            return super().collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        plan = self._plans.get((return_type, id(field_details_list)))
        if plan is None:
            plan = self._plan(return_type, field_details_list)
        if plan.project is not None:
            try:
                return plan.project(result)
            except Exception:  # noqa: BLE001 - the interpreter reports it at its path
                return super().collect_and_execute_subfields(
                    return_type, field_details_list, path, result, position_context
                )
        return self._execute_steps(plan, result, path)

    def _execute_steps(self, plan: Plan, source: Any, path: Path) -> Any:  # noqa: ANN401
        """``execute_fields`` for a plan: projected steps inline, the rest through graphql-core."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        parent_type = plan.type
        try:
            for step in plan.steps:
                if step.project is not None:
                    with contextlib.suppress(Exception):  # interpreted below, at its path
                        results[step.name] = step.project(getattr(source, step.attr))  # type: ignore[arg-type]
                        continue
                result = self.execute_field(
                    parent_type, source, step.fields, Path(path, step.name, parent_type.name), None
                )
                if result is not Undefined:
                    results[step.name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(step.name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                name = awaitable_fields[0]
                results[name] = await results[name]
            else:
                awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    # Planning -------------------------------------------------------------------------

    def _plan(self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> Plan:
        held = (return_type, *self._document, *(details.node for details in field_details_list))
        key = (len(self._document), tuple(map(id, held)))
        cached = _PLANS.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], held, strict=True)):
            plan = cached[1]
        else:
            plan = self._compile(return_type, field_details_list)
            if len(_PLANS) >= PLAN_CACHE_SIZE:
                _PLANS.clear()
            _PLANS[key] = (held, plan)  # what the key names stays alive: ids stay theirs
        self._plans[(return_type, id(field_details_list))] = plan
        return plan

    def _compile(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Plan:
        grouped, defer_usages, _forbidden = self.collect_subfields(return_type, field_details_list)
        steps = []
        for name, fields in grouped.items():
            first = fields[0]
            if first.fragment_variable_values is not None or first.defer_usage is not None:
                steps.append(Step(name, fields, None, None))
                continue
            steps.append(self._step(return_type, name, fields))
        pure = not defer_usages and all(step.project is not None for step in steps)
        project = _object_projector(return_type, steps, check_type=False) if pure else None
        return Plan(return_type, steps, project)

    def _step(self, parent: GraphQLObjectType, name: str, fields: FieldDetailsList) -> Step:
        field_name = fields[0].node.name.value
        if field_name == "__typename":
            type_name = parent.name
            return Step(name, fields, "__class__", lambda _value: type_name)
        field = self.schema.get_field(parent, field_name)
        definition = None if field is None else field.extensions.get(_DEFINITION)
        if (
            field is None
            or definition is None
            or not getattr(field.resolve, "_is_default", False)
            or field.args
            or any(details.node.arguments for details in fields)
        ):
            return Step(name, fields, None, None)
        return Step(name, fields, definition.python_name, self._projector(field.type, fields))

    def _projector(self, type_: GraphQLOutputType, fields: FieldDetailsList) -> Projector | None:
        """A function completing a value of ``type_``, or None where we don't project."""
        if isinstance(type_, GraphQLNonNull):
            inner = self._projector(type_.of_type, fields)
            return None if inner is None else _non_null(inner)
        if isinstance(type_, GraphQLList):
            item = self._projector(type_.of_type, fields)
            return None if item is None else _list(item)
        if is_leaf_type(type_):
            return _leaf(type_)
        if isinstance(type_, GraphQLObjectType):
            definition = type_.extensions.get(_DEFINITION)
            if definition is not None and definition.is_type_of is not None:
                return None  # a type check of the application's own may want ``info``
            plan = self._plan(type_, fields)
            if plan.project is None:
                return None
            return _object_projector(type_, plan.steps, check_type=True)
        return None  # interfaces and unions: resolve_type runs interpreted


def _non_null(inner: Projector) -> Projector:
    def project(value: Any) -> Any:  # noqa: ANN401
        completed = inner(value)
        if completed is None:
            raise _Null
        return completed

    return project


def _list(item: Projector) -> Projector:
    def project(value: Any) -> Any:  # noqa: ANN401
        if value is None:
            return None
        if isinstance(value, Exception) or not is_iterable(value):
            raise _Null
        return [item(x) for x in value]

    return project


def _leaf(type_: GraphQLLeafType) -> Projector:
    coerce = type_.coerce_output_value

    def slow(value: Any) -> Any:  # noqa: ANN401
        if value is None:
            return None
        if isinstance(value, Exception):
            raise value
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Null
        return coerced

    if type_ is GraphQLString or type_ is GraphQLID:
        return lambda value: value if value.__class__ is str else slow(value)
    if type_ is GraphQLBoolean:
        return lambda value: value if value.__class__ is bool else slow(value)
    if type_ is GraphQLInt:
        return lambda value: (
            value if value.__class__ is int and _INT_MIN <= value <= _INT_MAX else slow(value)
        )
    if isinstance(type_, GraphQLEnumType):
        definition = type_.extensions.get(_DEFINITION)
        members = getattr(definition, "wrapped_cls", None)
        if isinstance(members, type) and issubclass(members, Enum):
            names = {member: coerce(member) for member in members}
            return lambda value: names[value] if value.__class__ is members else slow(value)
    exact = _SCALAR_CLASSES.get(type_.name)
    if exact is datetime or exact is date:
        return _memo_text(exact, coerce, slow)
    if exact is not None:
        return lambda value: coerce(value) if value.__class__ is exact else slow(value)
    if type_ is GraphQLFloat:
        return lambda value: (
            value if value.__class__ is float and math.isfinite(value) else slow(value)
        )
    return slow


def _memo_text(exact: type, coerce: Projector, slow: Projector) -> Projector:
    """A date or UTC instant serialized once per value (``isoformat`` is ~0.6 µs, a hit 0.03).

    Only values of the exact class, and instants only in UTC: equal datetimes in other
    zones share a hash but not a text.
    """
    memo = _TEXT_MEMOS.setdefault(coerce, {})  # one per serializer, shared by projectors
    instants = exact is datetime

    def project(value: Any) -> Any:  # noqa: ANN401
        if value.__class__ is not exact:
            return slow(value)
        if instants and getattr(value, "tzinfo", None) is not UTC:
            return coerce(value)
        text = memo.get(value)
        if text is None:
            if len(memo) >= _TEXT_MEMO_SIZE:
                memo.clear()
            text = memo[value] = coerce(value)
        return text

    return project


def _object_projector(
    type_: GraphQLObjectType, steps: list[Step], *, check_type: bool
) -> Projector:
    """Generate ``project(node) -> dict`` for an all-plain selection of ``type_``."""
    namespace: dict[str, Any] = {"_Null": _Null}
    lines = ["def project(node):"]
    if check_type:
        is_type_of = type_.is_type_of
        namespace["is_type_of"] = is_type_of
        lines.append("    if node is None:\n        return None")
        lines.append("    if isinstance(node, Exception):\n        raise node")
        if is_type_of is not None:
            lines.append("    if not is_type_of(node, None):\n        raise _Null")
    entries = []
    for n, step in enumerate(steps):
        namespace[f"p{n}"] = step.project
        if step.attr == "__class__":  # __typename
            namespace[f"t{n}"] = type_.name
            entries.append(f"{step.name!r}: t{n}")
        else:
            entries.append(f"{step.name!r}: p{n}(node.{step.attr})")
    lines.append("    return {" + ", ".join(entries) + "}")
    code = compile("\n".join(lines), f"<projector {type_.name} #{next(_names)}>", "exec")
    exec(code, namespace)  # noqa: S102 - source built above from schema names only
    return namespace["project"]  # type: ignore[no-any-return]
