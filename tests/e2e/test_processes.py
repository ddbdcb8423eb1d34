"""Three identical bot processes on one PostgreSQL database, in webhook mode behind a round-robin
proxy (as nginx in the README's deployment): a burst of 300 answers with Telegram's limits
enforced by the emulator, one process killed -9 mid-burst; and the roles passing on when their
holder dies. SQLite means one process, so these run in the PostgreSQL pass of `.ci/run`."""

from __future__ import annotations

import os
import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.dispatcher import Limits
from tests.e2e.chat import Chat
from tests.e2e.conftest import ADMIN_ID, assert_clean_log
from tests.e2e.harness import BotProcess, query, wait_until
from tests.e2e.proxy import RoundRobinProxy
from tests.e2e.test_citizen_flow import file_complaint, jpeg
from tests.e2e.test_webhook import PUBLIC_URL, free_port
from tests.emulator import BotApiEmulator

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="several processes need PostgreSQL (the PostgreSQL pass of .ci/run runs these)")  # fmt: skip

SECRET = "one-secret-for-every-process_0123456789"
CITIZENS, EACH = 30, 10  # 300 updates, 300 answers


@dataclass
class Node:
    process: BotProcess
    port: int

    def metric(self, name: str) -> float | None:
        """A gauge from the process's /metrics; None when it does not answer (dead)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
                body = response.read().decode()
        except OSError:
            return None
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == name:
                    return sample.value
        return None


@dataclass
class Cluster:
    nodes: list[Node]
    proxy: RoundRobinProxy

    def holder(self, role: str, among: list[Node] | None = None) -> Node:
        """The one process holding `role` (waited for: it may be passing on, after a kill)."""
        found: list[Node] = []

        def one() -> bool:
            found[:] = [node for node in among or self.nodes if node.metric(f"aduan_{role}_leader") == 1]
            return len(found) == 1

        wait_until(one, timeout=30, interval=0.2, message=f"one process to hold the {role} role")
        return found[0]


@pytest.fixture
def cluster(emulator: BotApiEmulator, database_url: str, tmp_path: Path, admin) -> Iterator[Cluster]:  # type: ignore[no-untyped-def]
    ports = [free_port() for _ in range(3)]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports]).start()
    emulator.webhook_delivery.target = proxy.url
    emulator.webhook_delivery.retry_delays = (0.2, 0.5, 1.0)
    emulator.webhook_delivery.timeout = 10.0
    files = tmp_path / "files"  # shared, as on one host (or one network volume)
    nodes = []
    for index, port in enumerate(ports):
        workdir = tmp_path / f"p{index}"
        workdir.mkdir()
        env = {"WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_PORT": str(port), "WEBHOOK_SECRET": SECRET,
               "FILES_DIR": str(files), "FLOOD_MAX_MESSAGES": "50"}  # fmt: skip
        nodes.append(Node(BotProcess(emulator.base_url, database_url, workdir, admins=(ADMIN_ID,), extra_env=env).start(), port))
    try:
        def all_up() -> bool:
            for node in nodes:
                if not node.process.alive():
                    raise AssertionError("a bot process exited:\n" + node.process.log()[-3000:])
            return len([c for c in emulator.calls_of("setWebhook") if c.ok]) >= 3

        wait_until(all_up, timeout=90, message="three processes to register the webhook")
        wait_until(lambda: sum(node.metric("aduan_sender_leader") or 0 for node in nodes) == 1, timeout=30,
                   message="one process to take the sender role")  # fmt: skip
        yield Cluster(nodes, proxy)
    finally:
        for node in nodes:
            node.process.stop()
        proxy.stop()
        for node in nodes:
            log = node.process.log()
            assert SECRET not in log, "the webhook secret reached a log"
            if node.process.process is not None and node.process.process.returncode != -9:
                assert_clean_log(log)


def test_three_processes_drain_a_burst_within_telegram_limits_and_survive_a_kill(emulator, cluster, database_url):
    citizens = [emulator.user(first_name=f"Warga{i}", language_code="id") for i in range(CITIZENS)]
    for n in range(EACH):  # interleaved, so each chat's updates are spread over the three processes
        for citizen in citizens:
            citizen.send(f"/status q{n:02d}")
    ids = {c.id for c in citizens}

    def answers() -> list:
        return [c for c in emulator.calls_of("sendMessage") if c.ok and c.params.get("chat_id") in ids]

    wait_until(lambda: len(answers()) >= 60, timeout=60, message="the burst to be under way")
    sender = cluster.holder("sender")
    emulator.delay_next("sendMessage", 2.0, count=20)  # so that the kill finds sends in flight
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status = 'sending'") != [(0,)],
               interval=0.02, message="sends in flight")  # fmt: skip
    sender.process.kill()
    emulator.faults.clear()  # the delays were for the killed process's sends, not the survivor's
    killed_at, killed_wall = time.time(), datetime.now(timezone.utc)
    survivors = [node for node in cluster.nodes if node is not sender]
    time.sleep(1.5)
    cut_short = query(database_url, "SELECT id FROM outbox WHERE status = 'sending' AND claimed_at < :t", t=killed_wall)
    assert cut_short, "the kill came mid-send: the dead process's claims wait for the lease"

    def all_answered() -> bool:
        got = {c.params["chat_id"]: set() for c in answers()}
        for call in answers():
            got[call.params["chat_id"]].update(re.findall(r"q\d\d", call.params["text"]))
        return len(got) == CITIZENS and all(len(v) == EACH for v in got.values())

    wait_until(all_answered, timeout=150, interval=0.5, message="every citizen's ten answers")
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == [(0,)],
               timeout=60, message="the outbox to drain")  # fmt: skip

    # Nothing lost: every update processed once, every answer recorded as sent.
    assert query(database_url, "SELECT status, count(*) FROM inbox_updates GROUP BY status") == [("done", CITIZENS * EACH)]
    assert sum(node.metric("aduan_sender_leader") or 0 for node in survivors) == 1, "a survivor took over sending"
    # Within Telegram's limits, all processes together: the emulator refused nothing.
    refused = [c for c in emulator.calls if c.error_code == 429]
    assert refused == [], f"{len(refused)} answers refused with 429"
    duplicates = 0
    for citizen in citizens:
        said = [re.findall(r"q\d\d", c.params["text"])[0] for c in answers() if c.params["chat_id"] == citizen.id]
        in_order = [q for i, q in enumerate(said) if i == 0 or q != said[i - 1]]
        assert in_order == [f"q{n:02d}" for n in range(EACH)], f"order broken for a chat: {said}"
        for i, q in enumerate(said):
            if i and q == said[i - 1]:
                duplicates += 1
                first = [c for c in answers() if c.params["chat_id"] == citizen.id and q in c.params["text"]][0]
                assert first.time <= killed_at + 2.5, "a message sent twice that was not in flight at the kill"
    # Once each, except a send the killed process made but could not record (Telegram cannot tell).
    assert duplicates <= Limits().concurrency, duplicates
    served = {upstream for upstream, status in cluster.proxy.served if status == 200}
    assert len(served) == 3, "the proxy spread the updates over the three processes"


def test_the_roles_pass_on_within_seconds_when_their_holder_dies(emulator, cluster, database_url):
    """kill -9 the scheduler's process, then the sender's: a survivor holds each within 30 s, and a
    message queued afterwards is sent."""
    for role in ("scheduler", "sender"):
        alive = [node for node in cluster.nodes if node.process.alive()]
        node = cluster.holder(role, alive)
        node.process.kill()
        started = time.monotonic()
        rest = [n for n in alive if n is not node]
        wait_until(lambda: sum(n.metric(f"aduan_{role}_leader") or 0 for n in rest) == 1, timeout=30,
                   message=f"a survivor to take the {role} role")  # fmt: skip
        assert time.monotonic() - started <= 30
    citizen = emulator.user(first_name="Sari", language_code="id")
    citizen.send("/bantuan")
    wait_until(lambda: any(c.ok and c.params.get("chat_id") == citizen.id for c in emulator.calls_of("sendMessage")),
               timeout=30, message="the last process to answer")  # fmt: skip


def test_each_attachment_is_fetched_once_whichever_process_took_the_report(emulator, cluster, database_url):
    """Only the sender fetches: while its download is slow, the other processes — woken by other
    citizens' updates and by the submission's NOTIFY — leave the file alone."""
    citizen = emulator.user(first_name="Siti", language_code="id")
    chat = Chat(citizen, timeout=60)
    chat.say("/start")
    chat.expect("Kanal Aduan")
    emulator.delay_next("getFile", 3.0)  # the download after submission is slow
    file_complaint(chat, jpeg())
    others = [emulator.user(first_name=f"Lain{i}", language_code="id") for i in range(3)]
    for other in others:  # round robin: every process processes one, and wakes
        other.send("/bantuan")
    wait_until(lambda: query(database_url, "SELECT fetch_status FROM attachments") == [("stored",)], timeout=60,
               message="the attachment stored")  # fmt: skip
    (file_id,) = query(database_url, "SELECT file_id FROM attachments")[0]
    fetches = [c for c in emulator.calls_of("getFile") if c.params.get("file_id") == file_id]
    assert len(fetches) == 1, f"fetched {len(fetches)} times"
    served = {upstream for upstream, status in cluster.proxy.served if status == 200}
    assert len(served) == 3
