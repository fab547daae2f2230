"""Create the directory: parties, account_links, api_keys.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the three directory tables and their lookup indexes."""
    op.create_table(
        "parties",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("parent_id", sa.String(128), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["parties.id"], name="fk_parties_parent_id_parties"),
        sa.PrimaryKeyConstraint("id", name="pk_parties"),
    )
    op.create_index("ix_parties_parent_id", "parties", ["parent_id"])

    op.create_table(
        "account_links",
        sa.Column("carrier", sa.String(64), nullable=False),
        sa.Column("account_number", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["parties.id"], name="fk_account_links_customer_id_parties"
        ),
        # The primary key is the unique (carrier, account_number): one owner per account.
        sa.PrimaryKeyConstraint("carrier", "account_number", name="pk_account_links"),
    )
    op.create_index("ix_account_links_customer_id", "account_links", ["customer_id"])

    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name="fk_api_keys_party_id_parties"),
        sa.PrimaryKeyConstraint("key_id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_party_id", "api_keys", ["party_id"])


def downgrade() -> None:
    """Drop the directory tables."""
    op.drop_index("ix_api_keys_party_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("ix_account_links_customer_id", table_name="account_links")
    op.drop_table("account_links")
    op.drop_index("ix_parties_parent_id", table_name="parties")
    op.drop_table("parties")
