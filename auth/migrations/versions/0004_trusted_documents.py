"""Trusted GraphQL documents (the manifests ``switchboard documents register`` loads).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``trusted_documents``."""
    op.create_table(
        "trusted_documents",
        sa.Column("document_id", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("operation_name", sa.String(256), nullable=True),
        # query | mutation | subscription
        sa.Column("operation_type", sa.String(16), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("document_id", name="pk_trusted_documents"),
    )
    op.create_index("ix_trusted_documents_sha256", "trusted_documents", ["sha256"])


def downgrade() -> None:
    """Drop ``trusted_documents``."""
    op.drop_index("ix_trusted_documents_sha256", table_name="trusted_documents")
    op.drop_table("trusted_documents")
