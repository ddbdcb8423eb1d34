"""bot.web and bot.health: the webhook's checks and the probes, in process (aiohttp's test
server), and the settings that configure them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import health
from bot.settings import SettingsError, load_settings
from bot.web import (
    MAX_UPDATE_BYTES,
    SECRET_HEADER,
    Webhook,
    WebServer,
    parse_update,
    secret_matches,
)
from storage import db

SECRET = "abc_DEF-123"
LIMITS = health.Thresholds(inbox_pending=5, outbox_backlog=5, outbox_age_seconds=60)


def now() -> datetime:
    return datetime.now(timezone.utc)


def test_secret_matches_only_the_exact_secret() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET, None)
    assert not secret_matches(SECRET, "")
    assert not secret_matches(SECRET, SECRET + "x")
    assert not secret_matches(SECRET, SECRET.lower())
    assert not secret_matches(SECRET, "ábc_DEF-123")  # not ASCII: compared as bytes, no TypeError


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b"null", b'{"message": {}}', b'{"update_id": "1"}',
                                  b'{"update_id": true}', b'{"update_id": 1.5}', b'{"update_id": -1}',
                                  b'{"update_id": 9223372036854775808}', b"\xff\xfe",
                                  b'{"update_id": 1, "message": {"chat": {"id": "x"}}}', b'{"update_id": 1, "message": {"chat": []}}'])  # fmt: skip
def test_parse_update_refuses_what_is_not_an_update(body: bytes) -> None:
    assert parse_update(body) is None


def test_parse_update_keeps_the_update_as_sent() -> None:
    update = {"update_id": 10_000_001, "message": {"text": "halo"}}
    assert parse_update(json.dumps(update).encode()) == update


def test_reasons_name_each_threshold_exceeded() -> None:
    assert health.reasons(health.Backlog(5, 5, 60), LIMITS) == []
    found = health.reasons(health.Backlog(6, 7, 61), LIMITS)
    assert found == ["inbox backlog 6 > 5", "outbox backlog 7 > 5", "oldest unsent message waited 61 s > 60 s"]


def test_webhook_settings() -> None:
    settings = load_settings(webhook_url="https://aduan.example.go.id/tg/hook")
    assert settings.webhook_path == "/tg/hook" and settings.webhook_port == 8080
    assert settings.webhook_listen == "127.0.0.1" and settings.webhook_max_connections == 40
    assert settings.webhook_secret is None and settings.metrics_port is None
    assert load_settings(webhook_url="https://aduan.example.go.id").webhook_path == "/"
    assert load_settings(webhook_url="", metrics_port="").webhook_url is None
    for bad, name in ((dict(webhook_url="http://aduan.example.go.id/hook"), "WEBHOOK_URL"),
                      (dict(webhook_url="https://aduan.example.go.id/metrics"), "WEBHOOK_URL"),
                      (dict(webhook_secret="has space"), "WEBHOOK_SECRET"),
                      (dict(webhook_secret="x" * 257), "WEBHOOK_SECRET"),
                      (dict(webhook_max_connections=101), "WEBHOOK_MAX_CONNECTIONS")):  # fmt: skip
        with pytest.raises(SettingsError, match=name) as raised:
            load_settings(**bad)
        assert "has space" not in str(raised.value)  # a secret is never echoed


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[db.Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"
    await db.upgrade_async(url)
    database = db.Database(url)
    yield database
    await database.dispose()


async def client_for(server: WebServer) -> TestClient:
    client = TestClient(TestServer(server.application()))
    await client.start_server()
    return client


async def inbox(database: db.Database) -> list[int]:
    from sqlalchemy import select

    from storage.models import InboxUpdate

    async with database.read() as session:
        return list(await session.scalars(select(InboxUpdate.update_id)))


async def test_the_webhook_stores_only_what_passes_its_checks(database: db.Database) -> None:
    woken: list[bool] = []
    server = WebServer(database, now, LIMITS, lambda: woken.append(True), Webhook("/hook", SECRET))
    client = await client_for(server)
    try:
        good = {SECRET_HEADER: SECRET}
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "chat": {"id": 9, "type": "private"}}}
        assert (await client.post("/hook", json=update)).status == 401
        assert (await client.post("/hook", json=update, headers={SECRET_HEADER: "wrong"})).status == 401
        assert (await client.post("/hook", data=b"x" * (MAX_UPDATE_BYTES + 1), headers=good)).status == 413
        assert (await client.post("/hook", data=b"[1]", headers=good)).status == 400
        assert (await client.get("/hook")).status == 405
        assert await inbox(database) == [] and woken == []
        assert (await client.post("/hook", json=update, headers=good)).status == 200
        assert (await client.post("/hook", json=update, headers=good)).status == 200
        assert await inbox(database) == [77] and woken == [True, True]
    finally:
        await client.close()


async def test_a_database_error_answers_500(database: db.Database, tmp_path: Path) -> None:
    broken = db.Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}")
    client = await client_for(WebServer(broken, now, LIMITS, lambda: None, Webhook("/hook", SECRET)))
    try:
        response = await client.post("/hook", json={"update_id": 1}, headers={SECRET_HEADER: SECRET})
        assert response.status == 500
    finally:
        await client.close()
        await broken.dispose()


async def test_probes(database: db.Database, tmp_path: Path) -> None:
    server = WebServer(database, now, LIMITS, lambda: None, Webhook("/hook", SECRET))
    client = await client_for(server)
    try:
        assert (await client.get("/healthz")).status == 200
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["reasons"] == ["webhook not registered with Telegram yet"]
        server.mark_registered()
        response = await client.get("/readyz")
        assert response.status == 200
        assert await response.json() == {"status": "ready", "inbox_pending": 0, "outbox_backlog": 0, "outbox_oldest_seconds": 0}
        metrics = await (await client.get("/metrics")).text()
        assert "aduan_outbox_backlog 0.0" in metrics and "aduan_webhook_registered 1.0" in metrics
    finally:
        await client.close()
    broken = db.Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}")
    client = await client_for(WebServer(broken, now, LIMITS, lambda: None))
    try:
        assert (await client.get("/healthz")).status == 200  # up, if not ready
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["reasons"][0].startswith("database unreachable")
        assert (await client.get("/metrics")).status == 200  # the counters still tell something
    finally:
        await client.close()
        await broken.dispose()
