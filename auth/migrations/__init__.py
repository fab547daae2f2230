"""Alembic migrations for the directory, runnable from code with no ``alembic.ini``.

The directory's schema is owned by these migrations, not by ``metadata.create_all``, so
a production PostgreSQL and a demo SQLite file evolve through the same steps. The
gateway runs them at start-up (``Directory.open(url, migrate=True)``); the config is
built in code so an installed wheel needs no ini file and no working directory.

Migrations run on the caller's own async connection through ``run_sync`` (SQLAlchemy's
greenlet bridge), so they work inside an already running event loop without threads or
a nested loop. On PostgreSQL a transaction-scoped advisory lock serializes gateway
processes that start at the same moment.

Writing a new revision (from a shell, against a scratch database)::

    from alembic import command
    from auth.migrations import make_config
    command.revision(make_config("sqlite+aiosqlite:///scratch.db"),
                     message="add x", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "HEAD",
    "SCRIPT_LOCATION",
    "latest_revision",
    "make_config",
    "upgrade",
    "upgrade_connection",
    "upgrade_engine",
]

SCRIPT_LOCATION: Final = Path(__file__).resolve().parent
"""The folder holding ``env.py`` and ``versions/``."""

HEAD: Final = "head"

# Arbitrary constant key for pg_advisory_xact_lock: "directory migrations in progress".
_PG_MIGRATION_LOCK: Final = 0x5B_D1_2E_C7


def latest_revision() -> str:
    """The newest revision id, from the ``versions/NNNN_*.py`` file names (no Alembic import).

    Alembic and what it imports hold ~11 MiB of every gateway process; a directory already
    at this revision never needs them (``tests/auth/test_migrations_head.py`` keeps this
    equal to Alembic's own head).
    """
    return max(path.name.split("_", 1)[0] for path in (SCRIPT_LOCATION / "versions").glob("*.py"))


async def _at_latest(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in found] == [latest_revision()]
    except SQLAlchemyError:  # no table yet: a new directory
        return False


def make_config(url: str | None = None) -> Config:
    """Build the Alembic config in code.

    Args:
        url: SQLAlchemy URL for commands that open their own connection (e.g. the
            ``command.revision`` autogenerate above); not needed when a connection is
            passed through :func:`upgrade_connection`.

    Returns:
        A config whose ``script_location`` is this package's folder.
    """
    from alembic.config import Config  # only when migrating (see latest_revision)

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        # The config is a ConfigParser: a literal "%" (URL-escaped passwords) must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_connection(connection: Connection, revision: str = HEAD) -> None:
    """Upgrade the schema on an open synchronous connection.

    Meant for ``await async_connection.run_sync(upgrade_connection)`` inside a
    transaction the caller commits.

    Args:
        connection: The (sync facade of the) connection to migrate.
        revision: Target revision.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    from alembic import command  # only when migrating

    config = make_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_engine(engine: AsyncEngine, revision: str = HEAD) -> None:
    """Upgrade the schema through an existing async engine, in one transaction.

    Args:
        engine: The engine to migrate; it stays open.
        revision: Target revision.
    """
    if revision == HEAD and await _at_latest(engine):
        return
    async with engine.begin() as connection:
        await connection.run_sync(upgrade_connection, revision)


async def upgrade(url: str, revision: str = HEAD) -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: the latest).

    Args:
        url: Async SQLAlchemy URL (``sqlite+aiosqlite:///path`` or
            ``postgresql+asyncpg://...``).
        revision: Target revision.
    """
    engine = create_async_engine(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()
