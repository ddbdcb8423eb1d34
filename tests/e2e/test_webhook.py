"""Webhook mode end to end: the emulator POSTs updates to the real bot process (as Telegram does,
through a TLS proxy the emulator plays), and the probes /healthz /readyz /metrics."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.telegram import ALLOWED_UPDATES
from tests.e2e.chat import Chat, typed_answers
from tests.e2e.conftest import ADMIN_ID, assert_clean_log, wait_for_polling
from tests.e2e.harness import TOKEN, BotProcess, query, wait_until
from tests.emulator import BotApiEmulator

PUBLIC_URL = "https://aduan.example.go.id/telegram/update"
PATH = "/telegram/update"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def webhook_info(emulator: BotApiEmulator) -> dict:
    """getWebhookInfo over HTTP, as an operator would ask it."""
    status, body = http(f"{emulator.base_url}/bot{TOKEN}/getWebhookInfo")
    assert status == 200, body
    return json.loads(body)["result"]


def wait_for_webhook(emulator: BotApiEmulator, process: BotProcess, after: int = 0) -> None:
    def registered() -> bool:
        if not process.alive():
            raise AssertionError("bot exited:\n" + process.log()[-3000:])
        return len([c for c in emulator.calls_of("setWebhook") if c.ok]) > after

    wait_until(registered, timeout=60, message="the bot to set its webhook")


def secrets_given(emulator: BotApiEmulator) -> list[str]:
    return [c.params["secret_token"] for c in emulator.calls_of("setWebhook") if c.params.get("secret_token")]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def probe_extra() -> dict[str, str]:
    return {}


@pytest.fixture
def bot_env(port: int, probe_extra: dict[str, str]) -> dict[str, str]:
    """Polling-mode runs (the `bot` fixture) serve the probes on `port`."""
    return {"METRICS_PORT": str(port), **probe_extra}


@pytest.fixture
def webhook_extra() -> dict[str, str]:
    return {}


@pytest.fixture
def webhook_env(port: int, webhook_extra: dict[str, str]) -> dict[str, str]:
    return {"WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1", **webhook_extra}


@pytest.fixture
def hooked(emulator: BotApiEmulator, database_url: str, tmp_path: Path, admin, port: int,  # type: ignore[no-untyped-def]
           webhook_env: dict[str, str]) -> Iterator[BotProcess]:
    """The bot in webhook mode; the emulator delivers to it as nginx would forward."""
    emulator.webhook_delivery.target = f"http://127.0.0.1:{port}"
    emulator.webhook_delivery.retry_delays = (0.2, 0.5, 1.0)
    emulator.webhook_delivery.timeout = 5.0
    process = BotProcess(emulator.base_url, database_url, tmp_path, admins=(ADMIN_ID,), extra_env=webhook_env).start()
    try:
        wait_for_webhook(emulator, process)
        yield process
    finally:
        process.stop()
        log = process.log()
        assert_clean_log(log)
        for secret in secrets_given(emulator):
            assert secret not in log, "the webhook secret reached the log"


def test_webhook_mode_end_to_end(emulator, hooked, database_url):
    (registration,) = emulator.calls_of("setWebhook")
    assert registration.ok and registration.params["url"] == PUBLIC_URL
    assert list(registration.params["allowed_updates"]) == list(ALLOWED_UPDATES)
    assert registration.params["max_connections"] == 40
    assert len(registration.params["secret_token"]) >= 32  # generated: no WEBHOOK_SECRET given
    citizen = emulator.user(first_name="Siti", language_code="id")
    chat = Chat(citizen, timeout=90)  # two dozen answers at Telegram's 1 message/s per chat
    chat.say("/start")
    chat.expect("Kanal Aduan")
    for line in typed_answers(1):
        chat.say(line)
    chat.expect("Periksa sekali lagi")
    chat.press("Kirim laporan")
    chat.expect("KKR-")
    assert query(database_url, "SELECT count(*) FROM complaints") == [(1,)]
    assert emulator.calls_of("getUpdates") == [] and emulator.calls_of("deleteWebhook") == []
    deliveries = emulator.webhook_deliveries
    assert deliveries and all(d.ok and d.status == 200 for d in deliveries)
    info = webhook_info(emulator)
    assert info["url"] == PUBLIC_URL and info["pending_update_count"] == 0 and "last_error_date" not in info
    assert "webhook secret: set (generated)" in hooked.log()
    assert "(webhook)" in hooked.log()


@pytest.mark.parametrize("webhook_extra", [{"WEBHOOK_SECRET": "s3cret_from-the_operator", "WEBHOOK_MAX_CONNECTIONS": "7"}])
def test_the_secret_guards_the_webhook_and_bodies_are_checked(emulator, hooked, database_url, port):
    (registration,) = emulator.calls_of("setWebhook")
    assert registration.params["secret_token"] == "s3cret_from-the_operator"
    assert registration.params["max_connections"] == 7
    url = f"http://127.0.0.1:{port}{PATH}"
    update = json.dumps({"update_id": 424242, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"}}).encode()
    json_type = {"Content-Type": "application/json"}
    assert http(url, update, json_type)[0] == 401  # no secret
    assert http(url, update, {**json_type, "X-Telegram-Bot-Api-Secret-Token": "s3cret_from-the_operatoR"})[0] == 401
    good = {**json_type, "X-Telegram-Bot-Api-Secret-Token": "s3cret_from-the_operator"}
    assert http(url, b"x" * (2 * 1024 * 1024), good)[0] == 413
    assert http(url, b"[1, 2]", good)[0] == 400
    assert http(url, b'{"update_id": "7"}', good)[0] == 400
    assert http(url, b"not json", good)[0] == 400
    assert http(url, method="GET")[0] == 405
    assert query(database_url, "SELECT count(*) FROM inbox_updates") == [(0,)]
    assert http(url, update, good)[0] == 200
    assert query(database_url, "SELECT update_id FROM inbox_updates") == [(424242,)]
    assert http(url, update, good)[0] == 200  # a redelivery is answered 200 and stored once
    assert query(database_url, "SELECT count(*) FROM inbox_updates") == [(1,)]
    log = hooked.log()
    assert "webhook secret: set (WEBHOOK_SECRET)" in log and "s3cret_from-the_operator" not in log


def test_an_update_whose_answer_was_lost_is_delivered_again_and_processed_once(emulator, hooked, database_url):
    citizen = emulator.user(first_name="Dewi", language_code="id")
    emulator.webhook_delivery.drop_next_answer()
    citizen.send("/start")
    Chat(citizen).expect("Kanal Aduan")
    wait_until(lambda: len(emulator.webhook_deliveries) >= 2, message="the redelivery")
    first, second = emulator.webhook_deliveries[:2]
    assert first.update_id == second.update_id
    assert first.dropped and first.status == 200  # the bot stored it and said so; the answer was lost
    assert second.ok and second.status == 200
    time.sleep(1.5)  # time enough for a second answer, were the duplicate processed
    assert len([m for m in citizen.messages() if "Kanal Aduan" in (m.text or "")]) == 1
    assert query(database_url, "SELECT update_id, status FROM inbox_updates") == [(first.update_id, "done")]
    assert webhook_info(emulator)["last_error_message"] == "Read timeout expired"


def test_updates_wait_while_the_bot_is_down_and_arrive_in_order(emulator, hooked, database_url):
    citizen = emulator.user(first_name="Rina", language_code="id")
    chat = Chat(citizen)
    chat.say("/start")
    chat.expect("Kanal Aduan")
    assert hooked.stop() == 0
    down = len(emulator.webhook_deliveries)
    for line in ("/lapor", "Pengaduan", "Lainnya"):
        chat.say(line)
    wait_until(lambda: len(emulator.webhook_deliveries) >= down + 3, message="delivery attempts to the stopped bot")
    info = webhook_info(emulator)
    assert info["pending_update_count"] == 3
    assert info["last_error_message"] == "Connection refused" and info["last_error_date"] > 0
    failed = emulator.webhook_deliveries[down:]
    assert all(not d.ok and d.status is None for d in failed)
    assert len({d.update_id for d in failed}) == 1  # the oldest is retried; none overtakes it
    gaps = [b.time - a.time for a, b in zip(failed, failed[1:])]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.4, gaps  # the retry schedule: 0.2 s, 0.5 s, then 1 s
    polls = len([c for c in emulator.calls_of("setWebhook") if c.ok])
    hooked.start()
    wait_for_webhook(emulator, hooked, after=polls)
    chat.expect("Langkah 3 dari 11")  # the three applied in order: class, then topic
    wait_until(lambda: webhook_info(emulator)["pending_update_count"] == 0, message="the queue drained")
    delivered = [d.update_id for d in emulator.webhook_deliveries[down:] if d.ok]
    assert delivered == sorted(delivered) and len(delivered) == 3
    assert query(database_url, "SELECT count(*) FROM inbox_updates WHERE status = 'done'") == [(4,)]


def test_switching_back_to_polling_deletes_the_webhook(emulator, hooked, database_url, tmp_path):
    citizen = emulator.user(first_name="Ayu", language_code="id")
    chat = Chat(citizen)
    assert hooked.stop() == 0
    chat.say("/start")  # sent while no bot runs: queued for the webhook
    wait_until(lambda: webhook_info(emulator).get("last_error_message") == "Connection refused", message="a failed delivery")
    polling = BotProcess(emulator.base_url, database_url, tmp_path, admins=(ADMIN_ID,)).start()
    try:
        wait_for_polling(emulator, polling)
        chat.expect("Kanal Aduan")  # the update queued for the webhook came by getUpdates
        (delete,) = emulator.calls_of("deleteWebhook")
        assert delete.ok and "drop_pending_updates" not in delete.params
        assert delete.time <= emulator.calls_of("getUpdates")[0].time
        assert emulator.webhook_url is None and webhook_info(emulator)["url"] == ""
    finally:
        polling.stop()
    assert_clean_log(polling.log())


def test_a_webhook_telegram_refuses_ends_the_start_with_one_line(emulator, database_url, tmp_path, port):
    env = {"WEBHOOK_URL": "https://aduan.example.go.id:8080/hook", "WEBHOOK_PORT": str(port)}
    process = BotProcess(emulator.base_url, database_url, tmp_path, extra_env=env).start()
    wait_until(lambda: not process.alive(), timeout=60, message="the bot to give up")
    assert process.stop() == 2
    log = process.log()
    assert "aduan: invalid setting WEBHOOK_URL: Telegram refused the webhook (" in log, log[-2000:]
    assert "Traceback" not in log
    assert len(emulator.calls_of("setWebhook")) == 1  # a 400 is not retried


def test_readyz_waits_for_the_webhook_registration(emulator, database_url, tmp_path, port):
    emulator.fail_next("setWebhook", status=502, count=2, description="Bad Gateway")
    emulator.webhook_delivery.target = f"http://127.0.0.1:{port}"
    env = {"WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_PORT": str(port)}
    process = BotProcess(emulator.base_url, database_url, tmp_path, extra_env=env).start()
    try:
        def answered() -> bool:
            try:
                return http(f"http://127.0.0.1:{port}/healthz")[0] == 200
            except OSError:
                return False

        wait_until(answered, timeout=60, message="the web server")
        status, body = http(f"http://127.0.0.1:{port}/readyz")
        assert status == 503 and "webhook not registered" in json.loads(body)["reasons"][0], body
        wait_for_webhook(emulator, process)
        status, body = http(f"http://127.0.0.1:{port}/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready", body
        assert [c.ok for c in emulator.calls_of("setWebhook")] == [False, False, True]
    finally:
        process.stop()
    assert process.log().count("Telegram (setWebhook) not reachable at start-up") == 2
    assert_clean_log(process.log())


@pytest.mark.parametrize("probe_extra", [{"READY_MAX_OUTBOX_BACKLOG": "0"}])
def test_probes_and_metrics_in_polling_mode(emulator, bot, port):
    base = f"http://127.0.0.1:{port}"
    assert http(f"{base}/healthz") == (200, b"ok")
    status, body = http(f"{base}/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready", body
    emulator.fail_next("sendMessage", 429, retry_after=2)
    citizen = emulator.user(first_name="Budi", language_code="id")
    citizen.send("/start")

    def unready() -> bool:
        code, text = http(f"{base}/readyz")
        return code == 503 and any("outbox backlog" in r for r in json.loads(text)["reasons"])

    wait_until(unready, timeout=10, interval=0.02, message="/readyz to see the held-back answer")
    Chat(citizen).expect("Kanal Aduan")
    wait_until(lambda: http(f"{base}/readyz")[0] == 200, message="/readyz ready again")
    samples = {}
    for family in text_string_to_metric_families(http(f"{base}/metrics")[1].decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    assert samples[("aduan_updates_received_total", ())] >= 1
    assert samples[("aduan_updates_processed_total", ())] >= 1
    assert samples[("aduan_updates_failed_total", ())] == 0
    assert samples[("aduan_update_processing_seconds_count", ())] >= 1
    assert samples[("aduan_sends_total", (("outcome", "429"),))] == 1
    assert samples[("aduan_sends_total", (("outcome", "sent"),))] >= 1
    assert samples[("aduan_sends_total", (("outcome", "5xx"),))] == 0
    assert samples[("aduan_scheduler_leader", ())] == 1
    assert samples[("aduan_outbox_backlog", ())] == 0
    assert ("aduan_job_messages_queued_total", (("job", "reminders"),)) in samples
    assert samples[("aduan_webhook_registered", ())] == 0
    assert emulator.calls_of("deleteWebhook") and emulator.calls_of("setWebhook") == []
