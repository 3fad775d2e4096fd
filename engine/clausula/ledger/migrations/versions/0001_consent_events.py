"""The consent events table.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("grant_id", sa.String(200), nullable=False),
        sa.Column("artist", sa.String(200), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("kind IN ('grant', 'amend', 'revoke')", name="ck_consent_events_kind"),
    )
    op.create_index("ix_consent_events_artist", "consent_events", ["artist", "seq"])
    op.create_index("ix_consent_events_grant", "consent_events", ["grant_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_consent_events_grant", table_name="consent_events")
    op.drop_index("ix_consent_events_artist", table_name="consent_events")
    op.drop_table("consent_events")
