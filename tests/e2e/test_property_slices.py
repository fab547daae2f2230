"""Property: whoever asks, and whatever valid query they send, nothing leaks.

Hypothesis draws a demo principal (every party kind and role) and a random valid
query generated from the schema that principal sees. Over HTTP against the real app,
no response may contain a record outside the principal's row slice or a field outside
its audience; sellers' prices are their own (a customer's ``price`` is the data set's
price for that service under the pricing rules, checked in the pricing tests).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth.policy import row_slice
from auth.principal import Principal
from auth.roles import ROLES
from gateway.schema.nodes import decode_id
from gateway.schema.visibility import RULES
from tests.e2e.conftest import run_gateway

if TYPE_CHECKING:
    from tests.e2e.conftest import Gateway

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("SWITCHBOARD_PROPERTY_EXAMPLES", "2000"))
ROOTS = ("services", "invoices", "orders", "tickets", "customers", "viewer", "carriers")
AUDIENCES = [(kind, role) for kind, roles in ROLES.items() for role in roles]
RECORD_TYPES = {"Service", "Invoice", "Order", "TroubleTicket", "Quote", "CarrierAccount"}


def _selection(draw, schema, type_, depth: int) -> str:
    named = get_named_type(type_)
    if isinstance(named, GraphQLUnionType):
        return "{ __typename }"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    fields = []
    for name, field in named.fields.items():
        if name.startswith("_"):
            continue
        if any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
            continue
        target = get_named_type(field.type)
        composite = isinstance(target, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        if composite and depth <= 0:
            continue
        fields.append((name, field))
    chosen = draw(
        st.lists(st.sampled_from(fields), min_size=1, max_size=6, unique_by=lambda f: f[0])
    )
    parts = ["__typename"]
    if "id" in named.fields:
        parts.append("id")
    for name, field in chosen:
        target = get_named_type(field.type)
        if isinstance(target, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            args = ""
            if "first" in field.args:
                args = f"(first: {draw(st.integers(min_value=1, max_value=8))})"
            parts.append(f"{name}{args} {_selection(draw, schema, field.type, depth - 1)}")
        else:
            parts.append(name)
    return "{ " + " ".join(dict.fromkeys(parts)) + " }"


@st.composite
def principal_and_query(draw, gateway: Gateway):
    kind, role = draw(st.sampled_from(AUDIENCES))
    view = gateway.runtime.audiences[f"{kind.value}:{role}"]._schema
    root = draw(st.sampled_from(ROOTS))
    field = view.query_type.fields[root]
    args = f"(first: {draw(st.integers(1, 10))})" if "first" in field.args else ""
    depth = draw(st.integers(min_value=1, max_value=3))
    query = f"{{ {root}{args} {_selection(draw, view, field.type, depth)} }}"
    return kind, role, query


def _walk(value: Any, path: list[Any]):
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, [*path, i])
    elif isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _walk(item, [*path, key])


def _account_of(truth, type_name: str, parts: list[str]) -> tuple[str, str] | None:
    carrier, key = parts[0], parts[1] if len(parts) > 1 else ""
    if type_name == "CarrierAccount":
        return carrier, key
    return truth.account_of_record(type_name, carrier, key)


@pytest.fixture(scope="module")
def cached_gateway(carriers, tmp_path_factory):
    """A gateway that reuses carrier answers, so thousands of queries stay cheap."""
    with run_gateway(carriers, tmp_path_factory.mktemp("property"), cache_ttl_seconds=3600) as gw:
        yield gw


@pytest.fixture(scope="module")
def clients(cached_gateway: Gateway):
    gateway = cached_gateway
    opened = {}
    try:
        for kind, role in AUDIENCES:
            cm = gateway.client(gateway.key(kind, role).key)
            opened[(kind, role)] = (cm, cm.__enter__())
        yield {k: v[1] for k, v in opened.items()}
    finally:
        for cm, _ in opened.values():
            cm.__exit__(None, None, None)


def test_no_response_leaks_rows_or_fields(cached_gateway: Gateway, truth, clients):
    gateway = cached_gateway
    snapshot = gateway.runtime.snapshot
    slices = {}
    views = {}
    for kind, role in AUDIENCES:
        key = gateway.key(kind, role)
        principal = Principal(key.party_id, kind, role, snapshot.chain(key.party_id), key.name)
        slices[(kind, role)] = row_slice(principal, snapshot)
        views[(kind, role)] = gateway.runtime.commercial.pricing_view(principal, snapshot)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(case=principal_and_query(gateway))
    def check(case):
        kind, role, query = case
        audience = f"{kind.value}:{role}"
        body = clients[(kind, role)].execute(query)
        assert "data" in body, (query, body)
        for error in body.get("errors", []):
            assert error["extensions"]["code"] in {
                "UPSTREAM_UNAVAILABLE",
                "UPSTREAM_TIMEOUT",
                "UPSTREAM_INVALID",
                "NOT_SUPPORTED_BY_CARRIER",
            }, (query, error)
        rows = slices[(kind, role)]
        for path, obj in _walk(body["data"], []):
            type_name = obj.get("__typename")
            if type_name is None:
                continue
            for field in obj:
                if field == "__typename":
                    continue
                rule = RULES[type_name][field]
                assert rule.allows(audience), (audience, type_name, field, query)
            if type_name == "Customer" and "id" in obj:
                assert rows.sees_customer(decode_id(obj["id"])[1][0]), (audience, path)
            elif type_name in RECORD_TYPES and "id" in obj:
                name, parts = decode_id(obj["id"])
                account = _account_of(truth, name, parts)
                assert account is not None, (audience, path, obj)
                assert rows.sees_account(*account), (audience, path, obj)
                if name == "Service":
                    _check_prices(views[(kind, role)], truth, parts, account, obj)

    check()


PRICE_FIELDS = {
    "wholesaleCost": lambda p: p.mrc.wholesale,
    "wholesaleInstall": lambda p: p.nrc.wholesale,
    "buyPrice": lambda p: p.mrc.buy,
    "sellPrice": lambda p: p.mrc.sell,
    "price": lambda p: p.mrc.price,
    "installPrice": lambda p: p.nrc.price,
}


def _check_prices(view, truth, parts, account, obj) -> None:
    """Every price in the answer is the principal's own (its pricing view of the chain)."""
    carrier, service_id = account[0], parts[1]
    service = next(s for s in truth.data.carriers[carrier].services if s.service_id == service_id)
    customer = next(
        link.customer_id
        for link in truth.data.links
        if (link.carrier, link.account_number) == account
    )
    prices = view.service_prices(service, customer, datetime.now(UTC).date())
    for field, own in PRICE_FIELDS.items():
        if field not in obj:
            continue
        expected = own(prices)
        shown = obj[field]
        if expected is None:
            assert shown is None, (field, obj)
        else:
            assert shown is not None, (field, obj)
            if "amount" in shown:
                assert Decimal(shown["amount"]) == expected.amount, (field, obj)
            if "currency" in shown:
                assert shown["currency"] == expected.currency, (field, obj)
