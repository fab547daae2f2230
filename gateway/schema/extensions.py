"""Schema extensions: partial-result errors and hostile-query limits.

Carriers that fail inside a merged list do not fail the field; their errors are
collected on the context and added to the response here, after execution, at the
paths where they happened.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.context import GatewayContext

__all__ = ["PartialErrors"]


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
