"""The authentication backend: API keys and JWTs to principals, everything else to nothing.

Runs on the hand-made channel tree of ``conftest.py`` (SQLite, and PostgreSQL when
reachable), with a verifier over static keys generated here.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.authentication import AuthenticationBackend, AuthenticationError
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from auth.authenticate import GatewayAuthBackend, PrincipalUser, bearer_token
from auth.directory import Directory
from auth.identities import IdentityResolver
from auth.principal import Principal
from auth.tokens import JwtVerifier, StaticKeys, VerificationKey
from connectors.models import PartyKind
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from connectors.models import AccountLink, ChannelParty

ISSUER = "https://idp.example.test/"
OTHER_ISSUER = "https://other-idp.example.test/"
AUDIENCE = "switchboard"


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def verifier(signing_key: ec.EllipticCurvePrivateKey) -> JwtVerifier:
    public = VerificationKey(algorithm="ES256", key=signing_key.public_key(), kid="k1")
    return JwtVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeys([public]))


@pytest.fixture
async def backend(directory: Directory, verifier: JwtVerifier) -> AsyncIterator[GatewayAuthBackend]:
    await directory.add_identity(ISSUER, "alice", "agent-1", "admin")
    await directory.add_identity(ISSUER, "bob", "cust-3", "billing")
    backend = GatewayAuthBackend(directory, verifiers=[verifier])
    yield backend
    await backend.aclose()


def token(key: Any, sub: str = "alice", iss: str = ISSUER, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": iss, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 300, **claims}
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": "k1"})


def conn(authorization: str | None) -> HTTPConnection:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return HTTPConnection({"type": "http", "method": "POST", "path": "/", "headers": headers})


# --- principals -------------------------------------------------------------------------


async def test_a_jwt_of_a_known_subject_is_its_directory_principal(
    backend: GatewayAuthBackend, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    principal = await backend.principal_for(conn(f"Bearer {token(signing_key)}"))

    assert principal == Principal(
        party_id="agent-1",
        kind=PartyKind.AGENT,
        role="admin",
        chain=("ma-1",),
        name="Agent One",
        key_id=None,
    )


async def test_the_directory_decides_party_and_role_not_the_token(
    backend: GatewayAuthBackend, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    # Claims that try to pick a party or role are ignored.
    forged = token(signing_key, sub="bob", role="admin", party="op", party_id="op")

    principal = await backend.principal_for(conn(f"Bearer {forged}"))

    assert principal is not None
    assert (principal.party_id, principal.kind, principal.role) == (
        "cust-3",
        PartyKind.CUSTOMER,
        "billing",
    )
    assert principal.chain == ("sub-1", "agent-1", "ma-1")


async def test_an_api_key_still_authenticates(
    backend: GatewayAuthBackend, directory: Directory
) -> None:
    key = await directory.create_key("cust-1", "viewer")

    principal = await backend.principal_for(conn(f"Bearer {key}"))

    assert principal is not None
    assert (principal.party_id, principal.role) == ("cust-1", "viewer")
    assert principal.key_id is not None


@pytest.mark.parametrize(
    "case",
    [
        "unknown-subject",
        "other-issuer",
        "no-verifier-for-issuer",
        "expired",
        "bad-api-key",
        "garbage",
        "basic-scheme",
        "no-header",
        "empty-bearer",
    ],
)
async def test_bad_credentials_are_none(
    backend: GatewayAuthBackend, signing_key: ec.EllipticCurvePrivateKey, case: str
) -> None:
    now = int(time.time())
    authorization = {
        "unknown-subject": f"Bearer {token(signing_key, sub='mallory')}",
        # Same key, but an issuer nobody configured: no verifier is even asked.
        "other-issuer": f"Bearer {token(signing_key, iss=OTHER_ISSUER)}",
        "no-verifier-for-issuer": f"Bearer {token(signing_key, iss='')}",
        "expired": f"Bearer {token(signing_key, iat=now - 900, exp=now - 600)}",
        "bad-api-key": "Bearer sbk_abcdefghij_" + "A" * 43,
        "garbage": "Bearer a.b.c",
        "basic-scheme": "Basic YWxpY2U6c2VjcmV0",
        "no-header": None,
        "empty-bearer": "Bearer   ",
    }[case]

    assert await backend.principal_for(conn(authorization)) is None


async def test_jwts_are_refused_when_no_provider_is_configured(
    directory: Directory, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    await directory.add_identity(ISSUER, "alice", "agent-1", "admin")
    backend = GatewayAuthBackend(directory)

    assert not backend.jwt_enabled
    assert await backend.principal_for(conn(f"Bearer {token(signing_key)}")) is None


async def test_a_role_the_party_kind_lacks_is_refused(
    backend: GatewayAuthBackend, directory: Directory, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    # "billing" is a customer role; an agent cannot act in it, whatever the directory says.
    await directory.add_identity(ISSUER, "carol", "agent-2", "billing")

    assert await backend.principal_for(conn(f"Bearer {token(signing_key, sub='carol')}")) is None


# --- the Starlette backend contract -----------------------------------------------------


async def test_starlette_authenticate_returns_credentials_and_user(
    backend: GatewayAuthBackend, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    result = await backend.authenticate(conn(f"Bearer {token(signing_key)}"))

    assert result is not None
    credentials, user = result
    assert credentials.scopes == ["authenticated"]
    assert isinstance(user, PrincipalUser)
    assert user.is_authenticated
    assert (user.identity, user.display_name) == ("agent-1", "Agent One")


async def test_starlette_authenticate_without_a_header_is_anonymous(
    backend: GatewayAuthBackend,
) -> None:
    assert await backend.authenticate(conn(None)) is None


@pytest.mark.parametrize("authorization", ["Bearer nope", "Basic YWxpY2U6c2VjcmV0", "Bearer"])
async def test_starlette_authenticate_bad_credentials_raise_one_message(
    backend: GatewayAuthBackend, authorization: str
) -> None:
    with pytest.raises(AuthenticationError) as raised:
        await backend.authenticate(conn(authorization))

    assert str(raised.value) == "invalid credentials"


def test_it_plugs_into_authentication_middleware(
    sqlite_url: str,
    parties: tuple[ChannelParty, ...],
    links: tuple[AccountLink, ...],
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    """``request.user`` is the principal; a bad token gets the one 401 message."""

    async def whoami(request: Request) -> Response:
        user = request.user
        assert isinstance(user, PrincipalUser)
        return JSONResponse({"party": user.principal.party_id, "role": user.principal.role})

    def on_error(_: HTTPConnection, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=401)

    holder: dict[str, GatewayAuthBackend] = {}

    class Delegate(AuthenticationBackend):
        """The real backend is built in the lifespan: the directory needs the app's loop."""

        async def authenticate(self, conn):
            return await holder["backend"].authenticate(conn)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        directory = await Directory.open(sqlite_url)
        await directory.seed(parties, links)
        await directory.add_identity(ISSUER, "alice", "agent-1", "admin")
        verifier = JwtVerifier(
            issuer=ISSUER,
            audience=AUDIENCE,
            keys=StaticKeys([VerificationKey("ES256", signing_key.public_key(), "k1")]),
        )
        holder["backend"] = GatewayAuthBackend(directory, verifiers=[verifier])
        yield
        await holder["backend"].aclose()
        await directory.close()

    app = Starlette(
        routes=[Route("/whoami", whoami)],
        middleware=[Middleware(AuthenticationMiddleware, backend=Delegate(), on_error=on_error)],
        lifespan=lifespan,
    )
    with (
        serve_in_thread(app) as base_url,
        httpx.Client(base_url=base_url, trust_env=False) as client,
    ):
        good = client.get("/whoami", headers={"authorization": f"Bearer {token(signing_key)}"})
        bad = client.get("/whoami", headers={"authorization": "Bearer a.b.c"})

    assert (good.status_code, good.json()) == (200, {"party": "agent-1", "role": "admin"})
    assert (bad.status_code, bad.text) == (401, "invalid credentials")


def test_bearer_token_parsing() -> None:
    assert bearer_token(conn("Bearer abc")) == "abc"
    assert bearer_token(conn("bearer   abc  ")) == "abc"
    assert bearer_token(conn("Basic abc")) is None
    assert bearer_token(conn("Bearer")) is None
    assert bearer_token(conn(None)) is None


# --- identities in the directory and their cache ----------------------------------------


async def test_identities_are_upserted_and_removed(directory: Directory) -> None:
    assert await directory.identity(ISSUER, "dave") is None

    await directory.add_identity(ISSUER, "dave", "agent-1", "admin")
    await directory.add_identity(ISSUER, "dave", "cust-1", "viewer")  # moves, no duplicate
    await directory.add_identity(OTHER_ISSUER, "dave", "cust-2", "admin")  # another provider

    assert await directory.identity(ISSUER, "dave") == ("cust-1", "viewer")
    assert await directory.identity(OTHER_ISSUER, "dave") == ("cust-2", "admin")
    assert await directory.remove_identity(ISSUER, "dave") is True
    assert await directory.remove_identity(ISSUER, "dave") is False
    assert await directory.identity(ISSUER, "dave") is None


async def test_an_identity_needs_a_known_party_and_non_empty_fields(directory: Directory) -> None:
    with pytest.raises(LookupError):
        await directory.add_identity(ISSUER, "erin", "no-such-party", "admin")
    with pytest.raises(ValueError, match="must not be empty"):
        await directory.add_identity(ISSUER, "", "agent-1", "admin")


async def test_resolved_identities_are_cached_briefly(directory: Directory) -> None:
    await directory.add_identity(ISSUER, "frank", "agent-2", "admin")
    now = [100.0]
    resolver = IdentityResolver(directory, ttl=30.0, clock=lambda: now[0])

    first = await resolver.principal(ISSUER, "frank")
    await directory.remove_identity(ISSUER, "frank")
    cached = await resolver.principal(ISSUER, "frank")
    now[0] += 31
    expired = await resolver.principal(ISSUER, "frank")

    assert first is not None
    assert cached == first  # within the TTL the removal is not seen yet
    assert expired is None


async def test_forget_drops_cached_identities_at_once(directory: Directory) -> None:
    await directory.add_identity(ISSUER, "grace", "agent-2", "admin")
    resolver = IdentityResolver(directory)
    assert await resolver.principal(ISSUER, "grace") is not None
    await directory.remove_identity(ISSUER, "grace")

    resolver.forget(ISSUER, "grace")

    assert await resolver.principal(ISSUER, "grace") is None


async def test_list_keys_shows_everything_but_the_secret(directory: Directory) -> None:
    key = await directory.create_key("agent-1", "admin")
    other = await directory.create_key("cust-1", "viewer")
    assert await directory.authenticate(key) is not None
    key_id = key.split("_")[1]
    await directory.revoke_key(other.split("_")[1])

    everything = await directory.list_keys()
    mine = await directory.list_keys("agent-1")

    assert [k.key_id for k in mine] == [key_id]
    assert mine[0].role == "admin"
    assert mine[0].last_used_at is not None
    assert mine[0].revoked_at is None
    assert {k.party_id for k in everything} == {"agent-1", "cust-1"}
    assert next(k for k in everything if k.party_id == "cust-1").revoked_at is not None
    assert all(key not in repr(k) and other not in repr(k) for k in everything)
