"""OAuth2 client credentials against the sandbox's token endpoint."""

from __future__ import annotations

import asyncio

import pytest

from connectors.base import ACCOUNTS_BY_ID, SERVICES_BY_ACCOUNT
from connectors.errors import UpstreamUnavailable
from connectors.io import transport_factory
from connectors.registry import Registry
from connectors.sandbox.faults import Faults

CARRIER = "meridian-wave"  # the sandbox carrier whose file declares oauth2


@pytest.fixture(params=["aiohttp", "httpx", "h1"])
async def registry(sandbox, request):
    reg = Registry(
        {CARRIER: sandbox.specs[CARRIER]}, transport_factory=transport_factory(request.param)
    )
    yield reg
    await reg.aclose()


def numbers(sandbox) -> list[str]:
    return [a.account_number for a in sandbox.data.carriers[CARRIER].accounts]


async def test_one_token_serves_concurrent_requests(sandbox, registry):
    connector = registry.get(CARRIER)
    keys = numbers(sandbox)

    results = await asyncio.gather(
        *(connector.fetch(SERVICES_BY_ACCOUNT, [k]) for k in keys),
        connector.fetch(ACCOUNTS_BY_ID, keys),
    )

    assert len(results) == len(keys) + 1
    counts = sandbox.sandbox.log.counts()
    assert counts[(CARRIER, "token")] == 1
    assert registry.clients[CARRIER].oauth2.token_requests == 1
    await connector.fetch(SERVICES_BY_ACCOUNT, keys[:1])
    assert sandbox.sandbox.log.counts()[(CARRIER, "token")] == 1  # still reused


async def test_a_revoked_token_is_refreshed_once(sandbox, registry):
    connector = registry.get(CARRIER)
    keys = numbers(sandbox)
    await connector.fetch(SERVICES_BY_ACCOUNT, keys)
    sandbox.sandbox.revoke_tokens(CARRIER)

    found = await connector.fetch(SERVICES_BY_ACCOUNT, keys)

    assert sum(len(v) for v in found.values()) == len(sandbox.data.carriers[CARRIER].services)
    assert sandbox.sandbox.log.counts()[(CARRIER, "token")] == 2


async def test_an_expiring_token_is_renewed_before_use(sandbox, registry):
    margin = sandbox.specs[CARRIER].auth.refresh_margin_seconds
    sandbox.sandbox.set_faults(CARRIER, Faults(token_ttl_seconds=int(margin)))  # born stale
    connector = registry.get(CARRIER)
    keys = numbers(sandbox)[:1]

    await connector.fetch(SERVICES_BY_ACCOUNT, keys)
    await connector.fetch(SERVICES_BY_ACCOUNT, keys)

    assert sandbox.sandbox.log.counts()[(CARRIER, "token")] == 2
    assert sandbox.sandbox.log.counts()[(CARRIER, "services")] == 2


async def test_wrong_client_secret_is_upstream_unavailable(sandbox):
    spec = sandbox.specs[CARRIER]
    bad = spec.model_copy(update={"auth": spec.auth.model_copy(update={"client_secret": "x"})})
    registry = Registry({CARRIER: bad})
    try:
        with pytest.raises(UpstreamUnavailable, match="OAuth2") as info:
            await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, numbers(sandbox)[:1])
        assert info.value.carrier == CARRIER
        assert (CARRIER, "services") not in sandbox.sandbox.log.counts()
    finally:
        await registry.aclose()
