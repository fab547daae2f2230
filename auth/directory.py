"""The directory: the channel tree, carrier-account links and API keys, in SQL.

Everything the gateway must know about *who* exists lives here: the parties of the
channel tree (operator, carriers, master agents, agents at any depth, customers), which
customer owns which carrier account, and the API keys parties authenticate with. It is
SQLAlchemy 2 async over SQLite by default (the embedded ``--demo``) and PostgreSQL in
production; the schema is owned by the Alembic migrations in ``auth/migrations``.

Two hot paths stay off SQL: :meth:`Directory.authenticate` keeps a small in-process cache
of verified keys, and :meth:`Directory.snapshot` hands the gateway an immutable in-memory
view of the tree for row slices, reloaded on demand.

The tables, the snapshot and the queries change together, so they share this module
(past the ~500-line guide, about half of it docstrings); if it grows further, the
table models and :class:`DirectorySnapshot` are the natural pieces to move out.

Example:
    >>> directory = await Directory.open("sqlite+aiosqlite:///switchboard.db")
    >>> await directory.seed(parties, links)
    >>> key = await directory.create_key("agent-1", "admin")
    >>> principal = await directory.authenticate(key)
    >>> await directory.close()
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import (
    Integer,
    delete,
    event,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import aliased

from auth import migrations
from auth.keys import demo_key, generate_key, hash_secret, parse_key, verify_key
from auth.principal import Principal
from auth.tables import AccountLinkRow, ApiKeyRow, Base, IdentityRow, PartyRow
from connectors.models import AccountLink, ChannelParty, PartyKind

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping
    from types import TracebackType

    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = [
    "CACHE_TTL_SECONDS",
    "TOUCH_INTERVAL_SECONDS",
    "AccountLinkRow",
    "ApiKeyInfo",
    "ApiKeyRow",
    "Base",
    "DemoKey",
    "Directory",
    "DirectorySnapshot",
    "DirectoryUnavailable",
    "PartyRow",
]

logger = logging.getLogger(__name__)

CACHE_TTL_SECONDS: Final = 30.0
"""How long a verified key is trusted without asking SQL (bounds revocation lag elsewhere)."""

TOUCH_INTERVAL_SECONDS: Final = 60.0
"""Minimum time between two ``last_used_at`` writes for the same key."""

_CACHE_MAX_ENTRIES: Final = 10_000
# Ancestor walks stop here: real trees are a handful deep, so this only ends cycles in bad data.
_MAX_DEPTH: Final = 64
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What the directory knows about an API key: everything but the key itself."""

    key_id: str
    party_id: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class DemoKey:
    """A deterministic demo API key, printed by ``switchboard serve --demo``.

    Demo keys are derived from a public seed (``auth.keys.DEMO_SEED``): they are for
    ``--demo`` only and must never exist in a real directory.
    """

    party_id: str
    kind: PartyKind
    role: str
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class DirectorySnapshot:
    """An immutable in-memory view of the channel tree, for the request hot path.

    Build it with :meth:`build` (or :meth:`Directory.snapshot`); every mapping is
    read-only and every sequence a sorted tuple.

    Attributes:
        parties: Every party by id.
        links_by_customer: Each customer's carrier accounts, ordered by carrier and
            account number.
        link_by_account: The owning link of each ``(carrier, account_number)``.
        children: Each party's direct children, sorted (``()`` for leaves).
        subtree_customers: Each party's customer ids in its subtree (itself included
            when it is a customer), sorted.
        customers: Every customer id, sorted.

    Example:
        >>> snapshot = DirectorySnapshot.build(parties, links)
        >>> snapshot.customers_under("master-1")
        ('cust-1', 'cust-2')
    """

    parties: Mapping[str, ChannelParty]
    links_by_customer: Mapping[str, tuple[AccountLink, ...]]
    link_by_account: Mapping[tuple[str, str], AccountLink]
    children: Mapping[str, tuple[str, ...]]
    subtree_customers: Mapping[str, tuple[str, ...]]
    customers: tuple[str, ...]

    @classmethod
    def build(cls, parties: Iterable[ChannelParty], links: Iterable[AccountLink]) -> Self:
        """Index parties and links into a snapshot.

        Args:
            parties: The channel tree's nodes.
            links: The carrier-account links.

        Returns:
            The snapshot.
        """
        by_id = {party.id: party for party in parties}
        children: dict[str, list[str]] = {party_id: [] for party_id in by_id}
        for party in by_id.values():
            if party.parent_id is not None and party.parent_id in children:
                children[party.parent_id].append(party.id)
        customers = sorted(p.id for p in by_id.values() if p.kind is PartyKind.CUSTOMER)
        subtree: dict[str, list[str]] = defaultdict(list)
        for customer_id in customers:  # sorted, so every subtree list comes out sorted
            for ancestor in (customer_id, *_ancestors(by_id, customer_id)):
                subtree[ancestor].append(customer_id)
        ordered_links = sorted(
            links, key=lambda ln: (ln.customer_id, ln.carrier, ln.account_number)
        )
        grouped: dict[str, list[AccountLink]] = defaultdict(list)
        for link in ordered_links:
            grouped[link.customer_id].append(link)
        return cls(
            parties=MappingProxyType(by_id),
            links_by_customer=MappingProxyType({k: tuple(v) for k, v in grouped.items()}),
            link_by_account=MappingProxyType(
                {(ln.carrier, ln.account_number): ln for ln in ordered_links}
            ),
            children=MappingProxyType({k: tuple(sorted(v)) for k, v in children.items()}),
            subtree_customers=MappingProxyType({k: tuple(v) for k, v in subtree.items()}),
            customers=tuple(customers),
        )

    def customers_under(self, party_id: str) -> tuple[str, ...]:
        """All customer ids in a party's subtree, sorted; every customer for an operator.

        Args:
            party_id: The party whose branch to list.

        Returns:
            The customer ids (``()`` for an unknown party or an empty branch).
        """
        party = self.parties.get(party_id)
        if party is None:
            return ()
        if party.kind is PartyKind.OPERATOR:
            return self.customers
        return self.subtree_customers.get(party_id, ())

    def chain(self, party_id: str) -> tuple[str, ...]:
        """Ancestor ids of a party, nearest first (what :class:`Principal` carries).

        Args:
            party_id: The party.

        Returns:
            Its ancestors from the parent up to the root.
        """
        return _ancestors(self.parties, party_id)


def _ancestors(parties: Mapping[str, ChannelParty], party_id: str) -> tuple[str, ...]:
    chain: list[str] = []
    party = parties.get(party_id)
    while party is not None and party.parent_id is not None and len(chain) < _MAX_DEPTH:
        if party.parent_id == party_id or party.parent_id in chain:
            break  # a cycle in bad data: stop rather than loop
        chain.append(party.parent_id)
        party = parties.get(party.parent_id)
    return tuple(chain)


def _parents_first(
    parties: Mapping[str, ChannelParty], known: Collection[str]
) -> list[ChannelParty]:
    """Order parties so each parent comes before its children (foreign keys are immediate)."""
    ordered: list[ChannelParty] = []
    done: set[str] = set()
    for start in parties:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parties and node not in done:
            if node in path:
                raise ValueError(f"cycle in the channel tree through party {node!r}")
            path.append(node)
            node = parties[node].parent_id
        if node is not None and node not in parties and node not in known:
            raise ValueError(f"party {path[-1]!r} has unknown parent {node!r}")
        for party_id in reversed(path):
            ordered.append(parties[party_id])
            done.add(party_id)
    return ordered


def _create_engine(url: str, schema: str | None) -> AsyncEngine:
    sa_url = make_url(url)
    connect_args: dict[str, Any] = {}
    if schema is not None:
        if sa_url.get_backend_name() != "postgresql" or sa_url.get_driver_name() != "asyncpg":
            raise ValueError("schema= is supported only with postgresql+asyncpg URLs")
        if _SCHEMA_NAME.fullmatch(schema) is None:
            raise ValueError(f"invalid schema name {schema!r}")
        connect_args["server_settings"] = {"search_path": schema}
    engine = create_async_engine(sa_url, connect_args=connect_args)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 (DBAPI)
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_PARTY_COLUMNS = (PartyRow.id, PartyRow.kind, PartyRow.name, PartyRow.parent_id)
_LINK_COLUMNS = (AccountLinkRow.customer_id, AccountLinkRow.carrier, AccountLinkRow.account_number)
_LINK_ORDER = (AccountLinkRow.customer_id, AccountLinkRow.carrier, AccountLinkRow.account_number)


def _party(row: Any) -> ChannelParty:  # noqa: ANN401 (a SQLAlchemy Row)
    return ChannelParty(id=row.id, kind=PartyKind(row.kind), name=row.name, parent_id=row.parent_id)


def _link(row: Any) -> AccountLink:  # noqa: ANN401 (a SQLAlchemy Row)
    return AccountLink(
        customer_id=row.customer_id, carrier=row.carrier, account_number=row.account_number
    )


class DirectoryUnavailable(Exception):
    """The directory database did not answer; the caller may retry later."""


class Directory:
    """The party tree, carrier-account links and API keys, backed by SQL.

    Open one per process with :meth:`open` and share it; it owns a pooled engine and
    is safe to use from concurrent tasks of one event loop.

    Example:
        >>> async with await Directory.open("sqlite+aiosqlite:///demo.db") as directory:
        ...     snapshot = await directory.snapshot()
    """

    def __init__(self, engine: AsyncEngine) -> None:
        """Wrap an engine whose database is already migrated (prefer :meth:`open`).

        Args:
            engine: The async engine; :meth:`close` disposes it.
        """
        self._engine = engine
        # Monotonic clock for the cache TTL and the last_used_at throttle (tests swap it).
        self._clock: Callable[[], float] = time.monotonic
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._touched: dict[str, float] = {}
        # Bumped on every revocation: a lookup that started before it must not cache.
        self._generation = 0
        self.healthy = True
        self.last_error: str | None = None

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, schema: str | None = None) -> Self:
        """Connect to a directory database, migrating it to the latest schema.

        Args:
            url: Async SQLAlchemy URL: ``sqlite+aiosqlite:///path/to/file.db`` or
                ``postgresql+asyncpg://user@host:5432/db``.
            migrate: Run the Alembic migrations to head first.
            schema: PostgreSQL only: an existing schema to use as ``search_path``
                (isolates tests and shared databases); ``None`` keeps the server default.

        Returns:
            The open directory.

        Raises:
            ValueError: If ``schema`` is given for a non-PostgreSQL URL or is not a plain
                identifier.
        """
        engine = _create_engine(url, schema)
        try:
            if migrate:
                await migrations.upgrade_engine(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for modules keeping their own tables here (``auth.commercial``)."""
        return self._engine

    async def close(self) -> None:
        """Drop the key cache and dispose of the engine's connections."""
        self._cache.clear()
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- the tree and the links ---------------------------------------------------------

    async def seed(self, parties: Iterable[ChannelParty], links: Iterable[AccountLink]) -> None:
        """Insert or update parties and links; running it twice changes nothing.

        Rows absent from the arguments are left alone. A repeated id (or account) in
        the arguments: the last one wins.

        Args:
            parties: Parties to upsert, in any order (parents are written first).
            links: Account links to upsert; an account moves to the customer given.

        Raises:
            ValueError: If the parties form a cycle or name a parent that is neither
                given nor already in the directory.
        """
        party_by_id = {party.id: party for party in parties}
        link_by_account = {(ln.carrier, ln.account_number): ln for ln in links}
        now = _utcnow()
        async with self._engine.begin() as conn:
            existing = {
                row.id: (row.kind, row.name, row.parent_id)
                for row in await conn.execute(select(*_PARTY_COLUMNS))
            }
            new_parties: list[dict[str, Any]] = []
            for party in _parents_first(party_by_id, existing.keys()):
                values = (PartyKind(party.kind).value, party.name, party.parent_id)
                if party.id not in existing:
                    kind, name, parent_id = values
                    new_parties.append(
                        {
                            "id": party.id,
                            "kind": kind,
                            "name": name,
                            "parent_id": parent_id,
                            "created_at": now,
                        }
                    )
                elif existing[party.id] != values:
                    await conn.execute(
                        update(PartyRow)
                        .where(PartyRow.id == party.id)
                        .values(kind=values[0], name=values[1], parent_id=values[2])
                    )
            if new_parties:
                await conn.execute(insert(PartyRow), new_parties)

            owners = {
                (row.carrier, row.account_number): row.customer_id
                for row in await conn.execute(select(*_LINK_COLUMNS))
            }
            new_links: list[dict[str, str]] = []
            for (carrier, account_number), link in link_by_account.items():
                owner = owners.get((carrier, account_number))
                if owner is None:
                    new_links.append(
                        {
                            "carrier": carrier,
                            "account_number": account_number,
                            "customer_id": link.customer_id,
                        }
                    )
                elif owner != link.customer_id:
                    await conn.execute(
                        update(AccountLinkRow)
                        .where(
                            AccountLinkRow.carrier == carrier,
                            AccountLinkRow.account_number == account_number,
                        )
                        .values(customer_id=link.customer_id)
                    )
            if new_links:
                await conn.execute(insert(AccountLinkRow), new_links)
        self._cache.clear()  # names and chains in cached principals may have changed

    async def party(self, party_id: str) -> ChannelParty | None:
        """One party by id.

        Args:
            party_id: The party id.

        Returns:
            The party, or ``None`` if unknown.
        """
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(*_PARTY_COLUMNS).where(PartyRow.id == party_id))
            ).one_or_none()
        return None if row is None else _party(row)

    async def parties(self, kind: PartyKind | None = None) -> list[ChannelParty]:
        """All parties, or those of one kind, ordered by id.

        Args:
            kind: Only parties of this kind; ``None`` for all.

        Returns:
            The parties.
        """
        stmt = select(*_PARTY_COLUMNS).order_by(PartyRow.id)
        if kind is not None:
            stmt = stmt.where(PartyRow.kind == PartyKind(kind).value)
        async with self._engine.connect() as conn:
            return [_party(row) for row in await conn.execute(stmt)]

    async def chain(self, party_id: str) -> tuple[str, ...]:
        """Ancestors of a party, from its parent up to the root.

        Args:
            party_id: The party id.

        Returns:
            The ancestor ids, nearest first (``()`` for a root or unknown party).
        """
        async with self._engine.connect() as conn:
            return await _chain(conn, party_id)

    async def links(self, customer_ids: Collection[str] | None = None) -> list[AccountLink]:
        """Carrier-account links, ordered by customer, carrier and account number.

        Args:
            customer_ids: Only these customers' links; ``None`` for all.

        Returns:
            The links.
        """
        stmt = select(*_LINK_COLUMNS).order_by(*_LINK_ORDER)
        if customer_ids is not None:
            if not customer_ids:
                return []
            stmt = stmt.where(AccountLinkRow.customer_id.in_(set(customer_ids)))
        async with self._engine.connect() as conn:
            return [_link(row) for row in await conn.execute(stmt)]

    async def link_for(self, carrier: str, account_number: str) -> AccountLink | None:
        """The link owning one carrier account.

        Args:
            carrier: The carrier id.
            account_number: The account number at that carrier.

        Returns:
            The link, or ``None`` if no customer owns the account.
        """
        stmt = select(*_LINK_COLUMNS).where(
            AccountLinkRow.carrier == carrier, AccountLinkRow.account_number == account_number
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).one_or_none()
        return None if row is None else _link(row)

    async def snapshot(self) -> DirectorySnapshot:
        """Load the whole tree and all links into an immutable in-memory view.

        Returns:
            A fresh snapshot; the caller decides when to reload.
        """
        async with self._engine.connect() as conn:
            parties = [_party(row) for row in await conn.execute(select(*_PARTY_COLUMNS))]
            links = [_link(row) for row in await conn.execute(select(*_LINK_COLUMNS))]
        return DirectorySnapshot.build(parties, links)

    # --- API keys -----------------------------------------------------------------------

    async def create_key(self, party_id: str, role: str) -> str:
        """Issue a new API key for a party; only its hash is stored.

        Args:
            party_id: The party the key authenticates as.
            role: The role it grants.

        Returns:
            The full key. It is shown once: it cannot be recovered later.

        Raises:
            LookupError: If the party does not exist.
            ValueError: If ``role`` is empty.
        """
        if not role:
            raise ValueError("role must not be empty")
        # A key id collision (36**10 ids) would surface as an IntegrityError, not a retry.
        full_key, key_id = generate_key()
        async with self._engine.begin() as conn:
            if await conn.scalar(select(PartyRow.id).where(PartyRow.id == party_id)) is None:
                raise LookupError(f"unknown party {party_id!r}")
            await conn.execute(
                insert(ApiKeyRow).values(
                    key_id=key_id,
                    party_id=party_id,
                    role=role,
                    key_hash=hash_secret(full_key),
                    created_at=_utcnow(),
                )
            )
        return full_key

    async def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; it stops authenticating at once in this process.

        Other processes sharing the database stop accepting it within
        :data:`CACHE_TTL_SECONDS`.

        Args:
            key_id: The key id (the middle part of the key).

        Returns:
            Whether a live key was revoked (``False`` if unknown or already revoked).
        """
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=_utcnow())
            )
        self._generation += 1
        self._forget({key_id})
        return result.rowcount > 0

    async def list_keys(self, party_id: str | None = None) -> list[ApiKeyInfo]:
        """API keys (never their secrets), ordered by party, then creation time.

        Args:
            party_id: Only this party's keys; ``None`` for all.

        Returns:
            The keys, revoked ones included.
        """
        stmt = select(
            ApiKeyRow.key_id,
            ApiKeyRow.party_id,
            ApiKeyRow.role,
            ApiKeyRow.created_at,
            ApiKeyRow.last_used_at,
            ApiKeyRow.revoked_at,
        ).order_by(ApiKeyRow.party_id, ApiKeyRow.created_at, ApiKeyRow.key_id)
        if party_id is not None:
            stmt = stmt.where(ApiKeyRow.party_id == party_id)
        async with self._engine.connect() as conn:
            return [ApiKeyInfo(*row) for row in await conn.execute(stmt)]

    async def authenticate(self, full_key: str) -> Principal | None:
        """Resolve an API key to the principal it authenticates, or ``None``.

        Malformed keys, unknown key ids, wrong secrets and revoked keys all yield
        ``None``; bad input never raises (database failures do). Verified keys are
        cached for :data:`CACHE_TTL_SECONDS`, and ``last_used_at`` is written at most
        once per :data:`TOUCH_INTERVAL_SECONDS` per key.

        Args:
            full_key: The key as presented by the client.

        Returns:
            The principal, or ``None``.
        """
        key_id = parse_key(full_key)
        if key_id is None:
            return None
        key_hash = hash_secret(full_key)
        now = self._clock()
        cached = self._cache.get(key_hash)
        if cached is not None and now < cached[1]:
            await self._touch(key_id, now)
            return cached[0]

        generation = self._generation
        stmt = (
            select(
                ApiKeyRow.key_hash.label("key_hash"),
                ApiKeyRow.role,
                ApiKeyRow.revoked_at,
                *_PARTY_COLUMNS,
            )
            .join(PartyRow, PartyRow.id == ApiKeyRow.party_id)
            .where(ApiKeyRow.key_id == key_id)
        )
        try:
            async with self._engine.connect() as conn:
                row = (await conn.execute(stmt)).one_or_none()
                valid = row is not None and verify_key(full_key, row.key_hash)
                if row is None or not valid or row.revoked_at is not None:
                    self._cache.pop(key_hash, None)
                    self.mark_up()
                    return None
                chain = await _chain(conn, row.id)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            self.mark_down(exc)
            if cached is not None:
                # Verified before the outage: keep it working until the directory answers.
                return cached[0]
            raise DirectoryUnavailable("the directory database is unavailable") from exc
        self.mark_up()
        principal = Principal(
            party_id=row.id,
            kind=PartyKind(row.kind),
            role=row.role,
            chain=chain,
            name=row.name,
            key_id=key_id,
        )
        if generation == self._generation:
            self._remember(key_hash, principal, now)
        await self._touch(key_id, now)
        return principal

    async def ensure_demo_keys(self, specs: Iterable[tuple[str, str]]) -> list[DemoKey]:
        """Make the deterministic demo keys of ``(party_id, role)`` pairs authenticate.

        For ``switchboard serve --demo`` only: the keys derive from a public seed, so the
        same demo directory file prints the same keys on every restart. A revoked demo
        key is un-revoked. Never call this on a real directory.

        Args:
            specs: ``(party_id, role)`` pairs; duplicates are ignored.

        Returns:
            One :class:`DemoKey` per distinct pair, in the order given.

        Raises:
            LookupError: If a party does not exist.
            RuntimeError: In the (1 in 16 million) case two pairs derive the same key id.
        """
        demo_keys: list[DemoKey] = []
        seen: dict[str, tuple[str, str]] = {}
        async with self._engine.begin() as conn:
            for party_id, role in dict.fromkeys(specs):
                full_key, key_id = demo_key(party_id, role)
                if seen.setdefault(key_id, (party_id, role)) != (party_id, role):
                    raise RuntimeError(f"demo key id {key_id} collides; rename a demo party")
                party = (
                    await conn.execute(select(*_PARTY_COLUMNS).where(PartyRow.id == party_id))
                ).one_or_none()
                if party is None:
                    raise LookupError(f"unknown party {party_id!r}")
                key_hash = hash_secret(full_key)
                current = (
                    await conn.execute(
                        select(
                            ApiKeyRow.party_id,
                            ApiKeyRow.role,
                            ApiKeyRow.key_hash,
                            ApiKeyRow.revoked_at,
                        ).where(ApiKeyRow.key_id == key_id)
                    )
                ).one_or_none()
                wanted = (party_id, role, key_hash)
                if current is None:
                    await conn.execute(
                        insert(ApiKeyRow).values(
                            key_id=key_id,
                            party_id=party_id,
                            role=role,
                            key_hash=key_hash,
                            created_at=_utcnow(),
                        )
                    )
                elif current.revoked_at is not None or tuple(current[:3]) != wanted:
                    await conn.execute(
                        update(ApiKeyRow)
                        .where(ApiKeyRow.key_id == key_id)
                        .values(party_id=party_id, role=role, key_hash=key_hash, revoked_at=None)
                    )
                demo_keys.append(
                    DemoKey(
                        party_id=party_id,
                        kind=PartyKind(party.kind),
                        role=role,
                        key=full_key,
                        name=party.name,
                    )
                )
        self._generation += 1
        self._forget(seen.keys())
        return demo_keys

    # --- identities (JWT subjects) ------------------------------------------------------

    async def add_identity(self, issuer: str, subject: str, party_id: str, role: str) -> None:
        """Let an identity provider's subject act as a party in a role (upsert).

        Args:
            issuer: The provider's ``iss``.
            subject: Its ``sub`` for the user or client.
            party_id: The party the subject acts as.
            role: The role it is granted (the caller checks it suits the party's kind).

        Raises:
            LookupError: If the party does not exist.
            ValueError: If ``issuer``, ``subject`` or ``role`` is empty.
        """
        if not issuer or not subject or not role:
            raise ValueError("issuer, subject and role must not be empty")
        async with self._engine.begin() as conn:
            if await conn.scalar(select(PartyRow.id).where(PartyRow.id == party_id)) is None:
                raise LookupError(f"unknown party {party_id!r}")
            where = (IdentityRow.issuer == issuer, IdentityRow.subject == subject)
            if await conn.scalar(select(IdentityRow.party_id).where(*where)) is None:
                await conn.execute(
                    insert(IdentityRow).values(
                        issuer=issuer,
                        subject=subject,
                        party_id=party_id,
                        role=role,
                        created_at=_utcnow(),
                    )
                )
            else:
                await conn.execute(
                    update(IdentityRow).where(*where).values(party_id=party_id, role=role)
                )

    async def identity(self, issuer: str, subject: str) -> tuple[str, str] | None:
        """The ``(party_id, role)`` a provider's subject acts as, or ``None`` if unknown.

        Args:
            issuer: The provider's ``iss``.
            subject: The ``sub``.

        Returns:
            The party id and role, or ``None``.
        """
        stmt = select(IdentityRow.party_id, IdentityRow.role).where(
            IdentityRow.issuer == issuer, IdentityRow.subject == subject
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).one_or_none()
        return None if row is None else (row.party_id, row.role)

    async def remove_identity(self, issuer: str, subject: str) -> bool:
        """Stop mapping a provider's subject to a party.

        Args:
            issuer: The provider's ``iss``.
            subject: The ``sub``.

        Returns:
            Whether a mapping was removed.
        """
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(IdentityRow).where(
                    IdentityRow.issuer == issuer, IdentityRow.subject == subject
                )
            )
        return result.rowcount > 0

    # --- the hot-path helpers -----------------------------------------------------------

    def _remember(self, key_hash: str, principal: Principal, now: float) -> None:
        if len(self._cache) >= _CACHE_MAX_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= _CACHE_MAX_ENTRIES:
                self._cache.clear()
        self._cache[key_hash] = (principal, now + CACHE_TTL_SECONDS)

    def _forget(self, key_ids: Collection[str]) -> None:
        self._cache = {k: v for k, v in self._cache.items() if v[0].key_id not in key_ids}

    def mark_up(self) -> None:
        """The database answered."""
        if not self.healthy:
            logger.warning("directory database reachable again")
        self.healthy, self.last_error = True, None

    def mark_down(self, exc: BaseException) -> None:
        """The database failed to answer (logged once per outage)."""
        if self.healthy:
            logger.warning("directory database unavailable: %s", exc.__class__.__name__)
        self.healthy = False
        self.last_error = f"{type(exc).__name__}: {str(exc)[:160]}"

    async def _touch(self, key_id: str, now: float) -> None:
        last = self._touched.get(key_id)
        if last is not None and now - last < TOUCH_INTERVAL_SECONDS:
            return
        self._touched[key_id] = now
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(ApiKeyRow)
                    .where(ApiKeyRow.key_id == key_id)
                    .values(last_used_at=_utcnow())
                )
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            # Usage bookkeeping must not turn a valid key into a failed request.
            self.mark_down(exc)


async def _chain(conn: AsyncConnection, party_id: str) -> tuple[str, ...]:
    """Ancestor ids nearest first, in one recursive query (bounded, so cycles end)."""
    depth = literal_column("1", Integer).label("depth")
    anchor = (
        select(PartyRow.parent_id.label("id"), depth)
        .where(PartyRow.id == party_id, PartyRow.parent_id.is_not(None))
        .cte("ancestors", recursive=True)
    )
    parent = aliased(PartyRow)
    ancestors = anchor.union_all(
        select(parent.parent_id, anchor.c.depth + 1)
        .join_from(parent, anchor, parent.id == anchor.c.id)
        .where(parent.parent_id.is_not(None), anchor.c.depth < _MAX_DEPTH)
    )
    rows = await conn.execute(select(ancestors.c.id).order_by(ancestors.c.depth))
    chain: list[str] = []
    for (ancestor,) in rows:
        if ancestor == party_id or ancestor in chain:
            break  # a cycle in bad data
        chain.append(ancestor)
    return tuple(chain)
