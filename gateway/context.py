"""The per-request context every resolver reads: who is asking, what they may see, loaders.

Built once per request from long-lived state (registry, directory snapshot) and the
authenticated principal. Resolvers take ``Info[GatewayContext, None]`` and never
reach for globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from graphql import GraphQLError

    from auth.commercial import Brand
    from auth.directory import DirectorySnapshot
    from auth.policy import RowSlice
    from auth.pricing import PricingView
    from auth.principal import Principal
    from connectors.models import Carrier
    from connectors.registry import Registry
    from gateway.loaders import LoaderSet

__all__ = ["GatewayContext"]


@dataclass(slots=True)
class GatewayContext:
    """Everything one GraphQL request needs; nothing outlives it but the shared parts."""

    principal: Principal
    registry: Registry
    snapshot: DirectorySnapshot
    rows: RowSlice
    loaders: LoaderSet
    now: datetime
    carriers: dict[str, Carrier]
    audience: str = ""
    pricing: PricingView | None = None
    brand: Brand | None = None
    mask: Brand | None = None
    memo: dict[object, object] = field(default_factory=dict)
    partial_errors: list[GraphQLError] = field(default_factory=list)
    cost: int = 0
    charged: int = 0
    """What this request spends of its rate limit: its cost once it is allowed to run."""
    cost_budget: int = 0
    """The most a query may cost for this principal (0: no limit)."""
    rate_key: str = ""
    rate_limit: int = 0
    """Cost units this principal may spend per rate window (0: no limit)."""

    def release(self) -> None:
        """Let go of what the request fetched and built, once its answer is made.

        graphql-core's executor ends in a reference cycle holding this context, so without
        this every record, loader future and node of the request would wait for the
        cyclic collector (~1,000 objects a dashboard, promoted through its generations
        while requests overlap) instead of being freed when the answer is.
        """
        self.loaders.release()
        self.memo.clear()
