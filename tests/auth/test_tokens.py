"""JWT verification: good tokens pass, every kind of bad token is ``None``, the JWKS is polite.

The JWKS is served by a real HTTP server (uvicorn in a thread) that counts its fetches,
so the refresh rules (refetch on an unknown kid, at most once per interval) are checked
as the identity provider would see them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from auth.tokens import (
    DEMO_AUDIENCE,
    DEMO_ISSUER,
    JwksKeys,
    JwtVerifier,
    StaticKeys,
    VerificationKey,
    build_verifiers,
    ensure_demo_signing_key,
    mint_token,
    public_jwk,
    thumbprint,
)
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from starlette.requests import Request

ISSUER = "https://idp.example.test/"
AUDIENCE = "switchboard"
DROP = object()  # a claim value meaning "leave this claim out"


@dataclass
class JwksServer:
    """A JWKS endpoint whose keys and status the test controls; it counts fetches."""

    url: str = ""
    keys: list[Any] = field(default_factory=list)
    status: int = 200
    fetches: int = 0

    async def endpoint(self, _: Request) -> JSONResponse:
        self.fetches += 1
        return JSONResponse({"keys": self.keys}, status_code=self.status)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key the identity provider never published."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_of(private_key: Any, kid: str, **extra: Any) -> dict[str, Any]:
    return {**public_jwk(private_key.public_key()), "kid": kid, "use": "sig", **extra}


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    app = Starlette(routes=[Route("/jwks.json", server.endpoint)])
    with serve_in_thread(app) as base_url:
        server.url = f"{base_url}/jwks.json"
        yield server


@pytest.fixture
def jwks(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> JwksServer:
    """The provider publishes one RSA key (``rsa-1``) and one EC key (``ec-1``)."""
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1", alg="RS256"), jwk_of(ec_key, "ec-1")]
    jwks_server.status = 200
    jwks_server.fetches = 0
    return jwks_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def verifier(jwks: JwksServer, clock: FakeClock) -> AsyncIterator[JwtVerifier]:
    keys = JwksKeys(jwks.url, min_refresh_interval=30.0, max_age=600.0, clock=clock)
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys)
    yield verifier
    await verifier.aclose()


def make_token(
    key: Any,
    algorithm: str = "RS256",
    kid: str | None = "rsa-1",
    **claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "exp": now + 300,
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not DROP}
    headers = {} if kid is None else {"kid": kid}
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], sign: Any = None) -> str:
    """A compact JWS built by hand, for tokens PyJWT refuses to produce."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = b"" if sign is None else sign(signing_input.encode())
    return f"{signing_input}.{b64url(signature)}"


def good_claims() -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300}


# --- good tokens ------------------------------------------------------------------------


async def test_rs256_token_verifies(verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    exp = int(time.time()) + 300

    claims = await verifier.verify(make_token(rsa_key, exp=exp, scope="read"))

    assert claims is not None
    assert (claims.issuer, claims.subject) == (ISSUER, "user-1")
    assert claims.expires_at == datetime.fromtimestamp(exp, UTC)
    assert claims.payload["scope"] == "read"


async def test_es256_token_verifies(
    verifier: JwtVerifier, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    claims = await verifier.verify(make_token(ec_key, "ES256", "ec-1", sub="user-2"))

    assert claims is not None
    assert claims.subject == "user-2"


async def test_audience_list_including_ours_verifies(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    claims = await verifier.verify(make_token(rsa_key, aud=["other-api", AUDIENCE]))

    assert claims is not None


async def test_claims_are_read_only(verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    claims = await verifier.verify(make_token(rsa_key))

    assert claims is not None
    with pytest.raises(TypeError):
        claims.payload["sub"] = "someone-else"  # type: ignore[index]


async def test_the_jwks_is_fetched_once_for_many_tokens(
    verifier: JwtVerifier,
    jwks: JwksServer,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    for _ in range(3):
        assert await verifier.verify(make_token(rsa_key)) is not None
        assert await verifier.verify(make_token(ec_key, "ES256", "ec-1")) is not None

    assert jwks.fetches == 1


async def test_expiry_within_the_leeway_still_verifies(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    now = int(time.time())

    claims = await verifier.verify(make_token(rsa_key, iat=now - 600, exp=now - 10))

    assert claims is not None


# --- bad tokens -------------------------------------------------------------------------


async def test_expired_token_is_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    now = int(time.time())
    caplog.set_level(logging.DEBUG, logger="auth.tokens")

    assert await verifier.verify(make_token(rsa_key, iat=now - 600, exp=now - 60)) is None
    # The reason is in the DEBUG log, and nowhere louder.
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.DEBUG]
    assert "expired" in refusals[0].getMessage()


async def test_not_yet_valid_token_is_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    now = int(time.time())

    assert await verifier.verify(make_token(rsa_key, nbf=now + 120)) is None


async def test_token_issued_in_the_future_is_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    now = int(time.time())

    assert await verifier.verify(make_token(rsa_key, iat=now + 120, exp=now + 600)) is None


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example.test/"},
        {"iss": ISSUER.rstrip("/")},
        {"aud": "another-service"},
        {"aud": ["another-service", "yet-another"]},
    ],
    ids=["wrong-issuer", "issuer-without-slash", "wrong-audience", "audience-list-without-ours"],
)
async def test_wrong_issuer_or_audience_is_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey, claims: dict[str, Any]
) -> None:
    assert await verifier.verify(make_token(rsa_key, **claims)) is None


@pytest.mark.parametrize(
    "claims",
    [{"sub": DROP}, {"exp": DROP}, {"iss": DROP}, {"aud": DROP}, {"sub": ""}],
    ids=["no-sub", "no-exp", "no-iss", "no-aud", "empty-sub"],
)
async def test_missing_required_claims_are_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey, claims: dict[str, Any]
) -> None:
    assert await verifier.verify(make_token(rsa_key, **claims)) is None


async def test_unknown_kid_refetches_once_then_fails(
    verifier: JwtVerifier,
    jwks: JwksServer,
    rsa_key: rsa.RSAPrivateKey,
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    assert await verifier.verify(make_token(rsa_key)) is not None
    assert jwks.fetches == 1

    assert await verifier.verify(make_token(stranger_key, kid="rotated-1")) is None
    assert jwks.fetches == 2  # looked once more, in case the provider rotated

    # Another unknown kid within the minimum interval: no new fetch.
    assert await verifier.verify(make_token(stranger_key, kid="rotated-2")) is None
    assert jwks.fetches == 2


async def test_a_rotated_key_is_picked_up_after_the_interval(
    verifier: JwtVerifier,
    jwks: JwksServer,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    assert await verifier.verify(make_token(rsa_key)) is not None
    token = make_token(stranger_key, kid="rsa-2")
    assert await verifier.verify(token) is None
    assert jwks.fetches == 2

    jwks.keys.append(jwk_of(stranger_key, "rsa-2"))  # the provider rotates
    clock.now += 10
    assert await verifier.verify(token) is None  # too soon to ask again
    clock.now += 25
    assert await verifier.verify(token) is not None

    assert jwks.fetches == 3


async def test_a_stale_jwks_is_refreshed_and_a_failed_refresh_keeps_the_keys(
    verifier: JwtVerifier, jwks: JwksServer, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert await verifier.verify(make_token(rsa_key)) is not None
    jwks.status = 503
    clock.now += 601

    assert await verifier.verify(make_token(rsa_key)) is not None  # refetched, failed, kept
    assert jwks.fetches == 2
    assert await verifier.verify(make_token(rsa_key)) is not None  # no retry within interval
    assert jwks.fetches == 2


async def test_an_unreachable_jwks_refuses_without_raising(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = JwksKeys("http://127.0.0.1:9/jwks.json")
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys)
    try:
        assert await verifier.verify(make_token(rsa_key)) is None
        # The set was missing, then the kid unknown: each reason fetches once per interval.
        assert keys.fetches == 2
        assert await verifier.verify(make_token(rsa_key)) is None
        assert keys.fetches == 2
    finally:
        await verifier.aclose()


async def test_alg_none_is_refused(verifier: JwtVerifier) -> None:
    token = forge({"alg": "none", "kid": "rsa-1", "typ": "JWT"}, good_claims())

    assert token.endswith(".")
    assert await verifier.verify(token) is None


async def test_hs256_signed_with_the_rsa_public_key_is_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def mac(message: bytes) -> bytes:
        return hmac.new(public_pem, message, hashlib.sha256).digest()

    token = forge({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}, good_claims(), mac)

    assert await verifier.verify(token) is None


async def test_a_key_is_pinned_to_its_own_algorithm(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # The EC key's kid with an RS256 header (signed by the RSA key): no key fits.
    assert await verifier.verify(make_token(rsa_key, "RS256", "ec-1")) is None
    # RS256 is allowed and `rsa-1` is published for RS256 only: PS256 is not tried.
    assert await verifier.verify(make_token(rsa_key, "PS256", "rsa-1")) is None


async def test_tampered_payload_is_refused(
    verifier: JwtVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    header, payload, signature = make_token(rsa_key, sub="user-1").split(".")
    other_payload = make_token(rsa_key, sub="admin").split(".")[1]

    assert await verifier.verify(f"{header}.{payload}.{signature}") is not None
    assert await verifier.verify(f"{header}.{other_payload}.{signature}") is None


@pytest.mark.parametrize(
    "token",
    ["", "a.b.c", "not a token", "..", "x" * 10_000, 42, None, b"a.b.c"],
    ids=["empty", "abc", "words", "dots", "huge", "int", "none", "bytes"],
)
async def test_garbage_is_refused_without_raising(verifier: JwtVerifier, token: object) -> None:
    assert await verifier.verify(token) is None


# --- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["RS256", "HS512"], []])
def test_only_public_key_algorithms_may_be_configured(algorithms: list[str]) -> None:
    with pytest.raises(ValueError, match="JWT algorithms"):
        JwtVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeys([]), algorithms=algorithms)


async def test_unusable_jwks_members_are_ignored(
    jwks: JwksServer,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (weak on purpose)
    jwks.keys = [
        {"kty": "oct", "k": b64url(b"s" * 32), "kid": "hmac"},  # a shared secret: HS*
        {**RSAAlgorithm.to_jwk(weak.public_key(), as_dict=True), "kid": "weak"},  # too short
        jwk_of(rsa_key, "enc", use="enc"),  # not for signatures
        jwk_of(rsa_key, "mismatch", alg="ES256"),  # alg of another key type
        jwk_of(rsa_key, "rs512", alg="RS512"),  # not an allowed algorithm here
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        "not a key",
        jwk_of(ec_key, "ec-1"),
    ]
    keys = JwksKeys(jwks.url, clock=clock)
    try:
        found = {k.kid for k in await keys.find(None, "RS256")}
        found |= {k.kid for k in await keys.find(None, "ES256")}
    finally:
        await keys.aclose()

    assert found == {"ec-1"}


async def test_static_pem_keys_verify_tokens_with_or_without_a_kid(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    paths = []
    for name, key in (("rsa.pem", rsa_key), ("ec.pem", ec_key)):
        path = tmp_path / name
        path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        paths.append(path)
    [verifier] = build_verifiers(issuer=ISSUER, audience=AUDIENCE, public_keys=paths)
    rsa_kid = thumbprint(rsa_key.public_key())

    assert await verifier.verify(make_token(rsa_key, kid=None)) is not None
    assert await verifier.verify(make_token(rsa_key, kid=rsa_kid)) is not None
    assert await verifier.verify(make_token(ec_key, "ES256", kid=None)) is not None
    assert await verifier.verify(make_token(rsa_key, kid="someone-else")) is None
    await verifier.aclose()


def test_thumbprint_is_the_rfc_7638_example() -> None:
    # RFC 7638, section 3.1: this key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
        "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    key = jwt.PyJWK({"kty": "RSA", "n": n, "e": "AQAB"}).key

    assert thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    "url", ["http://idp.example.test/jwks.json", "ftp://127.0.0.1/jwks.json", "jwks.json"]
)
def test_a_jwks_url_must_be_https_unless_on_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        JwksKeys(url)


def test_half_configured_jwt_is_refused() -> None:
    with pytest.raises(ValueError, match="issuer, an audience"):
        build_verifiers(issuer=ISSUER, audience=None, jwks_url="http://127.0.0.1:9/jwks")
    with pytest.raises(ValueError, match="issuer, an audience"):
        build_verifiers(issuer=ISSUER, audience=AUDIENCE)
    assert build_verifiers(issuer=None, audience=None) == []


def test_a_weak_static_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505 (on purpose)
    pem = weak.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    with pytest.raises(ValueError, match="2048"):
        VerificationKey.from_pem(pem)


# --- the demo signing key ---------------------------------------------------------------


def test_the_demo_key_is_created_once_and_private(tmp_path: Path) -> None:
    folder = tmp_path / "demo-jwt"

    first = ensure_demo_signing_key(folder)
    second = ensure_demo_signing_key(folder)

    assert first.public.kid == second.public.kid
    assert first.public.algorithm == "ES256"
    assert stat.S_IMODE((folder / "private.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert VerificationKey.from_pem((folder / "public.pem").read_bytes()) == first.public
    assert sorted(p.name for p in folder.iterdir()) == ["private.pem", "public.pem"]


async def test_demo_tokens_verify_only_with_the_demo_verifier(tmp_path: Path) -> None:
    signing = ensure_demo_signing_key(tmp_path / "demo-jwt")
    [demo] = build_verifiers(issuer=None, audience=None, demo_key_dir=tmp_path / "demo-jwt")
    token = mint_token(signing, subject="agent-1:admin", ttl=timedelta(minutes=5))
    expired = mint_token(
        signing,
        subject="agent-1:admin",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    other = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeys([signing.public]))

    claims = await demo.verify(token)

    assert claims is not None
    assert (claims.issuer, claims.subject) == (DEMO_ISSUER, "agent-1:admin")
    assert claims.payload["aud"] == DEMO_AUDIENCE
    assert await demo.verify(expired) is None
    assert await other.verify(token) is None  # the demo issuer is trusted by the demo only
