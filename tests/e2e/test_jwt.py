"""JWT bearer tokens against the real app: an identity provider's tokens and the demo's.

A module-scoped gateway trusts an identity provider whose JWKS is served by a real
HTTP server here (one RSA and one EC key). Identities for an agent and a customer are
registered in that gateway's directory. Every bad token must get exactly the answer a
bad API key gets; good ones see exactly their party's slice, over HTTP and over the
WebSocket's ``connection_init``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from auth.directory import Directory
from auth.tokens import DEMO_ISSUER, ensure_demo_signing_key, mint_token, public_jwk
from connectors.models import PartyKind
from tests.e2e.conftest import HTTP_TIMEOUT, Carriers, Gateway, run_gateway
from tests.e2e.queries import CUSTOMER_NAMES, VIEWER
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.requests import Request

    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e

ISSUER = "https://idp.e2e.test/"
AUDIENCE = "switchboard-e2e"
AGENT_SUBJECT = "agent-user"
CUSTOMER_SUBJECT = "customer-user"
BAD_API_KEY = "sbk_abcdefghij_" + "A" * 43


@dataclass
class Provider:
    """An identity provider: its signing keys and a JWKS endpoint counting fetches."""

    rsa_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    ec_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    url: str = ""
    fetches: int = 0

    async def jwks(self, _: Request) -> JSONResponse:
        self.fetches += 1
        keys = [
            {**public_jwk(self.rsa_key.public_key()), "kid": "rsa-1", "alg": "RS256"},
            {**public_jwk(self.ec_key.public_key()), "kid": "ec-1"},
        ]
        return JSONResponse({"keys": keys})

    def claims(self, subject: str = AGENT_SUBJECT, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 300}
        return {**claims, **overrides}

    def token(self, subject: str = AGENT_SUBJECT, *, ec_key: bool = False, **claims: Any) -> str:
        key, algorithm, kid = (
            (self.ec_key, "ES256", "ec-1") if ec_key else (self.rsa_key, "RS256", "rsa-1")
        )
        return jwt.encode(
            self.claims(subject, **claims), key, algorithm=algorithm, headers={"kid": kid}
        )


@dataclass(frozen=True)
class JwtWorld:
    gateway: Gateway
    provider: Provider
    agent: str
    customer: str


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [
            b64url(json.dumps(header).encode()),
            b64url(json.dumps(payload).encode()),
            b64url(signature),
        ]
    )


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    provider = Provider()
    with serve_in_thread(Starlette(routes=[Route("/jwks.json", provider.jwks)])) as url:
        provider.url = f"{url}/jwks.json"
        yield provider


@pytest.fixture(scope="module")
def world(
    carriers: Carriers,
    provider: Provider,
    truth: Truth,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[JwtWorld]:
    workdir = tmp_path_factory.mktemp("jwt-gateway")
    settings = {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwt_jwks_url": provider.url}
    with run_gateway(carriers, workdir, **settings) as gateway:
        # An agent other than the demo key's, with customers; and one of its customers.
        demo_agent = gateway.key(PartyKind.AGENT).party_id
        agent = next(
            p.id
            for p in sorted(truth.data.parties, key=lambda p: p.id)
            if p.kind is PartyKind.AGENT and p.id != demo_agent and truth.customers_under(p.id)
        )
        customer = min(truth.customers_under(agent))

        async def register() -> None:
            # Our own connection to the gateway's SQLite file: its engine lives in its loop.
            url = gateway.runtime.settings.directory_url
            async with await Directory.open(url) as directory:
                await directory.add_identity(ISSUER, AGENT_SUBJECT, agent, "admin")
                await directory.add_identity(ISSUER, CUSTOMER_SUBJECT, customer, "viewer")

        asyncio.run(register())
        yield JwtWorld(gateway=gateway, provider=provider, agent=agent, customer=customer)


@pytest.fixture
def http(world: JwtWorld) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.gateway.url, trust_env=False, timeout=HTTP_TIMEOUT) as client:
        yield client


def post_as(http: httpx.Client, credential: str, query: str = VIEWER) -> httpx.Response:
    return http.post(
        "/graphql", json={"query": query}, headers={"authorization": f"Bearer {credential}"}
    )


def bad_token(case: str, provider: Provider) -> str:
    now = int(time.time())
    if case == "expired":
        return provider.token(iat=now - 900, exp=now - 120)
    if case == "not-yet-valid":
        return provider.token(nbf=now + 600)
    if case == "wrong-issuer":
        return provider.token(iss="https://evil.e2e.test/")
    if case == "wrong-audience":
        return provider.token(aud="another-service")
    if case == "unknown-kid":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(provider.claims(), stranger, algorithm="RS256", headers={"kid": "gone"})
    if case == "alg-none":
        return forge({"alg": "none", "kid": "rsa-1"}, provider.claims())
    if case == "hs256-with-public-key":
        pem = provider.rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header, payload = {"alg": "HS256", "kid": "rsa-1"}, provider.claims()
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        )
        mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(mac)}"
    if case == "tampered-payload":
        head, _, signature = provider.token(CUSTOMER_SUBJECT).split(".")
        return f"{head}.{provider.token(AGENT_SUBJECT).split('.')[1]}.{signature}"
    if case == "unknown-subject":
        return provider.token("nobody-we-know")
    if case == "demo-issuer-with-provider-key":
        return provider.token(iss=DEMO_ISSUER)
    if case == "garbage":
        return "a.b.c"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not-yet-valid",
        "wrong-issuer",
        "wrong-audience",
        "unknown-kid",
        "alg-none",
        "hs256-with-public-key",
        "tampered-payload",
        "unknown-subject",
        "demo-issuer-with-provider-key",
        "garbage",
    ],
)
def test_every_bad_token_gets_the_bad_api_key_answer(
    case: str, world: JwtWorld, http: httpx.Client
) -> None:
    reference = post_as(http, BAD_API_KEY)

    response = post_as(http, bad_token(case, world.provider))

    assert reference.status_code == 401
    assert reference.json() == {
        "errors": [{"message": "invalid credentials", "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    assert response.status_code == 401
    assert response.content == reference.content
    for header in ("content-type", "www-authenticate"):
        assert response.headers[header] == reference.headers[header]


def test_an_agent_token_sees_exactly_that_agents_customers(
    world: JwtWorld, http: httpx.Client, truth: Truth
) -> None:
    token = world.provider.token(AGENT_SUBJECT)

    viewer = post_as(http, token)
    customers = post_as(http, token, CUSTOMER_NAMES)

    assert viewer.status_code == 200, viewer.text
    assert viewer.json() == {"data": {"viewer": {"role": "admin", "kind": "AGENT"}}}
    assert customers.status_code == 200, customers.text
    names = sorted(n["name"] for n in customers.json()["data"]["customers"]["nodes"])
    expected = sorted(truth.data.party(c).name for c in truth.customers_under(world.agent))
    assert names == expected
    assert world.provider.fetches >= 1  # the gateway used the provider's JWKS


def test_an_es256_customer_token_sees_only_that_customer(
    world: JwtWorld, http: httpx.Client, truth: Truth
) -> None:
    token = world.provider.token(CUSTOMER_SUBJECT, ec_key=True)

    viewer = post_as(http, token)
    customers = post_as(http, token, CUSTOMER_NAMES)

    assert viewer.json() == {"data": {"viewer": {"role": "viewer", "kind": "CUSTOMER"}}}
    nodes = customers.json()["data"]["customers"]["nodes"]
    assert [n["name"] for n in nodes] == [truth.data.party(world.customer).name]


def test_api_keys_still_work_beside_jwts(world: JwtWorld, http: httpx.Client) -> None:
    response = post_as(http, world.gateway.key(PartyKind.OPERATOR).key)

    assert response.json() == {"data": {"viewer": {"role": "admin", "kind": "OPERATOR"}}}


def test_the_demo_gateway_trusts_a_minted_demo_token(world: JwtWorld, http: httpx.Client) -> None:
    """What ``switchboard tokens mint --demo`` does, against the running demo gateway."""
    settings = world.gateway.runtime.settings
    signing_key = ensure_demo_signing_key(settings.demo_jwt_dir())
    subject = f"{world.customer}:technical"

    async def register() -> None:
        async with await Directory.open(settings.directory_url) as directory:
            await directory.add_identity(DEMO_ISSUER, subject, world.customer, "technical")

    asyncio.run(register())
    token = mint_token(signing_key, subject=subject, ttl=timedelta(minutes=5))

    response = post_as(http, token)

    assert response.json() == {"data": {"viewer": {"role": "technical", "kind": "CUSTOMER"}}}


# --- WebSocket: authentication at connection_init ---------------------------------------


def ws_connect(gateway: Gateway) -> ClientConnection:
    return connect(
        gateway.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        proxy=None,
        open_timeout=5,
        close_timeout=5,
    )


def receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=10))
    assert isinstance(message, dict)
    return message


def test_ws_connection_init_with_a_jwt_is_accepted(world: JwtWorld) -> None:
    token = world.provider.token(AGENT_SUBJECT, ec_key=True)

    with ws_connect(world.gateway) as ws:
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = receive(ws)
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}))
        result = receive(ws)
        done = receive(ws)

    assert ack == {"type": "connection_ack"}
    assert result == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"viewer": {"role": "admin", "kind": "AGENT"}}},
    }
    assert done == {"id": "1", "type": "complete"}


@pytest.mark.parametrize("case", ["expired", "alg-none", "unknown-subject", "wrong-audience"])
def test_ws_connection_init_with_a_bad_jwt_closes_4403(case: str, world: JwtWorld) -> None:
    token = bad_token(case, world.provider)

    with ws_connect(world.gateway) as ws:
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=10)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")
