"""The real app over HTTP: keys, probes, GET queries and status codes per media type.

``tests/gateway/test_http.py`` covers the GraphQL-over-HTTP layer in detail on a
stand-in schema; this only checks that the gateway's app wires it up as promised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from connectors.models import PartyKind
from tests.e2e.conftest import HTTP_TIMEOUT, Gateway
from tests.e2e.queries import VIEWER

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
SYNTAX_ERROR = "{ viewer { role "


@pytest.fixture
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    """A client without credentials."""
    with httpx.Client(base_url=gateway.url, trust_env=False, timeout=HTTP_TIMEOUT) as client:
        yield client


def bearer(gateway: Gateway, kind: PartyKind = PartyKind.OPERATOR) -> dict[str, str]:
    return {"authorization": f"Bearer {gateway.key(kind).key}"}


def test_no_key_is_401_unauthenticated(http: httpx.Client) -> None:
    response = http.post("/graphql", json={"query": VIEWER})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-key", "Bearer", "Basic b3A6c2VjcmV0", "tampered"],
)
def test_bad_key_is_401(authorization: str, http: httpx.Client, gateway: Gateway) -> None:
    if authorization == "tampered":  # a real key id with a wrong secret
        key = gateway.key(PartyKind.OPERATOR).key
        authorization = f"Bearer {key[:-1]}{'A' if key[-1] != 'A' else 'B'}"

    response = http.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": authorization}
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_probes_answer_without_a_key(http: httpx.Client, gateway: Gateway) -> None:
    healthz = http.get("/healthz")
    readyz = http.get("/readyz")

    assert healthz.status_code == 200
    assert healthz.json() == {"status": "ok"}
    assert readyz.status_code == 200
    ready = readyz.json()
    assert (ready["status"], ready["reasons"]) == ("ready", [])
    assert ready["carriers"] == len(gateway.runtime.registry)
    assert ready["checks"]["redis"] == {"configured": False}
    assert set(ready["breakers"]) == set(gateway.runtime.registry)
    assert ready["open_breakers"] == []


@pytest.mark.parametrize("kind", [PartyKind.OPERATOR, PartyKind.CUSTOMER])
def test_get_query_with_a_key(kind: PartyKind, http: httpx.Client, gateway: Gateway) -> None:
    response = http.get("/graphql", params={"query": VIEWER}, headers=bearer(gateway, kind))

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "admin", "kind": kind.name}}}


def test_syntax_error_is_400_for_graphql_response_json(
    http: httpx.Client, gateway: Gateway
) -> None:
    headers = {**bearer(gateway), "accept": GRAPHQL_RESPONSE_JSON}

    response = http.post("/graphql", json={"query": SYNTAX_ERROR}, headers=headers)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_syntax_error_is_200_with_errors_for_application_json(
    http: httpx.Client, gateway: Gateway
) -> None:
    headers = {**bearer(gateway), "accept": "application/json"}

    response = http.post("/graphql", json={"query": SYNTAX_ERROR}, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
