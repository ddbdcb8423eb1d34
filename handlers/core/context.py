"""What a conversation step may use: the transaction's repository, the rules' settings, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cases.calendar import WorkCalendar
from cases.reminders import ReminderRules
from cases.workflow import Policy
from handlers.core.agency_list import AgencyList
from handlers.core.events import Event
from handlers.core.flood import FloodGate
from handlers.core.i18n import Texts, normalize_language, texts
from handlers.core.topics import TopicTree, load_topics
from handlers.core.triage import TriageRules, default_rules
from handlers.core.validation import Limits
from storage.models import User
from storage.repo import Repository
from storage.statistics import Sessions, one_session
from storage.vault import Vault


@dataclass(frozen=True)
class HandlerConfig:
    """The settings conversations depend on (built from bot.settings by the composition root)."""

    admin_ids: frozenset[int] = frozenset()
    default_language: str = "id"
    bot_username: str = "kanal_aduan_bot"
    verification_working_days: int = 3
    response_working_days: int = 5
    auto_close_working_days: int = 10
    reopen_window_working_days: int = 10
    reminder_rules: ReminderRules = field(default_factory=ReminderRules)
    weekly_summary: bool = True
    monthly_reports: bool = True
    vault: Vault | None = None  # None: the whistleblower channel is not set up (aduan keys init)
    draft_ttl: timedelta = timedelta(days=7)
    retention_months: int = 24  # told to citizens by /privasi (the retention job is in bot/)
    resume_after: timedelta = timedelta(minutes=30)
    flood_max_messages: int = 15
    flood_window: timedelta = timedelta(seconds=10)
    group_notice_every: timedelta = timedelta(hours=1)
    limits: Limits = field(default_factory=Limits)
    topics: TopicTree = field(default_factory=load_topics)
    triage: TriageRules = field(default_factory=default_rules)


@dataclass
class Context:
    repo: Repository
    config: HandlerConfig
    calendar: WorkCalendar
    now: datetime
    language: str = "id"
    flood: FloodGate | None = None
    agencies: AgencyList | None = None  # the process's agency list; None: read for each update
    # Set by a whistleblower's flow: its messages are wiped from the outbox once sent, and the
    # user's row (if any) is not touched.
    sensitive: bool = False
    # People this update found to have neither a user row nor an admin row: the processor need
    # not ask again whether the bot keeps a record of them (see bot.processor).
    strangers: set[int] = field(default_factory=set)
    # Read sessions beside the transaction, for what only reads a lot (the figures): on SQLite
    # they do not hold the writer, and several can run at once. None: the transaction's session.
    reads: Sessions | None = None

    @property
    def read_sessions(self) -> Sessions:
        return self.reads or one_session(self.repo.session)

    @property
    def texts(self) -> Texts:
        return texts(self.language)

    def texts_for(self, language: str) -> Texts:
        return texts(language)

    async def remember(self, event: Event) -> User:
        """Keep a row for this user from now on (their reports, their role or their language need it)."""
        language = normalize_language(event.language_code, self.config.default_language)
        return await self.repo.remember_user(event.user_id, event.display_name, event.username, language, self.now)

    @property
    def policy(self) -> Policy:
        c = self.config
        return Policy(calendar=self.calendar, verification_days=c.verification_working_days,
                      response_days=c.response_working_days, auto_close_days=c.auto_close_working_days,
                      reopen_window_days=c.reopen_window_working_days)  # fmt: skip
