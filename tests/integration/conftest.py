"""Fixtures shared by the integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import upgrade_async
from tests.e2e.harness import fresh_database


@pytest.fixture
def migrated_database_url(tmp_path: Path) -> Iterator[str]:
    """A new database (SQLite, or PostgreSQL with TEST_DATABASE_URL) with every migration applied."""
    with fresh_database(tmp_path) as url:
        asyncio.run(upgrade_async(url))
        yield url
