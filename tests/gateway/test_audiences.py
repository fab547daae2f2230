"""Field slices: one schema per audience, compiled from the rule beside every field.

The expectations here come from DOMAIN.md's table and from the schema's structure
(which fields carry money, which carry internal notes), not from the rules table the
code compiles, so a rule that drifts from the domain fails a test.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType, get_named_type, parse, validate

from auth.policy import AUDIENCES
from gateway.schema import build_schema
from gateway.schema.visibility import audience_schemas, missing_rules

INTROSPECT = "{ __schema { types { name kind fields { name } } } }"


@pytest.fixture(scope="module")
def full():
    return build_schema()


@pytest.fixture(scope="module")
def views(full):
    return audience_schemas(full)


def fields_of(schema) -> set[tuple[str, str]]:
    result = schema.execute_sync(INTROSPECT)
    assert result.errors is None
    return {
        (t["name"], f["name"])
        for t in result.data["__schema"]["types"]
        if not t["name"].startswith("__") and t["fields"]
        for f in t["fields"]
    }


def money_fields(full) -> set[tuple[str, str]]:
    """Every field whose value is an amount of money (typed Money, at any list depth)."""
    return {
        (name, field)
        for name, t in full._schema.type_map.items()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) and not name.startswith("__")
        for field, f in t.fields.items()
        if get_named_type(f.type).name == "Money"
    }


def test_every_field_has_a_visibility_rule(full):
    assert missing_rules(full._schema) == []


def test_there_is_one_view_per_party_kind_and_role(views):
    assert set(views) == set(AUDIENCES)
    assert len(AUDIENCES) == 10


# DOMAIN.md's table: (field, audiences that see it).
DOMAIN_TABLE = {
    ("Service", "wholesaleCost"): {
        "operator:admin",
        "operator:finance",
        "carrier:admin",
        "master_agent:admin",
    },
    ("Service", "price"): {
        "operator:admin",
        "operator:finance",
        "master_agent:admin",
        "agent:admin",
        "customer:admin",
        "customer:billing",
        "customer:viewer",
    },
    ("TroubleTicket", "internalNotes"): {"operator:admin", "operator:support", "carrier:admin"},
    ("Query", "_service"): {"operator:admin", "operator:support", "operator:finance"},
}


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("field", sorted(DOMAIN_TABLE), ids=".".join)
def test_domain_table(views, audience, field):
    seen = field in fields_of(views[audience])
    assert seen is (audience in DOMAIN_TABLE[field])


@pytest.mark.parametrize("audience", ["operator:support", "customer:technical"])
def test_roles_without_money_see_no_amount_anywhere(full, views, audience):
    assert fields_of(views[audience]) & money_fields(full) == set()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_customers_and_agents_never_see_wholesale_or_internal_notes(views, audience):
    visible = fields_of(views[audience])
    hidden_from_downstream = {
        ("Service", "wholesaleCost"),
        ("Service", "wholesaleInstall"),
        ("QuoteOption", "mrc"),
        ("QuoteOption", "nrc"),
        ("Order", "internalNotes"),
        ("TroubleTicket", "internalNotes"),
    }
    if audience.startswith(("customer:", "agent:")):
        assert visible & hidden_from_downstream == set()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_non_money_non_internal_fields_are_seen_by_everyone(full, views, audience):
    everything = fields_of(full)
    restricted = money_fields(full) | {
        (t, f) for (t, f) in everything if f in {"internalNotes", "sdl", "_service"}
    }
    assert everything - restricted <= fields_of(views[audience])


def validation_errors(schema, query: str) -> list[str]:
    # Validation only: executing would start the async resolvers without a loop.
    return [e.message for e in validate(schema._schema, parse(query))]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_a_hidden_field_fails_like_a_missing_one(views, audience):
    schema = views[audience]
    hidden = validation_errors(schema, "{ services { nodes { wholesaleCost { amount } } } }")
    missing = validation_errors(schema, "{ services { nodes { noSuchField { amount } } } }")
    if ("Service", "wholesaleCost") in fields_of(schema):
        assert hidden == []
        return
    assert [m.replace("wholesaleCost", "X") for m in hidden] == [
        m.replace("noSuchField", "X") for m in missing
    ]
    assert hidden


@pytest.mark.parametrize("audience", AUDIENCES)
def test_suggestions_never_name_hidden_fields(views, audience):
    schema = views[audience]
    visible = {f for _, f in fields_of(schema)}
    messages = validation_errors(schema, "{ services { nodes { wholesaleCos } } }")
    assert messages
    if "wholesaleCost" not in visible:
        assert all("wholesaleCost" not in m for m in messages)
