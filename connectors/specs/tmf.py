"""The carrier file of a TM Forum Open API carrier."""

from __future__ import annotations

from typing import Literal

from connectors.specs.common import CarrierBase, OffsetPaging

__all__ = ["TmfSpec"]


class TmfSpec(CarrierBase):
    """A carrier speaking TM Forum Open APIs (TMF666/637/678/622/621/635/648)."""

    protocol: Literal["tmf"]
    api_version: str = "v4"
    paging: OffsetPaging = OffsetPaging()
    fields_projection: bool = True
