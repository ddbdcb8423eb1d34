"""The /lapor form: what the bot asks a citizen, in order. One step per row of `STEPS`."""

from __future__ import annotations

from cases.model import Privacy, ReportClass
from handlers.citizen.validators import validate_address, validate_contact, validate_title
from handlers.core.actions import ReplyButton
from handlers.core.events import Contact, Location
from handlers.core.forms import Accept, FormEngine, Invalid, Option, Outcome, Prompt, Stay, Step
from handlers.core.labels import class_label, privacy_label
from handlers.core.questions import (
    AGENCY,
    DESCRIPTION,
    EVENT_DATE,
    FormContext,
    attachments_done,
    attachments_files,
    attachments_text,
    files_so_far,
    fold,
    kecamatan_choice,
    kecamatan_options,
    location_text,
    received_so_far,
    show_attachments,
    show_location,
    show_text,
    texts_of,
)
from handlers.core.text import esc
from handlers.core.validation import TELEGRAM_DOWNLOAD_LIMIT

TO_ANONYMOUS = "to_anonymous"  # set in the draft's view when the reporter chooses Anonymous


# -- report class ---------------------------------------------------------------------------------


def _class_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    return Prompt(
        t.gettext("What kind of report is this?\n\n• <b>Complaint</b>: a public service went wrong.\n• <b>Aspiration</b>: a suggestion or wish for a service.\n• <b>Request for information</b>: you want information from an agency."),
        [[Option(c.value, class_label(c.value, t))] for c in ReportClass],
    )


def _class_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value not in {c.value for c in ReportClass}:
        raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))
    return Accept(value)


def _class_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    for c in ReportClass:
        if fold(text) in (fold(c.value), fold(class_label(c.value, ctx.texts))):
            return Accept(c.value)
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


# -- topic ----------------------------------------------------------------------------------------


def _topic_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t, lang = ctx.texts, ctx.texts.language
    parent = ctx.topics.get(view.get("parent", "")) if view.get("parent") else None
    if parent is not None:
        options = [Option(c.code, c.label(lang)) for c in parent.children]
        rows = [options[i : i + 2] for i in range(0, len(options), 2)]
        rows.append([Option("<", t.gettext("↩️ All topics"))])
        return Prompt(t.gettext("Topic: <b>{parent}</b>. Which one fits best?").format(parent=esc(parent.label(lang))), rows)
    options = [Option(r.code, r.label(lang)) for r in ctx.topics.roots]
    return Prompt(t.gettext("Which topic is it about?"), [options[i : i + 2] for i in range(0, len(options), 2)])


def _topic_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value == "<":
        return Stay({})
    topic = ctx.topics.get(value)
    if topic is None:
        raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))
    if topic.children:
        return Stay({"parent": topic.code})
    return Accept(topic.code)


def _topic_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    lang = ctx.texts.language
    parent = ctx.topics.get(view.get("parent", "")) if view.get("parent") else None
    candidates = parent.children if parent else ctx.topics.roots
    for topic in candidates:
        if fold(topic.label(lang)) == fold(text):
            return _topic_choice(topic.code, ctx, answers, view)
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


# -- title --------------------------------------------------------------------------------------


def _title_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    return Prompt(ctx.texts.gettext("Write a short <b>title</b> for your report ({min}–{max} characters).\nExample: <i>Jalan berlubang di depan SDN 001 Loa Kulu</i>").format(min=ctx.limits.title_min, max=ctx.limits.title_max))


def _title_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(validate_title(text, ctx.texts, ctx.limits))


# -- location -------------------------------------------------------------------------------------


def _location_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    if view.get("pick"):
        return Prompt(t.gettext("Choose the kecamatan:"), kecamatan_options())
    return Prompt(
        t.gettext("Where did it happen? Share the location with the button below (on your phone), or choose the kecamatan."),
        reply=[
            [ReplyButton(t.gettext("📍 Send my location"), request_location=True)],
            [ReplyButton(t.gettext("🗺 Choose kecamatan"))],
        ],
    )


def _location_shared(location: Location, ctx: FormContext, answers: dict) -> Outcome:
    lat, lon = location.latitude, location.longitude
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(ctx.texts.gettext("That location is not valid."))
    note = None
    # Kutai Kartanegara lies roughly within 1.5°S–1.5°N, 115.5°–118°E.
    if not (-1.6 <= lat <= 1.6 and 115.3 <= lon <= 118.2):
        note = ctx.texts.gettext("Note: this location seems to be outside Kutai Kartanegara.")
    return Accept({"lat": round(lat, 6), "lon": round(lon, 6)}, note)


def _address_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    return Prompt(ctx.texts.gettext("Write the address or a landmark (street, RT, village), or skip."))


def _address_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(validate_address(text, ctx.texts, ctx.limits))


# -- attachments ----------------------------------------------------------------------------------


def _attachments_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    files = files_so_far(answers, view)
    limits = ctx.limits
    head = t.gettext("Send evidence: photos, documents (PDF, JPG, PNG; up to {mb} MB each), voice notes or videos (up to {video_mb} MB) — at most {max} in all. Avoid pictures that show faces or personal documents of others.").format(max=limits.max_attachments, mb=limits.max_attachment_bytes // 1048576, video_mb=TELEGRAM_DOWNLOAD_LIMIT // 1048576)
    if files:
        head = received_so_far(files, ctx)
    return Prompt(head, done_label=t.gettext("✅ Done") if files else None)


# -- privacy, phone -------------------------------------------------------------------------------


def _privacy_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    return Prompt(
        t.gettext("Who may see your report?\n\n• <b>Normal</b>: handled by Diskominfo and the agency, who see your name.\n• <b>Confidential</b>: the content is not published; officers handling it still see your name.\n• <b>Anonymous</b>: nobody learns who you are — see the button."),
        [
            [Option(Privacy.NORMAL.value, privacy_label(Privacy.NORMAL, t))],
            [Option(Privacy.CONFIDENTIAL.value, privacy_label(Privacy.CONFIDENTIAL, t))],
            [Option("anon", t.gettext("Anonymous (whistleblower)"))],
        ],
    )


def _privacy_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value == "anon":
        return Stay({TO_ANONYMOUS: True})  # the caller moves the answers to the whistleblower channel
    if value in (Privacy.NORMAL, Privacy.CONFIDENTIAL):
        return Accept(value)
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


def _privacy_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    for value in (Privacy.NORMAL, Privacy.CONFIDENTIAL):
        if fold(text) in (fold(value.value), fold(privacy_label(value, ctx.texts))):
            return Accept(value.value)
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


def _phone_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    return Prompt(
        t.gettext("Optional: share your phone number so the agency can call you if needed. Only officers handling your report will see it."),
        reply=[[ReplyButton(t.gettext("📱 Share my number"), request_contact=True)]],
    )


def _phone_contact(contact: Contact, sender: int, ctx: FormContext, answers: dict) -> Outcome:
    return Accept(validate_contact(contact, sender, ctx.texts))


def _phone_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    raise Invalid(ctx.texts.gettext("Please use the “Share my number” button so the number is verified by Telegram."))


STEPS: list[Step[FormContext]] = [
    Step("report_class", lambda t: t.gettext("Type"), _class_prompt,
         show=lambda v, c: esc(class_label(v, c.texts)) if v else "—",
         on_choice=_class_choice, on_text=_class_text),
    Step("topic", lambda t: t.gettext("Topic"), _topic_prompt,
         show=lambda v, c: esc(c.topics.path_label(v, c.texts.language)) if v else "—",
         on_choice=_topic_choice, on_text=_topic_text),
    AGENCY,
    Step("title", lambda t: t.gettext("Title"), _title_prompt, show=show_text, on_text=_title_text),
    DESCRIPTION,
    EVENT_DATE,
    Step("location", lambda t: t.gettext("Location"), _location_prompt, show=show_location,
         on_choice=kecamatan_choice, on_text=location_text, on_location=_location_shared,
         optional=True),
    Step("address", lambda t: t.gettext("Address"), _address_prompt, show=show_text,
         on_text=_address_text, optional=True),
    Step("attachments", lambda t: t.gettext("Attachments"), _attachments_prompt,
         show=show_attachments, on_text=attachments_text, on_files=attachments_files,
         on_done=attachments_done, optional=True, skip_value=[]),
    Step("privacy", lambda t: t.gettext("Privacy"), _privacy_prompt,
         show=lambda v, c: esc(privacy_label(v, c.texts)) if v else "—",
         on_choice=_privacy_choice, on_text=_privacy_text),
    Step("phone", lambda t: t.gettext("Phone"), _phone_prompt, show=show_text,
         on_contact=_phone_contact, on_text=_phone_text, optional=True),
]  # fmt: skip

COMPLAINT_FORM: FormEngine[FormContext] = FormEngine("lapor", STEPS, texts_of)
