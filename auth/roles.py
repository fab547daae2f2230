"""Roles each party kind may grant, and what an operator role covers.

A key or identity always names one party and one role; the role must be one its
party's kind offers. Audiences (which fields a principal sees) are decided by the
(kind, role) pair.
"""

from __future__ import annotations

from typing import Final

from connectors.models import PartyKind

__all__ = ["ROLES", "audience_of", "valid_role"]

ROLES: Final[dict[PartyKind, tuple[str, ...]]] = {
    PartyKind.OPERATOR: ("admin", "support", "finance"),
    PartyKind.CARRIER: ("admin",),
    PartyKind.MASTER_AGENT: ("admin",),
    PartyKind.AGENT: ("admin",),
    PartyKind.CUSTOMER: ("admin", "billing", "technical", "viewer"),
}


def valid_role(kind: PartyKind, role: str) -> bool:
    """Whether a party of this kind can grant this role."""
    return role in ROLES[kind]


def audience_of(kind: PartyKind, role: str) -> str:
    """The audience name of a (kind, role) pair, e.g. ``customer:billing``."""
    return f"{kind.value}:{role}"
