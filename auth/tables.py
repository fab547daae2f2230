"""The directory's tables as SQLAlchemy models (the Alembic migrations own the schema).

One module for every table so the metadata that migrations are checked against is
always complete: parties, account links, API keys, identities (JWT subjects),
markup rules, brands and trusted GraphQL documents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal  # noqa: TC003 - SQLAlchemy reads Mapped[] at runtime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

__all__ = [
    "AccountLinkRow",
    "ApiKeyRow",
    "Base",
    "BrandRow",
    "IdentityRow",
    "MarkupRuleRow",
    "PartyRow",
    "TrustedDocumentRow",
    "UTCDateTime",
]


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: directory timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite hands back what was stored: UTC without offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the directory tables; constraint names are deterministic."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class PartyRow(Base):
    """A node of the channel tree."""

    __tablename__ = "parties"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    parent_id: Mapped[str | None] = mapped_column(String(128), ForeignKey("parties.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class AccountLinkRow(Base):
    """A carrier account owned by a customer party; (carrier, account_number) is unique."""

    __tablename__ = "account_links"

    carrier: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_number: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128), ForeignKey("parties.id"), index=True)


class ApiKeyRow(Base):
    """An API key: only the hash of the full key is stored, never the key."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(128), ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column("hash", String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdentityRow(Base):
    """A subject of an identity provider (JWT ``iss`` + ``sub``) acting as a party in a role."""

    __tablename__ = "identities"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    subject: Mapped[str] = mapped_column(String(256), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(128), ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class MarkupRuleRow(Base):
    """One seller's markup for what it sells to its children, scoped and dated."""

    __tablename__ = "markup_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(128), ForeignKey("parties.id"), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    scope_value: Mapped[str | None] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    effective_from: Mapped[date | None] = mapped_column(Date())
    effective_to: Mapped[date | None] = mapped_column(Date())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class BrandRow(Base):
    """A reseller's private label, shown to its own users and its customers' users."""

    __tablename__ = "brands"

    party_id: Mapped[str] = mapped_column(String(128), ForeignKey("parties.id"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256))
    logo_url: Mapped[str | None] = mapped_column(String(1024))
    primary_color: Mapped[str | None] = mapped_column(String(16))
    secondary_color: Mapped[str | None] = mapped_column(String(16))
    support_email: Mapped[str | None] = mapped_column(String(256))
    support_phone: Mapped[str | None] = mapped_column(String(64))
    hide_carriers: Mapped[bool] = mapped_column(Boolean(), server_default=false())
    private_label_billing: Mapped[bool] = mapped_column(Boolean(), server_default=false())


class TrustedDocumentRow(Base):
    """A GraphQL document registered from a client's manifest (``switchboard documents``)."""

    __tablename__ = "trusted_documents"

    document_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    operation_name: Mapped[str | None] = mapped_column(String(256))
    operation_type: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
