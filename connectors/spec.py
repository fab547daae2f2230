"""The carrier file format: what a declarative carrier file may say, validated.

A carrier is data, not code: ``connectors/carriers/<id>.yaml`` picks a protocol
adapter and fills in base URL, auth, paging, time budgets and status maps. This
module is the single definition of that format; ``switchboard connectors schema``
exports it as JSON Schema so editors can validate carrier files.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.models import Resource

__all__ = [
    "ApiKeyAuth",
    "AuthSpec",
    "BasicAuth",
    "CarrierSpec",
    "NoAuth",
    "OffsetPaging",
    "RetryPolicy",
    "StatusMaps",
    "Timeouts",
    "TmfSpec",
]

CARRIER_ID_PATTERN = r"^[a-z][a-z0-9-]{1,40}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timeouts(_Strict):
    """Per-carrier time budgets, in seconds."""

    connect: float = Field(default=2.0, gt=0, le=60)
    read: float = Field(default=10.0, gt=0, le=300)


class RetryPolicy(_Strict):
    """Which failed reads are tried again (reads only; never writes)."""

    attempts: int = Field(default=2, ge=1, le=5)
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    backoff_seconds: float = Field(default=0.05, ge=0, le=5)


class NoAuth(_Strict):
    """The carrier needs no credentials (sandbox or IP-allow-listed links)."""

    type: Literal["none"] = "none"


class ApiKeyAuth(_Strict):
    """A static key sent in a header."""

    type: Literal["api_key"]
    header: str = "X-API-Key"
    key: str


class BasicAuth(_Strict):
    """HTTP basic credentials."""

    type: Literal["basic"]
    username: str
    password: str


AuthSpec = Annotated[NoAuth | ApiKeyAuth | BasicAuth, Field(discriminator="type")]


class OffsetPaging(_Strict):
    """``offset``/``limit`` paging; the total comes from a header when the carrier sends one."""

    type: Literal["offset"] = "offset"
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=100, ge=1, le=10_000)
    total_header: str | None = "X-Total-Count"


class StatusMaps(_Strict):
    """Carrier status codes -> normalized enum names, merged over the adapter's defaults."""

    account: dict[str, str] = Field(default_factory=dict)
    service: dict[str, str] = Field(default_factory=dict)
    invoice: dict[str, str] = Field(default_factory=dict)
    order: dict[str, str] = Field(default_factory=dict)
    milestone: dict[str, str] = Field(default_factory=dict)
    ticket: dict[str, str] = Field(default_factory=dict)
    ticket_severity: dict[str, str] = Field(default_factory=dict)
    ticket_priority: dict[str, str] = Field(default_factory=dict)


class _CarrierBase(_Strict):
    id: str = Field(pattern=CARRIER_ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    base_url: str = Field(pattern=r"^https?://")
    capabilities: frozenset[Resource]
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    auth: AuthSpec = NoAuth()
    max_keys_per_call: int = Field(default=50, ge=1, le=500)
    max_connections: int = Field(default=20, ge=1, le=500)


class TmfSpec(_CarrierBase):
    """A carrier speaking TM Forum Open APIs (TMF666/637/678/622/621)."""

    protocol: Literal["tmf"]
    api_version: str = "v4"
    paging: OffsetPaging = OffsetPaging()
    fields_projection: bool = True
    status_maps: StatusMaps = StatusMaps()


CarrierSpec = Annotated[TmfSpec, Field(discriminator="protocol")]
