"""The process's Prometheus metrics, in a registry of our own (not the library's global one, so
nothing a library registers there ends up on /metrics, and tests can read ours alone).

The workers increment these; `bot.web` serves them. The gauges about queues (inbox pending,
outbox backlog and its oldest due row) are set from the database at each scrape, by `bot.web`,
so they are right whichever process did the work.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_RECEIVED = Counter(
    "aduan_updates_received", "Updates received from Telegram (getUpdates or webhook), redeliveries included",
    registry=REGISTRY)  # fmt: skip
UPDATES_NEW = Counter(
    "aduan_updates_stored", "Updates stored in the inbox for the first time (a redelivery is not)",
    registry=REGISTRY)  # fmt: skip
UPDATES_PROCESSED = Counter("aduan_updates_processed", "Updates processed (their answers queued)", registry=REGISTRY)
UPDATES_FAILED = Counter(
    "aduan_updates_failed", "Updates given up after repeated failures (the sender got an apology)", registry=REGISTRY)
PROCESSING_SECONDS = Histogram(
    "aduan_update_processing_seconds", "From an update's arrival in the inbox to its answers being queued",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300), registry=REGISTRY)  # fmt: skip

# Outcomes of the dispatcher's Bot API calls: "sent" (also a harmless 400 such as "message is not
# modified"), "429", "5xx", "403", "400", "timeout", "network" (no answer from Telegram at all).
SEND_OUTCOMES = ("sent", "429", "5xx", "403", "400", "timeout", "network")
SENDS = Counter("aduan_sends", "Bot API calls made by the dispatcher, by outcome", ["outcome"], registry=REGISTRY)
for _outcome in SEND_OUTCOMES:
    SENDS.labels(_outcome)  # every outcome shows, at 0, before the first of it

JOB_MESSAGES = Counter(
    "aduan_job_messages_queued", "Messages queued by a scheduled job (job=reminders: reminders, escalations "
    "and auto-close notices)", ["job"], registry=REGISTRY)  # fmt: skip
SCHEDULER_LEADER = Gauge(
    "aduan_scheduler_leader", "1 while this process runs the scheduled jobs (always, on SQLite)", registry=REGISTRY)
SENDER_LEADER = Gauge(
    "aduan_sender_leader", "1 while this process sends the outbox and fetches attachments (always, on SQLite)",
    registry=REGISTRY)  # fmt: skip

INBOX_PENDING = Gauge("aduan_inbox_pending", "Updates stored and not processed yet", registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("aduan_outbox_backlog", "Outbox rows not sent yet (pending or being sent)", registry=REGISTRY)
OUTBOX_OLDEST_SECONDS = Gauge(
    "aduan_outbox_oldest_pending_seconds", "How long the oldest outbox row that may go has waited (0: none)",
    registry=REGISTRY)  # fmt: skip
WEBHOOK_REGISTERED = Gauge(
    "aduan_webhook_registered", "1 once setWebhook succeeded (webhook mode), else 0", registry=REGISTRY)
