"""The whistleblower's short form (/anonim): which agency or unit, what happened, when, roughly
where (a kecamatan, never a GPS point), evidence photos. Questions shared with /lapor come from
`handlers.core.questions`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from handlers.core.events import FileRef
from handlers.core.forms import FormEngine, Invalid, Outcome, Prompt, Stay, Step
from handlers.core.i18n import Texts
from handlers.core.questions import (
    AGENCY,
    DESCRIPTION,
    EVENT_DATE,
    FormContext,
    attachments_done,
    attachments_files,
    attachments_text,
    files_so_far,
    kecamatan_choice,
    kecamatan_options,
    location_text,
    received_so_far,
    show_attachments,
    show_location,
    texts_of,
)

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _place_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    text = ctx.texts.gettext("In which kecamatan did it happen? Only the kecamatan is kept, never a precise place. You may skip.")
    return Prompt(text, kecamatan_options())


def _evidence_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    files = files_so_far(answers, view)
    if files:
        return Prompt(received_so_far(files, ctx), done_label=t.gettext("✅ Done"))
    return Prompt(t.gettext("Send photos as evidence, or skip. Their hidden data (place, time, camera) is removed before anyone sees them — but what a picture shows can still point to you: avoid your face, your desk, your documents."))


def evidence_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    refuse_identifying(refs, ctx.texts)
    for ref in refs:
        if ref.kind == "document" and (ref.mime_type or "").lower() not in IMAGE_TYPES:
            raise Invalid(ctx.texts.gettext("Only pictures can be cleaned of hidden data. A PDF or office file may carry your name: please send a photo or a screenshot of it instead."))
    return attachments_files(refs, ctx, answers, view)


def refuse_identifying(refs: Sequence[FileRef], t: Texts) -> None:
    """Sound and moving pictures carry a voice, a room, a face; nothing here can clean them."""
    for ref in refs:
        if ref.is_sound:
            raise Invalid(t.gettext("A voice note cannot be taken in an anonymous report: a voice identifies the person speaking. Please write it instead."))
        if ref.is_video:
            raise Invalid(t.gettext("A video cannot be taken in an anonymous report: its sound and pictures can identify you, and its hidden data cannot be removed. Please send photos instead (a screenshot of the video, for example)."))


def _description_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    return Prompt(ctx.texts.gettext("Describe <b>what happened</b>, in order: what, who was involved (no need to name yourself), and what you expect. {min}–{max} characters. Please do not include passwords or ID numbers.").format(min=ctx.limits.description_min, max=ctx.limits.description_max))


def _description_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    outcome = evidence_files(refs, ctx, answers, view)
    note = ctx.texts.gettext("📎 Kept as evidence; its hidden data will be removed. Now please write what happened.")
    return Stay(outcome.view, "\n".join(filter(None, [outcome.note, note]))) if isinstance(outcome, Stay) else outcome


# A voice is its speaker: the whistleblower writes (photos sent here are kept as cleaned evidence).
ANON_DESCRIPTION = replace(DESCRIPTION, prompt=_description_prompt, on_files=_description_files, on_done=None,
                           takes=lambda t: t.gettext("a text"))  # fmt: skip

ANON_STEPS: list[Step[FormContext]] = [
    AGENCY,
    ANON_DESCRIPTION,
    EVENT_DATE,
    Step("place", lambda t: t.gettext("Kecamatan"), _place_prompt, show=show_location,
         on_choice=kecamatan_choice, on_text=location_text, optional=True),
    Step("attachments", lambda t: t.gettext("Evidence"), _evidence_prompt, show=show_attachments,
         on_text=attachments_text, on_files=evidence_files, on_done=attachments_done,
         optional=True, skip_value=[]),
]  # fmt: skip

ANON_FORM: FormEngine[FormContext] = FormEngine("anonim", ANON_STEPS, texts_of)
