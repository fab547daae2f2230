"""The carrier file format: every protocol family's spec under one discriminated union.

A carrier is data, not code: ``connectors/carriers/<id>.yaml`` picks a protocol
adapter (its ``protocol`` field) and fills in base URL, auth, paging, time budgets and
status maps. ``switchboard connectors schema`` exports :data:`SPEC_ADAPTER`'s JSON
Schema so editors can validate carrier files. Adding a family is one import and one
line in :data:`SPEC_CLASSES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, TypeAdapter

from connectors.specs.common import (
    ApiKeyAuth,
    AuthSpec,
    BasicAuth,
    BreakerPolicy,
    CarrierBase,
    CursorPaging,
    LinkHeaderPaging,
    NoAuth,
    NoPaging,
    OAuth2ClientCredentials,
    OffsetPaging,
    PagePaging,
    PagingSpec,
    RetryPolicy,
    StatusMaps,
    Timeouts,
)
from connectors.specs.csv_export import CsvSpec
from connectors.specs.graphql import GraphqlSpec
from connectors.specs.rest import RestSpec
from connectors.specs.soap import SoapSpec
from connectors.specs.sonata import SonataSpec
from connectors.specs.tmf import TmfSpec

__all__ = [
    "SPEC_ADAPTER",
    "SPEC_CLASSES",
    "ApiKeyAuth",
    "AuthSpec",
    "BasicAuth",
    "BreakerPolicy",
    "CarrierBase",
    "CarrierSpec",
    "CsvSpec",
    "CursorPaging",
    "GraphqlSpec",
    "LinkHeaderPaging",
    "NoAuth",
    "NoPaging",
    "OAuth2ClientCredentials",
    "OffsetPaging",
    "PagePaging",
    "PagingSpec",
    "RestSpec",
    "RetryPolicy",
    "SoapSpec",
    "SonataSpec",
    "StatusMaps",
    "Timeouts",
    "TmfSpec",
]

SPEC_CLASSES: tuple[type[CarrierBase], ...] = (
    TmfSpec,
    SonataSpec,
    CsvSpec,
    RestSpec,
    SoapSpec,
    GraphqlSpec,
)

if TYPE_CHECKING:
    CarrierSpec = CarrierBase
else:
    CarrierSpec = Annotated[Union[SPEC_CLASSES], Field(discriminator="protocol")]  # noqa: UP007

SPEC_ADAPTER: TypeAdapter[Any] = TypeAdapter(CarrierSpec)
