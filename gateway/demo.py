"""The demo: sandbox carriers on loopback, a seeded directory and one key per party and role.

``switchboard serve --demo`` and the tests use the same recipe, so what the README
promises is what the tests exercise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auth.roles import ROLES
from connectors.models import ChannelParty, PartyKind
from connectors.registry import carrier_records
from connectors.sandbox.dataset import DataSet, generate

if TYPE_CHECKING:
    from collections.abc import Mapping

    from auth.directory import DemoKey, Directory
    from connectors.spec import CarrierSpec

__all__ = ["DEMO_ROLES", "DemoSetup", "demo_key_specs", "seed_directory"]

DEMO_ROLES: Mapping[PartyKind, tuple[str, ...]] = ROLES


@dataclass(frozen=True, slots=True)
class DemoSetup:
    """What the demo created: the data set behind the sandbox and the keys to try it with."""

    data: DataSet
    keys: tuple[DemoKey, ...]


def _carrier_parties(specs: Mapping[str, CarrierSpec]) -> list[ChannelParty]:
    return [
        ChannelParty(id=s.id, kind=PartyKind.CARRIER, name=s.name)
        for s in sorted(specs.values(), key=lambda s: s.id)
    ]


def demo_key_specs(data: DataSet, specs: Mapping[str, CarrierSpec]) -> list[tuple[str, str]]:
    """(party id, role) for one party of each kind, in every role of that kind."""
    first: dict[PartyKind, str] = {}
    for party in (*sorted(data.parties, key=lambda p: p.id), *_carrier_parties(specs)):
        first.setdefault(party.kind, party.id)
    return [
        (first[kind], role) for kind, roles in DEMO_ROLES.items() if kind in first for role in roles
    ]


async def seed_directory(
    directory: Directory, specs: Mapping[str, CarrierSpec], *, seed: int, customers: int
) -> DemoSetup:
    """Generate the data set, load its channel tree into the directory, ensure demo keys."""
    data = generate(carrier_records(specs), seed=seed, customers=customers)
    await directory.seed([*data.parties, *_carrier_parties(specs)], data.links)
    keys = await directory.ensure_demo_keys(demo_key_specs(data, specs))
    return DemoSetup(data=data, keys=tuple(keys))
