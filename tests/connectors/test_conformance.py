"""The conformance kit over every carrier file the registry finds, under both I/O back ends.

A new carrier file is tested because it exists: no registration step.
"""

from __future__ import annotations

import pytest

from connectors.conformance import CHECKS, run_check
from connectors.io import transport_factory
from connectors.registry import CARRIERS_DIR, load_specs

CARRIER_IDS = sorted(load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": "http://127.0.0.1:1"}))


def test_the_registry_finds_the_carrier_catalog():
    assert len(CARRIER_IDS) >= 6


@pytest.mark.conformance
@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
@pytest.mark.parametrize("carrier", CARRIER_IDS)
async def test_conformance(sandbox, carrier, check):
    await run_check(check, sandbox.sandbox, sandbox.specs[carrier], transport_factory("h1"))


@pytest.mark.conformance
@pytest.mark.parametrize("io", ["aiohttp", "httpx"])
@pytest.mark.parametrize("carrier", CARRIER_IDS)
async def test_round_trip_over_the_other_back_ends(sandbox, carrier, io):
    round_trip = next(c for c in CHECKS if c.name == "round_trip")
    await run_check(round_trip, sandbox.sandbox, sandbox.specs[carrier], transport_factory(io))
