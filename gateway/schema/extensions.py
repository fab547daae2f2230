"""Schema extensions: partial-result errors and hostile-query limits.

Carriers that fail inside a merged list do not fail the field; their errors are
collected on the context and added to the response here, after execution, at the
paths where they happened.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from gateway.context import GatewayContext

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "LimitErrorCodes", "PartialErrors", "QueryLimits"]

MAX_DEPTH = 12
MAX_ALIASES = 50

# Built once so every request validates with the same rule classes: the validation
# cache keys on them, and a new class per request would never hit.
_LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


class QueryLimits(AddValidationRules):
    """Depth and alias limits against hostile queries, as fixed validation rules."""

    def __init__(self) -> None:
        super().__init__(list(_LIMIT_RULES))


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


_LIMIT_MESSAGES = ("exceeds maximum operation depth", "aliases found. Allowed")


class LimitErrorCodes(SchemaExtension):
    """Gives the hostile-query limiters' validation errors the ``QUERY_TOO_COMPLEX`` code."""

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            if any(m in error.message for m in _LIMIT_MESSAGES):
                error.extensions = {**(error.extensions or {}), "code": "QUERY_TOO_COMPLEX"}
