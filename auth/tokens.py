"""JWT bearer tokens of an identity provider: signature, pinned algorithm, claims checked.

A :class:`JwtVerifier` trusts one issuer for one audience. It finds the token's key in a
:class:`KeySource` (the provider's JWKS URL, :class:`JwksKeys`, or public keys
configured as PEM files, :class:`StaticKeys`), verifies the signature with that key's
own algorithm and checks ``iss``, ``aud``, ``exp`` and ``nbf`` with a small leeway.
Anything wrong yields ``None``; the reason is logged at DEBUG only, so a client never
learns which part failed.

Algorithm confusion is closed twice over: only asymmetric algorithms are ever allowed
(``none`` and ``HS*`` are refused at construction), and each key is pinned to one
algorithm (the JWK's ``alg``, else the one its key type implies), which is the only
algorithm ``jwt.decode`` is given for it. An ``HS256`` token "signed" with an RSA
public key therefore never reaches a MAC check.

The demo helpers at the bottom (:func:`ensure_demo_signing_key`, :func:`mint_token`)
back ``switchboard tokens mint --demo``: a local ES256 key whose public half the
``--demo`` gateway trusts for the issuer :data:`DEMO_ISSUER`.

The module is past the ~500-line guide (a third of it docstrings) because keys, key
sources and the verifier change together; the demo helpers are the piece to move out
first if it grows.

Example:
    >>> verifier = JwtVerifier(
    ...     issuer="https://idp.example.com/",
    ...     audience="switchboard",
    ...     keys=JwksKeys("https://idp.example.com/.well-known/jwks.json"),
    ... )
    >>> claims = await verifier.verify(token)  # Claims, or None
    >>> await verifier.aclose()
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from jwt.algorithms import AllowedPublicKeys

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "DEFAULT_LEEWAY_SECONDS",
    "DEMO_AUDIENCE",
    "DEMO_ISSUER",
    "MIN_REFRESH_INTERVAL_SECONDS",
    "Claims",
    "DemoSigningKey",
    "JwksKeys",
    "JwtVerifier",
    "KeySource",
    "StaticKeys",
    "VerificationKey",
    "build_verifiers",
    "ensure_demo_signing_key",
    "key_algorithm",
    "mint_token",
    "public_jwk",
    "thumbprint",
]

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Every algorithm a verifier may be configured with: public-key signatures only."""

DEFAULT_ALGORITHMS: Final = ("RS256", "ES256")
DEFAULT_LEEWAY_SECONDS: Final = 30.0
MIN_REFRESH_INTERVAL_SECONDS: Final = 30.0
"""The JWKS is fetched at most once per this interval, however many unknown kids arrive."""
JWKS_MAX_AGE_SECONDS: Final = 600.0
"""A JWKS older than this is refetched on the next verification (rotation without a new kid)."""

DEMO_ISSUER: Final = "switchboard-demo"
DEMO_AUDIENCE: Final = "switchboard-demo-gateway"

_REQUIRED_CLAIMS: Final = ["exp", "iss", "aud", "sub"]
# A real token is well under 2 KB; anything far longer is refused before any parsing.
_MAX_TOKEN_LENGTH: Final = 8192
_MAX_JWKS_BYTES: Final = 512 * 1024
_MIN_RSA_BITS: Final = 2048
_JWKS_TIMEOUT: Final = httpx.Timeout(5.0)
_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_EC_ALGORITHMS: Final = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
# RFC 7638: the members a JWK thumbprint is computed over, per key type.
_THUMBPRINT_MEMBERS: Final = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}
_ALGORITHM_FAMILY: Final = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


@dataclass(frozen=True, slots=True)
class Claims:
    """The verified claims of a token.

    Attributes:
        issuer: ``iss``, equal to the verifier's issuer.
        subject: ``sub``, the provider's id of the user or client (non-empty).
        expires_at: ``exp`` as an aware UTC datetime.
        payload: Every claim, read-only.
    """

    issuer: str
    subject: str
    expires_at: datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key pinned to the one algorithm it may verify.

    Attributes:
        algorithm: The JWS ``alg`` this key verifies, and nothing else.
        key: The public key.
        kid: The key id tokens name in their header (``None`` if it has none).
    """

    algorithm: str
    key: AllowedPublicKeys
    kid: str | None = None

    @classmethod
    def from_pem(cls, pem: bytes, *, kid: str | None = None) -> VerificationKey:
        """Load a PEM public key, pinned to the algorithm its type implies.

        Args:
            pem: A PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo).
            kid: The key id; defaults to the key's RFC 7638 thumbprint.

        Returns:
            The key.

        Raises:
            ValueError: If the data is not a supported public key (RSA of at least 2048
                bits, EC P-256/384/521, Ed25519).
        """
        loaded = serialization.load_pem_public_key(pem)
        if isinstance(
            loaded, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
        ):
            return cls(algorithm=key_algorithm(loaded), key=loaded, kid=kid or thumbprint(loaded))
        raise ValueError(f"unsupported public key type {type(loaded).__name__}")


def key_algorithm(key: AllowedPublicKeys) -> str:
    """The algorithm a public key is pinned to when nothing names one.

    Args:
        key: The public key.

    Returns:
        ``RS256`` for RSA, ``ES256``/``ES384``/``ES512`` by curve, ``EdDSA`` for Ed25519.

    Raises:
        ValueError: For a key too weak or of an unsupported type or curve.
    """
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise ValueError(f"RSA key of {key.key_size} bits; at least {_MIN_RSA_BITS} needed")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = _EC_ALGORITHMS.get(key.curve.name)
        if algorithm is None:
            raise ValueError(f"unsupported EC curve {key.curve.name}")
        return algorithm
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise ValueError(f"unsupported public key type {type(key).__name__}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: AllowedPublicKeys) -> dict[str, Any]:
    """The JWK of a public key (no ``kid`` or ``alg``), as a JWKS would publish it."""
    jwk: dict[str, Any] = jwt.get_algorithm_by_name(key_algorithm(key)).to_jwk(key, as_dict=True)
    return jwk


def thumbprint(key: AllowedPublicKeys) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public key: a stable, content-derived ``kid``."""
    jwk = public_jwk(key)
    members = _THUMBPRINT_MEMBERS.get(jwk["kty"], ("crv", "kty", "x"))
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _from_jwk(jwk: object, allowed: frozenset[str]) -> VerificationKey | None:
    """One JWKS member as a pinned key, or ``None`` when it is unusable or not allowed."""
    if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
        return None
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        return None
    try:
        parsed = jwt.PyJWK(jwk)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        logger.debug("skipping JWKS key %r: %s", kid, exc)
        return None
    algorithm = parsed.algorithm_name
    # PyJWK derives the algorithm from `alg` or the key type; `oct` keys mean HS*, which
    # is not allowed, and a declared `alg` must match the key's family.
    family = _ALGORITHM_FAMILY.get(algorithm[:2])
    if algorithm not in allowed or family != jwk.get("kty"):
        return None
    key: AllowedPublicKeys = parsed.key
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < _MIN_RSA_BITS:
        return None
    if not isinstance(
        key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
    ):  # a private JWK published by mistake, or an unsupported type
        return None
    return VerificationKey(algorithm=algorithm, key=key, kid=kid)


def _matching(
    keys: Iterable[VerificationKey], kid: str | None, algorithm: str
) -> list[VerificationKey]:
    # With a kid, only that key; without one, every key of the token's algorithm.
    return [k for k in keys if k.algorithm == algorithm and (kid is None or k.kid == kid)]


class KeySource(Protocol):
    """Where a verifier finds public keys."""

    async def find(self, kid: str | None, algorithm: str) -> Sequence[VerificationKey]:
        """The keys that may have signed a token with this header ``kid`` and ``alg``."""
        ...

    async def aclose(self) -> None:
        """Release whatever the source holds (HTTP connections)."""
        ...


class StaticKeys:
    """Public keys configured up front (PEM files): nothing to fetch, nothing to refresh.

    Example:
        >>> keys = StaticKeys.from_pem_files([Path("idp-2024.pem"), Path("idp-2025.pem")])
    """

    def __init__(self, keys: Iterable[VerificationKey]) -> None:
        """Hold these keys.

        Args:
            keys: The trusted keys.
        """
        self.keys = tuple(keys)

    @classmethod
    def from_pem_files(cls, paths: Iterable[Path]) -> StaticKeys:
        """Load PEM public keys; each one's ``kid`` is its RFC 7638 thumbprint.

        Args:
            paths: PEM files, one public key each.

        Returns:
            The key source.

        Raises:
            OSError: If a file cannot be read.
            ValueError: If a file holds no supported public key.
        """
        return cls(VerificationKey.from_pem(Path(p).read_bytes()) for p in paths)

    async def find(self, kid: str | None, algorithm: str) -> Sequence[VerificationKey]:
        return _matching(self.keys, kid, algorithm)

    async def aclose(self) -> None:
        return None


class JwksKeys:
    """The identity provider's JWKS, fetched over HTTP and cached.

    The set is fetched on first use and again once it is older than ``max_age``. A token
    naming a ``kid`` the set lacks (the provider rotated its keys) triggers a refetch,
    but never more than once per ``min_refresh_interval``: a flood of made-up kids
    cannot turn the gateway into a load generator against the provider. If a fetch
    fails, the keys already known stay in use.

    Example:
        >>> keys = JwksKeys("https://idp.example.com/.well-known/jwks.json")
        >>> await keys.find("2025-01", "RS256")
    """

    def __init__(
        self,
        url: str,
        *,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        client: httpx.AsyncClient | None = None,
        min_refresh_interval: float = MIN_REFRESH_INTERVAL_SECONDS,
        max_age: float = JWKS_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the source; nothing is fetched until a token needs a key.

        Args:
            url: The JWKS URL.
            algorithms: Keys pinned to other algorithms are ignored.
            client: An HTTP client to use (not closed by :meth:`aclose`); by default
                the source owns one.
            min_refresh_interval: Seconds between two fetches, at least.
            max_age: Seconds after which the cached set is refetched on next use.
            clock: Monotonic seconds (tests swap it).

        Raises:
            ValueError: If the URL is not ``https`` (plain ``http`` only on loopback): keys
                fetched in the clear could be swapped by anyone on the path.
        """
        parsed = httpx.URL(url)
        if parsed.scheme != "https" and not (
            parsed.scheme == "http" and parsed.host in _LOOPBACK_HOSTS
        ):
            raise ValueError(f"the JWKS URL must be https (http only on loopback), got {url!r}")
        self.url = url
        self.fetches = 0
        self._allowed = frozenset(algorithms)
        self._client = client
        self._owns_client = client is None
        self._min_refresh_interval = min_refresh_interval
        self._max_age = max_age
        self._clock = clock
        self._keys: tuple[VerificationKey, ...] = ()
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._unknown_kid_at: float | None = None  # last fetch for an unknown kid
        self._lock = asyncio.Lock()

    async def find(self, kid: str | None, algorithm: str) -> Sequence[VerificationKey]:
        now = self._clock()
        if self._fetched_at is None or now - self._fetched_at >= self._max_age:
            await self._refresh(unknown_kid=False)
        found = _matching(self._keys, kid, algorithm)
        if not found and kid is not None and all(k.kid != kid for k in self._keys):
            await self._refresh(unknown_kid=True)  # perhaps rotated: look once more
            found = _matching(self._keys, kid, algorithm)
        return found

    async def _refresh(self, *, unknown_kid: bool) -> None:
        # Each reason to fetch (a stale or missing set; an unknown kid) is rate-limited on
        # its own, so at most two fetches happen per interval whatever tokens arrive.
        seen = self.fetches
        async with self._lock:
            if self.fetches != seen:
                return  # another task fetched while this one waited
            now = self._clock()
            last = self._unknown_kid_at if unknown_kid else self._attempted_at
            if last is not None and now - last < self._min_refresh_interval:
                return
            if unknown_kid:
                self._unknown_kid_at = now
            self._attempted_at = now
            self.fetches += 1
            keys = await self._fetch()
            if keys is not None:
                self._keys = keys
                self._fetched_at = now

    async def _fetch(self) -> tuple[VerificationKey, ...] | None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=_JWKS_TIMEOUT)
        try:
            response = await self._client.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            logger.warning("could not fetch the JWKS at %s: %s", self.url, exc)
            return None
        if len(response.content) > _MAX_JWKS_BYTES:
            logger.warning("the JWKS at %s is over %d bytes", self.url, _MAX_JWKS_BYTES)
            return None
        try:
            document = response.json()
        except ValueError:
            logger.warning("the JWKS at %s is not JSON", self.url)
            return None
        members = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(members, list):
            logger.warning("the JWKS at %s has no `keys` list", self.url)
            return None
        keys = tuple(k for k in (_from_jwk(m, self._allowed) for m in members) if k is not None)
        logger.debug("fetched %d usable keys from %s", len(keys), self.url)
        return keys

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
        self._client = None


class JwtVerifier:
    """Verifies bearer JWTs of one issuer for one audience.

    Example:
        >>> verifier = JwtVerifier(
        ...     issuer="https://idp.example.com/", audience="switchboard", keys=StaticKeys(keys)
        ... )
        >>> claims = await verifier.verify(token)
        >>> claims.subject if claims else "rejected"
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeySource,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        leeway: float = DEFAULT_LEEWAY_SECONDS,
    ) -> None:
        """Configure a verifier.

        Args:
            issuer: The exact ``iss`` tokens must carry.
            audience: An ``aud`` tokens must carry (or include).
            keys: Where the public keys come from.
            algorithms: The accepted ``alg`` values; asymmetric algorithms only.
            leeway: Seconds of clock skew tolerated on ``exp``, ``nbf`` and ``iat``.

        Raises:
            ValueError: For an empty issuer or audience, no algorithm, an algorithm that
                is not a public-key signature (``none``, ``HS256``...), or a negative
                leeway.
        """
        self.algorithms = frozenset(algorithms)
        refused = self.algorithms - ASYMMETRIC_ALGORITHMS
        if refused or not self.algorithms:
            raise ValueError(
                f"JWT algorithms must be among {sorted(ASYMMETRIC_ALGORITHMS)}; "
                f"refused: {sorted(refused) or 'an empty list'}"
            )
        if not issuer or not audience:
            raise ValueError("a JWT verifier needs an issuer and an audience")
        if leeway < 0:
            raise ValueError("leeway must not be negative")
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway = leeway

    async def verify(self, token: object) -> Claims | None:
        """The verified claims of a token, or ``None`` if anything about it is wrong.

        Never raises for bad input; why a token was refused is logged at DEBUG only.
        Key lookups may fetch the JWKS.

        Args:
            token: The compact JWS as presented (without ``Bearer``).

        Returns:
            The claims, or ``None``.
        """
        outcome = await self._check(token)
        if isinstance(outcome, str):
            # DEBUG only: which check failed must not reach clients, nor flood the logs.
            logger.debug("JWT refused by the verifier of %s: %s", self.issuer, outcome)
            return None
        return outcome

    async def _check(self, token: object) -> Claims | str:
        """The claims, or why the token is refused."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH:
            return "not a string of plausible length"
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            return f"malformed header: {exc}"
        algorithm, kid = header.get("alg"), header.get("kid")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            return f"algorithm {algorithm!r} not allowed"
        if kid is not None and not isinstance(kid, str):
            return "kid is not a string"
        candidates = await self.keys.find(kid, algorithm)
        if not candidates:
            return f"no {algorithm} key with kid {kid!r}"
        for key in candidates:
            try:
                payload = jwt.decode(
                    token,
                    key.key,
                    algorithms=[key.algorithm],  # pinned: the key's own algorithm only
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.leeway,
                    options={"require": _REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
                )
            except jwt.InvalidSignatureError as exc:
                if kid is None:
                    continue  # without a kid, another key of this algorithm may fit
                return str(exc)
            except (jwt.PyJWTError, ValueError, TypeError) as exc:
                return f"{type(exc).__name__}: {exc}"
            return self._claims(payload)
        return "no key verifies the signature"

    def _claims(self, payload: dict[str, Any]) -> Claims | str:
        subject, exp = payload["sub"], payload["exp"]
        if not isinstance(subject, str) or not subject:
            return "empty subject"
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return "exp is not a number"
        return Claims(
            issuer=self.issuer,
            subject=subject,
            expires_at=datetime.fromtimestamp(exp, UTC),
            payload=MappingProxyType(payload),
        )

    async def aclose(self) -> None:
        """Close the key source's HTTP client, if any."""
        await self.keys.aclose()


def build_verifiers(
    *,
    issuer: str | None,
    audience: str | None,
    jwks_url: str | None = None,
    public_keys: Sequence[Path] = (),
    algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
    leeway: float = DEFAULT_LEEWAY_SECONDS,
    demo_key_dir: Path | None = None,
) -> list[JwtVerifier]:
    """The verifiers a gateway's settings ask for.

    Args:
        issuer: The identity provider's issuer (``None``: no provider).
        audience: The audience its tokens carry for this gateway.
        jwks_url: The provider's JWKS URL.
        public_keys: PEM public keys of the provider (used with or instead of the URL).
        algorithms: Accepted algorithms.
        leeway: Clock skew tolerated, in seconds.
        demo_key_dir: ``--demo`` only: also trust the local demo signing key kept here
            (created if missing) for :data:`DEMO_ISSUER` and :data:`DEMO_AUDIENCE`.

    Returns:
        One verifier for the provider when issuer, audience and a key source are all
        set, plus one for the demo key; possibly none.

    Raises:
        ValueError: If the provider is half configured or a key file is unusable.
    """
    verifiers: list[JwtVerifier] = []
    allowed = tuple(algorithms)
    configured = [issuer, audience, jwks_url or public_keys or None]
    if any(configured) and not all(configured):
        raise ValueError("JWT needs an issuer, an audience and a JWKS URL or public key files")
    if issuer and audience:
        sources: list[KeySource] = []
        if public_keys:
            sources.append(StaticKeys.from_pem_files(public_keys))
        if jwks_url:
            sources.append(JwksKeys(jwks_url, algorithms=allowed))
        verifiers.extend(
            JwtVerifier(
                issuer=issuer, audience=audience, keys=source, algorithms=allowed, leeway=leeway
            )
            for source in sources
        )
    if demo_key_dir is not None:
        demo = ensure_demo_signing_key(demo_key_dir)
        verifiers.append(
            JwtVerifier(
                issuer=DEMO_ISSUER,
                audience=DEMO_AUDIENCE,
                keys=StaticKeys([demo.public]),
                algorithms=[demo.public.algorithm],
                leeway=leeway,
            )
        )
    return verifiers


# --- the demo signing key ---------------------------------------------------------------

_DEMO_PRIVATE_KEY: Final = "private.pem"
_DEMO_PUBLIC_KEY: Final = "public.pem"


@dataclass(frozen=True, slots=True)
class DemoSigningKey:
    """The local ES256 key pair of ``--demo``: never an identity provider's.

    Attributes:
        private_key: Signs demo tokens (kept in a 0600 file).
        public: Its public half, as the demo gateway trusts it.
        directory: Where both halves live.
    """

    private_key: ec.EllipticCurvePrivateKey
    public: VerificationKey
    directory: Path


def ensure_demo_signing_key(directory: Path) -> DemoSigningKey:
    """Load the demo key pair from ``directory``, creating it on first use.

    The private key is written to a 0600 temporary file and linked into place, so two
    processes racing to create it end up sharing one key.

    Args:
        directory: The key folder (created 0700 if missing).

    Returns:
        The key pair.

    Raises:
        ValueError: If the folder holds a private key that is not an EC P-256 key.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = directory / _DEMO_PRIVATE_KEY
    if not private_path.exists():
        generated = ec.generate_private_key(ec.SECP256R1())
        pem = generated.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = directory / f".{_DEMO_PRIVATE_KEY}.{secrets.token_hex(8)}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        try:
            os.link(temporary, private_path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            temporary.unlink()
    loaded = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
        raise ValueError(f"{private_path} is not an EC P-256 private key")
    public_key = loaded.public_key()
    public_pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_path = directory / _DEMO_PUBLIC_KEY
    with contextlib.suppress(OSError):  # a convenience copy only; the private key is the truth
        if not public_path.exists() or public_path.read_bytes() != public_pem:
            public_path.write_bytes(public_pem)
    return DemoSigningKey(
        private_key=loaded, public=VerificationKey.from_pem(public_pem), directory=directory
    )


def mint_token(
    signing_key: DemoSigningKey,
    *,
    subject: str,
    ttl: timedelta,
    issuer: str = DEMO_ISSUER,
    audience: str = DEMO_AUDIENCE,
    now: datetime | None = None,
) -> str:
    """Sign a demo token (ES256, ``kid`` = the key's thumbprint).

    Args:
        signing_key: The demo key pair.
        subject: ``sub``.
        ttl: Lifetime; ``exp`` is ``now + ttl``.
        issuer: ``iss``.
        audience: ``aud``.
        now: The issue time (defaults to the current time).

    Returns:
        The compact JWT.
    """
    issued = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(
        claims,
        signing_key.private_key,
        algorithm=signing_key.public.algorithm,
        headers={"kid": signing_key.public.kid, "typ": "JWT"},
    )
