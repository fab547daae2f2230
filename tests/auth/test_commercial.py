"""Markup rules and brands: the YAML import, loading, brand resolution and the demo terms."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from auth.commercial import (
    Brand,
    Commercial,
    Counts,
    DirectoryFileError,
    demo_commercial,
    import_document,
    import_file,
    load_commercial,
    parse_file,
    seed_demo_commercial,
)
from auth.directory import Directory, DirectorySnapshot
from auth.pricing import MarkupKind, MarkupRule, RuleBook, Scope
from auth.principal import Principal
from auth.tables import MarkupRuleRow
from connectors.models import (
    Carrier,
    ChannelParty,
    PartyKind,
    Protocol,
    Resource,
    Service,
)
from connectors.sandbox.dataset import DataSet, generate
from tests.auth.conftest import LINKS, PARTIES

if TYPE_CHECKING:
    from pathlib import Path

FILE = textwrap.dedent(
    """\
    parties:
      - {id: ma-1, kind: master_agent, name: Master One}
      - {id: agent-1, kind: agent, name: Agent One, parent_id: ma-1}
      - {id: sub-1, kind: agent, name: Sub Agent, parent_id: agent-1}
      - {id: cust-1, kind: customer, name: Customer One, parent_id: agent-1}
      - {id: cust-3, kind: customer, name: Customer Three, parent_id: sub-1}
      - {id: agent-2, kind: agent, name: Agent Two, parent_id: ma-1}
      - {id: cust-2, kind: customer, name: Customer Two, parent_id: agent-2}
    links:
      - {customer_id: cust-1, carrier: lumen, account_number: L-1}
      - {customer_id: cust-3, carrier: verizon, account_number: V-1}
    rules:
      - {id: ma-all, seller_id: ma-1, scope: all, kind: percent, value: 12}
      - {id: ma-dia, seller_id: ma-1, scope: product, scope_value: DIA, kind: percent, value: 8.5}
      - id: ma-lumen
        seller_id: ma-1
        scope: carrier
        scope_value: lumen
        kind: fixed
        value: "25.00"
        currency: USD
        effective_from: 2026-01-01
        effective_to: 2026-12-31
      - {id: ag-cust-3, seller_id: agent-1, scope: customer, scope_value: cust-3,
         kind: percent, value: 5}
      - {id: sub-tn, seller_id: sub-1, scope: telephone_number, scope_value: "+1 555 010 0100",
         kind: percent, value: "0.1234"}
    brands:
      - party_id: agent-1
        display_name: Agent One Connect
        logo_url: https://agent-one.example.com/logo.svg
        primary_color: "#0B5FFF"
        secondary_color: "#fb0"
        support_email: help@agent-one.example.com
        support_phone: +1 555 0100
        hide_carriers: true
        private_label_billing: true
    """
)


@pytest.fixture
def yaml_file(tmp_path):
    path = tmp_path / "directory.yaml"
    path.write_text(FILE)
    return path


@pytest.fixture
async def empty(sqlite_url):
    directory = await Directory.open(sqlite_url)
    try:
        yield directory
    finally:
        await directory.close()


def principal(snapshot: DirectorySnapshot, party_id: str, role: str = "admin") -> Principal:
    party = snapshot.parties[party_id]
    return Principal(party_id, party.kind, role, snapshot.chain(party_id), party.name)


# --- import -------------------------------------------------------------------------------


async def _import_twice(directory: Directory, path: Path) -> None:
    first = await import_file(directory, path)
    assert first.parties == Counts(created=7)
    assert first.links == Counts(created=2)
    assert first.rules == Counts(created=5)
    assert first.brands == Counts(created=1)
    assert first.changed

    second = await import_file(directory, path)
    assert second.parties == Counts(unchanged=7)
    assert second.links == Counts(unchanged=2)
    assert second.rules == Counts(unchanged=5)
    assert second.brands == Counts(unchanged=1)
    assert not second.changed

    commercial = await load_commercial(directory)
    by_id = {r.id: r for r in commercial.rules}
    assert by_id["ma-lumen"] == MarkupRule(
        "ma-lumen",
        "ma-1",
        Scope.CARRIER,
        "lumen",
        MarkupKind.FIXED,
        Decimal("25.00"),
        "USD",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert by_id["ma-dia"].value == Decimal("8.5")
    assert by_id["sub-tn"].value == Decimal("0.1234")
    assert commercial.brands["agent-1"].private_label_billing
    assert commercial.brands["agent-1"].secondary_color == "#fb0"
    snapshot = await directory.snapshot()
    assert snapshot.chain("cust-3") == ("sub-1", "agent-1", "ma-1")
    assert [ln.account_number for ln in snapshot.links_by_customer["cust-3"]] == ["V-1"]


async def test_import_twice_creates_then_changes_nothing(empty, yaml_file):
    await _import_twice(empty, yaml_file)


async def test_import_counts_updates_and_leaves_unlisted_rows_alone(empty, yaml_file):
    await import_file(empty, yaml_file)
    changed = yaml_file.parent / "changed.yaml"
    changed.write_text(
        textwrap.dedent(
            """\
            parties:
              - {id: agent-2, kind: agent, name: Agent Two Renamed, parent_id: ma-1}
              - {id: cust-9, kind: customer, name: Customer Nine, parent_id: agent-2}
            links:
              - {customer_id: cust-9, carrier: lumen, account_number: L-1}
            rules:
              - {id: ma-all, seller_id: ma-1, scope: all, kind: percent, value: 13}
              - {id: ma-dia, seller_id: ma-1, scope: product, scope_value: DIA, kind: percent,
                 value: 8.5000}
            """
        )
    )
    report = await import_file(empty, changed)
    assert report.parties == Counts(created=1, updated=1)
    assert report.links == Counts(updated=1)  # the account moves to cust-9
    assert report.rules == Counts(updated=1, unchanged=1)  # 8.5 == 8.5000
    assert report.brands == Counts()
    commercial = await load_commercial(empty)
    assert len(commercial.rules) == 5
    assert {r.id: r.value for r in commercial.rules}["ma-all"] == Decimal(13)


async def test_validation_errors_name_the_item_and_the_field_and_write_nothing(empty, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        textwrap.dedent(
            """\
            parties:
              - {id: ma-1, kind: master_agent, name: Master One}
              - {id: agent-1, kind: agent, name: Agent One, parent_id: nobody}
              - {id: cust-1, kind: customer, name: Customer One, parent_id: ma-1}
              - {id: cust-2, kind: customer, name: Customer Two, parent_id: cust-1}
            links:
              - {customer_id: ma-1, carrier: lumen, account_number: L-1}
            rules:
              - {id: r0, seller_id: ghost, scope: all, kind: percent, value: 1}
              - {id: r1, seller_id: ma-1, scope: customer, scope_value: cust-9, kind: percent,
                 value: 1}
              - {id: r2, seller_id: cust-1, scope: all, kind: percent, value: 1}
            brands:
              - {party_id: cust-1, display_name: Not A Reseller}
            """
        )
    )
    with pytest.raises(DirectoryFileError) as caught:
        await import_file(empty, bad)
    problems = caught.value.problems
    assert "parties[1].parent_id: unknown party 'nobody'" in problems
    assert any(p.startswith("parties[3].parent_id: a customer cannot sit under") for p in problems)
    assert any(p.startswith("links[0].customer_id: 'ma-1' is a master_agent") for p in problems)
    assert "rules[0].seller_id: unknown party 'ghost'" in problems
    assert "rules[1].scope_value: unknown party 'cust-9'" in problems
    assert any(p.startswith("rules[2].seller_id: 'cust-1' is a customer") for p in problems)
    assert any(p.startswith("brands[0].party_id: 'cust-1' is a customer") for p in problems)
    assert str(bad) in str(caught.value)
    assert await empty.parties() == []  # validated before anything was written


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"rules": [{"id": "r", "seller_id": "s", "scope": "all", "kind": "percent"}]},
            "rules[0].value: Field required",
        ),
        (
            {"brands": [{"party_id": "a", "display_name": "A", "colour": "#fff"}]},
            "brands[0].colour: Extra inputs are not permitted (unknown field)",
        ),
        (
            {"brands": [{"party_id": "a", "display_name": "A", "primary_color": "blue"}]},
            "brands[0].primary_color: String should match pattern",
        ),
        (
            {"rules": [_r := {"id": "r", "seller_id": "s", "scope": "all", "kind": "fixed"}]},
            "rules[0].value: Field required",
        ),
        (
            {"rules": [{**_r, "value": 1}]},
            "rules[0].currency: Value error, is required for a fixed rule",
        ),
        (
            {"rules": [{**_r, "kind": "percent", "value": 1, "currency": "USD"}]},
            "rules[0].currency: Value error, must be omitted for a percent rule",
        ),
        (
            {"rules": [{**_r, "kind": "percent", "value": -1}]},
            "rules[0].value: Input should be greater than or equal to 0",
        ),
        (
            {"rules": [{**_r, "kind": "percent", "value": "1.23456"}]},
            "rules[0].value: Decimal input should have no more than 4 decimal places",
        ),
        (
            {"rules": [{**_r, "kind": "percent", "value": 1, "scope_value": "x"}]},
            "rules[0].scope_value: Value error, must be omitted when scope is 'all'",
        ),
        (
            {"rules": [{**_r, "kind": "percent", "value": 1, "scope": "carrier"}]},
            "rules[0].scope_value: Value error, is required when scope is 'carrier'",
        ),
        (
            {
                "rules": [
                    {**_r, "kind": "percent", "value": 1, "scope": "region", "scope_value": "x"}
                ]
            },
            "rules[0].scope: Input should be 'all', 'carrier', 'product'",
        ),
        (
            {
                "rules": [
                    {**_r, "kind": "percent", "value": 1, "scope": "product", "scope_value": "X"}
                ]
            },
            "rules[0].scope_value: Value error, unknown product 'X'",
        ),
        (
            {
                "rules": [
                    {
                        **_r,
                        "kind": "percent",
                        "value": 1,
                        "effective_from": "2026-02-01",
                        "effective_to": "2026-01-01",
                    }
                ]
            },
            "rules[0].effective_to: Value error, 2026-01-01 is before effective_from 2026-02-01",
        ),
        (
            {"parties": [{"id": "x", "kind": "reseller", "name": "X"}]},
            "parties[0].kind: Input should be 'operator', 'carrier'",
        ),
        ({"services": []}, "services: Extra inputs are not permitted (unknown field)"),
    ],
)
async def test_shape_errors_name_the_item_and_the_field(empty, document, expected):
    with pytest.raises(DirectoryFileError) as caught:
        await import_document(empty, document)
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems


async def test_duplicates_cycles_and_foreign_customers_are_rejected(empty):
    await empty.seed(PARTIES, LINKS)
    document = {
        "parties": [
            {"id": "agent-1", "kind": "agent", "name": "A", "parent_id": "sub-1"},
            {"id": "agent-1", "kind": "agent", "name": "A", "parent_id": "ma-1"},
        ],
        "rules": [
            {
                "id": "r",
                "seller_id": "agent-2",
                "scope": "customer",
                "scope_value": "cust-3",
                "kind": "percent",
                "value": 1,
            },
        ],
    }
    with pytest.raises(DirectoryFileError) as caught:
        await import_document(empty, document)
    problems = caught.value.problems
    assert "parties[1].id: duplicate of parties[0] ('agent-1')" in problems
    assert any(p.startswith("parties[0].parent_id: cycle through") for p in problems)
    assert "rules[0].scope_value: customer 'cust-3' is not sold by 'agent-2'" in problems


async def test_changing_a_kind_must_suit_the_existing_children(empty):
    await empty.seed(PARTIES, LINKS)
    with pytest.raises(DirectoryFileError) as caught:
        await import_document(
            empty,
            {"parties": [{"id": "sub-1", "kind": "customer", "name": "S", "parent_id": "agent-1"}]},
        )
    assert caught.value.problems == (
        "parties[0].kind: its child 'cust-3': a customer cannot sit under 'sub-1' (customer)",
    )


def test_unreadable_and_non_yaml_files_are_file_errors(tmp_path):
    with pytest.raises(DirectoryFileError, match=r"no-such\.yaml"):
        parse_file(tmp_path / "no-such.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("parties: [\n")
    with pytest.raises(DirectoryFileError, match=r"\(file\)"):
        parse_file(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(DirectoryFileError, match="expected a mapping"):
        parse_file(listing)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert parse_file(empty).parties == ()


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_import_twice_on_postgresql(database, yaml_file):
    directory = await database.open()
    try:
        await _import_twice(directory, yaml_file)
        async with directory.engine.connect() as conn:
            value = await conn.scalar(
                select(MarkupRuleRow.value).where(MarkupRuleRow.id == "sub-tn")
            )
        assert value == Decimal("0.1234")
    finally:
        await directory.close()


# --- brands -------------------------------------------------------------------------------

BRANDS = (
    Brand("agent-1", "Agent One Connect", hide_carriers=True, private_label_billing=True),
    Brand("ma-2", "Master Two", hide_carriers=False),
)
SNAPSHOT = DirectorySnapshot.build(PARTIES, LINKS)
COMMERCIAL = Commercial.build((), BRANDS)


@pytest.mark.parametrize(
    ("party", "brand"),
    [
        ("agent-1", "agent-1"),  # its own
        ("cust-1", "agent-1"),  # its agent's
        ("sub-1", "agent-1"),  # a sub-agent of a branded agent
        ("cust-3", "agent-1"),  # two levels up
        ("cust-4", "ma-2"),
        ("cust-2", None),  # agent-2 and ma-1 have none
        ("ma-1", None),
        ("op", None),
        ("carrier-a", None),
    ],
)
def test_brand_for_own_then_nearest_ancestor(party, brand):
    found = COMMERCIAL.brand_for(principal(SNAPSHOT, party), SNAPSHOT)
    assert (None if found is None else found.party_id) == brand


def test_a_nearer_brand_wins_over_an_ancestors():
    commercial = Commercial.build((), (*BRANDS, Brand("sub-1", "Sub Brand")))
    nearer = commercial.brand_for(principal(SNAPSHOT, "cust-3"), SNAPSHOT)
    assert nearer == Brand("sub-1", "Sub Brand")
    assert commercial.brand_for(principal(SNAPSHOT, "cust-1"), SNAPSHOT) == BRANDS[0]


def test_carriers_are_masked_for_customers_of_a_reseller_that_hides_them():
    mask = COMMERCIAL.carrier_mask(principal(SNAPSHOT, "cust-3", "viewer"), SNAPSHOT)
    assert mask is not None
    assert mask.display_name == "Agent One Connect"
    assert COMMERCIAL.carrier_mask(principal(SNAPSHOT, "cust-4"), SNAPSHOT) is None  # allowed
    assert COMMERCIAL.carrier_mask(principal(SNAPSHOT, "agent-1"), SNAPSHOT) is None  # sellers see
    assert COMMERCIAL.carrier_mask(principal(SNAPSHOT, "cust-2"), SNAPSHOT) is None  # no brand


def test_the_pricing_view_knows_who_bills_private_label():
    view = COMMERCIAL.pricing_view(principal(SNAPSHOT, "cust-1"), SNAPSHOT)
    assert view.bills_private_label("cust-1")
    assert view.bills_private_label("cust-3")
    assert not view.bills_private_label("cust-2")
    assert not view.bills_private_label("cust-4")  # ma-2's brand does not bill


# --- the demo -----------------------------------------------------------------------------

CARRIERS = [
    Carrier("acme", "Acme", Protocol.TMF, frozenset(Resource)),
    Carrier("bolt", "Bolt", Protocol.REST, frozenset(Resource)),
]


def _demo(seed: int) -> tuple[DataSet, DirectorySnapshot, list[Service]]:
    data = generate(CARRIERS, seed=seed, anchor=date(2026, 6, 1), customers=20)
    carriers = [ChannelParty(c.id, PartyKind.CARRIER, c.name) for c in CARRIERS]
    snapshot = DirectorySnapshot.build([*data.parties, *carriers], data.links)
    services = [s for carrier in data.carriers.values() for s in carrier.services]
    return data, snapshot, services


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_demo_terms_fit_any_seed(seed):
    _, snapshot, services = _demo(seed)
    rules, brands = demo_commercial(snapshot, services)
    assert rules == demo_commercial(snapshot, services)[0]  # deterministic
    book = RuleBook(rules)
    by_id = {r.id: r for r in book.rules}
    assert set(by_id) == {
        "demo-master-all",
        "demo-master-dia",
        "demo-master-carrier",
        "demo-agent-all",
        "demo-agent-customer",
        "demo-sub-all",
        "demo-sub-service",
        "demo-label-all",
    }
    master, agent, sub = (by_id[f"demo-{n}-all"].seller_id for n in ("master", "agent", "sub"))
    assert snapshot.parties[master].kind is PartyKind.MASTER_AGENT
    assert snapshot.parties[sub].parent_id == agent
    assert snapshot.parties[agent].parent_id == master
    assert by_id["demo-master-carrier"].scope_value == "acme"
    customer = by_id["demo-agent-customer"].scope_value
    assert customer is not None
    assert agent in snapshot.chain(customer)
    (brand,) = brands
    assert brand.hide_carriers
    assert brand.private_label_billing
    assert brand.party_id not in (agent, sub)
    assert snapshot.parties[brand.party_id].parent_id == master
    service_rule = by_id["demo-sub-service"]
    (owned,) = [s for s in services if s.service_id == service_rule.scope_value]
    owner = snapshot.link_by_account[(owned.carrier, owned.account_number)].customer_id
    assert sub in snapshot.chain(owner)
    assert service_rule.currency == owned.mrc.currency


async def test_seed_demo_commercial_is_idempotent(empty):
    data, snapshot, services = _demo(7)
    await empty.seed(list(snapshot.parties.values()), data.links)
    first = await seed_demo_commercial(empty, services)
    second = await seed_demo_commercial(empty, services)
    assert (first.rules, first.brands) == (second.rules, second.brands)
    assert len(first.rules) == 8
    assert len(first.brands) == 1
    rules, _ = demo_commercial(await empty.snapshot(), services)
    assert first.rules == RuleBook(rules).rules


def test_empty_trees_get_no_demo_terms():
    snapshot = DirectorySnapshot.build([ChannelParty("op", PartyKind.OPERATOR, "Ops")], ())
    assert demo_commercial(snapshot) == ((), ())


async def test_load_commercial_of_an_empty_directory(empty):
    commercial = await load_commercial(empty)
    assert commercial.rules == ()
    assert commercial.brands == {}
