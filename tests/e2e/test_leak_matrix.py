"""The leak matrix over the real app: every demo key x every type and field x rows.

Generated, not hand-picked: for each party kind and role (one demo key each),
* introspection over HTTP lists exactly the fields of that audience's view, which
  tests/gateway/test_audiences.py holds to DOMAIN.md's rules, and a query for any other
  field of the full schema fails validation as an unknown field would;
* for each record type, a record inside the party's row slice resolves through
  ``node(id)`` and one outside it is ``null`` without an error, like a missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from auth.policy import row_slice
from auth.principal import Principal
from auth.roles import ROLES
from connectors.models import PartyKind
from gateway.schema.nodes import decode_id

if TYPE_CHECKING:
    from tests.e2e.conftest import Gateway

pytestmark = pytest.mark.e2e

INTROSPECT = "{ __schema { types { name fields { name } } } }"
AUDIENCES = [(kind, role) for kind, roles in ROLES.items() for role in roles]

RECORDS = """
{
  services(first: 500) { nodes { id account { id } } }
  invoices(first: 500) { nodes { id account { id } } }
  orders(first: 500) { nodes { id account { id } } }
  tickets(first: 500) { nodes { id account { id } } }
  customers(first: 500) { nodes { id } }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


def introspected(graph) -> set[tuple[str, str]]:
    types = graph.data(INTROSPECT)["__schema"]["types"]
    return {
        (t["name"], f["name"])
        for t in types
        if not t["name"].startswith("__") and t["fields"]
        for f in t["fields"]
    }


@pytest.fixture(scope="module")
def operator_records(gateway: Gateway) -> dict[str, list[dict[str, Any]]]:
    with gateway.client(gateway.key(PartyKind.OPERATOR).key) as graph:
        data = graph.data(RECORDS)
    return {k: v["nodes"] for k, v in data.items()}


@pytest.mark.parametrize(("kind", "role"), AUDIENCES, ids=[f"{k.value}:{r}" for k, r in AUDIENCES])
def test_fields_seen_over_http_are_exactly_the_audience_view(gateway: Gateway, kind, role):
    runtime = gateway.runtime
    view = runtime.audiences[f"{kind.value}:{role}"]
    expected = {
        (name, field)
        for name, t in view._schema.type_map.items()
        if not name.startswith("__") and hasattr(t, "fields") and hasattr(t, "interfaces")
        for field in t.fields
    }
    full = {
        (name, field)
        for name, t in runtime.schema._schema.type_map.items()
        if not name.startswith("__") and hasattr(t, "fields") and hasattr(t, "interfaces")
        for field in t.fields
    }
    with gateway.client(gateway.key(kind, role).key) as graph:
        assert introspected(graph) == expected
        for type_name, field in sorted(full - expected):
            if type_name != "Query":
                continue
            body = graph.execute(f"{{ {field} {{ __typename }} }}")
            assert "data" not in body
            assert body["errors"][0]["message"].startswith(f"Cannot query field '{field}'")


@pytest.mark.parametrize(("kind", "role"), AUDIENCES, ids=[f"{k.value}:{r}" for k, r in AUDIENCES])
def test_records_in_and_out_of_the_row_slice(gateway: Gateway, operator_records, kind, role):
    key = gateway.key(kind, role)
    snapshot = gateway.runtime.snapshot
    principal = Principal(
        party_id=key.party_id,
        kind=key.kind,
        role=key.role,
        chain=snapshot.chain(key.party_id),
        name=key.name,
    )
    rows = row_slice(principal, snapshot)
    checked = 0
    with gateway.client(key.key) as graph:
        for nodes in operator_records.values():
            inside = [n for n in nodes if _in_slice(rows, n)]
            outside = [n for n in nodes if not _in_slice(rows, n)]
            for node in inside[:2]:
                assert graph.data(NODE, {"id": node["id"]})["node"] == {"id": node["id"]}
                checked += 1
            for node in outside[:2]:
                assert graph.data(NODE, {"id": node["id"]})["node"] is None
                checked += 1
    assert checked >= 2 * len(operator_records)


def _in_slice(rows, node: dict[str, Any]) -> bool:
    type_name, parts = decode_id(node["id"])
    if type_name == "Customer":
        return rows.sees_customer(parts[0])
    _, account = decode_id(node["account"]["id"])
    return rows.sees_account(account[0], account[1])
