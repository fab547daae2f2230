"""Fixtures for the directory tests: a small hand-made channel tree and a database.

``database`` is parametrized over SQLite (a file under ``tmp_path``) and PostgreSQL (a
fresh schema per test in the ``test`` database, dropped afterwards, so runs repeat and
never collide with other runs sharing the server).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import pytest

from auth.directory import Directory
from connectors.models import AccountLink, ChannelParty, PartyKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_UNREACHABLE = "PostgreSQL at 127.0.0.1:5432 not reachable"

#   op (operator)            carrier-a (carrier)
#   ma-1 (master agent)                      ma-2 (master agent)
#   ├─ agent-1 (agent)                       └─ cust-4
#   │  ├─ cust-1                             agent-x (agent, no customers)
#   │  └─ sub-1 (sub-agent)
#   │     └─ cust-3
#   └─ agent-2 (agent)
#      └─ cust-2
PARTIES = (
    ChannelParty("op", PartyKind.OPERATOR, "Switchboard Ops"),
    ChannelParty("carrier-a", PartyKind.CARRIER, "Carrier A"),
    ChannelParty("ma-1", PartyKind.MASTER_AGENT, "Master One"),
    ChannelParty("ma-2", PartyKind.MASTER_AGENT, "Master Two"),
    ChannelParty("agent-1", PartyKind.AGENT, "Agent One", "ma-1"),
    ChannelParty("agent-2", PartyKind.AGENT, "Agent Two", "ma-1"),
    ChannelParty("agent-x", PartyKind.AGENT, "Agent X"),
    ChannelParty("sub-1", PartyKind.AGENT, "Sub Agent", "agent-1"),
    ChannelParty("cust-1", PartyKind.CUSTOMER, "Customer One", "agent-1"),
    ChannelParty("cust-2", PartyKind.CUSTOMER, "Customer Two", "agent-2"),
    ChannelParty("cust-3", PartyKind.CUSTOMER, "Customer Three", "sub-1"),
    ChannelParty("cust-4", PartyKind.CUSTOMER, "Customer Four", "ma-2"),
)
LINKS = (
    AccountLink("cust-1", "lumen", "L-1"),
    AccountLink("cust-1", "att", "A-100"),
    AccountLink("cust-2", "att", "A-200"),
    AccountLink("cust-3", "verizon", "V-1"),
)


@dataclass(frozen=True)
class Database:
    """Where a test's directory lives."""

    url: str
    schema: str | None = None

    async def open(self, *, migrate: bool = True) -> Directory:
        return await Directory.open(self.url, migrate=migrate, schema=self.schema)


_pg_reachable: bool | None = None


async def _pg_connect() -> asyncpg.Connection:
    global _pg_reachable  # probe the server once per session
    if _pg_reachable is False:
        pytest.skip(PG_UNREACHABLE)
    try:
        connection = await asyncpg.connect(PG_DSN, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        _pg_reachable = False
        pytest.skip(PG_UNREACHABLE)
    _pg_reachable = True
    return connection


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}")
        return
    schema = f"auth_test_{uuid.uuid4().hex[:12]}"
    admin = await _pg_connect()
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield Database(PG_URL, schema)
        finally:
            # alembic_version lives in the schema too, so this drops every trace.
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}"


@pytest.fixture
def parties() -> tuple[ChannelParty, ...]:
    return PARTIES


@pytest.fixture
def links() -> tuple[AccountLink, ...]:
    return LINKS


@pytest.fixture
async def directory(database: Database) -> AsyncIterator[Directory]:
    opened = await database.open()
    try:
        await opened.seed(PARTIES, LINKS)
        yield opened
    finally:
        await opened.close()
