"""The shared Redis of the test machine (127.0.0.1:6379), which ``make test`` starts."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

__all__ = ["UNREACHABLE", "shared_redis"]

UNREACHABLE = "Redis at 127.0.0.1:6379 not reachable (make test starts it)"


async def shared_redis() -> aioredis.Redis:
    """A client of the shared Redis, or skip the test naming what is missing."""
    client = aioredis.Redis(host="127.0.0.1", port=6379)
    try:
        await client.ping()
    except OSError:
        await client.aclose()
        pytest.skip(UNREACHABLE)
    return client
