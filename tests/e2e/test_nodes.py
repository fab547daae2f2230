"""Global IDs: ``node(id)`` round-trips every type; bad IDs are the client's error, not a 500."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.queries import NODE

if TYPE_CHECKING:
    from tests.e2e.conftest import GraphClient

pytestmark = pytest.mark.e2e

NODE_TYPES = [
    "Customer",
    "Party",
    "Carrier",
    "CarrierAccount",
    "Service",
    "Invoice",
    "Order",
    "TroubleTicket",
]


def global_id(*parts: str) -> str:
    """An ID built by hand: only for IDs the gateway never issued (malformed, unknown)."""
    return base64.urlsafe_b64encode(":".join(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize("typename", NODE_TYPES)
def test_node_round_trips_every_type(
    typename: str, graph: GraphClient, sample_nodes: dict[str, dict[str, Any]]
) -> None:
    sample = sample_nodes[typename]

    node = graph.data(NODE, {"id": sample["id"]})["node"]

    # Same type, same id, and the same record (its naming field).
    assert node == sample


@pytest.mark.parametrize(
    "bad_id",
    ["!!!", "bm9wZQ", global_id("Spaceship", "1"), ""],
    ids=["not-base64", "no-type-separator", "unknown-type", "empty"],
)
def test_malformed_id_is_bad_user_input(bad_id: str, graph: GraphClient) -> None:
    response = graph.post(NODE, {"id": bad_id})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] == {"node": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["node"], "BAD_USER_INPUT")
    ]


def test_well_formed_id_of_nothing_is_null(
    graph: GraphClient, sample_nodes: dict[str, dict[str, Any]]
) -> None:
    carrier = sample_nodes["Carrier"]["code"]
    missing = [
        global_id("Customer", "cust-9999"),
        global_id("Party", "agent-nobody"),
        global_id("Carrier", "no-such-carrier"),
        global_id("CarrierAccount", carrier, "NO-SUCH-ACCOUNT"),
        global_id("Service", carrier, "NO-SUCH-SERVICE"),
        global_id("Service", "no-such-carrier", "NO-SUCH-SERVICE"),
        global_id("Invoice", carrier, "NO-SUCH-INVOICE"),
        global_id("Order", carrier, "NO-SUCH-ORDER"),
        global_id("TroubleTicket", carrier, "NO-SUCH-TICKET"),
    ]

    answers = {gid: graph.execute(NODE, {"id": gid}) for gid in missing}

    assert answers == {gid: {"data": {"node": None}} for gid in missing}
