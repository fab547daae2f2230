"""A sandbox with every carrier file, served on loopback for connector tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from connectors.registry import CARRIERS_DIR, carrier_records, load_specs
from connectors.sandbox.dataset import DataSet, generate
from connectors.sandbox.server import Sandbox, free_port, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.spec import CarrierSpec


@dataclass
class SandboxCarriers:
    url: str
    specs: dict[str, CarrierSpec]
    data: DataSet
    sandbox: Sandbox


@pytest.fixture(scope="session")
def carriers() -> Iterator[SandboxCarriers]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": url})
    data = generate(carrier_records(specs), seed=11, customers=40)
    sandbox = Sandbox(specs, data)
    with serve_in_thread(sandbox.app, port=port):
        yield SandboxCarriers(url, specs, data, sandbox)


@pytest.fixture
def sandbox(carriers: SandboxCarriers) -> Iterator[SandboxCarriers]:
    carriers.sandbox.reset()
    yield carriers
    carriers.sandbox.reset()
