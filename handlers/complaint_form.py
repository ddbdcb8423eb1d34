"""The /lapor form: what the bot asks a citizen, in order. One step per row of `STEPS`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cases.kukar import KECAMATAN
from cases.model import Privacy, ReportClass
from handlers.actions import ReplyButton
from handlers.events import Contact, FileRef, Location
from handlers.forms import Accept, FormEngine, Invalid, Option, Outcome, Prompt, Stay, Step
from handlers.i18n import Texts
from handlers.text import esc
from handlers.topics import TopicTree
from handlers.validators import (
    Limits,
    check_event_date,
    validate_address,
    validate_contact,
    validate_description,
    validate_event_date,
    validate_file,
    validate_title,
)

AGENCY_PAGE = 6
UNKNOWN_AGENCY = "-"
TO_ANONYMOUS = "to_anonymous"  # set in the draft's view when the reporter chooses Anonymous


@dataclass(frozen=True)
class AgencyChoice:
    code: str
    name: str


@dataclass(frozen=True)
class FormContext:
    texts: Texts
    today: date
    limits: Limits
    topics: TopicTree
    agencies: Sequence[AgencyChoice]


def _t(ctx: FormContext) -> Texts:
    return ctx.texts


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKD", value).casefold()


# -- report class ---------------------------------------------------------------------------------


def class_label(value: str, t: Texts) -> str:
    return {
        ReportClass.COMPLAINT: t.gettext("Complaint"),
        ReportClass.ASPIRATION: t.gettext("Aspiration / suggestion"),
        ReportClass.INFORMATION: t.gettext("Request for information"),
    }.get(value, value)  # type: ignore[call-overload]


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
        if _fold(text) in (_fold(c.value), _fold(class_label(c.value, ctx.texts))):
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
        if _fold(topic.label(lang)) == _fold(text):
            return _topic_choice(topic.code, ctx, answers, view)
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


# -- agency ---------------------------------------------------------------------------------------


def _matching_agencies(ctx: FormContext, query: str) -> list[AgencyChoice]:
    if not query:
        return list(ctx.agencies)
    words = _fold(query).split()
    return [a for a in ctx.agencies if all(w in _fold(f"{a.code} {a.name}") for w in words)]


def agency_name(code: str | None, ctx: FormContext) -> str:
    if not code or code == UNKNOWN_AGENCY:
        return ctx.texts.gettext("Not sure — let the admin decide")
    for agency in ctx.agencies:
        if agency.code == code:
            return agency.name
    return code


def _agency_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    query = view.get("q", "")
    found = _matching_agencies(ctx, query)
    pages = max(1, -(-len(found) // AGENCY_PAGE))
    page = min(max(0, int(view.get("page", 0))), pages - 1)
    shown = found[page * AGENCY_PAGE : (page + 1) * AGENCY_PAGE]
    rows: list[list[Option]] = [[Option(a.code, a.name)] for a in shown]
    paging: list[Option] = []
    if page > 0:
        paging.append(Option(f"p{page - 1}", "◀️"))
    if page < pages - 1:
        paging.append(Option(f"p{page + 1}", "▶️"))
    if paging:
        rows.append(paging)
    if query:
        rows.append([Option("p*", t.gettext("🔄 Show all agencies"))])
    rows.append([Option(UNKNOWN_AGENCY, t.gettext("Not sure — let the admin decide"))])
    if query and not found:
        head = t.gettext("No agency matches “{query}”. Try another word, or choose below.").format(query=esc(query))
    elif query:
        head = t.gettext("Agencies matching “{query}” (page {page} of {pages}):").format(query=esc(query), page=page + 1, pages=pages)
    else:
        head = t.gettext("Which agency (OPD) is it about? Type part of its name to search (e.g. <i>kesehatan</i>, <i>PUPR</i>), or choose from the list (page {page} of {pages}).").format(page=page + 1, pages=pages)
    return Prompt(head, rows)


def _agency_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value == "p*":
        return Stay({})
    if value.startswith("p") and value[1:].isascii() and value[1:].isdigit():
        return Stay({**view, "page": int(value[1:])})
    if value == UNKNOWN_AGENCY:
        return Accept(UNKNOWN_AGENCY)
    if any(a.code == value for a in ctx.agencies):
        return Accept(value)
    raise Invalid(ctx.texts.gettext("That agency is no longer available. Please choose again."))


def _agency_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    query = " ".join(text.split())[:60]
    exact = [a for a in ctx.agencies if _fold(a.code) == _fold(query)]
    if exact:  # officers and regulars type the short code
        return Accept(exact[0].code)
    return Stay({"q": query, "page": 0})


# -- title, description ---------------------------------------------------------------------------


def _title_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    return Prompt(ctx.texts.gettext("Write a short <b>title</b> for your report ({min}–{max} characters).\nExample: <i>Jalan berlubang di depan SDN 001 Loa Kulu</i>").format(min=ctx.limits.title_min, max=ctx.limits.title_max))


def _title_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(validate_title(text, ctx.texts, ctx.limits))


def _description_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    return Prompt(ctx.texts.gettext("Describe <b>what happened</b>, in order: what, who was involved (no need to name yourself), and what you expect. {min}–{max} characters. Please do not include passwords or ID numbers.").format(min=ctx.limits.description_min, max=ctx.limits.description_max))


def _description_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(validate_description(text, ctx.texts, ctx.limits))


def _show_text(value: Any, ctx: FormContext) -> str:
    return esc(value) if value else "—"


# -- event date -----------------------------------------------------------------------------------


def _date_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    return Prompt(
        t.gettext("When did it happen? Choose, or type the date as dd-mm-yyyy."),
        [[Option("0", t.gettext("Today")), Option("1", t.gettext("Yesterday"))]],
    )


def _date_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value not in ("0", "1"):
        raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))
    return Accept((ctx.today - timedelta(days=int(value))).isoformat())


def _date_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    t = ctx.texts
    if _fold(text) in (_fold(t.gettext("Today")), "hari ini", "today"):
        return Accept(ctx.today.isoformat())
    if _fold(text) in (_fold(t.gettext("Yesterday")), "kemarin", "yesterday"):
        return Accept((ctx.today - timedelta(days=1)).isoformat())
    return Accept(validate_event_date(text, ctx.today, t, ctx.limits).isoformat())


def _show_date(value: Any, ctx: FormContext) -> str:
    return esc(ctx.texts.date(date.fromisoformat(value))) if value else "—"


def event_date_of(answers: dict, ctx: FormContext) -> date:
    """The stored date, checked again at submission (a draft may have waited past midnight)."""
    return check_event_date(date.fromisoformat(answers["event_date"]), ctx.today, ctx.texts, ctx.limits)


# -- location -------------------------------------------------------------------------------------


def _location_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    if view.get("pick"):
        options = [Option(f"k{i}", name) for i, name in enumerate(KECAMATAN)]
        rows = [options[i : i + 2] for i in range(0, len(options), 2)]
        return Prompt(t.gettext("Choose the kecamatan:"), rows)
    return Prompt(
        t.gettext("Where did it happen? Share the location with the button below (on your phone), or choose the kecamatan."),
        reply=[
            [ReplyButton(t.gettext("📍 Send my location"), request_location=True)],
            [ReplyButton(t.gettext("🗺 Choose kecamatan"))],
        ],
    )


def _location_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value.startswith("k") and value[1:].isascii() and value[1:].isdigit() and int(value[1:]) < len(KECAMATAN):
        return Accept({"kecamatan": KECAMATAN[int(value[1:])]})
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


def _location_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    t = ctx.texts
    if _fold(text) == _fold(t.gettext("🗺 Choose kecamatan")):
        return Stay({"pick": True})
    for name in KECAMATAN:
        if _fold(name) == _fold(text.removeprefix("Kecamatan ").removeprefix("kecamatan ")):
            return Accept({"kecamatan": name})
    raise Invalid(t.gettext("Please share the location with the button, or choose the kecamatan."))


def _location_shared(location: Location, ctx: FormContext, answers: dict) -> Outcome:
    lat, lon = location.latitude, location.longitude
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(ctx.texts.gettext("That location is not valid."))
    note = None
    # Kutai Kartanegara lies roughly within 1.5°S–1.5°N, 115.5°–118°E.
    if not (-1.6 <= lat <= 1.6 and 115.3 <= lon <= 118.2):
        note = ctx.texts.gettext("Note: this location seems to be outside Kutai Kartanegara.")
    return Accept({"lat": round(lat, 6), "lon": round(lon, 6)}, note)


def _show_location(value: Any, ctx: FormContext) -> str:
    if not value:
        return "—"
    if "kecamatan" in value:
        return esc(ctx.texts.gettext("Kecamatan {name}").format(name=value["kecamatan"]))
    return f"{value['lat']:.5f}, {value['lon']:.5f}"


def _address_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    return Prompt(ctx.texts.gettext("Write the address or a landmark (street, RT, village), or skip."))


def _address_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(validate_address(text, ctx.texts, ctx.limits))


# -- attachments ----------------------------------------------------------------------------------


def _files_so_far(answers: dict, view: dict) -> list[dict]:
    return list(view["files"]) if "files" in view else list(answers.get("attachments") or [])


def _attachments_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    files = _files_so_far(answers, view)
    limits = ctx.limits
    head = t.gettext("Send photos or documents as evidence (at most {max}, up to {mb} MB each; PDF, JPG, PNG). Avoid pictures that show faces or personal documents of others.").format(max=limits.max_attachments, mb=limits.max_attachment_bytes // 1048576)
    if files:
        head = t.gettext("{n} of {max} attachments received. Send more, or press “Done”.").format(n=len(files), max=limits.max_attachments)
    return Prompt(head, done_label=t.gettext("✅ Done") if files else None)


def _attachments_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    files = _files_so_far(answers, view)
    for ref in refs:
        if any(f["file_unique_id"] == ref.file_unique_id for f in files):
            continue  # the same file sent twice (or a redelivered album) counts once
        files.append(validate_file(ref, len(files), ctx.texts, ctx.limits))
    return Stay({"files": files})


def _attachments_done(ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(_files_so_far(answers, view))


def _attachments_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    t = ctx.texts
    if _fold(text) in (_fold(t.gettext("✅ Done")), "selesai", "done"):
        return Accept(_files_so_far(answers, view))
    raise Invalid(t.gettext("Please send a photo or a document, or press “Done” / “Skip”."))


def _show_attachments(value: Any, ctx: FormContext) -> str:
    if not value:
        return "—"
    photos = sum(1 for f in value if f["kind"] == "photo")
    docs = len(value) - photos
    return esc(ctx.texts.gettext("{photos} photo(s), {docs} document(s)").format(photos=photos, docs=docs))


# -- privacy, phone -------------------------------------------------------------------------------


def privacy_label(value: str, t: Texts) -> str:
    return {
        Privacy.NORMAL: t.gettext("Normal"),
        Privacy.CONFIDENTIAL: t.gettext("Confidential"),
    }.get(value, value)  # type: ignore[call-overload]


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
        if _fold(text) in (_fold(value.value), _fold(privacy_label(value, ctx.texts))):
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
    Step("agency", lambda t: t.gettext("Agency"), _agency_prompt,
         show=lambda v, c: esc(agency_name(v, c)),
         on_choice=_agency_choice, on_text=_agency_text),
    Step("title", lambda t: t.gettext("Title"), _title_prompt, show=_show_text, on_text=_title_text),
    Step("description", lambda t: t.gettext("Description"), _description_prompt, show=_show_text,
         on_text=_description_text),
    Step("event_date", lambda t: t.gettext("Date of event"), _date_prompt, show=_show_date,
         on_choice=_date_choice, on_text=_date_text),
    Step("location", lambda t: t.gettext("Location"), _location_prompt, show=_show_location,
         on_choice=_location_choice, on_text=_location_text, on_location=_location_shared,
         optional=True),
    Step("address", lambda t: t.gettext("Address"), _address_prompt, show=_show_text,
         on_text=_address_text, optional=True),
    Step("attachments", lambda t: t.gettext("Attachments"), _attachments_prompt,
         show=_show_attachments, on_text=_attachments_text, on_files=_attachments_files,
         on_done=_attachments_done, optional=True, skip_value=[]),
    Step("privacy", lambda t: t.gettext("Privacy"), _privacy_prompt,
         show=lambda v, c: esc(privacy_label(v, c.texts)) if v else "—",
         on_choice=_privacy_choice, on_text=_privacy_text),
    Step("phone", lambda t: t.gettext("Phone"), _phone_prompt, show=_show_text,
         on_contact=_phone_contact, on_text=_phone_text, optional=True),
]  # fmt: skip

COMPLAINT_FORM: FormEngine[FormContext] = FormEngine("lapor", STEPS, _t)
