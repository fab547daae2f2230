"""The Switchboard schema: one Strawberry federation subgraph over every carrier.

``build_schema()`` is the only place where types, extensions and federation are
wired together.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
from typing import TYPE_CHECKING, Any, Literal

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.utils.logging import StrawberryLogger

from gateway.context import GatewayContext
from gateway.http import MaskUnexpectedErrors, mask_unexpected
from gateway.schema.common import ListNames
from gateway.schema.compiled import CompiledExecutor
from gateway.schema.customers import Customer
from gateway.schema.documents import DocumentCache, PreparedDocuments
from gateway.schema.extensions import DemandControl, Observe, PartialErrors, QueryLimits
from gateway.schema.field_filter import FilterUnauthorizedFields
from gateway.schema.query import Query

if TYPE_CHECKING:
    from collections.abc import Iterable

    from graphql.execution import Executor
    from strawberry.types.graphql import OperationType

__all__ = ["MAX_TOKENS", "Customer", "Execution", "GatewaySchema", "build_schema"]

Execution = Literal["compiled", "interpreted", "verify"]
"""How fields are completed; ``verify`` runs both and compares the answers' bytes."""

MAX_TOKENS = 4000

_log = logging.getLogger("switchboard.graphql")
_TOKEN_LIMIT = "tokens. Parsing aborted"  # noqa: S105 - graphql-core's message, not a secret
_EXECUTORS: dict[str, type[Executor[Any]]] = {
    "compiled": CompiledExecutor,
    "interpreted": StrawberryGraphQLCoreExecutionContext,
}
_RUN_WITH: contextvars.ContextVar[type[Executor[Any]] | None] = contextvars.ContextVar(
    "switchboard_executor", default=None
)


def _answer_bytes(result: ExecutionResult) -> bytes:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return json.dumps(body, default=str).encode()


class GatewaySchema(strawberry.federation.Schema):
    """The federation schema, logging only errors that are the gateway's own fault.

    Client mistakes and carrier failures are answered precisely in the response; they
    are logged at INFO without a traceback. Unexpected exceptions keep Strawberry's
    ERROR log with the traceback (their text never reaches the client).
    """

    verify = False
    """Run every query both compiled and interpreted, and refuse to answer if they differ."""

    @property
    def execution_context_class(self) -> type[Executor[Any]]:
        return _RUN_WITH.get() or self._executor

    @execution_context_class.setter
    def execution_context_class(self, value: type[Executor[Any]]) -> None:
        self._executor = value

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,  # noqa: ANN401
        root_value: Any | None = None,  # noqa: ANN401
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        args = (query, variable_values, context_value, root_value, operation_name)
        if not self.verify:
            return await super().execute(*args, allowed_operation_types, operation_extensions)
        # A first run does the carrier I/O; both compared runs then read the same loaded
        # records, so the order of carriers' errors is not the network's. Carriers' errors
        # gather in the request's context: each run starts from the same list.
        gathered = context_value.partial_errors if isinstance(context_value, GatewayContext) else []
        before = list(gathered)
        answers = []
        for name in ("interpreted", "compiled", "interpreted"):
            gathered[:] = before
            token = _RUN_WITH.set(_EXECUTORS[name])
            try:  # resolvers may consume their arguments (federation's _entities does)
                result = await super().execute(
                    query,
                    copy.deepcopy(variable_values),
                    context_value,
                    root_value,
                    operation_name,
                    allowed_operation_types,
                    operation_extensions,
                )
            finally:
                _RUN_WITH.reset(token)
            answers.append((result, _answer_bytes(result), list(gathered)))
        compiled, mine, after = answers[1]
        theirs = answers[2][1]
        gathered[:] = after
        if mine == theirs:
            return compiled
        _log.error(
            "compiled execution differs from the interpreter\n  compiled:    %s\n"
            "  interpreted: %s\n  document: %s",
            mine.decode(),
            theirs.decode(),
            query,
        )
        error = GraphQLError(
            "Internal server error: compiled execution differs from the interpreter.",
            extensions={"code": "INTERNAL"},
        )
        return ExecutionResult(data=None, errors=[error], extensions=compiled.extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _TOKEN_LIMIT in error.message and not (error.extensions or {}).get("code"):
                # Not malformed, too big: the client must shorten the document, as the
                # README's QUERY_TOO_COMPLEX says, not fix its syntax.
                error.extensions = {"code": "QUERY_TOO_COMPLEX", "limit": MAX_TOKENS}
            if mask_unexpected(error):
                StrawberryLogger.error(error, execution_context)
            else:
                code = (error.extensions or {}).get("code", "GRAPHQL_ERROR")
                _log.info("%s at %s: %s", code, error.path, error.message)


def build_schema(
    *,
    filter_unauthorized: bool = False,
    documents: PreparedDocuments | None = None,
    execution: Execution = "compiled",
) -> GatewaySchema:
    """The federation v2 schema with partial-error reporting and hostile-query limits.

    ``filter_unauthorized`` builds the one shared schema of the ``filter`` deployment
    mode, which answers fields outside the caller's audience with null and FORBIDDEN.
    ``execution`` picks :class:`~gateway.schema.compiled.CompiledExecutor`, graphql-core's
    interpreter (the reference), or ``verify``: both, answers compared byte for byte.
    ``documents`` is where parsed documents are kept (the gateway shares one with its
    persisted queries; by default the schema gets its own).
    """
    prepared = documents if documents is not None else PreparedDocuments(max_tokens=MAX_TOKENS)
    schema = GatewaySchema(
        query=Query,
        execution_context_class=_EXECUTORS[
            "interpreted" if execution == "interpreted" else "compiled"
        ],
        config=StrawberryConfig(name_converter=ListNames()),
        extensions=[
            Observe,
            *([FilterUnauthorizedFields] if filter_unauthorized else []),
            # Sets the limit for Strawberry's own parse, which only runs (and reports) a
            # document that DocumentCache could not parse.
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            QueryLimits,
            lambda: DocumentCache(prepared),
            DemandControl,
            PartialErrors,
            MaskUnexpectedErrors,
        ],
    )
    schema.verify = execution == "verify"
    return schema
