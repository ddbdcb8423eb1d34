"""Engine, sessions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

from storage import sqlite_driver
from storage.models import AnonFile, Attachment, Base, OutboxMessage

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def create_engine(url: str, *, reader: bool = False, synchronous: str = "FULL") -> AsyncEngine:
    """An engine for `url`. On SQLite the default is the *writer*: one connection, so write
    transactions queue in asyncio instead of spinning on SQLite's lock; `reader=True` gives the
    readers, which WAL lets run beside it.

    `synchronous`: FULL (the default) syncs the WAL to disk at every commit, so what the bot has
    told anyone of (Telegram that an update was received, a citizen their ticket) survives a power
    cut; NORMAL survives kill -9 but may lose the last commits to a power cut (measured in bench/)."""
    # hide_parameters: a database error's message (logged, and kept on a failed inbox row) names
    # the statement but not its values — a draft's text, a chat id.
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {SQLITE_SYNCHRONOUS}")
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True)
    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # The driver's connect arguments as SQLAlchemy's aiosqlite dialect makes them from the URL.
    args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    kwargs["timeout"] = sqlite_driver.BUSY_TIMEOUT_MS / 1000

    def connect() -> sqlite_driver.Connection:
        return sqlite_driver.connect(*args, **kwargs)

    if reader:
        engine = create_async_engine(url, async_creator=connect, pool_size=5, max_overflow=5, hide_parameters=True)
    else:
        engine = create_async_engine(url, async_creator=connect, pool_size=1, max_overflow=0, pool_timeout=600,
                                     hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # WAL lets readers run beside the writer; with FULL a commit is on disk once it returns.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={sqlite_driver.BUSY_TIMEOUT_MS}")
        # Deleted or overwritten data is zeroed in the file, not left in free pages (a wiped
        # whistleblower chat id must not linger; see checkpoint_truncate for the WAL).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        # We issue BEGIN ourselves (below): the driver's implicit, deferred BEGIN would let a
        # read-then-write transaction fail with "database is locked" instead of waiting.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        # The writer takes the write lock up front (another process, e.g. the CLI, waits on
        # busy_timeout instead of failing mid-transaction); readers take a snapshot — but for one
        # statement (`read_single`), which is its own snapshot and runs on the loop.
        driver = _driver(connection)
        options = connection.get_execution_options()
        driver.single_read = reader and bool(options.get(SINGLE_READ))
        # A bounded transaction's statements run on the loop once it has begun (storage.sqlite_driver).
        driver.inline = not reader and bool(options.get(BOUNDED))
        if driver.single_read:
            return
        if reader:
            connection.exec_driver_sql("BEGIN")
        elif not (options.get(BOUNDED) and driver.begin_immediate_here()):  # the lock free: no trip to the thread
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def checkpoint_truncate(engine: AsyncEngine) -> None:
    """SQLite: copy the WAL into the database and empty it, so old page versions (with data since
    wiped) do not stay in the -wal file. A no-op elsewhere."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        # On the driver's connection: outside the BEGIN IMMEDIATE our engine issues, where a
        # checkpoint is refused.
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await cursor.close()


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct of the session's database, for its ON CONFLICT (insert-if-absent)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# PostgreSQL NOTIFY channels: a transaction that queues work for the sender announces it, and the
# process holding the sender role (bot.leadership) wakes at its commit instead of at its next
# tick, whichever process (or `aduan` command) queued it: outbox rows wake the dispatcher, files
# to fetch or clean the file fetcher — not every answer sent wakes a look for files.
WORK_CHANNEL = "aduan_work"
FILES_CHANNEL = "aduan_files"
_CHANNELS: dict[type[Base], str] = {OutboxMessage: WORK_CHANNEL, Attachment: FILES_CHANNEL, AnonFile: FILES_CHANNEL}
_TABLE_CHANNELS = {model.__table__: channel for model, channel in _CHANNELS.items()}


SINGLE_READ = "aduan_single_read"  # an execution option: see Database.read_single
BOUNDED = "aduan_bounded"  # an execution option: see Database.write_bounded


class WriteSession(Session):
    """Write sessions hold what they load until they end. SQLAlchemy's identity map holds objects
    weakly, so a row read, let go and asked for again within one transaction (a draft read by the
    router, then saved by the form) was fetched a second time."""


@event.listens_for(WriteSession, "loaded_as_persistent")
@event.listens_for(WriteSession, "pending_to_persistent")
def _hold(session: Session, instance: object) -> None:
    session.info.setdefault("held", []).append(instance)


@event.listens_for(WriteSession, "after_flush")
def _note_work(session: Session, _context: object) -> None:
    for added in session.new:  # still the flush's rows here
        channel = _CHANNELS.get(type(added))
        if channel is not None:
            _queued(session, channel)


@event.listens_for(WriteSession, "do_orm_execute")
def _note_inserted_work(state: ORMExecuteState) -> None:
    # Rows queued by a plain INSERT (bot.outbox.add_rows) bypass the flush above.
    if state.is_insert:
        channel = _TABLE_CHANNELS.get(getattr(state.statement, "table", None))  # type: ignore[arg-type]
        if channel is not None:
            _queued(state.session, channel)


def _queued(session: Session, channel: str) -> None:
    session.info.setdefault("queued", set()).add(channel)
    if isinstance(session, AnnouncingSession):
        session.info.setdefault("announce", set()).add(channel)


@event.listens_for(WriteSession, "after_rollback")
def _forget_announcements(session: Session) -> None:
    # Not at the next begin: a transaction begins at its first statement, after the event that
    # notes the work that statement queues (do_orm_execute).
    session.info.pop("announce", None)


def withdraw(session: AsyncSession, channel: str) -> None:
    """The work this transaction queued on `channel` is in hand already (this process's dispatcher
    claimed all of it in the transaction, see bot.dispatcher.Boarding): no NOTIFY at its commit,
    and `queued` no longer names it. For a session of one transaction (processing an update)."""
    for key in ("queued", "announce"):
        session.info.get(key, set()).discard(channel)


def _driver(connection: Connection) -> sqlite_driver.Connection:
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite_driver.Connection)
    return driver


def queued(session: AsyncSession) -> set[str]:
    """The channels of the work this session's transactions queued (for waking this process's
    dispatcher or file fetcher once it has committed)."""
    return set(session.info.get("queued", ()))


class AnnouncingSession(WriteSession):
    """PostgreSQL write sessions: NOTIFY each channel a transaction queued work on, once, at its
    commit (delivered when it commits; said last, so that work claimed in the transaction can
    be withdrawn first)."""


@event.listens_for(AnnouncingSession, "before_commit")
def _announce(session: Session) -> None:
    session.flush()  # what the commit would flush is queued before the announcement
    for channel in sorted(session.info.pop("announce", ())):
        session.connection().exec_driver_sql(f"NOTIFY {channel}")


def session_factory(engine: AsyncEngine, announce: bool = False, write: bool = True,
                    bounded: bool = False) -> async_sessionmaker[AsyncSession]:
    if bounded:  # seen by the connection's begin (above), before any session event
        engine = engine.execution_options(**{BOUNDED: True})
    if announce:
        return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=AnnouncingSession)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=WriteSession if write else Session)


class Database:
    """`write()` sessions for transactions that change data, `read()` sessions for the rest.

    On PostgreSQL both use one pool; on SQLite writes go through a single connection.
    """

    def __init__(self, url: str, synchronous: str = "FULL") -> None:
        self.url = url
        self.engine = create_engine(url, synchronous=synchronous)
        self.reader_engine = create_engine(url, reader=True) if url.startswith("sqlite") else self.engine
        self.write = session_factory(self.engine, announce=self.engine.dialect.name == "postgresql")
        # For transactions of bounded, indexed work on the hot path (an update processed, updates
        # stored, sends claimed and recorded): on SQLite their statements run on the event loop,
        # not through the driver's thread (storage.sqlite_driver). Long work uses `write`.
        self.write_bounded = session_factory(self.engine, announce=self.engine.dialect.name == "postgresql", bounded=True)
        self.read = session_factory(self.reader_engine, write=False)
        # For one bounded, indexed SELECT polled on the hot path (the dispatcher's queue page, the
        # processor's chats with updates waiting): on SQLite it runs on the loop, with no
        # transaction around it — a session from here must run a single statement.
        self.read_single = session_factory(self.reader_engine.execution_options(**{SINGLE_READ: True}), write=False) \
            if self.reader_engine is not self.engine else self.read

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.reader_engine is not self.engine:
            await self.reader_engine.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations (blocking; runs its own event loop inside Alembic's env)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration's revision: each file is named after its revision, NNNN_what.py
    (tests/unit/test_migrations.py holds this to Alembic's own answer)."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


async def at_head(url: str) -> bool:
    """Whether the database's schema is the newest, asked without Alembic."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        return version == head_revision()
    except Exception:  # no such table yet (a new database), or not reachable: upgrade will say
        return False
    finally:
        await engine.dispose()


async def upgrade_async(url: str) -> None:
    """Apply migrations if the schema is not the newest. Alembic is imported only then: a bot
    started on a current database does not keep its ~11 MB of modules for nothing."""
    if await at_head(url):
        return
    await asyncio.to_thread(upgrade, url)
