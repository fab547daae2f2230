"""Markup rules (each seller's prices to its children) and private-label brands.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``markup_rules`` and ``brands``."""
    op.create_table(
        "markup_rules",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("seller_id", sa.String(128), nullable=False),
        # all | carrier | product | customer | service | telephone_number
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("scope_value", sa.String(256), nullable=True),
        # percent | fixed
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Numeric(14, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["parties.id"], name="fk_markup_rules_seller_id_parties"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_markup_rules"),
    )
    op.create_index("ix_markup_rules_seller_id", "markup_rules", ["seller_id"])

    op.create_table(
        "brands",
        sa.Column("party_id", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("logo_url", sa.String(1024), nullable=True),
        sa.Column("primary_color", sa.String(16), nullable=True),
        sa.Column("secondary_color", sa.String(16), nullable=True),
        sa.Column("support_email", sa.String(256), nullable=True),
        sa.Column("support_phone", sa.String(64), nullable=True),
        sa.Column("hide_carriers", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("private_label_billing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name="fk_brands_party_id_parties"),
        sa.PrimaryKeyConstraint("party_id", name="pk_brands"),
    )


def downgrade() -> None:
    """Drop ``brands`` and ``markup_rules``."""
    op.drop_table("brands")
    op.drop_index("ix_markup_rules_seller_id", table_name="markup_rules")
    op.drop_table("markup_rules")
