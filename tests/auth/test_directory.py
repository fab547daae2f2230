"""The directory's tree, links, snapshot and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from auth import migrations
from auth.directory import (
    AccountLinkRow,
    Base,
    Directory,
    DirectorySnapshot,
    PartyRow,
)
from connectors.models import AccountLink, ChannelParty, PartyKind

ALL_CUSTOMERS = ("cust-1", "cust-2", "cust-3", "cust-4")


async def _dump(directory: Directory) -> tuple[list[tuple[object, ...]], ...]:
    async with directory._engine.connect() as conn:
        parties = (await conn.execute(select(PartyRow.__table__).order_by(PartyRow.id))).all()
        links = (
            await conn.execute(
                select(AccountLinkRow.__table__).order_by(
                    AccountLinkRow.carrier, AccountLinkRow.account_number
                )
            )
        ).all()
    return [tuple(r) for r in parties], [tuple(r) for r in links]


# --- migrations -----------------------------------------------------------------------


async def test_migrations_create_the_schema_on_an_empty_database(database):
    directory = await database.open()
    try:
        async with directory._engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))

            def _describe(sync_conn):
                inspector = inspect(sync_conn)
                return {
                    table: {ix["name"] for ix in inspector.get_indexes(table)}
                    for table in inspector.get_table_names()
                }

            tables = await conn.run_sync(_describe)
    finally:
        await directory.close()
    assert version == "0004"
    assert tables == {
        "alembic_version": set(),
        "parties": {"ix_parties_parent_id"},
        "account_links": {"ix_account_links_customer_id"},
        "api_keys": {"ix_api_keys_party_id"},
        "identities": {"ix_identities_party_id"},
        "markup_rules": {"ix_markup_rules_seller_id"},
        "brands": set(),
        "trusted_documents": {"ix_trusted_documents_sha256"},
    }


async def test_migrations_match_the_models(database):
    directory = await database.open()
    try:
        async with directory._engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync_conn: compare_metadata(
                    MigrationContext.configure(sync_conn), Base.metadata
                )
            )
    finally:
        await directory.close()
    assert diff == []


async def test_migrating_twice_is_a_no_op(database, directory: Directory):
    before = await _dump(directory)
    again = await database.open()
    try:
        assert await _dump(again) == before
    finally:
        await again.close()


async def test_upgrade_by_url_and_downgrade_round_trip(sqlite_url: str):
    await migrations.upgrade(sqlite_url)
    await migrations.upgrade(sqlite_url)  # already at head
    directory = await Directory.open(sqlite_url, migrate=False)
    try:

        def _down_and_up(sync_conn):
            config = migrations.make_config()
            config.attributes["connection"] = sync_conn
            command.downgrade(config, "base")
            after_down = set(inspect(sync_conn).get_table_names())
            migrations.upgrade_connection(sync_conn)
            return after_down, set(inspect(sync_conn).get_table_names())

        async with directory._engine.begin() as conn:
            after_down, after_up = await conn.run_sync(_down_and_up)
    finally:
        await directory.close()
    assert after_down == {"alembic_version"}
    assert after_up == {
        "alembic_version",
        "parties",
        "account_links",
        "api_keys",
        "identities",
        "markup_rules",
        "brands",
        "trusted_documents",
    }


async def test_schema_option_is_postgresql_only(sqlite_url: str):
    with pytest.raises(ValueError, match="postgresql"):
        await Directory.open(sqlite_url, schema="elsewhere")


# --- seed -----------------------------------------------------------------------------


async def test_seed_twice_changes_nothing(directory: Directory, parties, links):
    before = await _dump(directory)
    await directory.seed(parties, links)
    assert await _dump(directory) == before
    assert len(before[0]) == len(parties)
    assert len(before[1]) == len(links)


async def test_seed_accepts_children_before_parents(sqlite_url: str, parties, links):
    directory = await Directory.open(sqlite_url)
    try:
        await directory.seed(reversed(parties), reversed(links))
        assert await directory.parties() == sorted(parties, key=lambda p: p.id)
    finally:
        await directory.close()


async def test_seed_updates_what_changed_and_keeps_the_rest(directory: Directory, parties):
    created = {row[0]: row[4] for row in (await _dump(directory))[0]}
    await directory.seed(
        [
            ChannelParty("cust-2", PartyKind.CUSTOMER, "Customer Two Inc", "agent-1"),
            ChannelParty("cust-5", PartyKind.CUSTOMER, "Customer Five", "agent-x"),
        ],
        [AccountLink("cust-1", "att", "A-200"), AccountLink("cust-5", "att", "A-500")],
    )
    assert await directory.party("cust-2") == ChannelParty(
        "cust-2", PartyKind.CUSTOMER, "Customer Two Inc", "agent-1"
    )
    assert await directory.link_for("att", "A-200") == AccountLink("cust-1", "att", "A-200")
    assert await directory.links(["cust-5"]) == [AccountLink("cust-5", "att", "A-500")]
    assert await directory.party("cust-1") == parties[8]
    rows = {row[0]: row[4] for row in (await _dump(directory))[0]}
    assert rows["cust-2"] == created["cust-2"]  # an update keeps created_at
    assert all(isinstance(at, datetime) and at.tzinfo is not None for at in rows.values())


async def test_seed_rejects_cycles_and_unknown_parents(directory: Directory):
    with pytest.raises(ValueError, match="cycle"):
        await directory.seed(
            [
                ChannelParty("a", PartyKind.AGENT, "A", "b"),
                ChannelParty("b", PartyKind.AGENT, "B", "a"),
            ],
            [],
        )
    with pytest.raises(ValueError, match="unknown parent"):
        await directory.seed([ChannelParty("c", PartyKind.AGENT, "C", "nowhere")], [])
    assert await directory.party("a") is None
    assert await directory.party("c") is None


# --- reads ----------------------------------------------------------------------------


async def test_party_and_parties(directory: Directory, parties):
    assert await directory.party("sub-1") == ChannelParty(
        "sub-1", PartyKind.AGENT, "Sub Agent", "agent-1"
    )
    assert await directory.party("nobody") is None
    everyone = await directory.parties()
    assert [p.id for p in everyone] == sorted(p.id for p in parties)
    agents = await directory.parties(PartyKind.AGENT)
    assert [p.id for p in agents] == ["agent-1", "agent-2", "agent-x", "sub-1"]
    assert await directory.parties(PartyKind.OPERATOR) == [parties[0]]


@pytest.mark.parametrize(
    ("party_id", "expected"),
    [
        ("cust-3", ("sub-1", "agent-1", "ma-1")),
        ("sub-1", ("agent-1", "ma-1")),
        ("cust-1", ("agent-1", "ma-1")),
        ("agent-2", ("ma-1",)),
        ("cust-4", ("ma-2",)),
        ("ma-1", ()),
        ("op", ()),
        ("nobody", ()),
    ],
)
async def test_chain_lists_ancestors_nearest_first(directory: Directory, party_id, expected):
    assert await directory.chain(party_id) == expected


async def test_links_are_ordered_and_filtered(directory: Directory):
    assert await directory.links() == [
        AccountLink("cust-1", "att", "A-100"),
        AccountLink("cust-1", "lumen", "L-1"),
        AccountLink("cust-2", "att", "A-200"),
        AccountLink("cust-3", "verizon", "V-1"),
    ]
    assert await directory.links({"cust-3", "cust-2", "nobody"}) == [
        AccountLink("cust-2", "att", "A-200"),
        AccountLink("cust-3", "verizon", "V-1"),
    ]
    assert await directory.links([]) == []
    assert await directory.link_for("att", "A-100") == AccountLink("cust-1", "att", "A-100")
    assert await directory.link_for("att", "L-1") is None


# --- snapshot -------------------------------------------------------------------------


async def test_snapshot_indexes_the_tree(directory: Directory, parties):
    snapshot = await directory.snapshot()
    assert dict(snapshot.parties) == {p.id: p for p in parties}
    assert snapshot.children["ma-1"] == ("agent-1", "agent-2")
    assert snapshot.children["agent-1"] == ("cust-1", "sub-1")
    assert snapshot.children["cust-1"] == ()
    assert snapshot.links_by_customer["cust-1"] == (
        AccountLink("cust-1", "att", "A-100"),
        AccountLink("cust-1", "lumen", "L-1"),
    )
    assert "cust-4" not in snapshot.links_by_customer
    assert snapshot.link_by_account["verizon", "V-1"] == AccountLink("cust-3", "verizon", "V-1")
    assert snapshot.customers == ALL_CUSTOMERS
    for party in parties:
        assert snapshot.chain(party.id) == await directory.chain(party.id)


@pytest.mark.parametrize(
    ("party_id", "expected"),
    [
        ("op", ALL_CUSTOMERS),  # an operator sees every customer
        ("ma-1", ("cust-1", "cust-2", "cust-3")),
        ("agent-1", ("cust-1", "cust-3")),
        ("sub-1", ("cust-3",)),
        ("agent-2", ("cust-2",)),
        ("ma-2", ("cust-4",)),
        ("cust-3", ("cust-3",)),
        ("agent-x", ()),
        ("carrier-a", ()),  # carriers are sliced by carrier id, not by the tree
        ("nobody", ()),
    ],
)
async def test_customers_under(directory: Directory, party_id, expected):
    snapshot = await directory.snapshot()
    assert snapshot.customers_under(party_id) == expected


def test_snapshot_is_immutable(parties, links):
    snapshot = DirectorySnapshot.build(parties, links)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.customers = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.parties["x"] = parties[0]  # type: ignore[index]
    with pytest.raises(TypeError):
        snapshot.children["ma-1"] = ()  # type: ignore[index]


def test_snapshot_survives_a_cycle_in_bad_data():
    snapshot = DirectorySnapshot.build(
        [
            ChannelParty("a", PartyKind.AGENT, "A", "b"),
            ChannelParty("b", PartyKind.AGENT, "B", "a"),
            ChannelParty("c", PartyKind.CUSTOMER, "C", "a"),
        ],
        [],
    )
    assert snapshot.chain("c") == ("a", "b")
    assert snapshot.customers_under("b") == ("c",)
