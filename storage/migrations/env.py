"""Alembic environment: runs migrations over the app's async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base

target_metadata = Base.metadata
# Several processes starting at once against one PostgreSQL database migrate one at a time: the
# others wait for this lock, then find the schema at head (apart from bot.leadership's role keys).
MIGRATION_LOCK = (0x4B52, 0x4D47)  # "KR", "MG"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    lock = {"ns": MIGRATION_LOCK[0], "key": MIGRATION_LOCK[1]}
    try:
        async with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:  # held by the session, across whatever transactions Alembic opens and commits
                await connection.execute(text("SELECT pg_advisory_lock(:ns, :key)"), lock)
                await connection.commit()
            await connection.run_sync(_run)
            await connection.commit()
            if postgres:
                await connection.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), lock)
                await connection.commit()
    finally:  # closes the session, and with it a lock a failed migration left held
        await engine.dispose()

if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
