"""The Switchboard schema: one Strawberry federation subgraph over every carrier.

``build_schema()`` is the only place where types, extensions and federation are
wired together.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from gateway.http import MaskUnexpectedErrors, mask_unexpected
from gateway.schema.common import ListNames
from gateway.schema.customers import Customer
from gateway.schema.extensions import DemandControl, Observe, PartialErrors, QueryLimits
from gateway.schema.field_filter import FilterUnauthorizedFields
from gateway.schema.query import Query

__all__ = ["MAX_TOKENS", "Customer", "GatewaySchema", "build_schema"]

MAX_TOKENS = 4000
CACHED_DOCUMENTS = 512

_log = logging.getLogger("switchboard.graphql")
_TOKEN_LIMIT = "tokens. Parsing aborted"  # noqa: S105 - graphql-core's message, not a secret


class GatewaySchema(strawberry.federation.Schema):
    """The federation schema, logging only errors that are the gateway's own fault.

    Client mistakes and carrier failures are answered precisely in the response; they
    are logged at INFO without a traceback. Unexpected exceptions keep Strawberry's
    ERROR log with the traceback (their text never reaches the client).
    """

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


def build_schema(*, filter_unauthorized: bool = False) -> GatewaySchema:
    """The federation v2 schema with partial-error reporting and hostile-query limits.

    ``filter_unauthorized`` builds the one shared schema of the ``filter`` deployment
    mode, which answers fields outside the caller's audience with null and FORBIDDEN.
    """
    return GatewaySchema(
        query=Query,
        config=StrawberryConfig(name_converter=ListNames()),
        extensions=[
            Observe,
            *([FilterUnauthorizedFields] if filter_unauthorized else []),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            QueryLimits,
            lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
            DemandControl,
            PartialErrors,
            MaskUnexpectedErrors,
        ],
    )
