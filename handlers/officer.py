"""The OPD officer's side (admin penghubung): joining by invitation so far.

The case queue (/tugas) and answering cases build on the case rules in cases/workflow.py.
"""

from __future__ import annotations

from handlers.actions import Action, Send
from handlers.context import Context
from handlers.events import Event
from handlers.text import esc
from storage.roles import AgencyInactive, InviteExpired, InviteUnknown, InviteUsed, redeem_invite


async def join(event: Event, ctx: Context, payload: str) -> list[Action]:
    """`/start inv_…` from a one-time invitation link made with `aduan opd invite`."""
    t = ctx.texts
    try:
        officer = await redeem_invite(ctx.repo.session, payload, event.user_id, ctx.now)
    except InviteUsed:
        return [Send(event.chat_id, t.gettext("This invitation link has already been used. Please ask a Diskominfo admin for a new one."))]
    except InviteExpired:
        return [Send(event.chat_id, t.gettext("This invitation link has expired. Please ask a Diskominfo admin for a new one."))]
    except AgencyInactive:
        return [Send(event.chat_id, t.gettext("The agency of this invitation is no longer active. Please contact Diskominfo."))]
    except InviteUnknown:
        return [Send(event.chat_id, t.gettext("This invitation link is not valid. Please check that you opened the whole link."))]
    agency = await ctx.repo.agency(officer.agency_code)
    name = esc(agency.name if agency is not None else officer.agency_code)
    if officer.is_head:
        html = t.gettext("✅ You are now registered as the <b>head</b> of {agency}: you receive the agency's cases and the escalations of late answers.").format(agency=name)
    else:
        html = t.gettext("✅ You are now registered as an officer (admin penghubung) of {agency}. The cases routed to your agency will come to you here.").format(agency=name)
    return [Send(event.chat_id, html)]
