"""The case rules: who may move a complaint from which status to which, and the SLA deadlines.

This is the one place for them. No Telegram, no SQL, no I/O: handlers, the scheduler and the CLI
build a `CaseView`, call one of the action functions below and store the `Transition` it returns
(it is also the audit row: who, when, from, to, why). A refusal is a `CaseError` subclass whose
English message is for logs; handlers translate by exception type.

Indonesian terms, named once: *verifikasi* (the admin's check of a new report), *disposisi*
(routing it to an agency, OPD), *tindak lanjut* (the agency's follow-up, here `respond`),
*bukan kewenangan* (the agency says the matter is not its authority, here `not_ours`).

Deadlines are dates in WITA counted in working days (`WorkCalendar`): a deadline is met when the
thing happens on or before that date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from cases.calendar import WorkCalendar
from cases.model import Maladministration, Status

ActorKind = Literal["citizen", "whistleblower", "admin", "officer", "system"]

CITIZEN: Literal["citizen"] = "citizen"
AGENCY: Literal["agency"] = "agency"
ADMINS: Literal["admins"] = "admins"


# -- errors ---------------------------------------------------------------------------------------


class CaseError(Exception):
    """A case rule refused an action."""


class NotYourCase(CaseError):
    """The actor may not act on this case (another citizen, another agency, not an admin)."""


class InvalidTransition(CaseError):
    """The action is not allowed in the case's current status."""


class NotYetDue(InvalidTransition):
    """The action exists for this status but its time has not come (auto-close too early)."""


class DeadlinePassed(CaseError):
    """The action came too late (reopening after the window)."""


class InvalidInput(CaseError):
    """An argument of the action is unusable (a score outside 1..5, an empty agency code)."""


class MissingReason(InvalidInput):
    """A rejection, *bukan kewenangan*, question or answer came without text."""


# -- facts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts. `telegram_id` is None for the system and for a whistleblower (who proves the case
    is theirs with its token, not with an account); `agency_code` is set for officers only."""

    kind: ActorKind
    telegram_id: int | None = None
    agency_code: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


@dataclass(frozen=True)
class CaseView:
    """The facts about one complaint that the rules need."""

    status: Status
    citizen_id: int | None  # None: a whistleblower's case
    created_at: datetime
    verification_due: date
    agency_code: str | None = None
    response_due: date | None = None
    responded_at: datetime | None = None
    closed_at: datetime | None = None
    paused_since: datetime | None = None
    reopen_count: int = 0
    category: str | None = None
    maladministration: str | None = None
    citizen_replied_at: datetime | None = None
    lapor_number: str | None = None


@dataclass
class Policy:
    """SLA settings, all in working days (LAPOR! defaults)."""

    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    verification_days: int = 3
    response_days: int = 5
    auto_close_days: int = 10
    reopen_window_days: int = 10


@dataclass(frozen=True)
class Transition:
    """What an allowed action does: the new status, the `CaseView` fields to set, who to tell."""

    action: str
    from_status: Status
    to_status: Status
    changes: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    notify: tuple[str, ...] = ()
    score: int | None = None
    code: str | None = None  # a listed reason's code (a rejection's), for the figures


def new_case(citizen_id: int | None, created_at: datetime, policy: Policy) -> CaseView:
    """A freshly submitted complaint, due for *verifikasi* `verification_days` after filing."""
    return CaseView(
        status=Status.SUBMITTED,
        citizen_id=citizen_id,
        created_at=created_at,
        verification_due=policy.calendar.deadline(created_at, policy.verification_days),
    )


def apply(case: CaseView, transition: Transition) -> CaseView:
    """The case after `transition` (for callers that keep a `CaseView`, and for tests)."""
    return replace(case, status=transition.to_status, **transition.changes)


# -- guards ---------------------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if actor.kind != "admin":
        raise NotYourCase(f"{actor.kind} {actor.telegram_id} is not an admin")


def _require_citizen(case: CaseView, actor: Actor) -> None:
    if case.citizen_id is None:  # a whistleblower's case: the handler checked the token
        if actor.kind != "whistleblower":
            raise NotYourCase(f"{actor.kind} {actor.telegram_id} is not this case's whistleblower")
        return
    if actor.kind != "citizen" or actor.telegram_id != case.citizen_id:
        raise NotYourCase(f"{actor.kind} {actor.telegram_id} is not this case's citizen")


def _require_officer(case: CaseView, actor: Actor) -> None:
    if actor.kind != "officer" or case.agency_code is None or actor.agency_code != case.agency_code:
        raise NotYourCase(
            f"{actor.kind} {actor.telegram_id} ({actor.agency_code}) is not an officer of the "
            f"agency handling this case ({case.agency_code})"
        )


def _require_system(actor: Actor) -> None:
    if actor.kind != "system":
        raise NotYourCase(f"{actor.kind} {actor.telegram_id} is not the system")


def _require_status(case: CaseView, action: str, *allowed: Status) -> None:
    if case.status not in allowed:
        raise InvalidTransition(f"cannot {action} a case in status {case.status.value}")


def _require_text(text: str | None, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise MissingReason(f"{what} needs a text")
    return cleaned


def _today(now: datetime, policy: Policy) -> date:
    return policy.calendar.local_date(now)


def _response_due(now: datetime, policy: Policy) -> date:
    return policy.calendar.add_working_days(_today(now, policy), policy.response_days)


def _paused_days(case: CaseView, now: datetime, policy: Policy) -> int:
    """Working days the clock stood still: those in (day the question was asked, today]."""
    if case.paused_since is None:
        return 0
    cal = policy.calendar
    return max(0, cal.working_days_between(cal.local_date(case.paused_since), _today(now, policy)))


def _days_since_response(case: CaseView, now: datetime, policy: Policy) -> int:
    assert case.responded_at is not None
    cal = policy.calendar
    return cal.working_days_between(cal.local_date(case.responded_at), _today(now, policy))


# -- admin (Diskominfo) ---------------------------------------------------------------------------


def verify_and_route(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, agency_code: str
) -> Transition:
    """*Verifikasi* and *disposisi*: route a new or returned case to an agency."""
    _require_admin(actor)
    _require_status(case, "verify and route", Status.SUBMITTED, Status.RETURNED)
    code = (agency_code or "").strip()
    if not code:
        raise InvalidInput("routing needs an agency code")
    changes = {"agency_code": code, "response_due": _response_due(now, policy),
               "paused_since": None}  # fmt: skip
    return Transition("verify_and_route", case.status, Status.VERIFIED, changes,
                      notify=(CITIZEN, AGENCY))  # fmt: skip


def reject(case: CaseView, actor: Actor, now: datetime, policy: Policy, reason: str,
           code: str | None = None) -> Transition:
    """Archive a complaint the admin will not pass on (too general, SARA, not about government).

    `code` names a listed reason ("other" for one written by hand), for the figures."""
    _require_admin(actor)
    _require_status(case, "reject", Status.SUBMITTED, Status.RETURNED, Status.INFO_REQUESTED)
    text = _require_text(reason, "a rejection")
    return Transition("reject", case.status, Status.REJECTED,
                      {"paused_since": None, "closed_at": now}, text, (CITIZEN,), code=code)  # fmt: skip


def mark_duplicate(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, of_ticket: str
) -> Transition:
    """Close a complaint that repeats one already in progress (`of_ticket`)."""
    _require_admin(actor)
    _require_status(case, "mark as duplicate", Status.SUBMITTED, Status.RETURNED)
    ticket = _require_text(of_ticket, "a duplicate mark")
    return Transition("mark_duplicate", case.status, Status.DUPLICATE, {"closed_at": now},
                      f"duplicate of {ticket}", (CITIZEN,))  # fmt: skip


def _admin_request_info(case: CaseView, actor: Actor, now: datetime, question: str) -> Transition:
    _require_status(case, "request information on", Status.SUBMITTED)
    text = _require_text(question, "an information request")
    return Transition("request_info", case.status, Status.INFO_REQUESTED,
                      {"paused_since": now}, text, (CITIZEN,))  # fmt: skip


def classify(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, *,
    category: str | None = None, maladministration: str | None = None,
) -> Transition:
    """Set the category (a top-level topic) or the Ombudsman's maladministration form.

    Part of *verifikasi*, but allowed while the case is open so a later finding can be recorded.
    """
    _require_admin(actor)
    _require_status(case, "classify", *_CLASSIFIABLE)
    changes: dict[str, Any] = {}
    if category is not None:
        if not category.strip():
            raise InvalidInput("a category cannot be empty")
        changes["category"] = category.strip()
    if maladministration is not None:
        if maladministration not in {m.value for m in Maladministration}:
            raise InvalidInput(f"unknown maladministration form {maladministration!r}")
        changes["maladministration"] = maladministration
    if not changes:
        raise InvalidInput("classify needs a category or a maladministration form")
    reason = ", ".join(f"{name}={value}" for name, value in changes.items())
    return Transition("classify", case.status, case.status, changes, reason)


_LAPOR_NUMBER = re.compile(r"^(?=.*\d)[A-Z0-9-]{4,32}$")


def lapor_number(text: str | None) -> str | None:
    """A LAPOR! tracking number as typed ("#1234567", "lpr-12 34") in its stored form, or None."""
    value = (text or "").strip().lstrip("#").replace(" ", "").upper()
    return value if _LAPOR_NUMBER.match(value) else None


def link_lapor(case: CaseView, actor: Actor, now: datetime, policy: Policy, number: str) -> Transition:
    """Record the case's tracking number in the national SP4N-LAPOR! system (*berjenjang*: the case
    was also filed there). Any status: the link can be made after the fact; a new one replaces it."""
    _require_admin(actor)
    value = lapor_number(number)
    if value is None:
        raise InvalidInput(f"{number!r} is not a LAPOR! tracking number")
    return Transition("link_lapor", case.status, case.status, {"lapor_number": value}, value)


_CLASSIFIABLE = (Status.SUBMITTED, Status.RETURNED, Status.INFO_REQUESTED, Status.VERIFIED,
                 Status.AGENCY_INFO_REQUESTED, Status.RESPONDED)  # fmt: skip


# -- agency officer (OPD) -------------------------------------------------------------------------


def respond(case: CaseView, actor: Actor, now: datetime, policy: Policy, text: str) -> Transition:
    """*Tindak lanjut*: the agency's answer; starts the auto-close and reopen clocks."""
    _require_officer(case, actor)
    _require_status(case, "respond to", Status.VERIFIED)
    answer = _require_text(text, "a response")
    return Transition("respond", case.status, Status.RESPONDED, {"responded_at": now}, answer,
                      (CITIZEN,))  # fmt: skip


def not_ours(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, reason: str
) -> Transition:
    """*Bukan kewenangan*: send the case back to the admin for re-routing.

    `agency_code` stays for the record until the admin routes the case again.
    """
    _require_officer(case, actor)
    _require_status(case, "return", Status.VERIFIED)
    text = _require_text(reason, "a not-ours return")
    return Transition("not_ours", case.status, Status.RETURNED, {}, text, (ADMINS,))


def _agency_request_info(case: CaseView, actor: Actor, now: datetime, question: str) -> Transition:
    _require_status(case, "request information on", Status.VERIFIED)
    text = _require_text(question, "an information request")
    return Transition("agency_request_info", case.status, Status.AGENCY_INFO_REQUESTED,
                      {"paused_since": now}, text, (CITIZEN,))  # fmt: skip


# -- shared verbs (admin or officer; citizen or officer) ------------------------------------------


def request_info(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, question: str
) -> Transition:
    """Ask the citizen for more (LAPOR!'s *Tunda*); the SLA clock stops until they answer.

    An admin asks during verification (submitted → info_requested); the case's agency asks
    during follow-up (verified → agency_info_requested).
    """
    if actor.kind == "admin":
        return _admin_request_info(case, actor, now, question)
    _require_officer(case, actor)
    return _agency_request_info(case, actor, now, question)


def reply(case: CaseView, actor: Actor, now: datetime, policy: Policy, text: str) -> Transition:
    """A thread message on an answered case, by its citizen or its agency; the status stays."""
    if actor.kind in ("citizen", "whistleblower"):
        _require_citizen(case, actor)
        action, audience = "citizen_reply", str(AGENCY)
        changes = {"citizen_replied_at": now}  # the agency's turn: the closing clock stops
    else:
        _require_officer(case, actor)
        action, audience = "agency_reply", CITIZEN
        changes = {"responded_at": now}  # the latest answer restarts the closing clock
    _require_status(case, "reply on", Status.RESPONDED)
    message = _require_text(text, "a reply")
    return Transition(action, case.status, case.status, changes, message, (audience,))


# -- citizen (pelapor) ----------------------------------------------------------------------------


def answer_info(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, text: str
) -> Transition:
    """The citizen answers a question; the deadline moves by the working days it was paused."""
    _require_citizen(case, actor)
    _require_status(case, "answer", Status.INFO_REQUESTED, Status.AGENCY_INFO_REQUESTED)
    answer = _require_text(text, "an answer")
    cal, paused = policy.calendar, _paused_days(case, now, policy)
    if case.status == Status.INFO_REQUESTED:
        changes = {"verification_due": cal.add_working_days(case.verification_due, paused),
                   "paused_since": None}  # fmt: skip
        return Transition("answer_info", case.status, Status.SUBMITTED, changes, answer, (ADMINS,))
    assert case.response_due is not None
    changes = {"response_due": cal.add_working_days(case.response_due, paused),
               "paused_since": None}  # fmt: skip
    return Transition("answer_info", case.status, Status.VERIFIED, changes, answer, (AGENCY,))


def rate(
    case: CaseView, actor: Actor, now: datetime, policy: Policy, score: int, comment: str = ""
) -> Transition:
    """The citizen rates the answer (1..5) and so closes the case (*Selesai*)."""
    _require_citizen(case, actor)
    _require_status(case, "rate", Status.RESPONDED)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(f"a rating is 1..5, not {score!r}")
    return Transition("rate", case.status, Status.CLOSED, {"closed_at": now},
                      (comment or "").strip() or None, (AGENCY,), score)  # fmt: skip


def reopen(case: CaseView, actor: Actor, now: datetime, policy: Policy, reason: str) -> Transition:
    """The citizen is not satisfied: back to the same agency, with a fresh follow-up deadline.

    Allowed on a responded or closed (rated / auto-closed) case within `reopen_window_days`
    working days of the response.
    """
    _require_citizen(case, actor)
    _require_status(case, "reopen", Status.RESPONDED, Status.CLOSED)
    text = _require_text(reason, "a reopening")
    if case.responded_at is None or case.agency_code is None:
        raise InvalidTransition("cannot reopen a case that was never answered by an agency")
    waited = _days_since_response(case, now, policy)
    if waited > policy.reopen_window_days:
        raise DeadlinePassed(
            f"reopen window of {policy.reopen_window_days} working days is over ({waited})"
        )
    changes = {"response_due": _response_due(now, policy), "reopen_count": case.reopen_count + 1,
               "responded_at": None, "closed_at": None, "citizen_replied_at": None}  # fmt: skip
    return Transition("reopen", case.status, Status.VERIFIED, changes, text, (AGENCY, ADMINS))


# -- system (scheduler) ---------------------------------------------------------------------------


def auto_close(case: CaseView, actor: Actor, now: datetime, policy: Policy) -> Transition:
    """Close an answered case after `auto_close_days` working days without a reply (*Selesai*)."""
    _require_system(actor)
    _require_status(case, "auto-close", Status.RESPONDED)
    assert case.responded_at is not None
    if case.citizen_replied_at is not None and case.citizen_replied_at > case.responded_at:
        raise NotYetDue("the reporter replied after the last answer: the agency's turn")
    waited = _days_since_response(case, now, policy)
    if waited < policy.auto_close_days:
        raise NotYetDue(f"only {waited} of {policy.auto_close_days} working days since the answer")
    return Transition("auto_close", case.status, Status.CLOSED, {"closed_at": now},
                      notify=(CITIZEN, AGENCY))  # fmt: skip


# -- who sees a case ----------------------------------------------------------------------------

AGENCY_STATUSES = frozenset({Status.VERIFIED, Status.AGENCY_INFO_REQUESTED, Status.RESPONDED, Status.CLOSED})
"""While a case is in these statuses, its agency's officers see it (not once it went back to admin)."""


def may_view(case: CaseView, actor: Actor) -> bool:
    """Admins see every case, a citizen their own, officers their agency's while it is with them."""
    if actor.kind in ("admin", "system"):
        return True
    if actor.kind == "citizen":
        return case.citizen_id is not None and actor.telegram_id == case.citizen_id
    if actor.kind == "whistleblower":
        return case.citizen_id is None
    return (actor.kind == "officer" and case.agency_code is not None
            and actor.agency_code == case.agency_code and case.status in AGENCY_STATUSES)  # fmt: skip


# -- what the figures measure ---------------------------------------------------------------------

MEASURED_AGAINST: Mapping[str, str] = {
    "verify_and_route": "verification_due", "reject": "verification_due",
    "mark_duplicate": "verification_due", "request_info": "verification_due",
    "respond": "response_due", "not_ours": "response_due", "agency_request_info": "response_due",
}  # fmt: skip
"""The deadline (a `CaseView` field) each action is measured against, as it stood when it was taken."""


# -- buttons --------------------------------------------------------------------------------------

Rule = Callable[..., Transition]

ACTIONS: dict[str, tuple[Rule, dict[str, Any]]] = {
    "verify_and_route": (verify_and_route, {"agency_code": "probe"}),
    "reject": (reject, {"reason": "probe"}),
    "request_info": (request_info, {"question": "probe"}),
    "mark_duplicate": (mark_duplicate, {"of_ticket": "probe"}),
    "answer_info": (answer_info, {"text": "probe"}),
    "rate": (rate, {"score": 5}),
    "reopen": (reopen, {"reason": "probe"}),
    "reply": (reply, {"text": "probe"}),
    "respond": (respond, {"text": "probe"}),
    "not_ours": (not_ours, {"reason": "probe"}),
    "auto_close": (auto_close, {}),
}
"""Every action by name, with arguments that are valid whenever the action itself is."""


def allowed_actions(case: CaseView, actor: Actor, now: datetime, policy: Policy) -> set[str]:
    """Names (keys of `ACTIONS`) of the actions `actor` may take now, found by trying each rule."""
    allowed = set()
    for name, (rule, probe) in ACTIONS.items():
        try:
            rule(case, actor, now, policy, **probe)
        except CaseError:
            continue
        allowed.add(name)
    return allowed
