"""Bring a ledger database to the newest schema with the Alembic migrations shipped here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@lru_cache(maxsize=1)
def _head() -> str | None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    return heads[0] if heads else None


def current_revision(connection: sa.Connection) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    revision: str | None = MigrationContext.configure(connection).get_current_revision()
    return revision


def is_current(connection: sa.Connection) -> bool:
    """Whether the database has every migration already."""
    return current_revision(connection) == _head()


def upgrade(connection: sa.Connection) -> None:
    """Run every migration the database lacks, inside the caller's (locked) transaction."""
    if is_current(connection):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
