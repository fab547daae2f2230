"""Connector errors -> GraphQL errors with ``extensions.code`` and ``extensions.carrier``.

The only place where the connector error tree meets GraphQL: every other module
raises or records what this one builds, so codes stay one documented list.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLError

from connectors.errors import ConnectorError, UpstreamInvalid, UpstreamRateLimited

__all__ = ["CODES", "bad_user_input", "from_connector_error"]

CODES = (
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "BAD_USER_INPUT",
    "QUERY_TOO_COMPLEX",
    "UPSTREAM_UNAVAILABLE",
    "UPSTREAM_TIMEOUT",
    "UPSTREAM_INVALID",
    "NOT_SUPPORTED_BY_CARRIER",
    "RATE_LIMITED",
    "INTERNAL",
)


_MASKED_MESSAGES = {
    "UPSTREAM_UNAVAILABLE": "the carrier could not be reached",
    "UPSTREAM_TIMEOUT": "the carrier did not answer in time",
    "UPSTREAM_INVALID": "the carrier sent an answer that could not be read",
    "NOT_SUPPORTED_BY_CARRIER": "the carrier does not offer this",
    "RATE_LIMITED": "the carrier is rate limiting requests",
}


def from_connector_error(
    exc: ConnectorError,
    path: Sequence[str | int] | None = None,
    *,
    carrier_label: str | None = None,
) -> GraphQLError:
    """A client-safe GraphQL error for a connector failure, at ``path`` when given.

    ``carrier_label`` replaces the carrier's id for viewers who may not learn it (the
    customers of a private-label reseller): the message is then generic too.
    """
    extensions: dict[str, object] = {"code": exc.code}
    if isinstance(exc, UpstreamRateLimited) and exc.retry_after is not None:
        extensions["retryAfter"] = round(exc.retry_after, 3)
    if carrier_label is not None:
        extensions["carrier"] = carrier_label
        message = _MASKED_MESSAGES.get(exc.code, "the carrier failed")
        return GraphQLError(message, path=path, extensions=extensions)
    if exc.carrier is not None:
        extensions["carrier"] = exc.carrier
    if isinstance(exc, UpstreamInvalid):
        if exc.record is not None:
            extensions["record"] = exc.record
        if exc.field is not None:
            extensions["field"] = exc.field
    return GraphQLError(exc.message, path=path, extensions=extensions)


def bad_user_input(message: str, **details: object) -> GraphQLError:
    """An error the client can fix by changing its arguments."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", **details})
