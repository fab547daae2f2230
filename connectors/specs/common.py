"""Components every carrier file is built from: time budgets, retries, auth, paging, maps.

Each protocol family's spec (``connectors/specs/<family>.py``) extends
:class:`CarrierBase` and picks the components its wire protocol uses; defaults live
here and in the adapters, so a carrier file only says how its carrier differs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.models import Carrier, Protocol, Resource

__all__ = [
    "CARRIER_ID_PATTERN",
    "ApiKeyAuth",
    "AuthSpec",
    "BasicAuth",
    "BreakerPolicy",
    "CarrierBase",
    "CursorPaging",
    "LinkHeaderPaging",
    "NoAuth",
    "NoPaging",
    "OAuth2ClientCredentials",
    "OffsetPaging",
    "PagePaging",
    "PagingSpec",
    "RetryPolicy",
    "StatusMaps",
    "Strict",
    "Timeouts",
]

CARRIER_ID_PATTERN = r"^[a-z][a-z0-9-]{1,40}$"


class Strict(BaseModel):
    """A frozen model that rejects unknown keys (a typo in a carrier file is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Timeouts(Strict):
    """Per-carrier time budgets, in seconds."""

    connect: float = Field(default=2.0, gt=0, le=60)
    read: float = Field(default=10.0, gt=0, le=300)


class RetryPolicy(Strict):
    """Which failed reads are tried again (reads only; never writes), and how soon.

    Connection errors and ``statuses`` are retried after a jittered exponential back-off
    (``backoff_seconds * 2**(n-1)``, at most ``max_backoff_seconds``), or after the
    carrier's ``Retry-After`` when it sends one; never past the operation deadline.
    Timeouts are never retried: a hung carrier would cost its budget twice.
    """

    attempts: int = Field(default=3, ge=1, le=6)
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    backoff_seconds: float = Field(default=0.05, ge=0, le=5)
    max_backoff_seconds: float = Field(default=2.0, ge=0, le=60)


class BreakerPolicy(Strict):
    """When a carrier's circuit breaker opens, and for how long.

    It opens after ``failures`` consecutive failed calls, or when at least ``min_calls``
    calls in the last ``window_seconds`` failed at ``error_rate`` or more. Open, it fails
    every call at once for ``open_seconds``; then one probe call is let through
    (half-open): success closes it, failure opens it again. Failures are connection
    errors, timeouts (and calls cut by the operation deadline) and 5xx answers; a 429 is
    a healthy carrier asking us to slow down (honoured through ``Retry-After``).
    """

    failures: int = Field(default=5, ge=1, le=1000)
    error_rate: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=20, ge=1, le=100_000)
    window_seconds: float = Field(default=30.0, gt=0, le=3600)
    open_seconds: float = Field(default=15.0, gt=0, le=3600)


class NoAuth(Strict):
    """The carrier needs no credentials (sandbox or IP-allow-listed links)."""

    type: Literal["none"] = "none"


class ApiKeyAuth(Strict):
    """A static key sent in a header."""

    type: Literal["api_key"]
    header: str = "X-API-Key"
    key: str


class BasicAuth(Strict):
    """HTTP basic credentials."""

    type: Literal["basic"]
    username: str
    password: str


class OAuth2ClientCredentials(Strict):
    """OAuth2 client-credentials grant; the token is cached and refreshed.

    ``token_url`` is absolute, or relative to the carrier's ``base_url``.
    """

    type: Literal["oauth2"]
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    refresh_margin_seconds: float = Field(default=30.0, ge=0, le=3600)


AuthSpec = Annotated[
    NoAuth | ApiKeyAuth | BasicAuth | OAuth2ClientCredentials, Field(discriminator="type")
]


class OffsetPaging(Strict):
    """``offset``/``limit`` paging; the total comes from a header or a body field."""

    type: Literal["offset"] = "offset"
    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=100, ge=1, le=10_000)
    total_header: str | None = "X-Total-Count"


class PagePaging(Strict):
    """Numbered pages (``page``/``size``)."""

    type: Literal["page"]
    page_param: str = "page"
    size_param: str = "size"
    first_page: int = Field(default=1, ge=0, le=1)
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=100, ge=1, le=10_000)
    total_pages_field: str | None = None


class CursorPaging(Strict):
    """An opaque cursor handed back with each page."""

    type: Literal["cursor"]
    cursor_param: str = "cursor"
    limit_param: str = "limit"
    next_cursor_field: str = "next_cursor"
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=100, ge=1, le=10_000)


class LinkHeaderPaging(Strict):
    """RFC 8288 ``Link: <...>; rel="next"`` headers."""

    type: Literal["link_header"]
    limit_param: str = "limit"
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=100, ge=1, le=10_000)


class NoPaging(Strict):
    """One answer holds everything."""

    type: Literal["none"]


PagingSpec = Annotated[
    OffsetPaging | PagePaging | CursorPaging | LinkHeaderPaging | NoPaging,
    Field(discriminator="type"),
]


class StatusMaps(Strict):
    """Carrier status codes -> normalized enum names, merged over the adapter's defaults."""

    account: dict[str, str] = Field(default_factory=dict)
    service: dict[str, str] = Field(default_factory=dict)
    invoice: dict[str, str] = Field(default_factory=dict)
    order: dict[str, str] = Field(default_factory=dict)
    milestone: dict[str, str] = Field(default_factory=dict)
    ticket: dict[str, str] = Field(default_factory=dict)
    ticket_severity: dict[str, str] = Field(default_factory=dict)
    ticket_priority: dict[str, str] = Field(default_factory=dict)
    quote: dict[str, str] = Field(default_factory=dict)


class CarrierBase(Strict):
    """What every carrier file says, whatever its protocol."""

    id: str = Field(pattern=CARRIER_ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    protocol: str
    base_url: str = Field(pattern=r"^https?://")
    capabilities: frozenset[Resource]
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    breaker: BreakerPolicy = BreakerPolicy()
    auth: AuthSpec = NoAuth()
    max_keys_per_call: int = Field(default=50, ge=1, le=500)
    max_connections: int = Field(default=20, ge=1, le=500)
    status_maps: StatusMaps = StatusMaps()

    def record(self) -> Carrier:
        """The carrier as the rest of the gateway knows it (id, name, protocol, capabilities)."""
        return Carrier(
            id=self.id,
            name=self.name,
            protocol=Protocol(self.protocol),
            capabilities=self.capabilities,
        )
