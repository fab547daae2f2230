"""The seeded synthetic data set behind the sandbox carriers and the gateway's tests.

The gateway promises to return what each carrier holds, sliced for the viewer. To check
that, sandbox carrier servers serve this data set over their protocol families and tests
compare the gateway's answers with the very same records, so both sides must come from one
deterministic source: the same carriers, seed, anchor and size give equal data in any
process (seeded ``random.Random`` streams, sha256-derived per carrier, no wall clock).

What it holds: the channel tree (operator, master agent, agents and sub-agents,
customers); each customer's accounts at 2-5 carriers; per account its services, twelve
monthly invoices before the anchor, orders and trouble tickets timed around the anchor
(some orders in jeopardy, some tickets past their SLA); per carrier an account team with
an escalation chain. Carriers that declare ``Resource.USAGE`` also hold call records
(CDRs) for the last three full months on their voice services, and carriers that declare
``Resource.QUOTES`` hold quotes; both come from streams of their own, so declaring them
changes no other record. When the carriers speak several protocols, the first customer
holds one account at the first carrier of each protocol, so its dashboard spans every
family. All records are ``connectors.models`` records, so a gateway answer can be
compared with plain equality.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from connectors.models import AccountLink, ChannelParty, PartyKind
from connectors.sandbox import _names
from connectors.sandbox._carrier import CarrierBuilder, Owner
from connectors.sandbox._rand import pick

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectors.models import (
        Carrier,
        CarrierAccount,
        Contact,
        Invoice,
        InvoiceLine,
        Order,
        Protocol,
        Quote,
        Service,
        TroubleTicket,
        UsageRecord,
    )

OPERATOR_ID = "op-switchboard"
_HQ_COUNTRIES = (("US", 70), ("CA", 12), ("GB", 8), ("DE", 4), ("FR", 3), ("NL", 2), ("IE", 1))
_ACCOUNTS_PER_CUSTOMER = ((2, 30), (3, 35), (4, 22), (5, 13))
_MIN_CUSTOMERS_PER_CARRIER = 3


@dataclass(frozen=True, slots=True)
class CarrierData:
    """Everything one carrier holds in the data set.

    Attributes:
        carrier: The carrier.
        accounts: Its customer accounts, in customer order.
        services: Every service on those accounts.
        invoices: Twelve monthly invoices per account, oldest first per account.
        invoice_lines: Invoice number -> that invoice's lines (the tax line last).
        orders: Product orders, open and closed.
        tickets: Trouble tickets, open and closed.
        contacts: The carrier's account team; ``reports_to`` forms the escalation chain.
        usage: Call records on voice services for the last three full months, per account
            and service in time order; empty unless the carrier declares ``Resource.USAGE``.
        quotes: Quotes, zero to three per account, oldest first per account; empty unless
            the carrier declares ``Resource.QUOTES``.
    """

    carrier: Carrier
    accounts: tuple[CarrierAccount, ...]
    services: tuple[Service, ...]
    invoices: tuple[Invoice, ...]
    invoice_lines: Mapping[str, tuple[InvoiceLine, ...]]
    orders: tuple[Order, ...]
    tickets: tuple[TroubleTicket, ...]
    contacts: tuple[Contact, ...]
    usage: tuple[UsageRecord, ...] = ()
    quotes: tuple[Quote, ...] = ()


@dataclass(frozen=True, slots=True)
class DataSet:
    """A complete synthetic world: channel tree, account links and per-carrier records.

    Attributes:
        seed: The seed it was generated from.
        anchor: The data set's "today", the first day of a month; history lies before it.
        parties: Operator, master agent, agents (sub-agents included) and customers, in that
            order; carriers are not parties here.
        links: Which customer owns which carrier account, one link per account.
        carriers: Carrier id -> that carrier's records, in the order the carriers were given.
    """

    seed: int
    anchor: date
    parties: tuple[ChannelParty, ...]
    links: tuple[AccountLink, ...]
    carriers: Mapping[str, CarrierData]
    _by_id: Mapping[str, ChannelParty] = field(init=False, repr=False, compare=False)
    _links_of: Mapping[str, tuple[AccountLink, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_customer: dict[str, list[AccountLink]] = {}
        for link in self.links:
            by_customer.setdefault(link.customer_id, []).append(link)
        object.__setattr__(self, "_by_id", MappingProxyType({p.id: p for p in self.parties}))
        links_of = {customer: tuple(links) for customer, links in by_customer.items()}
        object.__setattr__(self, "_links_of", MappingProxyType(links_of))

    def party(self, party_id: str) -> ChannelParty:
        """Return the party with id ``party_id``.

        Raises:
            KeyError: No such party.
        """
        return self._by_id[party_id]

    def customers(self) -> tuple[ChannelParty, ...]:
        """Return the customer parties, in id order."""
        return tuple(p for p in self.parties if p.kind is PartyKind.CUSTOMER)

    def accounts_of(self, customer_id: str) -> tuple[AccountLink, ...]:
        """Return the links from customer ``customer_id`` to its carrier accounts.

        Raises:
            KeyError: No party has that id.
        """
        if customer_id not in self._by_id:
            raise KeyError(customer_id)
        return self._links_of.get(customer_id, ())


def default_anchor() -> date:
    """Return the first day of the current UTC month (the default data set "today")."""
    return datetime.now(UTC).date().replace(day=1)


def generate(
    carriers: Sequence[Carrier],
    *,
    seed: int = 7,
    anchor: date | None = None,
    customers: int = 60,
) -> DataSet:
    """Build the data set for ``carriers``; equal inputs always give an equal data set.

    Args:
        carriers: The carriers to hold accounts at (distinct ids; order is kept).
        seed: Seed of every random stream used.
        anchor: The data set's "today", a first day of a month; defaults to
            ``default_anchor()`` (the only input taken from the clock).
        customers: How many customer parties to create.

    Returns:
        The data set.

    Raises:
        ValueError: ``anchor`` is not a first day of a month, ``customers`` is negative,
            or two carriers share an id.
    """
    anchor = default_anchor() if anchor is None else anchor
    if anchor.day != 1:
        raise ValueError(f"anchor must be the first day of a month, got {anchor}")
    if customers < 0:
        raise ValueError(f"customers must be >= 0, got {customers}")
    ids = [carrier.id for carrier in carriers]
    if len(set(ids)) != len(ids):
        raise ValueError(f"carrier ids must be distinct: {ids}")

    rng = random.Random(seed)
    operator = ChannelParty(OPERATOR_ID, PartyKind.OPERATOR, "Switchboard Operations")
    master, agents = _channel(rng)
    owners = _customers(rng, customers, agents)
    assignment = _assign(rng, owners, carriers)
    codes = _codes(carriers)
    numbers: set[str] = set()
    data: dict[str, CarrierData] = {}
    links: list[AccountLink] = []
    for index, carrier in enumerate(carriers):
        builder = CarrierBuilder(carrier, codes[index], seed, anchor, numbers)
        for owner in assignment[index]:
            account = builder.add_account(owner)
            links.append(AccountLink(owner.party.id, carrier.id, account.account_number))
        data[carrier.id] = CarrierData(
            carrier=carrier,
            accounts=tuple(builder.accounts),
            services=tuple(builder.services),
            invoices=tuple(builder.invoices),
            invoice_lines=MappingProxyType(builder.invoice_lines),
            orders=tuple(builder.orders),
            tickets=tuple(builder.tickets),
            contacts=builder.contacts,
            usage=builder.usage,
            quotes=tuple(builder.quotes),
        )
    position = {carrier_id: index for index, carrier_id in enumerate(ids)}
    links.sort(key=lambda link: (link.customer_id, position[link.carrier]))
    parties = (operator, master, *agents, *(owner.party for owner in owners))
    return DataSet(seed, anchor, parties, tuple(links), MappingProxyType(data))


def _channel(rng: random.Random) -> tuple[ChannelParty, list[ChannelParty]]:
    """The master agent and its agents: four direct, two sub-agents, one sub-sub-agent."""
    name = rng.choice(_names.MASTER_AGENT_NAMES)
    master = ChannelParty(f"ma-{_names.slug(name.split()[0])}", PartyKind.MASTER_AGENT, name)
    handles: set[str] = set()
    agents: list[ChannelParty] = []

    def add(parent: ChannelParty) -> ChannelParty:
        agent_name, handle = _names.agent_name(rng, handles)
        party = ChannelParty(f"agent-{_names.slug(handle)}", PartyKind.AGENT, agent_name, parent.id)
        agents.append(party)
        return party

    direct = [add(master) for _ in range(4)]
    sub = add(direct[0])
    add(direct[1])
    add(sub)  # depth 2 below direct[0]
    return master, agents


def _customers(rng: random.Random, count: int, agents: list[ChannelParty]) -> list[Owner]:
    """``count`` customers spread over all agents (each agent gets one when there are enough)."""
    weights = [3 if agent.parent_id == agents[0].parent_id else 1 for agent in agents]
    slots = list(range(min(count, len(agents))))
    slots += rng.choices(range(len(agents)), weights=weights, k=max(0, count - len(agents)))
    rng.shuffle(slots)
    used: set[str] = set()
    owners = []
    for number, slot in enumerate(slots, start=1):
        place = _names.city(rng, pick(rng, _HQ_COUNTRIES))
        name = _names.business_name(rng, used)
        agent = agents[slot]
        party = ChannelParty(f"cust-{number:04d}", PartyKind.CUSTOMER, name, agent.id)
        owners.append(Owner(party, agent, _names.address(rng, place)))
    return owners


def _assign(
    rng: random.Random, owners: list[Owner], carriers: Sequence[Carrier]
) -> list[list[Owner]]:
    """Per carrier (by position), the customers holding an account there, in customer order.

    Each customer gets 2-5 carriers (fewer when fewer exist), weighted by a random carrier
    size. When the carriers span several protocols, the first customer instead holds
    exactly one account per protocol, at the first carrier of each (and is never topped
    up). Then every carrier is topped up to a few customers while customers have room.
    With a single protocol the family rule draws nothing and changes nothing.
    """
    size = [rng.uniform(0.4, 2.0) for _ in carriers]
    chosen: list[list[int]] = []
    for _ in owners:
        pool, weights, mine = list(range(len(carriers))), list(size), []
        for _ in range(min(len(carriers), pick(rng, _ACCOUNTS_PER_CUSTOMER))):
            index = rng.choices(range(len(pool)), weights=weights)[0]
            mine.append(pool.pop(index))
            weights.pop(index)
        chosen.append(mine)
    spread = _first_of_each_protocol(carriers)
    fixed = len(spread) > 1 and bool(chosen)
    if fixed:
        chosen[0] = spread
    counts = [0] * len(carriers)
    for mine in chosen:
        for index in mine:
            counts[index] += 1
    for index in range(len(carriers)):
        while counts[index] < min(_MIN_CUSTOMERS_PER_CARRIER, len(owners)):
            room = [
                n
                for n, mine in enumerate(chosen)
                if index not in mine and len(mine) < 5 and not (fixed and n == 0)
            ]
            if not room:
                break
            chosen[rng.choice(room)].append(index)
            counts[index] += 1
    per_carrier: list[list[Owner]] = [[] for _ in carriers]
    for owner, mine in zip(owners, chosen, strict=True):
        for index in mine:
            per_carrier[index].append(owner)
    return per_carrier


def _first_of_each_protocol(carriers: Sequence[Carrier]) -> list[int]:
    """Positions of the first carrier of each protocol, in order of first appearance."""
    first: dict[Protocol, int] = {}
    for index, carrier in enumerate(carriers):
        first.setdefault(carrier.protocol, index)
    return list(first.values())


def _codes(carriers: Sequence[Carrier]) -> list[str]:
    """Short upper-case codes, distinct across ``carriers``, that prefix service ids."""
    codes: list[str] = []
    for carrier in carriers:
        base = re.sub(r"[^A-Z0-9]", "", carrier.id.upper())[:4] or "CX"
        code, copy = base, 1
        while code in codes:
            code, copy = f"{base[:3]}{copy}", copy + 1
        codes.append(code)
    return codes
