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
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from connectors.models import (
    CallDirection,
    CallType,
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
    QuoteStatus,
    Resource,
    ServiceStatus,
    TicketPriority,
    TicketStatus,
    known_members,
)
from connectors.sandbox.dataset import DataSet, default_anchor, generate

if TYPE_CHECKING:
    from collections.abc import Iterator

ANCHOR = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def make_carriers(
    *ids: str, protocol: Protocol = Protocol.TMF, capabilities: frozenset[Resource] | None = None
) -> list[Carrier]:
    return [
        Carrier(
            id=carrier_id,
            name=carrier_id.replace("-", " ").title(),
            protocol=protocol,
            capabilities=frozenset(Resource) if capabilities is None else capabilities,
        )
        for carrier_id in ids
    ]


def mixed_carriers(per_protocol: int = 5) -> list[Carrier]:
    """``per_protocol`` carriers of each protocol, interleaved (tmf-0, sonata-0, ..., tmf-1)."""
    return [
        Carrier(
            id=f"{protocol.value}-{n}",
            name=f"{protocol.value.upper()} Carrier {n}",
            protocol=protocol,
            capabilities=frozenset(Resource),
        )
        for n in range(per_protocol)
        for protocol in Protocol
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


def test_thirty_carriers_give_sixty_customers():
    # Generation speed is measured by bench/dataset.py, never asserted here.
    carriers = make_carriers(*(f"carrier-{n:02d}" for n in range(30)))
    data = generate(carriers, anchor=ANCHOR)
    assert len(data.customers()) == 60


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
            *(u.charge for u in data.usage),
            *(o.mrc for q in data.quotes for o in q.options),
            *(o.nrc for q in data.quotes for o in q.options),
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
            [u.usage_id for u in data.usage],
            [q.quote_id for q in data.quotes],
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
    assert {s.status for s in services} == set(known_members(ServiceStatus))
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
    assert set(kinds) == set(known_members(InvoiceLineKind))


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
    assert set(statuses) == set(known_members(InvoiceStatus))
    assert statuses.most_common(1)[0][0] is InvoiceStatus.PAID


# orders --------------------------------------------------------------------------------


MILESTONE_ORDER = list(known_members(MilestoneKind))


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
    assert {t.status for t in tickets} == set(known_members(TicketStatus))
    assert len({t.priority for t in tickets}) == len(known_members(TicketPriority))
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
    r"\.(created_at|activated_at|ordered_at|actual_at|opened_at|resolved_at|changed_at"
    r"|started_at|requested_at)$"
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


# usage (CDRs) --------------------------------------------------------------------------


VOICE = {Product.SIP_TRUNK, Product.PRI, Product.POTS, Product.UCAAS}
DIAL_CODES = ("+1", "+44", "+49", "+33", "+31", "+353")
USAGE_START = datetime.combine(add_months(ANCHOR, -3), datetime.min.time(), tzinfo=UTC)
OTHER_RECORDS = ("accounts", "services", "invoices", "invoice_lines", "orders", "tickets",
                 "contacts")  # fmt: skip


def test_usage_is_on_voice_services_in_the_last_three_full_months(ds):
    months: Counter[tuple[str, str, date]] = Counter()
    for data in ds.carriers.values():
        services = {s.service_id: s for s in data.services}
        for record in data.usage:
            service = services[record.service_id]
            assert record.carrier == data.carrier.id
            assert record.account_number == service.account_number
            assert service.product in VOICE
            assert service.activated_at is not None
            assert max(USAGE_START, service.activated_at) <= record.started_at
            assert record.started_at + timedelta(seconds=record.duration_seconds) <= NOW
            assert 10 <= record.duration_seconds <= 2 * 3600
            start = record.started_at.date().replace(day=1)
            months[data.carrier.id, record.service_id, start] += 1
        for service in data.services:  # voice services live all along get calls every month
            if service.product in VOICE and service.status is ServiceStatus.ACTIVE:
                assert service.activated_at is not None
                if service.activated_at < USAGE_START:
                    for back in (3, 2, 1):
                        key = (data.carrier.id, service.service_id, add_months(ANCHOR, -back))
                        assert key in months
            if service.product not in VOICE:
                assert all(r.service_id != service.service_id for r in data.usage)
    assert months
    assert all(3 <= count <= 15 for count in months.values())


def test_usage_numbers_are_the_services_own(ds):
    for data in ds.carriers.values():
        numbers = {s.service_id: s.telephone_numbers for s in data.services}
        for record in data.usage:
            assert E164.match(record.from_number), record
            assert E164.match(record.to_number), record
            assert record.from_number != record.to_number
            own, other = (
                (record.from_number, record.to_number)
                if record.direction is CallDirection.OUTBOUND
                else (record.to_number, record.from_number)
            )
            assert own in numbers[record.service_id]
            assert other not in numbers[record.service_id]
            code = next(c for c in DIAL_CODES if own.startswith(c))
            if record.call_type is CallType.INTERNATIONAL:
                assert not other.startswith(code)
            else:
                assert other.startswith(code)
            if record.call_type is CallType.LOCAL:  # same area code (NANP: 3 digits)
                area = len(code) + (3 if code == "+1" else 1)
                assert other[:area] == own[:area]


def test_usage_ids_are_unique_and_calls_in_time_order_per_service(ds):
    for data in ds.carriers.values():
        ids = [r.usage_id for r in data.usage]
        assert len(set(ids)) == len(ids)
        by_service: dict[str, list[datetime]] = {}
        for record in data.usage:
            by_service.setdefault(record.service_id, []).append(record.started_at)
        for times in by_service.values():
            assert times == sorted(times)


def test_usage_mixes_directions_and_call_types(ds):
    records = [r for data in ds.carriers.values() for r in data.usage]
    assert {r.direction for r in records} == set(known_members(CallDirection))
    assert {r.call_type for r in records} == set(known_members(CallType))
    kinds = Counter((r.direction, r.call_type) for r in records)
    assert kinds[CallDirection.INBOUND, CallType.TOLL_FREE] > 0
    assert kinds[CallDirection.OUTBOUND, CallType.INTERNATIONAL] > 0


def test_usage_charges_follow_a_rate_card(ds):
    for data in ds.carriers.values():
        (currency,) = {a.currency for a in data.accounts}
        rated: dict[tuple[CallDirection, CallType], dict[int, Decimal]] = {}
        for record in data.usage:
            charge = record.charge
            assert charge.currency == currency
            assert charge.amount >= 0
            assert charge.amount.as_tuple().exponent == -2
            inbound = record.direction is CallDirection.INBOUND
            if inbound and record.call_type is CallType.TOLL_FREE:
                assert charge.amount > 0  # the subscriber pays for its freephone number
            elif inbound or record.call_type is CallType.TOLL_FREE:
                assert charge.amount == 0
            if record.call_type is CallType.INTERNATIONAL and not inbound:
                assert charge.amount > 0
            minutes = -(-record.duration_seconds // 60)
            seen = rated.setdefault((record.direction, record.call_type), {})
            assert (
                seen.setdefault(minutes, charge.amount) == charge.amount
            )  # same length, same price
        for by_minutes in rated.values():  # longer calls never cost less
            prices = [by_minutes[m] for m in sorted(by_minutes)]
            assert prices == sorted(prices)
    local = [
        r.charge.amount
        for data in ds.carriers.values()
        for r in data.usage
        if r.call_type is CallType.LOCAL
    ]
    assert local.count(Decimal("0.00")) > len(local) / 2


# quotes --------------------------------------------------------------------------------


BANDWIDTHS = {
    Product.DIA: {50, 100, 200, 500, 1000, 10000},
    Product.BROADBAND: {100, 300, 500, 1000},
    Product.MPLS: {10, 20, 50, 100, 200, 500, 1000},
    Product.SD_WAN: {50, 100, 200, 500, 1000},
    Product.ETHERNET_PRIVATE_LINE: {10, 100, 1000, 10000},
    Product.WAVELENGTH: {10000, 100000},
}


def test_quotes_are_consistent(ds):
    quotes = [q for data in ds.carriers.values() for q in data.quotes]
    assert {q.status for q in quotes} == set(known_members(QuoteStatus))
    assert len({q.product for q in quotes}) >= 8
    assert {len(q.options) for q in quotes} == {1, 2, 3}
    for data in ds.carriers.values():
        accounts = {a.account_number: a for a in data.accounts}
        per_account = Counter(q.account_number for q in data.quotes)
        assert max(per_account.values()) <= 3
        ids = [q.quote_id for q in data.quotes]
        assert len(set(ids)) == len(ids)
        for quote in data.quotes:
            account = accounts[quote.account_number]
            assert quote.carrier == data.carrier.id
            assert add_months(ANCHOR, -6) <= quote.requested_at.date()
            assert quote.requested_at < NOW
            assert quote.valid_until - quote.requested_at in {
                timedelta(days=n) for n in (30, 60, 90)
            }
            assert (quote.status is QuoteStatus.EXPIRED) == (quote.valid_until < NOW)
            if quote.product in BANDWIDTHS:
                assert quote.bandwidth_mbps in BANDWIDTHS[quote.product]
            else:
                assert quote.bandwidth_mbps is None
            terms = [o.term_months for o in quote.options]
            assert 1 <= len(terms) <= 3
            assert len(set(terms)) == len(terms)
            assert set(terms) <= {12, 24, 36, 60}
            by_term = sorted(quote.options, key=lambda o: o.term_months)
            mrcs = [o.mrc.amount for o in by_term]
            assert mrcs == sorted(mrcs, reverse=True)  # longer terms never cost more
            for option in quote.options:
                assert option.mrc.amount > 0
                assert option.nrc.amount >= 0
                assert {option.mrc.currency, option.nrc.currency} == {account.currency}
                assert option.interval_days > 0
                if quote.product in BANDWIDTHS:  # data circuits take weeks to months
                    assert 10 <= option.interval_days <= 120
                if quote.product in CIRCUITS:
                    assert 30 <= option.interval_days <= 120


# capabilities --------------------------------------------------------------------------


def without(carriers: list[Carrier], *resources: Resource) -> list[Carrier]:
    return [dataclasses.replace(c, capabilities=c.capabilities - set(resources)) for c in carriers]


def test_carriers_without_the_capabilities_hold_no_usage_or_quotes(ds):
    plain = generate(without(CARRIERS, Resource.USAGE, Resource.QUOTES), anchor=ANCHOR)
    assert all(d.usage == () and d.quotes == () for d in plain.carriers.values())
    usage_only = generate(without(CARRIERS, Resource.QUOTES), anchor=ANCHOR)
    assert all(d.usage and d.quotes == () for d in usage_only.carriers.values())
    quotes_only = generate(without(CARRIERS, Resource.USAGE), anchor=ANCHOR)
    assert all(d.usage == () and d.quotes for d in quotes_only.carriers.values())
    for data in (usage_only, quotes_only):  # each stream stands alone
        for carrier_id, records in data.carriers.items():
            assert records.usage in {(), ds.carriers[carrier_id].usage}
            assert records.quotes in {(), ds.carriers[carrier_id].quotes}


def test_declaring_usage_or_quotes_changes_no_other_record(ds):
    mixed = [  # one carrier of each combination
        c if n % 3 == 0 else without([c], Resource.USAGE if n % 3 == 1 else Resource.QUOTES)[0]
        for n, c in enumerate(without(CARRIERS, Resource.USAGE, Resource.QUOTES))
    ]
    for carriers in (without(CARRIERS, Resource.USAGE, Resource.QUOTES), mixed):
        other = generate(carriers, anchor=ANCHOR)
        assert other.parties == ds.parties
        assert other.links == ds.links
        for carrier_id, data in other.carriers.items():
            for name in OTHER_RECORDS:
                assert getattr(data, name) == getattr(ds.carriers[carrier_id], name), name


def test_the_default_record_fields_keep_old_call_sites_working(ds):
    data = ds.carriers["bluepeak"]
    old_style = type(data)(
        data.carrier, data.accounts, data.services, data.invoices, data.invoice_lines,
        data.orders, data.tickets, data.contacts,
    )  # fmt: skip
    assert old_style.usage == ()
    assert old_style.quotes == ()


# protocol families ---------------------------------------------------------------------


def test_first_customer_of_the_fixture_keeps_its_accounts(ds):
    # Pinned: a single-protocol carrier list keeps the assignment it always had.
    assert [(link.carrier, link.account_number) for link in ds.accounts_of("cust-0001")] == [
        ("bluepeak", "445-8148787-714"),
        ("tristate-tel", "324-2347612-980"),
    ]


def test_a_single_protocol_list_is_assigned_the_same_whatever_the_protocol(ds):
    for protocol in (Protocol.SONATA, Protocol.CSV):
        same = [dataclasses.replace(c, protocol=protocol) for c in CARRIERS]
        data = generate(same, anchor=ANCHOR)
        assert data.links == ds.links
        for carrier_id, records in data.carriers.items():
            assert records.services == ds.carriers[carrier_id].services


@pytest.mark.parametrize("seed", [7, 11, 12])
def test_first_customer_spans_every_protocol_family(seed):
    carriers = mixed_carriers()
    data = generate(carriers, anchor=ANCHOR, seed=seed)
    protocol_of = {c.id: c.protocol for c in carriers}
    first_of = {}
    for carrier in carriers:
        first_of.setdefault(carrier.protocol, carrier.id)
    first = data.customers()[0]
    assert first.id == min(c.id for c in data.customers())
    held = [link.carrier for link in data.accounts_of(first.id)]
    assert sorted(held) == sorted(first_of.values())
    assert Counter(protocol_of[c] for c in held) == Counter(set(Protocol))
    per_carrier = Counter(link.carrier for link in data.links)
    assert set(per_carrier) == {c.id for c in carriers}
    assert min(per_carrier.values()) >= 3
    for customer in data.customers()[1:]:
        count = len(data.accounts_of(customer.id))
        assert 2 <= count <= 5


def test_two_protocols_give_the_first_customer_one_account_each():
    carriers = [
        *make_carriers("alpha", "bravo", "charlie"),
        *make_carriers("delta", "echo", protocol=Protocol.SOAP),
    ]
    data = generate(carriers, anchor=ANCHOR, customers=12)
    assert [link.carrier for link in data.accounts_of("cust-0001")] == ["alpha", "delta"]
    assert min(Counter(link.carrier for link in data.links).values()) >= 3


def test_thirty_mixed_carriers_are_generated():
    data = generate(mixed_carriers(), anchor=ANCHOR, customers=60)
    assert len(data.carriers) == 30
    assert any(d.usage for d in data.carriers.values())
