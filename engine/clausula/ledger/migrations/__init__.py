"""Alembic migrations of the consent ledger (run by `clausula.ledger.migrate`)."""
