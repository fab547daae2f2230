"""Schema extensions: partial-result errors, hostile-query limits and the cost budget.

Carriers that fail inside a merged list do not fail the field; their errors are
collected on the context and added to the response here, after execution, at the
paths where they happened. Depth and alias limits are validation rules linear in the
document (:mod:`gateway.schema.limits`); the cost of the operation is computed once the
variables are known, refused over the principal's budget before anything runs, and
reported in ``extensions.cost`` when the request asks (``"extensions": {"cost": true}``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import AddValidationRules, SchemaExtension

from connectors.telemetry import labelled
from gateway import observability
from gateway.context import GatewayContext
from gateway.schema.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    CostCache,
    ShapeLimits,
    too_complex,
)

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "DemandControl",
    "Observe",
    "PartialErrors",
    "QueryLimits",
]


class Observe(SchemaExtension):
    """One ``graphql.request`` span and one metrics sample per operation."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with observability.tracer.start_as_current_span("graphql.request") as span:
            yield
            ctx = self.execution_context
            try:
                kind = ctx.operation_type.value
            except RuntimeError:  # no operation to run (parse or request error)
                kind = "unknown"
            result = ctx.result
            errors = (result.errors if result is not None else None) or ctx.pre_execution_errors
            executed = result is not None and result.data is not None
            outcome = "partial" if executed and errors else "ok" if executed else "rejected"
            labelled(observability.REQUESTS, kind, outcome).inc()
            labelled(observability.REQUEST_SECONDS, kind).observe(time.perf_counter() - started)
            for error in errors or ():
                code = (error.extensions or {}).get("code") or "GRAPHQL_ERROR"
                labelled(observability.GRAPHQL_ERRORS, str(code)).inc()
            context = ctx.context
            if isinstance(context, GatewayContext) and context.cost:
                observability.QUERY_COST.observe(context.cost)
            if span.is_recording():
                span.set_attribute("graphql.operation.type", kind)
                span.set_attribute("graphql.operation.name", ctx.operation_name or "")
                span.set_attribute("switchboard.outcome", outcome)
                span.set_attribute("switchboard.request_id", observability.REQUEST_ID.get() or "")


class QueryLimits(AddValidationRules):
    """Depth and alias limits against hostile queries, as one fixed validation rule.

    The rule class is the same object for every request: the validation cache keys on it.
    """

    def __init__(self) -> None:
        super().__init__([ShapeLimits])


class DemandControl(SchemaExtension):
    """Computes the operation's cost and refuses it, before any resolver, over budget."""

    costs = CostCache()
    """Shared by every request (extensions are built per request)."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        context = ctx.context
        document = ctx.graphql_document
        if isinstance(context, GatewayContext) and document is not None:
            cost = self.costs.cost(
                ctx.schema._schema,
                ctx.query,
                document,
                ctx.operation_name,
                ctx.variables,
            )
            context.cost = cost
            budget = context.cost_budget
            if not budget or cost <= budget:
                context.charged = max(cost, 1)
            else:
                ctx.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        too_complex(
                            f"query cost {cost} exceeds the limit of {budget}",
                            cost=cost,
                            limit=budget,
                        )
                    ],
                )
        yield

    def get_results(self) -> dict[str, object]:
        ctx = self.execution_context
        asked = (ctx.operation_extensions or {}).get("cost")
        context = ctx.context
        if asked is not True or not isinstance(context, GatewayContext):
            return {}
        return {"cost": {"requested": context.cost, "limit": context.cost_budget or None}}


class PartialErrors(SchemaExtension):
    """Adds the errors of carriers that failed inside merged lists to the result."""

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if not isinstance(context, GatewayContext) or not context.partial_errors:
            return
        if result is not None:
            result.errors = [*(result.errors or []), *context.partial_errors]
