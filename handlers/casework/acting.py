"""Acting on a case: the rule decides, the transition is recorded, the others are told.

Every screen that changes a case goes through `perform`; none sets a status itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cases import workflow
from cases.workflow import (
    Actor,
    CaseError,
    DeadlinePassed,
    InvalidInput,
    InvalidTransition,
    NotYourCase,
    Transition,
)
from handlers.casework import notices
from handlers.core.actions import Action, AnswerCallback
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.i18n import Texts
from handlers.core.labels import staff_status_label, status_label
from storage import cases
from storage.models import Complaint

RULES: dict[str, Callable[..., Transition]] = {
    "verify_and_route": workflow.verify_and_route,
    "reject": workflow.reject,
    "mark_duplicate": workflow.mark_duplicate,
    "request_info": workflow.request_info,
    "classify": workflow.classify,
    "link_lapor": workflow.link_lapor,
    "respond": workflow.respond,
    "not_ours": workflow.not_ours,
    "reply": workflow.reply,
    "answer_info": workflow.answer_info,
    "rate": workflow.rate,
    "reopen": workflow.reopen,
    "auto_close": workflow.auto_close,
}


async def perform(ctx: Context, complaint: Complaint, actor: Actor, rule: str, arguments: Mapping[str, Any],
                  files: Sequence[dict[str, Any]] = ()) -> tuple[Transition, list[Action]]:
    """Apply the rule and record it; returns the transition and the messages to the others.

    Raises `CaseError` when the rule refuses (nothing is written then).
    """
    transition = RULES[rule](cases.case_view(complaint), actor, ctx.now, ctx.policy, **arguments)
    entry = await cases.record(ctx.repo.session, complaint, transition, actor, ctx.now, files)
    sent_with = [a for a in complaint.attachments if a.audit_id == entry.id]
    return transition, await notices.announce(ctx, complaint, transition, sent_with)


async def load_case(ctx: Context, case_id: int | None, *, lock: bool = False) -> Complaint | None:
    """The case of a button; `lock` before acting on it (see `Repository.complaint_by_id`)."""
    if case_id is None:
        return None
    return await ctx.repo.complaint_by_id(case_id, lock=lock)


def stale(complaint: Complaint, t: Texts, *, staff: bool) -> str:
    """For a button of a case that has moved on since the button was sent."""
    label = staff_status_label(complaint.status, t) if staff else status_label(complaint.status, t)
    return t.gettext("This button no longer applies: the case is now “{status}”.").format(status=label)


def invalid_button(event: Event, t: Texts) -> list[Action]:
    """Forged, garbled or expired data, or a role the user no longer has: all read alike."""
    return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))]


def unavailable(event: Event, t: Texts) -> list[Action]:
    """A case that does not exist and one that is not the user's read alike (ids are guessable)."""
    return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This case is not available to you."), alert=True)]


def alert(event: Event, text: str) -> list[Action]:
    return [AnswerCallback(event.chat_id, event.callback_id or "", text, alert=True)]


def refusal(error: CaseError, complaint: Complaint | None, t: Texts, *, staff: bool) -> str:
    """What to tell someone whose action a rule refused (a stale button, mostly)."""
    if isinstance(error, NotYourCase) or complaint is None:
        return t.gettext("This case is not available to you.")
    if isinstance(error, DeadlinePassed):
        return t.gettext("The time to reopen this report has passed.")
    if isinstance(error, InvalidTransition):
        return stale(complaint, t, staff=staff)
    if isinstance(error, InvalidInput):
        return t.gettext("Please write a text.")
    return t.gettext("This action is not possible now.")
