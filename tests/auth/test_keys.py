"""API keys: the key format, and issuing, authenticating and revoking through the directory."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import event, select

from auth.directory import ApiKeyRow, Directory
from auth.keys import demo_key, generate_key, hash_secret, parse_key, verify_key
from auth.principal import Principal
from connectors.models import PartyKind

KEY_SHAPE = re.compile(r"sbk_([a-z0-9]{8,12})_([A-Za-z0-9_-]{43,})")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _row(directory: Directory, key_id: str):
    async with directory._engine.connect() as conn:
        return (
            await conn.execute(select(ApiKeyRow.__table__).where(ApiKeyRow.key_id == key_id))
        ).one()


def _count_statements(directory: Directory) -> list[str]:
    statements: list[str] = []
    event.listen(
        directory._engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_: statements.append(statement),
    )
    return statements


# --- the format -----------------------------------------------------------------------


def test_generate_key_shape():
    full_key, key_id = generate_key()
    match = KEY_SHAPE.fullmatch(full_key)
    assert match is not None
    assert match.group(1) == key_id
    assert not key_id.startswith("demo")
    assert parse_key(full_key) == key_id
    assert len({generate_key()[0] for _ in range(100)}) == 100


def test_generate_key_with_another_prefix():
    full_key, key_id = generate_key("sbt")
    assert full_key.startswith(f"sbt_{key_id}_")
    assert parse_key(full_key, prefix="sbt") == key_id
    assert parse_key(full_key) is None
    with pytest.raises(ValueError, match="prefix"):
        generate_key("Bad_Prefix")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "sbk",
        "sbk__",
        "sbk_abcdefgh_",
        "sbk_abcdefgh_short",
        "xyz_abcdefgh_" + "a" * 43,  # wrong prefix
        "sbk_abc_" + "a" * 43,  # key id too short
        "sbk_abcdefghijklm_" + "a" * 43,  # key id too long
        "sbk_ABCDEFGH_" + "a" * 43,  # key id upper case
        "sbk_abcdefgh_" + "a" * 42 + "!",
        " sbk_abcdefgh_" + "a" * 43,
        "sbk_abcdefgh_" + "a" * 43 + "\n",
        "sbk_abcdefgh_" + "a" * 10_000,
        "sbk_abcdefgh_" + "\u00e9" * 43,
        "Bearer sbk_abcdefgh_" + "a" * 43,
        None,
        123,
        b"sbk_abcdefgh_" + b"a" * 43,
    ],
)
def test_parse_key_rejects_malformed_keys(bad):
    assert parse_key(bad) is None


def test_a_secret_may_contain_the_separator():
    full_key = "sbk_abcdefgh_" + "_-" * 22
    assert parse_key(full_key) == "abcdefgh"


def test_hash_and_verify():
    full_key, _ = generate_key()
    stored = hash_secret(full_key)
    assert stored == hashlib.sha256(full_key.encode()).hexdigest()
    assert verify_key(full_key, stored)
    assert not verify_key(full_key + "x", stored)
    assert not verify_key(generate_key()[0], stored)


def test_demo_keys_are_deterministic_and_well_formed():
    full_key, key_id = demo_key("cust-1", "admin")
    assert demo_key("cust-1", "admin") == (full_key, key_id)
    assert KEY_SHAPE.fullmatch(full_key) is not None
    assert key_id.startswith("demo")
    assert parse_key(full_key) == key_id
    others = {demo_key("cust-1", "viewer")[0], demo_key("cust-2", "admin")[0]}
    assert full_key not in others
    assert demo_key("ab", "c") != demo_key("a", "bc")


# --- the directory --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party_id", "kind", "name", "chain"),
    [
        ("sub-1", PartyKind.AGENT, "Sub Agent", ("agent-1", "ma-1")),
        ("cust-3", PartyKind.CUSTOMER, "Customer Three", ("sub-1", "agent-1", "ma-1")),
        ("op", PartyKind.OPERATOR, "Switchboard Ops", ()),
    ],
)
async def test_create_then_authenticate(directory: Directory, party_id, kind, name, chain):
    full_key = await directory.create_key(party_id, "admin")
    key_id = parse_key(full_key)
    assert key_id is not None
    principal = await directory.authenticate(full_key)
    assert principal == Principal(
        party_id=party_id, kind=kind, role="admin", chain=chain, name=name, key_id=key_id
    )


async def test_only_the_hash_is_stored(directory: Directory):
    full_key = await directory.create_key("agent-1", "billing")
    key_id = parse_key(full_key)
    assert key_id is not None
    secret = full_key.split("_", 2)[2]
    row = await _row(directory, key_id)
    assert row.hash == hash_secret(full_key)
    assert row.role == "billing"
    assert row.party_id == "agent-1"
    assert row.revoked_at is None
    for value in row:
        assert secret not in str(value)
        assert full_key not in str(value)


async def test_bad_keys_authenticate_as_nobody(directory: Directory):
    full_key = await directory.create_key("agent-1", "admin")
    prefix, key_id, secret = full_key.split("_", 2)
    wrong_secret = f"{prefix}_{key_id}_{secret[::-1]}"
    unknown_id = f"{prefix}_zzzzzzzzzz_{secret}"
    for bad in [wrong_secret, unknown_id, full_key[:-1], "", "garbage", full_key + "\x00"]:
        assert await directory.authenticate(bad) is None, bad
    assert await directory.authenticate(None) is None  # type: ignore[arg-type]
    assert await directory.authenticate(full_key) is not None


async def test_a_wrong_secret_is_refused_even_when_the_right_key_is_cached(
    directory: Directory,
):
    full_key = await directory.create_key("agent-1", "admin")
    assert await directory.authenticate(full_key) is not None
    prefix, key_id, secret = full_key.split("_", 2)
    last = "B" if secret[-1] == "A" else "A"
    assert await directory.authenticate(f"{prefix}_{key_id}_{secret[:-1]}{last}") is None


async def test_revoked_keys_stop_at_once(directory: Directory):
    full_key = await directory.create_key("cust-1", "viewer")
    key_id = parse_key(full_key)
    assert key_id is not None
    assert await directory.authenticate(full_key) is not None  # now cached
    assert await directory.revoke_key(key_id) is True
    assert await directory.authenticate(full_key) is None
    assert await directory.revoke_key(key_id) is False  # already revoked
    assert await directory.revoke_key("nosuchkey1") is False
    assert (await _row(directory, key_id)).revoked_at is not None


async def test_a_revocation_elsewhere_holds_after_the_cache_ttl(database, directory):
    full_key = await directory.create_key("cust-1", "viewer")
    key_id = parse_key(full_key)
    assert key_id is not None
    clock = FakeClock()
    directory._clock = clock
    assert await directory.authenticate(full_key) is not None
    other = await database.open(migrate=False)
    try:
        assert await other.revoke_key(key_id) is True
    finally:
        await other.close()
    clock.now += 29  # still cached: the documented bound on cross-process revocation lag
    assert await directory.authenticate(full_key) is not None
    clock.now += 2
    assert await directory.authenticate(full_key) is None


async def test_the_cache_keeps_sql_off_the_hot_path(directory: Directory):
    full_key = await directory.create_key("agent-2", "admin")
    assert await directory.authenticate(full_key) is not None
    statements = _count_statements(directory)
    for _ in range(5):
        assert await directory.authenticate(full_key) is not None
    assert statements == []


async def test_last_used_at_is_written_at_most_once_a_minute(directory: Directory):
    clock = FakeClock()
    directory._clock = clock
    full_key = await directory.create_key("agent-2", "admin")
    key_id = parse_key(full_key)
    assert key_id is not None
    assert (await _row(directory, key_id)).last_used_at is None

    await directory.authenticate(full_key)
    first = (await _row(directory, key_id)).last_used_at
    assert first is not None
    assert first.tzinfo is not None

    statements = _count_statements(directory)
    clock.now += 59
    await directory.authenticate(full_key)  # cache hit, no write
    directory._cache.clear()
    await directory.authenticate(full_key)  # SQL lookup, still no write
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)
    assert (await _row(directory, key_id)).last_used_at == first

    clock.now += 2
    await directory.authenticate(full_key)
    assert any(s.lstrip().upper().startswith("UPDATE") for s in statements)
    assert (await _row(directory, key_id)).last_used_at >= first


async def test_create_key_checks_its_arguments(directory: Directory):
    with pytest.raises(LookupError, match="nobody"):
        await directory.create_key("nobody", "admin")
    with pytest.raises(ValueError, match="role"):
        await directory.create_key("agent-1", "")


# --- demo keys ------------------------------------------------------------------------

DEMO_SPECS = [("op", "admin"), ("ma-1", "admin"), ("cust-3", "viewer"), ("op", "admin")]


async def test_demo_keys_are_stable_across_restarts(sqlite_url: str, parties, links):
    first = await Directory.open(sqlite_url)
    try:
        await first.seed(parties, links)
        keys = await first.ensure_demo_keys(DEMO_SPECS)
    finally:
        await first.close()
    assert [(k.party_id, k.role, k.kind, k.name) for k in keys] == [
        ("op", "admin", PartyKind.OPERATOR, "Switchboard Ops"),
        ("ma-1", "admin", PartyKind.MASTER_AGENT, "Master One"),
        ("cust-3", "viewer", PartyKind.CUSTOMER, "Customer Three"),
    ]

    second = await Directory.open(sqlite_url)
    try:
        again = await second.ensure_demo_keys(reversed(DEMO_SPECS))
        assert {k.key for k in again} == {k.key for k in keys}
        principal = await second.authenticate(keys[2].key)
        assert principal is not None
        assert principal.party_id == "cust-3"
        assert principal.role == "viewer"
        assert principal.chain == ("sub-1", "agent-1", "ma-1")
    finally:
        await second.close()


async def test_ensure_demo_keys_is_idempotent_and_heals_revocation(directory: Directory):
    keys = await directory.ensure_demo_keys(DEMO_SPECS)
    key_id = parse_key(keys[0].key)
    assert key_id is not None
    row = await _row(directory, key_id)
    assert await directory.ensure_demo_keys(DEMO_SPECS) == keys
    assert await _row(directory, key_id) == row

    assert await directory.revoke_key(key_id) is True
    assert await directory.authenticate(keys[0].key) is None
    await directory.ensure_demo_keys(DEMO_SPECS)
    assert await directory.authenticate(keys[0].key) is not None


async def test_ensure_demo_keys_needs_known_parties(directory: Directory):
    with pytest.raises(LookupError, match="nobody"):
        await directory.ensure_demo_keys([("nobody", "admin")])
