"""The deployment examples in deploy/ (nginx upstream, systemd units, their environment file)
agree with the bot: every setting they use exists and validates, the ports line up, and nginx's
policy is the one the three-process end-to-end test's proxy plays (tests/e2e/proxy.py)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = (DEPLOY / "nginx" / "kanal-aduan.conf").read_text()
UNIT = (DEPLOY / "systemd" / "kanal-aduan@.service").read_text()
ENV_FILE = DEPLOY / "systemd" / "env.example"


def env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if line and not line.startswith("#")]
    return {name: value for name, value in pairs}


def test_every_setting_the_examples_use_is_one_the_bot_reads_and_they_validate() -> None:
    names = set(env_example()) | set(re.findall(r"^Environment=([A-Z_]+)=", UNIT, re.M))
    known = {name.upper() for name in Settings.model_fields}
    assert names <= known, f"unknown settings: {names - known}"
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env_example().items()}, webhook_port=8081)  # type: ignore[arg-type]
    assert settings.webhook_url and not settings.is_sqlite, "the example is the several-process one: PostgreSQL, webhook"
    assert settings.webhook_secret is not None, "every process must register the same secret"


def test_nginx_sends_the_webhook_path_to_every_unit_and_skips_one_that_is_down() -> None:
    ports = [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", NGINX)]
    units = [int(p) for p in re.findall(r"kanal-aduan@(\d+)", UNIT)]
    assert len(ports) >= 3 and sorted(ports) == sorted(units), (ports, units)
    (location,) = re.findall(r"location = (\S+) \{", NGINX)
    assert location == urlsplit(env_example()["WEBHOOK_URL"]).path
    assert re.search(r"proxy_next_upstream error;", NGINX), "a stopped process must be skipped, as the e2e proxy does"
    assert "client_max_body_size 1m" in NGINX  # as the bot's own limit (413 above 1 MB)


def test_the_unit_stops_cleanly_and_does_not_restart_on_a_setting_to_fix() -> None:
    stop = int(re.search(r"TimeoutStopSec=(\d+)", UNIT).group(1))  # type: ignore[union-attr]
    from bot.app import DRAIN_SECONDS

    assert stop > DRAIN_SECONDS, "systemd would kill the process before it finished its sends"
    assert "RestartPreventExitStatus=2" in UNIT and "Environment=WEBHOOK_PORT=%i" in UNIT
