"""Values a carrier sent that could not be read: ``null`` plus one error at that field's path.

Readers keep every readable value of a record and list the rest as
:class:`~connectors.models.FieldProblem`. Leaves are plain attributes (no resolver per
field), so the node built from the record holds the error itself in place of the value:
graphql-core raises an ``Exception`` it finds as a field's value at that field's path,
which nulls the (nullable) field and reports ``UPSTREAM_INVALID`` with the carrier, the
record and the carrier's own field name there, while every sibling still resolves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from connectors.errors import UpstreamInvalid
from gateway.schema.common import public_carrier
from gateway.schema.errors import from_connector_error

if TYPE_CHECKING:
    from graphql import GraphQLError

    from connectors.models import FieldProblem
    from gateway.context import GatewayContext

__all__ = ["PRICE_FIELDS", "field_error", "flag_problems", "problem_error"]

N = TypeVar("N")

PRICE_FIELDS: Mapping[str, Sequence[str]] = {
    "mrc": ("wholesale_cost", "buy_price", "sell_price", "price"),
    "nrc": ("wholesale_install", "install_price"),
}
"""Schema fields computed from a service's carrier charges."""


def problem_error(
    ctx: GatewayContext, carrier: str, record_id: str, problem: FieldProblem
) -> GraphQLError:
    """The client-safe ``UPSTREAM_INVALID`` error for one unreadable value."""
    label = None if ctx.mask is None else public_carrier(ctx, carrier)
    error = from_connector_error(
        UpstreamInvalid(
            f"carrier '{carrier}' sent an unreadable '{problem.wire_field}' on "
            f"record '{record_id}': {problem.problem}",
            carrier=carrier,
            record=record_id,
            field=problem.wire_field,
        ),
        carrier_label=label,
    )
    if label is not None and error.extensions is not None:
        error.extensions.update(record=record_id, field=problem.wire_field)
    return error


def field_error(
    ctx: GatewayContext, carrier: str, record_id: str, problems: Sequence[FieldProblem], field: str
) -> GraphQLError | None:
    """The error for ``field`` when it is one of a record's unreadable values (for resolvers)."""
    for problem in problems:
        if problem.field == field:
            return problem_error(ctx, carrier, record_id, problem)
    return None


def flag_problems(
    ctx: GatewayContext,
    node: N,
    carrier: str,
    record_id: str,
    problems: Sequence[FieldProblem],
    derived: Mapping[str, Sequence[str]] | None = None,
) -> N:
    """Put an ``UPSTREAM_INVALID`` error in place of each unreadable value of ``node``.

    ``derived`` names the schema fields computed from a record field (a service's ``mrc``
    gives its prices); other problems land on the schema field of the same name. Fields
    the node does not have (or the viewer's schema does not show) are left alone.
    """
    for problem in problems:
        targets = (derived or {}).get(problem.field, (problem.field,))
        error = problem_error(ctx, carrier, record_id, problem)
        for target in targets:
            if hasattr(node, target):
                object.__setattr__(node, target, error)
    return node
