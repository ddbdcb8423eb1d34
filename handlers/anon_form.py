"""The whistleblower's short form (/anonim): which agency or unit, what happened, when, roughly
where (a kecamatan, never a GPS point), evidence photos. Steps shared with /lapor are reused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.kukar import KECAMATAN
from handlers import complaint_form as lapor
from handlers.complaint_form import FormContext
from handlers.events import FileRef
from handlers.forms import FormEngine, Invalid, Option, Outcome, Prompt, Step

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _place_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    options = [Option(f"k{i}", name) for i, name in enumerate(KECAMATAN)]
    rows = [options[i : i + 2] for i in range(0, len(options), 2)]
    text = ctx.texts.gettext("In which kecamatan did it happen? Only the kecamatan is kept, never a precise place. You may skip.")
    return Prompt(text, rows)


def _place_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return lapor._location_text(text, ctx, answers, view)


def _evidence_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    files = lapor._files_so_far(answers, view)
    if files:
        head = t.gettext("{n} of {max} attachments received. Send more, or press “Done”.").format(n=len(files), max=ctx.limits.max_attachments)
        return Prompt(head, done_label=t.gettext("✅ Done"))
    return Prompt(t.gettext("Send photos as evidence, or skip. Their hidden data (place, time, camera) is removed before anyone sees them — but what a picture shows can still point to you: avoid your face, your desk, your documents."))


def _evidence_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    for ref in refs:
        if ref.kind == "document" and (ref.mime_type or "").lower() not in IMAGE_TYPES:
            raise Invalid(ctx.texts.gettext("Only pictures can be cleaned of hidden data. A PDF or office file may carry your name: please send a photo or a screenshot of it instead."))
    return lapor._attachments_files(refs, ctx, answers, view)


def _show_place(value: Any, ctx: FormContext) -> str:
    return lapor._show_location(value, ctx)


_BY_FIELD = {step.field: step for step in lapor.STEPS}

ANON_STEPS: list[Step[FormContext]] = [
    _BY_FIELD["agency"],
    _BY_FIELD["description"],
    _BY_FIELD["event_date"],
    Step("place", lambda t: t.gettext("Kecamatan"), _place_prompt, show=_show_place,
         on_choice=lapor._location_choice, on_text=_place_text, optional=True),
    Step("attachments", lambda t: t.gettext("Evidence"), _evidence_prompt, show=lapor._show_attachments,
         on_text=lapor._attachments_text, on_files=_evidence_files, on_done=lapor._attachments_done,
         optional=True, skip_value=[]),
]  # fmt: skip

ANON_FORM: FormEngine[FormContext] = FormEngine("anonim", ANON_STEPS, lapor._t)

