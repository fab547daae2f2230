"""The carrier file of a TM Forum Open API carrier.

Besides the common components, a TMF carrier file says how its records name the
billing account they belong to (``account_link``): the TMF specs give no single
answer (TMF635 usage has only related parties, TMF648 quotes a list of billing
accounts, every other link is optional), so a carrier whose records name none says
what to fall back to.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from connectors.models import Resource  # noqa: TC001 - pydantic reads it at runtime
from connectors.specs.common import CarrierBase, OffsetPaging, Strict

__all__ = ["TmfAccountLink", "TmfSpec"]


class TmfAccountLink(Strict):
    """How a carrier's records are placed under a billing account.

    A record's ``billingAccount`` reference (one, or TMF648's list) is read first,
    then a ``relatedParty`` / ``relatedEntity`` entry whose ``@referredType`` is
    ``BillingAccount`` or whose ``role`` is one of ``roles``; then the fallbacks.
    """

    roles: frozenset[str] = frozenset({"billingaccount", "billing account", "account"})
    """Roles (compared case-insensitively) of a related party or entity naming the account."""
    by_request: bool = False
    """A record that names no account belongs to the account its request asked for: the
    carrier filters lists by account, so each such request asks for one account."""
    default_account: str | None = Field(default=None, min_length=1, max_length=64)
    """The account of every record that names none (a carrier serving one account)."""
    filters: dict[Resource, str] = Field(default_factory=dict)
    """The query parameter asking for one account's records, per resource, where the
    carrier's differs from the adapter's default (e.g. ``usage: relatedParty.id``)."""

    @field_validator("roles")
    @classmethod
    def _lower(cls, value: frozenset[str]) -> frozenset[str]:
        return frozenset(r.lower() for r in value)


class TmfSpec(CarrierBase):
    """A carrier speaking TM Forum Open APIs (TMF666/637/678/622/621/635/648)."""

    protocol: Literal["tmf"]
    api_version: str = "v4"
    paging: OffsetPaging = OffsetPaging()
    fields_projection: bool = True
    account_link: TmfAccountLink = TmfAccountLink()
