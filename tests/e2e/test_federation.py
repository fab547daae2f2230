"""The gateway as a federation subgraph: entity keys in the SDL and ``_entities`` lookups."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.queries import ENTITIES, SDL

if TYPE_CHECKING:
    from tests.e2e.conftest import GraphClient

pytestmark = pytest.mark.e2e

ENTITY_TYPES = ["Customer", "Service", "Order", "Invoice", "TroubleTicket"]


@pytest.mark.parametrize("typename", ENTITY_TYPES)
def test_sdl_declares_entity_key(typename: str, graph: GraphClient) -> None:
    sdl = graph.data(SDL)["_service"]["sdl"]

    assert re.search(rf'\btype {typename}\b[^{{]*@key\(fields: "id"\)', sdl), sdl


def test_entities_resolve_each_type_to_its_record(
    graph: GraphClient, sample_nodes: dict[str, dict[str, Any]]
) -> None:
    samples = [sample_nodes[typename] for typename in ENTITY_TYPES]
    representations = [{"__typename": s["__typename"], "id": s["id"]} for s in samples]

    entities = graph.data(ENTITIES, {"representations": representations})["_entities"]

    assert entities == samples
