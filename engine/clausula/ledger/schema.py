"""The ledger's one table: an append-only list of consent events, in the order recorded.

Rows are inserted, never updated or deleted. `seq` numbers the events 1, 2, 3 … without
gaps; `hash` covers the event and `prev_hash`, the hash of the event before it, so that an
edit to any stored row, or a removed row, breaks the chain (`Ledger.verify`).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

events = sa.Table(
    "consent_events",
    metadata,
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
    sa.Index("ix_consent_events_artist", "artist", "seq"),
    sa.Index("ix_consent_events_grant", "grant_id", "seq"),
)
