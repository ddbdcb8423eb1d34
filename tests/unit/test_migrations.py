"""The Alembic migrations build exactly the schema the models describe, and go both ways."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import alembic_config, create_engine, upgrade
from storage.models import Base


def differences(url: str) -> list:  # type: ignore[type-arg]
    async def run() -> list:  # type: ignore[type-arg]
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_match_the_models_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)
    assert differences(url) == [], "a model changed without a migration (run alembic revision --autogenerate)"
    command.downgrade(alembic_config(url), "base")
    upgrade(url)
    assert differences(url) == []
