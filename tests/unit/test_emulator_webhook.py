"""The emulator's webhook side: where a registered public URL is delivered, and what setWebhook
accepts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.emulator import BotApiEmulator
from tests.emulator.webhook import WebhookDelivery

TOKEN = "123456:TEST-webhook"


def test_the_target_plays_the_tls_proxy() -> None:
    assert WebhookDelivery().address("https://a.example/hook") == "https://a.example/hook"
    assert WebhookDelivery("http://127.0.0.1:8080/").address("https://a.example:8443/tg/hook?x=1") == "http://127.0.0.1:8080/tg/hook?x=1"
    assert WebhookDelivery(lambda url: url.replace("https://", "http://")).address("https://a.example/h") == "http://a.example/h"


def call(emulator: BotApiEmulator, method: str, **params: object) -> tuple[int, dict]:
    request = urllib.request.Request(f"{emulator.base_url}/bot{TOKEN}/{method}", data=json.dumps(params).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_set_webhook_checks_the_url_the_secret_and_max_connections() -> None:
    with BotApiEmulator(token=TOKEN) as emulator:
        assert call(emulator, "setWebhook", url="http://a.example/h")[0] == 400
        assert call(emulator, "setWebhook", url="https://a.example:8080/h")[0] == 400
        assert call(emulator, "setWebhook", url="https://a.example/h", secret_token="no spaces")[0] == 400
        assert call(emulator, "setWebhook", url="https://a.example/h", max_connections=0)[0] == 400
        assert call(emulator, "setWebhook", url="https://a.example/h", secret_token="ok_-1", max_connections=5) == (200, {"ok": True, "result": True})
        info = call(emulator, "getWebhookInfo")[1]["result"]
        assert info["url"] == "https://a.example/h" and info["max_connections"] == 5 and "last_error_message" not in info
        assert call(emulator, "getUpdates")[0] == 409
        assert call(emulator, "deleteWebhook")[0] == 200
        assert call(emulator, "getWebhookInfo")[1]["result"]["url"] == ""
