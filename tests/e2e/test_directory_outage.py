"""The directory database degrades, never fails; and it is re-read without a restart.

A gateway of the module's own has its directory engine swapped for one that points at a
closed port (the database "goes down"): a key verified before keeps answering (even past
its cache lifetime), an unknown one gets 503 ``INTERNAL`` with ``Retry-After`` instead
of a traceback, and ``/readyz`` says degraded; with the engine back, all is ready again.
A party added to the directory file shows in the graph after the next refresh.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from auth.directory import Directory
from connectors.models import AccountLink, ChannelParty, PartyKind
from connectors.sandbox.server import free_port
from tests.e2e.conftest import run_gateway

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.conftest import Carriers, Gateway

pytestmark = pytest.mark.e2e

COUNT = "{ customers(first: 500) { totalCount } }"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("directory-outage")


@pytest.fixture(scope="module")
def own_gateway(carriers: Carriers, workdir: Path) -> Iterator[Gateway]:
    with run_gateway(carriers, workdir, directory_refresh_seconds=0.3) as gateway:
        yield gateway


def test_known_keys_keep_working_and_unknown_ones_get_503(own_gateway: Gateway) -> None:
    directory = own_gateway.runtime.directory
    known = own_gateway.key(PartyKind.CUSTOMER, "viewer").key
    unknown = own_gateway.key(PartyKind.CUSTOMER, "billing").key
    with own_gateway.client(known) as client:
        assert client.execute("{ viewer { role } }")["data"]["viewer"]["role"] == "viewer"
    working, clock = directory._engine, directory._clock
    gone = f"postgresql+asyncpg://127.0.0.1:{free_port()}/gone"
    directory._engine = create_async_engine(gone)
    directory._clock = lambda: clock() + 3600  # every cached key has expired
    try:
        with own_gateway.client(known) as client:
            body = client.execute("{ viewer { role } }")
            ready = client.http.get("/readyz").json()
        with own_gateway.client(unknown) as client:
            refused = client.post("{ viewer { role } }")
    finally:
        directory._engine, directory._clock = working, clock
    assert body["data"]["viewer"]["role"] == "viewer"
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    (error,) = refused.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert "directory unavailable" in error["message"]
    assert ready["status"] == "degraded"
    assert ready["checks"]["directory"]["healthy"] is False

    with own_gateway.client(unknown) as client:
        assert client.execute("{ viewer { role } }")["data"]["viewer"]["role"] == "billing"
        assert client.http.get("/readyz").json()["status"] == "ready"


def test_a_party_added_to_the_directory_shows_after_the_refresh(
    own_gateway: Gateway, workdir: Path, carriers: Carriers
) -> None:
    operator = own_gateway.key(PartyKind.OPERATOR).key
    with own_gateway.client(operator) as client:
        before = client.data(COUNT)["customers"]["totalCount"]
    agent = next(p for p in carriers.data.parties if p.kind is PartyKind.AGENT)
    link = carriers.data.links[0]

    async def add() -> None:
        directory = await Directory.open(f"sqlite+aiosqlite:///{workdir}/directory.db")
        try:
            await directory.seed(
                [ChannelParty("cust-reload", PartyKind.CUSTOMER, "Reload Test Co", agent.id)],
                [AccountLink("cust-reload", link.carrier, f"{link.account_number}-R")],
            )
        finally:
            await directory.close()

    asyncio.run(add())
    deadline = time.monotonic() + 10
    after = before
    with own_gateway.client(operator) as client:
        while after == before and time.monotonic() < deadline:
            time.sleep(0.2)
            after = client.data(COUNT)["customers"]["totalCount"]
    assert after == before + 1
