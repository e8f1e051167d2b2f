"""Alembic environment of the case store: runs on the connection nenliver hands it.

``nenliver serve`` and ``nenliver users`` upgrade the database to the newest revision before they
use it (:func:`nenliver.store.migrate.upgrade`); developers create a new revision with
``scripts/new-migration "what changes"``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from nenliver.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
