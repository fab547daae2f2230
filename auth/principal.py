"""Who is asking: the one value every layer above authentication reads.

Authentication (API key or JWT) ends by producing a :class:`Principal`; from then on
policies, the pricing view and the schema audiences only ever look at this value, never
at the credential. It is immutable so a request cannot change its own identity halfway
through, and it carries the party's ancestor chain so row slices need no directory
round trip per record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.models import PartyKind


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an immutable, authenticated party acting in one role.

    Attributes:
        party_id: The directory id of the party the credential belongs to.
        kind: Where that party sits in the channel tree.
        role: The role the credential grants within the party (``admin``, ``billing``...).
        chain: Ancestor party ids from the parent up to the root, nearest first
            (empty for a root party).
        name: The party's display name.
        key_id: The API key id that authenticated the request, or ``None`` when the
            principal came from another credential (e.g. a JWT).
    """

    party_id: str
    kind: PartyKind
    role: str
    chain: tuple[str, ...]
    name: str
    key_id: str | None = None
