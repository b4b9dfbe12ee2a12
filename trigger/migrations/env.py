"""Alembic environment: the connection comes from ``checkline.trigger.ledger.migrate`` (the
ledger's own engine, with its SQLite settings), or an engine for the URL it was given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from checkline.trigger.ledger import VERSION_TABLE, metadata

config = context.config


def run(connection: Connection) -> None:
    # A version table of its own: the ledger may share a database with ResultsDB, whose
    # migrations keep theirs in Alembic's default "alembic_version".
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    run(given)
else:  # pragma: no cover - `alembic` run by hand with a URL
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        run(connection)
    engine.dispose()
