"""Who is asking: ``Authorization: Bearer <API key | JWT>`` to an immutable :class:`Principal`.

:class:`GatewayAuthBackend` is a Starlette ``AuthenticationBackend`` (usable with
``AuthenticationMiddleware``) and, through :meth:`GatewayAuthBackend.principal_for`, the
``authenticate`` hook of the GraphQL endpoint, which turns ``None`` into HTTP 401
``UNAUTHENTICATED`` (close code 4403 at a WebSocket's ``connection_init``). The bearer
credential is one of:

* an API key (``sbk_<key id>_<secret>``, see :mod:`auth.keys`), checked by
  :meth:`auth.directory.Directory.authenticate`;
* a JWT from a configured identity provider: verified by the :class:`JwtVerifier` of its
  issuer, then mapped to a party and role by the directory's identities
  (:class:`auth.identities.IdentityResolver`).

Every failure looks the same from outside: missing header, wrong scheme, malformed
credential, bad signature, expired token, unknown subject all yield ``None`` (or
``AuthenticationError("invalid credentials")``), so a client learns nothing about which
part was wrong.

Example:
    >>> backend = GatewayAuthBackend(directory, verifiers=build_verifiers(...))
    >>> principal = await backend.principal_for(request)  # Principal or None
    >>> await backend.aclose()
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Final

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)

from auth.identities import IdentityResolver
from auth.keys import parse_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.requests import HTTPConnection

    from auth.directory import Directory
    from auth.principal import Principal
    from auth.tokens import JwtVerifier

__all__ = ["INVALID_CREDENTIALS", "GatewayAuthBackend", "PrincipalUser", "bearer_token"]

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS: Final = "invalid credentials"
"""The one message every authentication failure carries."""

# Compact JWS: three base64url parts (the signature may be empty, as with alg "none",
# which the verifier then refuses). Checked before any decoding work.
_JWT_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_MAX_CREDENTIAL_LENGTH: Final = 8192


def bearer_token(conn: HTTPConnection) -> str | None:
    """The credential of an ``Authorization: Bearer <credential>`` header, if any.

    Args:
        conn: The request or websocket.

    Returns:
        The credential, stripped, or ``None`` when the header is missing, of another
        scheme or empty.
    """
    header = conn.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


class PrincipalUser(BaseUser):
    """Starlette's view of an authenticated :class:`Principal` (``request.user``)."""

    def __init__(self, principal: Principal) -> None:
        """Wrap a principal.

        Args:
            principal: Who is asking.
        """
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.name

    @property
    def identity(self) -> str:
        return self.principal.party_id


class GatewayAuthBackend(AuthenticationBackend):
    """API keys and identity-provider JWTs to principals.

    Build one per process (it caches and may hold a JWKS client) and close it with
    :meth:`aclose`.

    Example:
        >>> backend = GatewayAuthBackend(directory, verifiers=[verifier])
        >>> app = Starlette(middleware=[Middleware(AuthenticationMiddleware, backend=backend)])
    """

    def __init__(
        self,
        directory: Directory,
        *,
        verifiers: Sequence[JwtVerifier] = (),
        identities: IdentityResolver | None = None,
    ) -> None:
        """Authenticate against this directory.

        Args:
            directory: Checks API keys and maps JWT subjects to parties.
            verifiers: One per trusted issuer (none: JWTs are refused).
            identities: Resolves verified subjects; by default one over ``directory``.
        """
        self.directory = directory
        self.verifiers = tuple(verifiers)
        self.identities = identities or IdentityResolver(directory)

    @property
    def jwt_enabled(self) -> bool:
        """Whether any identity provider (or the demo key) is trusted."""
        return bool(self.verifiers)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """Starlette's hook: ``None`` without credentials, an error for bad ones.

        Args:
            conn: The request or websocket.

        Returns:
            The credentials and user, or ``None`` when no ``Authorization`` was sent.

        Raises:
            AuthenticationError: ``invalid credentials``, whatever was wrong.
        """
        if "authorization" not in conn.headers:
            return None
        principal = await self.principal_for(conn)
        if principal is None:
            raise AuthenticationError(INVALID_CREDENTIALS)
        return AuthCredentials(["authenticated"]), PrincipalUser(principal)

    async def principal_for(self, conn: HTTPConnection) -> Principal | None:
        """The principal behind a request's bearer credential, or ``None``.

        Args:
            conn: The request or websocket (at ``connection_init`` the endpoint puts the
                payload's ``authorization`` in the headers).

        Returns:
            The principal, or ``None`` for missing or invalid credentials.
        """
        credential = bearer_token(conn)
        return None if credential is None else await self.principal_for_credential(credential)

    async def principal_for_credential(self, credential: str) -> Principal | None:
        """The principal of a bare credential (an API key or a JWT), or ``None``.

        Args:
            credential: What followed ``Bearer``.

        Returns:
            The principal, or ``None``.
        """
        if len(credential) > _MAX_CREDENTIAL_LENGTH:
            return None
        if parse_key(credential) is not None:
            return await self.directory.authenticate(credential)
        if not self.verifiers or _JWT_SHAPE.fullmatch(credential) is None:
            return None
        for verifier in self._verifiers_for(credential):
            claims = await verifier.verify(credential)
            if claims is not None:
                principal = await self.identities.principal(claims.issuer, claims.subject)
                if principal is None:
                    logger.debug(
                        "JWT subject %r of %r has no identity", claims.subject, claims.issuer
                    )
                return principal
        return None

    def _verifiers_for(self, token: str) -> tuple[JwtVerifier, ...]:
        """The verifiers of the token's (unverified) issuer; each then checks it for real."""
        import jwt  # only with verifiers configured: PyJWT loads cryptography (~19 MiB)

        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, ValueError, TypeError):
            return ()
        issuer = unverified.get("iss")
        return tuple(v for v in self.verifiers if v.issuer == issuer)

    async def aclose(self) -> None:
        """Close the verifiers' JWKS clients."""
        for verifier in self.verifiers:
            await verifier.aclose()
