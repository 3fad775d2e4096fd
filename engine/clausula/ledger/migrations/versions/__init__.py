"""Alembic revisions of the consent ledger."""
