"""httpx auth flows for carrier credentials that need more than a static header.

OAuth2 client credentials: one token per carrier, fetched once and shared by every
concurrent request until it is about to expire, refreshed once when the carrier
answers 401 (it may have revoked the token early). The flow knows nothing of the
transport: it yields the token request and the API request to whichever client runs
it (httpx's ``Auth.async_auth_flow``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import httpx

from connectors.errors import UpstreamInvalid, UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from connectors.specs.common import OAuth2ClientCredentials

__all__ = ["OAuth2ClientCredentialsAuth", "resolve_url"]


def resolve_url(base_url: str, url: str) -> str:
    """An absolute URL as is, else ``url`` appended to the carrier's base URL."""
    if url.startswith(("http://", "https://")):
        return url
    return f"{base_url.rstrip('/')}/{url.lstrip('/')}"


class OAuth2ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens from the client-credentials grant, cached and refreshed.

    Example:
        >>> auth = OAuth2ClientCredentialsAuth(  # doctest: +SKIP
        ...     spec.auth, carrier="acme", base_url=url
        ... )
        >>> httpx.AsyncClient(auth=auth)  # doctest: +SKIP
    """

    def __init__(self, spec: OAuth2ClientCredentials, *, carrier: str, base_url: str) -> None:
        self.spec = spec
        self.carrier = carrier
        self.token_url = resolve_url(base_url, spec.token_url)
        self.token_requests = 0
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock: asyncio.Lock | None = None

    def _fresh(self, token: str | None) -> bool:
        return token is not None and time.monotonic() < self._expires_at

    def _token_request(self) -> httpx.Request:
        data = {
            "grant_type": "client_credentials",
            "client_id": self.spec.client_id,
            "client_secret": self.spec.client_secret,
        }
        if self.spec.scope:
            data["scope"] = self.spec.scope
        return httpx.Request("POST", self.token_url, data=data)

    def _accept(self, response: httpx.Response) -> str:
        carrier = self.carrier
        if response.status_code != httpx.codes.OK:
            raise UpstreamUnavailable(
                f"carrier '{carrier}' refused the OAuth2 client credentials "
                f"(HTTP {response.status_code})",
                carrier=carrier,
            )
        try:
            body = json.loads(response.content)
            token, expires_in = body["access_token"], float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent an unreadable OAuth2 token response",
                carrier=carrier,
                record="token",
            ) from exc
        if not isinstance(token, str) or not token:
            raise UpstreamInvalid(
                f"carrier '{carrier}' sent an empty OAuth2 access token",
                carrier=carrier,
                record="token",
                field="access_token",
            )
        self.token_requests += 1
        self._token = token
        self._expires_at = time.monotonic() + max(expires_in - self.spec.refresh_margin_seconds, 0)
        return token

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        token = self._token
        if not self._fresh(token):
            async with self._lock:  # one token request, however many callers wait
                token = self._token
                if not self._fresh(token):
                    answer = yield self._token_request()
                    await answer.aread()
                    token = self._accept(answer)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return
        async with self._lock:  # refreshed once: a second 401 is the carrier's answer
            if self._token == token:
                self._token = None
                answer = yield self._token_request()
                await answer.aread()
                token = self._accept(answer)
            else:
                token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def sync_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]  # noqa: ANN201
        raise RuntimeError("carrier clients are asynchronous")
