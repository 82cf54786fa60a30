"""Alembic's entry point: always called by supportflow.store.migrate with a connection."""

from __future__ import annotations

from alembic import context

from supportflow.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite changes most table shapes only by copying the table: batch mode does it.
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
