"""The Switchboard schema: one Strawberry federation subgraph over every carrier.

``build_schema()`` is the only place where types, extensions and federation are
wired together.
"""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from gateway.http import MaskUnexpectedErrors
from gateway.schema.customers import Customer
from gateway.schema.extensions import LimitErrorCodes, PartialErrors
from gateway.schema.query import Query

__all__ = ["Customer", "build_schema"]

MAX_DEPTH = 12
MAX_ALIASES = 50
MAX_TOKENS = 4000


def build_schema() -> strawberry.federation.Schema:
    """The federation v2 schema with partial-error reporting and hostile-query limits."""
    return strawberry.federation.Schema(
        query=Query,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            LimitErrorCodes,
            PartialErrors,
            MaskUnexpectedErrors,
        ],
    )
