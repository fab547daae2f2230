"""Connector errors: one root, translated to GraphQL codes only at the schema boundary.

```
ConnectorError                      (carrier: str | None)
├── CarrierSpecError                a carrier file is invalid (file, field, expectation)
├── NotSupportedByCarrier           NOT_SUPPORTED_BY_CARRIER: capability not declared
└── UpstreamError                   the carrier itself is at fault
    ├── UpstreamUnavailable         UPSTREAM_UNAVAILABLE: refused, reset, 5xx, 4xx
    ├── UpstreamTimeout             UPSTREAM_TIMEOUT: connect/read budget or deadline exceeded
    ├── UpstreamRateLimited         RATE_LIMITED: the carrier said 429 (retry_after seconds)
    └── UpstreamInvalid             UPSTREAM_INVALID: payload that cannot be trusted
```

Adapters raise the most specific type with ``raise ... from exc`` so the cause is
kept for logs while the message stays safe to show to a client.
"""

from __future__ import annotations

__all__ = [
    "CarrierSpecError",
    "ConnectorError",
    "NotSupportedByCarrier",
    "UpstreamError",
    "UpstreamInvalid",
    "UpstreamRateLimited",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class ConnectorError(Exception):
    """Root of every error raised below the schema."""

    code = "INTERNAL"

    def __init__(self, message: str, *, carrier: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.carrier = carrier


class CarrierSpecError(ConnectorError):
    """A carrier file does not describe a usable connector."""

    def __init__(self, path: str, field: str, expected: str) -> None:
        super().__init__(f"{path}: field '{field}': {expected}")
        self.path = path
        self.field = field
        self.expected = expected


class NotSupportedByCarrier(ConnectorError):
    """The carrier does not offer the asked-for resource."""

    code = "NOT_SUPPORTED_BY_CARRIER"


class UpstreamError(ConnectorError):
    """The carrier failed to give a usable answer."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamUnavailable(UpstreamError):
    """The carrier refused, reset or answered with an error status."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(UpstreamError):
    """The carrier did not answer within its time budget."""

    code = "UPSTREAM_TIMEOUT"


class UpstreamRateLimited(UpstreamError):
    """The carrier is throttling us and asked us to come back later."""

    code = "RATE_LIMITED"

    def __init__(
        self, message: str, *, carrier: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, carrier=carrier)
        self.retry_after = retry_after


class UpstreamInvalid(UpstreamError):
    """The carrier answered with a payload that does not match its declared format."""

    code = "UPSTREAM_INVALID"

    def __init__(
        self,
        message: str,
        *,
        carrier: str | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, carrier=carrier)
        self.record = record
        self.field = field
