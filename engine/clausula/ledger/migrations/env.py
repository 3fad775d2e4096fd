"""Alembic environment of the consent ledger.

`clausula.ledger.migrate.upgrade` passes an open connection in
`config.attributes["connection"]`; the `alembic` command line may instead set
`sqlalchemy.url` in its configuration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from clausula.ledger.schema import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
