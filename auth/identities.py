"""From a verified JWT subject to a :class:`Principal`, through the directory's identities.

An identity provider says *who* a user is (``iss`` + ``sub``); only the directory says
which party that user acts for and in which role. Nothing in the token's other claims
(roles, groups, tenant ids) is trusted: a provider misconfiguration must not be able to
hand out access to another party's branch of the channel tree.

Resolved principals are cached briefly, like verified API keys
(:data:`auth.directory.CACHE_TTL_SECONDS`), so a mapping removed from the directory stops
working in other processes within that time.

Example:
    >>> identities = IdentityResolver(directory)
    >>> await identities.principal("https://idp.example.com/", "auth0|42")
    Principal(party_id='agent-1', kind=<PartyKind.AGENT: 'agent'>, role='admin', ...)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from auth.directory import CACHE_TTL_SECONDS
from auth.principal import Principal
from auth.roles import valid_role

if TYPE_CHECKING:
    from collections.abc import Callable

    from auth.directory import Directory

__all__ = ["IdentityResolver"]

_CACHE_MAX_ENTRIES: Final = 10_000


class IdentityResolver:
    """Maps ``(issuer, subject)`` to the principal the directory says it is.

    Example:
        >>> resolver = IdentityResolver(directory, ttl=30.0)
        >>> principal = await resolver.principal(claims.issuer, claims.subject)
    """

    def __init__(
        self,
        directory: Directory,
        *,
        ttl: float = CACHE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Resolve through this directory.

        Args:
            directory: Where identities, parties and the tree live.
            ttl: Seconds a resolved principal is reused without asking SQL.
            clock: Monotonic seconds (tests swap it).
        """
        self._directory = directory
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[Principal, float]] = {}

    async def principal(self, issuer: str, subject: str) -> Principal | None:
        """The principal of a verified subject, or ``None`` if the directory has none.

        ``None`` too when the mapped party is gone or the role no longer suits its kind.

        Args:
            issuer: The token's verified ``iss``.
            subject: Its verified ``sub``.

        Returns:
            The principal (``key_id`` is ``None``), or ``None``.
        """
        key = (issuer, subject)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None:
            if now < cached[1]:
                return cached[0]
            del self._cache[key]
        mapping = await self._directory.identity(issuer, subject)
        if mapping is None:
            return None
        party_id, role = mapping
        party = await self._directory.party(party_id)
        if party is None or not valid_role(party.kind, role):
            return None
        principal = Principal(
            party_id=party.id,
            kind=party.kind,
            role=role,
            chain=await self._directory.chain(party.id),
            name=party.name,
        )
        if len(self._cache) >= _CACHE_MAX_ENTRIES:
            self._cache.clear()
        self._cache[key] = (principal, now + self._ttl)
        return principal

    def forget(self, issuer: str | None = None, subject: str | None = None) -> None:
        """Drop cached principals: one subject's, one issuer's, or all of them.

        Args:
            issuer: Only this issuer's subjects (``None``: every issuer).
            subject: Only this subject (with ``issuer``).
        """
        self._cache = {
            k: v
            for k, v in self._cache.items()
            if not ((issuer is None or k[0] == issuer) and (subject is None or k[1] == subject))
        }
