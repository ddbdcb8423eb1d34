"""The whistleblower's short form (/anonim): which agency or unit, what happened, when, roughly
where (a kecamatan, never a GPS point), evidence photos. Questions shared with /lapor come from
`handlers.core.questions`."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.core.events import FileRef
from handlers.core.forms import FormEngine, Invalid, Outcome, Prompt, Step
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


def _evidence_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    for ref in refs:
        if ref.kind == "document" and (ref.mime_type or "").lower() not in IMAGE_TYPES:
            raise Invalid(ctx.texts.gettext("Only pictures can be cleaned of hidden data. A PDF or office file may carry your name: please send a photo or a screenshot of it instead."))
    return attachments_files(refs, ctx, answers, view)


ANON_STEPS: list[Step[FormContext]] = [
    AGENCY,
    DESCRIPTION,
    EVENT_DATE,
    Step("place", lambda t: t.gettext("Kecamatan"), _place_prompt, show=show_location,
         on_choice=kecamatan_choice, on_text=location_text, optional=True),
    Step("attachments", lambda t: t.gettext("Evidence"), _evidence_prompt, show=show_attachments,
         on_text=attachments_text, on_files=_evidence_files, on_done=attachments_done,
         optional=True, skip_value=[]),
]  # fmt: skip

ANON_FORM: FormEngine[FormContext] = FormEngine("anonim", ANON_STEPS, texts_of)
