"""The benchmark's world: eight TMF carriers, their data set and one customer at all eight.

Both gateways read the same sandbox carriers (``python -m bench.peers.sandbox``), built
from the carrier files in ``bench/peers/carriers`` (eight fictional TMF carriers with
accounts, services, bills and orders; API key, basic or no auth, several vocabularies)
and the seeded data set :func:`connectors.sandbox.dataset.generate` makes for them. The
data set gives each customer two to five carriers, so the benchmark's customer
(``cust-w1``) is made here: at each carrier it takes the account with the most orders,
then services, and the Switchboard directory links those eight accounts to it. The
sandbox does not care who owns an account, and the Node gateway is simply asked for
those eight account numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.models import AccountLink, ChannelParty, PartyKind
from connectors.registry import carrier_records, load_specs
from connectors.sandbox.dataset import DataSet, generate
from connectors.spec import TmfSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from auth.directory import Directory
    from connectors.spec import CarrierSpec

__all__ = [
    "CARRIERS_DIR",
    "CUSTOMER_ID",
    "OPERATOR_ID",
    "SANDBOX_URL_VAR",
    "Pick",
    "World",
    "load_world",
    "seed_directory",
]

CARRIERS_DIR = Path(__file__).resolve().parent / "carriers"
SANDBOX_URL_VAR = "PEERS_SANDBOX_URL"
"""The variable the carrier files' ``base_url`` is built from."""
CUSTOMER_ID = "cust-w1"
OPERATOR_ID = "op-switchboard"
_MASTER_AGENT_ID = "ma-bench"
_AGENT_ID = "agent-bench"


@dataclass(frozen=True, slots=True)
class Pick:
    """The account the benchmark's customer holds at one carrier, and what it has."""

    spec: TmfSpec
    account_number: str
    services: int
    invoices: int
    orders: int
    milestones: int


@dataclass(frozen=True, slots=True)
class World:
    """The carriers, the data set behind the sandbox and the customer's eight accounts."""

    specs: Mapping[str, CarrierSpec]
    data: DataSet
    picks: tuple[Pick, ...]


def load_specs_for(sandbox_url: str) -> dict[str, CarrierSpec]:
    """The benchmark's carrier files, pointed at a sandbox on ``sandbox_url``."""
    return load_specs([CARRIERS_DIR], {SANDBOX_URL_VAR: sandbox_url})


def load_world(sandbox_url: str, *, seed: int, customers: int) -> World:
    """The data set ``python -m bench.peers.sandbox`` serves with the same seed and size."""
    specs = load_specs_for(sandbox_url)
    data = generate(carrier_records(specs), seed=seed, customers=customers)
    picks: list[Pick] = []
    for carrier_id, held in data.carriers.items():
        spec = specs[carrier_id]
        if not isinstance(spec, TmfSpec):
            raise TypeError(f"{carrier_id} is not a TMF carrier")

        def weight(number: str) -> tuple[int, int, str]:
            orders = sum(o.account_number == number for o in held.orders)  # noqa: B023
            services = sum(s.account_number == number for s in held.services)  # noqa: B023
            return (orders, services, number)

        best = max((a.account_number for a in held.accounts), key=weight)
        orders = [o for o in held.orders if o.account_number == best]
        picks.append(
            Pick(
                spec=spec,
                account_number=best,
                services=sum(s.account_number == best for s in held.services),
                invoices=sum(i.account_number == best for i in held.invoices),
                orders=len(orders),
                milestones=sum(len(o.milestones) for o in orders),
            )
        )
    return World(specs, data, tuple(picks))


async def seed_directory(directory: Directory, world: World) -> str:
    """Write the customer, its channel, the carriers and its eight links; an operator key."""
    parties = [
        ChannelParty(OPERATOR_ID, PartyKind.OPERATOR, "Switchboard Operations"),
        ChannelParty(_MASTER_AGENT_ID, PartyKind.MASTER_AGENT, "Bench Master Agent"),
        ChannelParty(_AGENT_ID, PartyKind.AGENT, "Bench Agent", _MASTER_AGENT_ID),
        ChannelParty(CUSTOMER_ID, PartyKind.CUSTOMER, "W1 Dashboard Customer", _AGENT_ID),
        *(ChannelParty(s.id, PartyKind.CARRIER, s.name) for s in world.specs.values()),
    ]
    links = [AccountLink(CUSTOMER_ID, p.spec.id, p.account_number) for p in world.picks]
    await directory.seed(parties, links)
    return await directory.create_key(OPERATOR_ID, "admin")
