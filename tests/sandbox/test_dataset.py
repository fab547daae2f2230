"""The sandbox data set: deterministic, internally consistent, realistic enough to test on."""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import itertools
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from connectors.models import (
    Carrier,
    Contact,
    ContactRole,
    InvoiceLineKind,
    InvoiceStatus,
    MilestoneKind,
    OrderStatus,
    PartyKind,
    Product,
    Protocol,
    Resource,
    ServiceStatus,
    TicketPriority,
    TicketStatus,
)
from connectors.sandbox.dataset import DataSet, default_anchor, generate

if TYPE_CHECKING:
    from collections.abc import Iterator

ANCHOR = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def make_carriers(*ids: str) -> list[Carrier]:
    return [
        Carrier(
            id=carrier_id,
            name=carrier_id.replace("-", " ").title(),
            protocol=Protocol.TMF,
            capabilities=frozenset(Resource),
        )
        for carrier_id in ids
    ]


CARRIERS = make_carriers(
    "northwind-fiber", "acme-voice", "bluepeak", "tristate-tel", "maple-net", "eurolink"
)


@pytest.fixture(scope="module")
def ds() -> DataSet:
    return generate(CARRIERS, anchor=ANCHOR)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def walk(value: object, path: str = "ds") -> Iterator[tuple[str, object]]:
    """Yield (path, leaf) for every value nested in dataclasses, tuples and mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.compare:
                yield from walk(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    elif hasattr(value, "items") and hasattr(value, "keys"):
        for key, item in value.items():
            yield from walk(item, f"{path}[{key!r}]")
    else:
        yield path, value


def digest(data: DataSet) -> str:
    """A hash of every leaf value; sets are sorted (their order follows PYTHONHASHSEED)."""
    text = "\n".join(
        f"{path}={sorted(leaf) if isinstance(leaf, frozenset) else leaf!r}"
        for path, leaf in walk(data)
    )
    return hashlib.sha256(text.encode()).hexdigest()


# determinism ---------------------------------------------------------------------------


def test_same_inputs_give_equal_data_sets(ds):
    again = generate(CARRIERS, anchor=ANCHOR)
    assert again == ds
    assert digest(again) == digest(ds)


def test_other_seed_or_anchor_gives_other_data(ds):
    other_seed = generate(CARRIERS, anchor=ANCHOR, seed=8)
    assert other_seed != ds
    assert [p.name for p in other_seed.customers()] != [p.name for p in ds.customers()]
    later = generate(CARRIERS, anchor=date(2026, 4, 1))
    assert later.carriers["bluepeak"].invoices[-1].period_end == date(2026, 3, 31)


def test_same_data_in_a_fresh_process_whatever_the_hash_seed(ds):
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_dataset as t;"
        "print(t.digest(t.generate(t.CARRIERS, anchor=t.ANCHOR)))"
    )
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script, str(Path(__file__).parent)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == digest(ds)


def test_default_anchor_is_the_first_of_the_current_utc_month():
    anchor = default_anchor()
    today = datetime.now(UTC).date()
    assert anchor == today.replace(day=1)
    assert generate(CARRIERS[:2], customers=3).anchor == anchor


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="first day"):
        generate(CARRIERS, anchor=date(2026, 3, 2))
    with pytest.raises(ValueError, match="distinct"):
        generate([*CARRIERS, CARRIERS[0]], anchor=ANCHOR)
    with pytest.raises(ValueError, match="customers"):
        generate(CARRIERS, anchor=ANCHOR, customers=-1)


def test_tiny_inputs_still_work():
    empty = generate(CARRIERS, anchor=ANCHOR, customers=0)
    assert empty.links == ()
    assert all(not data.accounts for data in empty.carriers.values())
    assert len(empty.customers()) == 0
    single = generate(CARRIERS[:1], anchor=ANCHOR, customers=4)
    assert len(single.links) == 4
    assert {link.carrier for link in single.links} == {CARRIERS[0].id}


def test_generation_is_fast():
    carriers = make_carriers(*(f"carrier-{n:02d}" for n in range(30)))
    started = time.perf_counter()
    data = generate(carriers, anchor=ANCHOR)
    elapsed = time.perf_counter() - started
    assert len(data.customers()) == 60
    assert elapsed < 1.0


# channel tree --------------------------------------------------------------------------


def test_channel_tree_shape(ds):
    kinds = Counter(party.kind for party in ds.parties)
    assert kinds[PartyKind.OPERATOR] == 1
    assert kinds[PartyKind.MASTER_AGENT] == 1
    assert kinds[PartyKind.AGENT] >= 5
    assert kinds[PartyKind.CUSTOMER] == 60
    assert PartyKind.CARRIER not in kinds
    assert len({party.id for party in ds.parties}) == len(ds.parties)

    operator = ds.party("op-switchboard")
    assert operator.kind is PartyKind.OPERATOR
    assert operator.parent_id is None
    master = next(p for p in ds.parties if p.kind is PartyKind.MASTER_AGENT)
    assert master.id.startswith("ma-")
    assert master.parent_id is None

    agents = [p for p in ds.parties if p.kind is PartyKind.AGENT]
    assert all(p.id.startswith("agent-") for p in agents)
    sub_agents = [a for a in agents if ds.party(a.parent_id).kind is PartyKind.AGENT]
    assert len(sub_agents) >= 2
    assert any(
        ds.party(ds.party(a.parent_id).parent_id).kind is PartyKind.AGENT for a in sub_agents
    )


def test_every_customer_hangs_under_an_agent_up_to_the_master_agent(ds):
    customers = ds.customers()
    assert [c.id for c in customers] == [f"cust-{n:04d}" for n in range(1, 61)]
    for customer in customers:
        parent = ds.party(customer.parent_id)
        assert parent.kind is PartyKind.AGENT
        chain = [customer]
        while chain[-1].parent_id is not None:
            chain.append(ds.party(chain[-1].parent_id))
            assert len(chain) < 10
        assert chain[-1].kind is PartyKind.MASTER_AGENT
        assert all(p.kind is PartyKind.AGENT for p in chain[1:-1])
    owning_agents = {c.parent_id for c in customers}
    assert owning_agents == {p.id for p in ds.parties if p.kind is PartyKind.AGENT}


def test_party_names_and_ids_are_readable_and_distinct(ds):
    for party in ds.parties:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", party.id), party.id
        assert party.name.strip() == party.name
        assert party.name
    names = [p.name for p in ds.customers()]
    assert len(set(names)) == len(names)


def test_lookups(ds):
    assert ds.party("cust-0001").kind is PartyKind.CUSTOMER
    with pytest.raises(KeyError):
        ds.party("cust-9999")
    with pytest.raises(KeyError):
        ds.accounts_of("cust-9999")
    assert ds.accounts_of("op-switchboard") == ()
    for customer in ds.customers():
        assert ds.accounts_of(customer.id) == tuple(
            link for link in ds.links if link.customer_id == customer.id
        )


# accounts and links --------------------------------------------------------------------


def test_links_and_accounts_match_one_to_one(ds):
    accounts = {
        (carrier_id, account.account_number): account
        for carrier_id, data in ds.carriers.items()
        for account in data.accounts
    }
    linked = Counter((link.carrier, link.account_number) for link in ds.links)
    assert set(linked) == set(accounts)
    assert set(linked.values()) == {1}
    for link in ds.links:
        account = accounts[(link.carrier, link.account_number)]
        assert account.carrier == link.carrier
        assert account.name == ds.party(link.customer_id).name


def test_customers_have_two_to_five_carriers_and_carriers_have_customers(ds):
    for customer in ds.customers():
        carriers = [link.carrier for link in ds.accounts_of(customer.id)]
        assert 2 <= len(carriers) <= 5
        assert len(set(carriers)) == len(carriers)
    per_carrier = Counter(link.carrier for link in ds.links)
    assert set(per_carrier) == set(ds.carriers)
    assert min(per_carrier.values()) >= 3


def test_every_money_amount_uses_its_carriers_currency(ds):
    for data in ds.carriers.values():
        currencies = {account.currency for account in data.accounts}
        assert len(currencies) == 1
        (currency,) = currencies
        moneys = [
            *(s.mrc for s in data.services),
            *(s.nrc for s in data.services),
            *(i.total for i in data.invoices),
            *(i.taxes for i in data.invoices),
            *(line.amount for lines in data.invoice_lines.values() for line in lines),
        ]
        assert moneys
        assert {m.currency for m in moneys} == {currency}
        assert all(m.amount == m.amount.quantize(Decimal("0.01")) for m in moneys)
        assert all(m.amount.as_tuple().exponent == -2 for m in moneys)


def test_currencies_vary_across_many_carriers():
    carriers = make_carriers(*(f"carrier-{n:02d}" for n in range(30)))
    data = generate(carriers, anchor=ANCHOR)
    currencies = Counter(d.accounts[0].currency for d in data.carriers.values())
    assert currencies.most_common(1)[0][0] == "USD"
    assert set(currencies) > {"USD"}
    assert set(currencies) <= {"USD", "CAD", "EUR", "GBP"}


# ids -----------------------------------------------------------------------------------


def test_ids_are_unique(ds):
    all_service_ids = []
    for data in ds.carriers.values():
        for ids in (
            [a.account_number for a in data.accounts],
            [s.service_id for s in data.services],
            [i.invoice_number for i in data.invoices],
            [o.order_id for o in data.orders],
            [t.ticket_id for t in data.tickets],
            [c.circuit_id for c in data.services if c.circuit_id],
        ):
            assert len(set(ids)) == len(ids)
        assert set(data.invoice_lines) == {i.invoice_number for i in data.invoices}
        all_service_ids += [s.service_id for s in data.services]
    assert len(set(all_service_ids)) == len(all_service_ids)
    numbers = [n for d in ds.carriers.values() for s in d.services for n in s.telephone_numbers]
    assert len(set(numbers)) == len(numbers)


def test_service_ids_stay_unique_when_carrier_ids_share_a_prefix():
    carriers = make_carriers("carrier-a", "carrier-b", "carrier-c")
    data = generate(carriers, anchor=ANCHOR, customers=10)
    ids = [s.service_id for d in data.carriers.values() for s in d.services]
    assert len(set(ids)) == len(ids)
    prefixes = [{s.service_id.split("-")[0] for s in d.services} for d in data.carriers.values()]
    assert all(len(p) == 1 for p in prefixes)
    assert len(set.union(*prefixes)) == 3


# services ------------------------------------------------------------------------------


DATA_PRODUCTS = {Product.DIA, Product.BROADBAND, Product.MPLS, Product.SD_WAN,
                 Product.ETHERNET_PRIVATE_LINE, Product.WAVELENGTH}  # fmt: skip
CIRCUITS = {Product.DIA, Product.MPLS, Product.ETHERNET_PRIVATE_LINE, Product.WAVELENGTH}
NUMBERED = {Product.SIP_TRUNK, Product.PRI, Product.POTS}


def test_services_look_like_real_products(ds):
    services = [s for data in ds.carriers.values() for s in data.services]
    per_account = Counter((s.carrier, s.account_number) for s in services)
    assert 1 <= min(per_account.values()) <= max(per_account.values()) <= 6
    assert {s.status for s in services} == set(ServiceStatus)
    assert len({s.product for s in services}) >= 8
    for s in services:
        if s.product in DATA_PRODUCTS:
            assert s.bandwidth_mbps is not None
            assert s.bandwidth_mbps > 0
            assert not s.telephone_numbers
        else:
            assert s.bandwidth_mbps is None
        if s.product in CIRCUITS:
            assert s.circuit_id
        if s.product in NUMBERED:
            assert s.telephone_numbers
            assert all(E164.match(n) for n in s.telephone_numbers)
        assert (s.z_address is not None) == (
            s.product in {Product.ETHERNET_PRIVATE_LINE, Product.WAVELENGTH}
        )
        assert s.term_months in {12, 24, 36, 60}
        assert s.mrc.amount > 0
        assert s.nrc.amount >= 0
        if s.status is ServiceStatus.PENDING:
            assert s.activated_at is None
            assert s.contract_end is None
        else:
            assert s.activated_at is not None
            assert s.activated_at < NOW
            assert s.contract_end == add_months(s.activated_at.date(), s.term_months)
    assert Counter(s.status for s in services).most_common(1)[0][0] is ServiceStatus.ACTIVE
    assert any(s.contract_end and s.contract_end > ANCHOR for s in services)


# invoices ------------------------------------------------------------------------------


def test_invoice_totals_are_the_exact_sum_of_their_lines(ds):
    kinds: Counter[InvoiceLineKind] = Counter()
    for data in ds.carriers.values():
        for invoice in data.invoices:
            lines = data.invoice_lines[invoice.invoice_number]
            kinds.update(line.kind for line in lines)
            assert invoice.total.amount == sum(line.amount.amount for line in lines)
            tax_lines = [line for line in lines if line.kind is InvoiceLineKind.TAX]
            assert len(tax_lines) == 1
            assert invoice.taxes == tax_lines[0].amount
            assert invoice.total.currency == invoice.taxes.currency
            assert any(line.kind is InvoiceLineKind.RECURRING for line in lines)
    assert set(kinds) == set(InvoiceLineKind)


def test_recurring_lines_bill_the_accounts_services_at_their_mrc(ds):
    for data in ds.carriers.values():
        services = {s.service_id: s for s in data.services}
        for invoice in data.invoices:
            for line in data.invoice_lines[invoice.invoice_number]:
                if line.kind is InvoiceLineKind.RECURRING:
                    service = services[line.service_id]
                    assert service.account_number == invoice.account_number
                    assert service.status is not ServiceStatus.PENDING
                    assert service.activated_at.date() <= invoice.period_end
                    assert line.amount == service.mrc
                elif line.kind is InvoiceLineKind.ONE_TIME:
                    assert line.amount == services[line.service_id].nrc


def test_twelve_contiguous_monthly_invoices_before_the_anchor(ds):
    for data in ds.carriers.values():
        for account in data.accounts:
            invoices = sorted(
                (i for i in data.invoices if i.account_number == account.account_number),
                key=lambda i: i.period_start,
            )
            assert len(invoices) == 12
            assert invoices[0].period_start == add_months(ANCHOR, -12)
            assert invoices[-1].period_end == ANCHOR - timedelta(days=1)
            for earlier, later in itertools.pairwise(invoices):
                assert later.period_start == earlier.period_end + timedelta(days=1)
            for invoice in invoices:
                assert invoice.period_start.day == 1
                assert (invoice.period_end + timedelta(days=1)).day == 1
                issued = invoice.issued_at.date()
                assert invoice.period_end < issued <= invoice.period_end + timedelta(days=7)
                assert invoice.due_at == invoice.issued_at + timedelta(days=30)
            newest = invoices[-1]
            assert newest.status is InvoiceStatus.ISSUED
            assert invoices[-2].status in {InvoiceStatus.PAYMENT_DUE, InvoiceStatus.PAID}
            for invoice in invoices[:-2]:
                assert invoice.due_at < NOW
                assert invoice.status is not InvoiceStatus.ISSUED


def test_invoice_status_mix(ds):
    statuses = Counter(i.status for d in ds.carriers.values() for i in d.invoices)
    assert set(statuses) == set(InvoiceStatus)
    assert statuses.most_common(1)[0][0] is InvoiceStatus.PAID


# orders --------------------------------------------------------------------------------


MILESTONE_ORDER = list(MilestoneKind)


def test_orders_are_consistent_with_their_status(ds):
    orders = [o for d in ds.carriers.values() for o in d.orders]
    statuses = {o.status for o in orders}
    assert any(s.is_open for s in statuses)
    assert any(not s.is_open for s in statuses)
    for data in ds.carriers.values():
        services = {s.service_id: s for s in data.services}
        for order in data.orders:
            assert 1 <= len(order.items) <= 3
            for item in order.items:
                assert item.item_id.startswith(order.order_id)
                if item.service_id is not None:
                    assert services[item.service_id].account_number == order.account_number
            kinds = [m.kind for m in order.milestones]
            assert kinds[0] is MilestoneKind.SUBMITTED
            assert kinds[-1] is MilestoneKind.COMPLETED
            assert [MILESTONE_ORDER.index(k) for k in kinds] == sorted(
                MILESTONE_ORDER.index(k) for k in kinds
            )
            actuals = [m.actual_at for m in order.milestones if m.actual_at is not None]
            assert actuals == sorted(actuals)
            assert all(a <= NOW for a in actuals)
            assert order.milestones[0].actual_at == order.ordered_at
            done = [m.actual_at is not None for m in order.milestones]
            assert done == sorted(done, reverse=True)  # done ones come first
            if order.status is OrderStatus.COMPLETED:
                assert all(done)
            if order.status.is_open:
                assert not done[-1]
            item_states = {item.status for item in order.items}
            if order.status is OrderStatus.PARTIAL:
                assert item_states == {OrderStatus.COMPLETED, OrderStatus.IN_PROGRESS}
            else:
                assert item_states == {order.status}
            assert order.ordered_at < NOW
            assert order.requested_date > order.ordered_at.date()
            note_times = [n.created_at for n in order.notes]
            assert note_times == sorted(note_times)
            assert all(order.ordered_at <= t <= NOW for t in note_times)


def test_some_open_orders_are_in_jeopardy_at_the_anchor(ds):
    orders = [o for d in ds.carriers.values() for o in d.orders]
    in_jeopardy = [o for o in orders if o.in_jeopardy(NOW)]
    open_orders = [o for o in orders if o.status.is_open]
    assert in_jeopardy
    assert len(in_jeopardy) < len(open_orders)
    assert all(o.status.is_open for o in in_jeopardy)
    assert not any(o.in_jeopardy(NOW) for o in orders if not o.status.is_open)
    future = [m for o in open_orders for m in o.milestones if m.planned_at and m.planned_at > NOW]
    assert future
    held = [o for o in orders if o.status is OrderStatus.HELD]
    assert all(o.in_jeopardy(NOW) for o in held)
    for order in in_jeopardy:
        assert any(n.text.endswith("New date to follow.") for n in order.notes)


# tickets -------------------------------------------------------------------------------


SLA_HOURS = {TicketPriority.CRITICAL: 4, TicketPriority.HIGH: 8, TicketPriority.MEDIUM: 24,
             TicketPriority.LOW: 24}  # fmt: skip


def test_tickets_are_consistent_with_their_status(ds):
    tickets = [t for d in ds.carriers.values() for t in d.tickets]
    assert {t.status for t in tickets} == set(TicketStatus)
    assert len({t.priority for t in tickets}) == len(TicketPriority)
    for data in ds.carriers.values():
        services = {s.service_id: s for s in data.services}
        for ticket in data.tickets:
            if ticket.service_id is not None:
                assert services[ticket.service_id].account_number == ticket.account_number
            if ticket.status is TicketStatus.CANCELLED:
                assert ticket.sla_target is None
            else:
                hours = SLA_HOURS[ticket.priority]
                assert ticket.sla_target == ticket.opened_at + timedelta(hours=hours)
            changes = ticket.status_changes
            assert changes[0].status is TicketStatus.ACKNOWLEDGED
            assert changes[-1].status is ticket.status
            times = [c.changed_at for c in changes]
            assert times == sorted(times)
            assert ticket.opened_at < times[0]
            assert times[-1] <= NOW
            resolved = ticket.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}
            assert (ticket.resolved_at is not None) == resolved
            if resolved:
                change = next(c for c in changes if c.status is TicketStatus.RESOLVED)
                assert ticket.resolved_at == change.changed_at


def test_some_tickets_breach_their_sla_at_the_anchor(ds):
    tickets = [t for d in ds.carriers.values() for t in d.tickets]
    breached = [t for t in tickets if t.sla_breached(NOW)]
    assert breached
    assert len(breached) < len(tickets)
    assert any(t.resolved_at is not None for t in breached)  # resolved late
    assert any(t.status.is_open for t in breached)  # still open past target
    assert any(t.status.is_open and not t.sla_breached(NOW) for t in tickets)


# contacts ------------------------------------------------------------------------------


def test_each_carrier_has_an_account_team_with_an_escalation_chain(ds):
    for data in ds.carriers.values():
        team = data.contacts
        assert {c.role for c in team} == set(ContactRole)
        assert len({c.email for c in team}) == len(team)
        assert all(c.organization == data.carrier.name for c in team)
        assert all(E164.match(c.phone) for c in team)
        managed = [c for c in team if c.reports_to is not None]
        assert managed
        for contact in managed:
            assert contact.reports_to in team
        deepest = max(team, key=lambda c: len(list(_chain(c))))
        assert len(list(_chain(deepest))) >= 3


def _chain(contact: Contact | None) -> Iterator[Contact]:
    while contact is not None:
        yield contact
        contact = contact.reports_to


# time ----------------------------------------------------------------------------------


HISTORY = re.compile(
    r"\.(created_at|activated_at|ordered_at|actual_at|opened_at|resolved_at|changed_at)$"
)


def test_all_datetimes_are_utc_whole_seconds_and_history_is_in_the_past(ds):
    seen = 0
    for path, leaf in walk(ds):
        if isinstance(leaf, datetime):
            seen += 1
            assert leaf.tzinfo is not None, path
            assert leaf.utcoffset() == timedelta(0), path
            assert leaf.microsecond == 0, path
            if HISTORY.search(path):
                assert leaf <= NOW, path
            assert leaf > NOW - timedelta(days=365 * 8), path
            assert leaf < NOW + timedelta(days=200), path
    assert seen > 1000
