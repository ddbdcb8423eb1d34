"""Benchmark: N simulated citizens complete the whole /lapor form concurrently.

Runs the real bot process against the Bot API emulator, then — in the same run, on the same
machine, with the same users and message count — a bare python-telegram-bot echo bot as the
baseline. Prints updates/s, per-update latency percentiles (from a user's message to the bot's
first answer) and the bot process's peak memory, and the ratios ours/baseline.

    .venv/bin/python -m bench.form_throughput [--citizens 40] [--database URL] [--modes polling webhook webhook-x3]

`--modes`: how updates reach our bot — long polling (the default), a webhook to one process, or a
webhook to three processes behind a round-robin proxy (PostgreSQL only; tests/e2e/proxy.py plays
nginx). Each is run in turn, against the same baseline.

Telegram's own limits (30 messages/s per bot, 1/s per chat) are lifted for the measurement so it
shows what the engine can do; with them on, Telegram's limits are the ceiling by design.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.chat import typed_answers  # noqa: E402
from tests.e2e.proxy import RoundRobinProxy  # noqa: E402
from tests.emulator import BotApiEmulator  # noqa: E402

TOKEN = "123456789:TEST-benchmark-token"
ANSWERING = ("sendMessage", "editMessageText", "sendPhoto", "sendDocument")


@dataclass
class Result:
    name: str
    updates: int
    seconds: float
    latencies: list[float]
    peak_rss: int
    cpu_seconds: float = 0.0  # the bot process(es)' CPU time (user + system) while the citizens drove it
    sends: str = ""  # what became of our outbox rows (ours only): retries and failures show here

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds / self.updates * 1000

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class MemoryWatch(threading.Thread):
    """Peak RSS of the processes together (one bot, or all of a several-process deployment)."""

    def __init__(self, *pids: int) -> None:
        super().__init__(daemon=True)
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peak = 0
        self.running = True
        self.cpu_start = self._cpu()

    def _cpu(self) -> float:
        return sum(p.cpu_times().user + p.cpu_times().system for p in self.processes)

    def stop(self) -> float:
        """Stop sampling; the CPU seconds the processes used since the watch was made."""
        self.running = False
        return self._cpu() - self.cpu_start

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, sum(p.memory_info().rss for p in self.processes))
            except psutil.Error:
                return
            time.sleep(0.02)


class Answers(threading.Thread):
    """One thread watches the emulator's calls and hands each chat its bot's answering calls, so
    the citizens wait on an event of their own: with two hundred of them, each waking on every
    call the bot makes (and scanning for its own) cost the machine more than the bot under test."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        super().__init__(daemon=True)
        self.state = emulator.state
        self.seen = 0
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}  # chat -> monotonic times of its answering calls
        self.events: dict[str, threading.Event] = {}
        self.running = True

    def mark(self, chat_id: int) -> int:
        """How many answers the chat has had so far (wait for the next with `after`)."""
        with self.lock:
            self.events.setdefault(str(chat_id), threading.Event())
            return len(self.times.get(str(chat_id), []))

    def after(self, chat_id: int, count: int, timeout: float = 120.0) -> float:
        """The time of the chat's answer number `count` + 1."""
        key = str(chat_id)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = self.times.get(key, [])
                if len(got) > count:
                    return got[count]
                event = self.events[key]
                event.clear()
            if not event.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"no answer to chat {chat_id} in {timeout:.0f} s")

    def run(self) -> None:
        offset = time.monotonic() - time.time()  # calls carry their arrival as time.time()
        state = self.state
        while self.running:
            with state.changed:
                if len(state.calls) == self.seen:
                    state.changed.wait(0.5)
                fresh = state.calls[self.seen:]
                self.seen += len(fresh)
            with self.lock:
                for call in fresh:
                    if call.method in ANSWERING and call.ok:
                        key = str(call.params.get("chat_id"))
                        self.times.setdefault(key, []).append(call.time + offset)
                        if key in self.events:
                            self.events[key].set()


QUIET = 0.4  # seconds without a further answer that end a step's answers (calibration only)


def _press_submit(user) -> None:  # type: ignore[no-untyped-def]
    summary = user.wait_for(lambda m: any("Kirim laporan" in b.text for row in m.buttons for b in row), timeout=120)
    label = next(t for row in summary.buttons for t, _ in row if "Kirim laporan" in t)
    user.press(summary.message_id, text=label)


def calibrate(emulator: BotApiEmulator, answers: Answers, lines: list[str], press_submit: bool) -> list[int]:
    """How many answers the bot gives each step (a message, then the next question): one citizen
    alone, before the timed run, waits after each step until the bot has been quiet for QUIET.
    The timed citizens then read a step's whole answer before typing the next line, as people do;
    typing on after the first of two messages would take the previous step's second message for
    the next one's answer, and let the outbox fall behind."""
    user = emulator.user(first_name="Kalibrasi", language_code="id")
    counts: list[int] = []
    steps: list = [lambda line=line: user.send(line) for line in lines]  # type: ignore[misc]
    if press_submit:
        steps.append(lambda: _press_submit(user))
    for step in steps:
        before = answers.mark(user.id)
        step()
        answers.after(user.id, before)
        while True:
            got = answers.mark(user.id)
            time.sleep(QUIET)
            if answers.mark(user.id) == got:
                break
        counts.append(got - before)
    return counts


def drive(emulator: BotApiEmulator, messages_for: list[list[str]], press_submit: bool) -> tuple[float, list[float]]:
    """Each user sends its messages one by one: the latency is to the first answer to each, and
    the next is sent once all of a step's answers have come (see `calibrate`)."""
    users = [emulator.user(first_name=f"Warga{n}", language_code="id") for n in range(len(messages_for))]
    latencies: list[float] = []
    lock = threading.Lock()
    start_barrier = threading.Barrier(len(users) + 1)
    answers = Answers(emulator)
    answers.start()
    expected = calibrate(emulator, answers, messages_for[0], press_submit)

    def citizen(user, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        start_barrier.wait()
        own: list[float] = []
        steps: list = [lambda line=line: user.send(line) for line in lines]  # type: ignore[misc]
        if press_submit:
            steps.append(lambda: _press_submit(user))
        for step, replies in zip(steps, expected, strict=True):
            count = answers.mark(user.id)
            sent = time.monotonic()
            step()
            own.append(answers.after(user.id, count) - sent)
            answers.after(user.id, count + replies - 1)  # the rest of the step's answers
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=citizen, args=(u, lines)) for u, lines in zip(users, messages_for)]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    answers.running = False
    return time.monotonic() - began, latencies


MODES = {"polling": (False, 1), "webhook": (True, 1), "webhook-x3": (True, 3)}


def run_ours(citizens: int, database: str | None, workdir: Path, synchronous: str = "FULL", mode: str = "polling",
             profile: Path | None = None) -> Result:
    webhook, count = MODES[mode]
    workdir.mkdir(parents=True, exist_ok=True)
    emulator = BotApiEmulator(token=TOKEN, bot_username="bench_bot", rate_limit=None)
    emulator.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
           "DATABASE_URL": database or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}",
           "FILES_DIR": str(workdir / "files"), "LOG_LEVEL": "WARNING", "POLLING_TIMEOUT_SECONDS": "1",
           "SEND_RATE_PER_SECOND": "100000", "SEND_RATE_PER_CHAT": "100000", "FLOOD_MAX_MESSAGES": "1000",
           "SQLITE_SYNCHRONOUS": synchronous}
    ports = [free_port() for _ in range(count)] if webhook else []
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports]).start() if count > 1 else None
    if webhook:
        emulator.webhook_delivery.target = proxy.url if proxy else f"http://127.0.0.1:{ports[0]}"
        env |= {"WEBHOOK_URL": "https://bench.example.go.id/telegram/update", "WEBHOOK_SECRET": "bench-secret-0123456789"}
    processes = []
    try:
        for index in range(count):
            extra = {"WEBHOOK_PORT": str(ports[index])} if webhook else {}
            processes.append(subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir, env=env | extra, stdout=subprocess.DEVNULL,
                                              stderr=(workdir / f"ours{index}.log").open("w")))  # fmt: skip
            if index == 0 and count > 1:  # the first migrates and seeds; the rest start beside a ready database
                _wait_started(emulator, processes, webhook)
        _wait_started(emulator, processes, webhook)
        watch = MemoryWatch(*(process.pid for process in processes))
        watch.start()
        spy = _profile(processes[0].pid, profile) if profile else None
        seconds, latencies = drive(emulator, [typed_answers(n) for n in range(citizens)], press_submit=True)
        cpu = watch.stop()
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            spy.wait(60)
        name = "kanal-aduan" if synchronous == "FULL" or database else f"kanal-aduan ({synchronous})"
        if mode != "polling":
            name += f" {mode}"
        result = Result(name, len(latencies), seconds, latencies, watch.peak, cpu)
    finally:
        for process in processes:
            _stop(process)
        if proxy is not None:
            proxy.stop()
        emulator.stop()
    result.sends = _send_outcomes(env["DATABASE_URL"])
    return result


def _send_outcomes(database_url: str) -> str:
    """The outbox once the bot has stopped: a send that timed out and waited out its backoff, or
    was refused, is otherwise seen only as latency (or as a citizen the driver gave up on)."""
    from bot.settings import async_database_url
    from tests.e2e.harness import query

    database_url = async_database_url(database_url)  # as the bot read it
    counts: dict[str, int] = {}
    retried = 0
    for status, attempts, count in query(database_url, "SELECT status, attempts, COUNT(*) FROM outbox GROUP BY status, attempts"):
        counts[status] = counts.get(status, 0) + count
        retried += count if attempts else 0
    unsent = counts.get("pending", 0) + counts.get("sending", 0)
    return f"{counts.get('sent', 0)} sent, {retried} after a retry, {counts.get('failed', 0)} failed, {unsent} unsent at the stop"


def run_echo(citizens: int, workdir: Path) -> Result:
    emulator = BotApiEmulator(token=TOKEN, bot_username="echo_bot", rate_limit=None)
    emulator.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url}
    process = subprocess.Popen([sys.executable, str(Path(__file__).parent / "echo_bot.py")], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=(workdir / "echo.log").open("w"))
    try:
        _wait_polling(emulator, process)
        watch = MemoryWatch(process.pid)
        watch.start()
        lines = [typed_answers(n) + ["Kirim laporan"] for n in range(citizens)]  # the same number of updates
        seconds, latencies = drive(emulator, lines, press_submit=False)
        cpu = watch.stop()
        return Result("ptb-echo (baseline)", len(latencies), seconds, latencies, watch.peak, cpu)
    finally:
        _stop(process)
        emulator.stop()


def run_ptb_form(citizens: int, workdir: Path) -> Result:
    """The same form and button, as a PTB user would write it (bench/ptb_form_bot.py)."""
    workdir.mkdir(parents=True, exist_ok=True)
    emulator = BotApiEmulator(token=TOKEN, bot_username="ptb_form_bot", rate_limit=None)
    emulator.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url}
    process = subprocess.Popen([sys.executable, str(Path(__file__).parent / "ptb_form_bot.py"), str(workdir / "ptb_form.pickle")],
                               cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=(workdir / "ptb_form.log").open("w"))  # fmt: skip
    try:
        _wait_polling(emulator, process)
        watch = MemoryWatch(process.pid)
        watch.start()
        seconds, latencies = drive(emulator, [typed_answers(n) for n in range(citizens)], press_submit=True)
        cpu = watch.stop()
        return Result("ptb-form (baseline 2)", len(latencies), seconds, latencies, watch.peak, cpu)
    finally:
        _stop(process)
        emulator.stop()


def _profile(pid: int, output: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    """A sampling profile of the bot process while the citizens drive it (py-spy, collapsed stacks
    of the thread holding the GIL: where the CPU goes)."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install -e '.[bench]'")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--gil",
                             "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        print("warning: the bot did not stop within 30 s of SIGTERM; killed", file=sys.stderr)
        process.kill()
        process.wait()


def _wait_started(emulator: BotApiEmulator, processes: list[subprocess.Popen], webhook: bool) -> None:  # type: ignore[type-arg]
    """Until every process polls, or has registered the webhook."""
    if not webhook:
        _wait_polling(emulator, processes[0])
        return
    deadline = time.monotonic() + 90
    while len([c for c in emulator.calls_of("setWebhook") if c.ok]) < len(processes):
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            raise RuntimeError("bot did not register its webhook")
        time.sleep(0.05)
    time.sleep(1.0)  # the sender role taken, the scheduler's start-up sweep done


def _wait_polling(emulator: BotApiEmulator, process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while not emulator.calls_of("getUpdates"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("bot did not start polling")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh(database: str | None, mode: str) -> str | None:
    """A new, empty PostgreSQL database per run (so each mode starts alike); SQLite: a new file."""
    if not database or not database.startswith("postgresql"):
        return database
    import asyncio

    from sqlalchemy.engine import make_url

    url = make_url(database)
    name = f"{url.database}_{mode.replace('-', '_')}"

    async def create() -> None:
        connection = await maintenance_connection(url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return url.set(database=name).render_as_string(hide_password=False)


async def maintenance_connection(url: URL):  # type: ignore[no-untyped-def]
    """A connection to create the runs' databases from: the URL's own database, or the server's
    `postgres` one while the URL's does not exist yet (a fresh machine)."""
    import asyncpg

    try:
        return await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=url.database, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        return await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database="postgres", timeout=10)


def report(ours: Result, base: Result) -> str:
    lines = [
        f"{'':24} {'updates':>8} {'upd/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'peak MB':>8} {'CPU ms/upd':>10}",
    ]
    for r in (ours, base):
        lines.append(f"{r.name:24} {r.updates:8d} {r.rate:8.1f} {r.percentile(0.50):8.1f} {r.percentile(0.95):8.1f} {r.percentile(0.99):8.1f} {r.peak_rss / 1048576:8.1f} {r.cpu_ms_per_update:10.1f}")
    lines.append(
        f"{'ratio ours/baseline':24} {'':8} {ours.rate / base.rate:8.2f} {ours.percentile(0.5) / base.percentile(0.5):8.2f} "
        f"{ours.percentile(0.95) / base.percentile(0.95):8.2f} {ours.percentile(0.99) / base.percentile(0.99):8.2f} {ours.peak_rss / base.peak_rss:8.2f} "
        f"{ours.cpu_ms_per_update / base.cpu_ms_per_update:10.2f}"
    )
    lines.append(f"mean latency: ours {statistics.mean(ours.latencies) * 1000:.1f} ms, baseline {statistics.mean(base.latencies) * 1000:.1f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=40)
    parser.add_argument("--database", help="DATABASE_URL for our bot (default: SQLite in a temp dir)")
    parser.add_argument("--modes", nargs="+", choices=tuple(MODES), default=["polling"],
                        help="how updates reach our bot; webhook-x3 needs --database (PostgreSQL)")
    parser.add_argument("--ptb-form", action="store_true",
                        help="also the second baseline: the form as a PTB ConversationHandler with PicklePersistence")
    parser.add_argument("--durability", action="store_true",
                        help="SQLite: also run ours with SQLITE_SYNCHRONOUS=NORMAL, to show what FULL costs")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record a py-spy profile (collapsed stacks) of our bot during the first mode's run")
    args = parser.parse_args()
    if "webhook-x3" in args.modes and not (args.database or "").startswith("postgresql"):
        parser.error("webhook-x3 (several processes) needs --database postgresql://...")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        base = run_echo(args.citizens, workdir)
        form = run_ptb_form(args.citizens, workdir / "ptb-form") if args.ptb_form else None
        runs = [run_ours(args.citizens, fresh(args.database, mode), workdir / mode, mode=mode,
                         profile=args.profile if index == 0 else None) for index, mode in enumerate(args.modes)]
        ours = runs[0]
        normal = run_ours(args.citizens, None, workdir / "normal", "NORMAL") if args.durability and not args.database else None
    print(f"{args.citizens} citizens, {ours.updates // args.citizens} updates each, {os.cpu_count()} CPUs")
    for run in runs:
        print(report(run, base))
        print(f"{run.name} outbox: {run.sends}")
        if form is not None:
            print(report(run, form))
    for run in runs[1:]:
        print(f"{run.name} / {ours.name}: throughput {run.rate / ours.rate:.2f}, p50 {run.percentile(0.5) / ours.percentile(0.5):.2f}, "
              f"p99 {run.percentile(0.99) / ours.percentile(0.99):.2f}, peak memory {run.peak_rss / ours.peak_rss:.2f}")
    if normal is not None:
        print(report(normal, base))
        print(f"SQLITE_SYNCHRONOUS=FULL / NORMAL: throughput {ours.rate / normal.rate:.2f}, "
              f"p50 {ours.percentile(0.5) / normal.percentile(0.5):.2f}, p99 {ours.percentile(0.99) / normal.percentile(0.99):.2f}")


if __name__ == "__main__":
    main()
