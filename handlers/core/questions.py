"""Questions both report forms ask — the agency, what happened, when, the kecamatan, evidence — and
the context their steps read. The citizen's /lapor form and the whistleblower's /anonim form are
tables of steps built from these (`handlers.citizen.form`, `handlers.whistleblower.form`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from cases.kukar import KECAMATAN
from handlers.core.agency_list import AgencyChoice, choices
from handlers.core.context import Context
from handlers.core.events import FileRef
from handlers.core.forms import Accept, Invalid, Option, Outcome, Prompt, Stay, Step
from handlers.core.i18n import Texts
from handlers.core.labels import files_summary
from handlers.core.text import esc
from handlers.core.topics import TopicTree
from handlers.core.triage import TriageRules, default_rules
from handlers.core.triage_notice import in_form as triage_note
from handlers.core.validation import (
    Limits,
    check_event_date,
    clock,
    validate_description,
    validate_event_date,
    validate_file,
)

AGENCY_PAGE = 6
UNKNOWN_AGENCY = "-"
SOUND_KINDS = ("voice", "audio")
FORWARDED = "description_forwarded"  # an answer beside the fields: the description was forwarded


@dataclass(frozen=True)
class FormContext:
    texts: Texts
    today: date
    limits: Limits
    topics: TopicTree
    agencies: Sequence[AgencyChoice]
    triage: TriageRules = field(default_factory=default_rules)


async def form_context(ctx: Context) -> FormContext:
    """What a form step reads, for this update: texts, today (WITA), limits, topics, agencies."""
    agencies = await (ctx.agencies.active(ctx.repo) if ctx.agencies is not None else choices(ctx.repo))
    return FormContext(
        texts=ctx.texts,
        today=ctx.calendar.local_date(ctx.now),
        limits=ctx.config.limits,
        topics=ctx.config.topics,
        agencies=agencies,
        triage=ctx.config.triage,
    )


def texts_of(ctx: FormContext) -> Texts:
    return ctx.texts


def fold(value: str) -> str:
    """For comparing what someone typed with a label: accents and case do not matter."""
    return unicodedata.normalize("NFKD", value).casefold()


def show_text(value: Any, ctx: FormContext) -> str:
    return esc(value) if value else "—"


# -- agency ---------------------------------------------------------------------------------------


def _matching_agencies(ctx: FormContext, query: str) -> list[AgencyChoice]:
    if not query:
        return list(ctx.agencies)
    words = fold(query).split()
    return [a for a in ctx.agencies if all(w in fold(f"{a.code} {a.name}") for w in words)]


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
    exact = [a for a in ctx.agencies if fold(a.code) == fold(query)]
    if exact:  # officers and regulars type the short code
        return Accept(exact[0].code)
    return Stay({"q": query, "page": 0})


AGENCY: Step[FormContext] = Step(
    "agency", lambda t: t.gettext("Agency"), _agency_prompt,
    show=lambda v, c: esc(agency_name(v, c)), on_choice=_agency_choice, on_text=_agency_text,
)  # fmt: skip


# -- what happened --------------------------------------------------------------------------------


def _description_prompt(ctx: FormContext, answers: dict, view: dict) -> Prompt:
    t = ctx.texts
    voices = [f for f in files_so_far(answers, view) if f["kind"] in SOUND_KINDS]
    if voices:
        length = clock(sum(int(f.get("duration") or 0) for f in voices))
        head = t.ngettext("🎤 {n} voice note received ({length}).", "🎤 {n} voice notes received ({length} in all).", len(voices)).format(n=len(voices), length=length)
        return Prompt(head + " " + t.gettext("Send another, write the story as text as well, or press “Done”."), done_label=t.gettext("✅ Done"))
    return Prompt(t.gettext("Describe <b>what happened</b>, in order: what, who was involved (no need to name yourself), and what you expect. {min}–{max} characters — or send a voice note (at most {minutes} minutes). Please do not include passwords or ID numbers.").format(min=ctx.limits.description_min, max=ctx.limits.description_max, minutes=ctx.limits.max_voice_seconds // 60))


def _has_voice(answers: dict, view: dict) -> bool:
    return any(f["kind"] in SOUND_KINDS for f in files_so_far(answers, view))


def _description_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    kept: dict[str, Any] = {"attachments": files_so_far(answers, view)} if "files" in view else {}
    if view.get("forwarded") or FORWARDED in answers:  # (a new answer typed by hand clears it)
        kept[FORWARDED] = bool(view.get("forwarded"))
    # The voice tells the story when there is one; a text beside it may be short.
    limits = replace(ctx.limits, description_min=1) if _has_voice(answers, view) else ctx.limits
    # Triage: an emergency, a crime, a court case or another region is told where to go at once,
    # and the form goes on (a too-short "kebakaran!" gets the contacts with the request for more).
    note = triage_note(text, ctx.triage, ctx.texts)
    try:
        return Accept(validate_description(text, ctx.texts, limits), note=note, also=kept or None)
    except Invalid as invalid:
        if note is None:
            raise
        raise Invalid(f"{invalid.message}\n\n{note}") from None


def _description_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    """A voice note tells what happened (and is kept as evidence, like any other file sent here)."""
    t = ctx.texts
    outcome = attachments_files(refs, ctx, answers, view)
    assert isinstance(outcome, Stay)
    if any(ref.is_sound for ref in refs):
        return outcome
    note = t.gettext("📎 Kept as evidence. Now please tell what happened: write it, or send a voice note.")
    return Stay(outcome.view, "\n".join(filter(None, [outcome.note, note])))


def _description_done(ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if not _has_voice(answers, view):
        raise Invalid(ctx.texts.gettext("Please write what happened, or send a voice note."))
    return Accept("", also={"attachments": files_so_far(answers, view)})


def show_description(value: Any, ctx: FormContext) -> str:
    return esc(value) if value else esc(ctx.texts.gettext("🎤 (told in a voice note)"))


DESCRIPTION: Step[FormContext] = Step(
    "description", lambda t: t.gettext("Description"), _description_prompt, show=show_description,
    on_text=_description_text, on_files=_description_files, on_done=_description_done,
    takes=lambda t: t.gettext("a text or a voice note"),
)  # fmt: skip


# -- when -----------------------------------------------------------------------------------------


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
    if fold(text) in (fold(t.gettext("Today")), "hari ini", "today"):
        return Accept(ctx.today.isoformat())
    if fold(text) in (fold(t.gettext("Yesterday")), "kemarin", "yesterday"):
        return Accept((ctx.today - timedelta(days=1)).isoformat())
    return Accept(validate_event_date(text, ctx.today, t, ctx.limits).isoformat())


def _show_date(value: Any, ctx: FormContext) -> str:
    return esc(ctx.texts.date(date.fromisoformat(value))) if value else "—"


def event_date_of(answers: dict, ctx: FormContext) -> date:
    """The stored date, checked again at submission (a draft may have waited past midnight)."""
    return check_event_date(date.fromisoformat(answers["event_date"]), ctx.today, ctx.texts, ctx.limits)


EVENT_DATE: Step[FormContext] = Step(
    "event_date", lambda t: t.gettext("Date of event"), _date_prompt, show=_show_date,
    on_choice=_date_choice, on_text=_date_text,
)  # fmt: skip


# -- where: the kecamatan -------------------------------------------------------------------------


def kecamatan_options() -> list[list[Option]]:
    """The regency's kecamatan as buttons, two per row."""
    options = [Option(f"k{i}", name) for i, name in enumerate(KECAMATAN)]
    return [options[i : i + 2] for i in range(0, len(options), 2)]


def kecamatan_choice(value: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    if value.startswith("k") and value[1:].isascii() and value[1:].isdigit() and int(value[1:]) < len(KECAMATAN):
        return Accept({"kecamatan": KECAMATAN[int(value[1:])]})
    raise Invalid(ctx.texts.gettext("Please choose one of the buttons."))


def location_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    """A kecamatan typed by name (with or without "Kecamatan"), or the button that lists them."""
    t = ctx.texts
    if fold(text) == fold(t.gettext("🗺 Choose kecamatan")):
        return Stay({"pick": True})
    for name in KECAMATAN:
        if fold(name) == fold(text.removeprefix("Kecamatan ").removeprefix("kecamatan ")):
            return Accept({"kecamatan": name})
    raise Invalid(t.gettext("Please share the location with the button, or choose the kecamatan."))


def show_location(value: Any, ctx: FormContext) -> str:
    if not value:
        return "—"
    if "kecamatan" in value:
        return esc(ctx.texts.gettext("Kecamatan {name}").format(name=value["kecamatan"]))
    return f"{value['lat']:.5f}, {value['lon']:.5f}"


# -- evidence -------------------------------------------------------------------------------------


def files_so_far(answers: dict, view: dict) -> list[dict]:
    return list(view["files"]) if "files" in view else list(answers.get("attachments") or [])


def received_so_far(files: list[dict], ctx: FormContext) -> str:
    return ctx.texts.gettext("{n} of {max} attachments received. Send more, or press “Done”.").format(n=len(files), max=ctx.limits.max_attachments)


def attachments_files(refs: Sequence[FileRef], ctx: FormContext, answers: dict, view: dict) -> Outcome:
    """Files kept in the step's view; beyond the limit the first ones stay and the note says how
    many were left out (an album of seven with a limit of five keeps the first five)."""
    t = ctx.texts
    files = files_so_far(answers, view)
    dropped = int(view.get("dropped", 0))
    for ref in refs:
        if any(f["file_unique_id"] == ref.file_unique_id for f in files):
            continue  # the same file sent twice (or a redelivered album) counts once
        if len(files) >= ctx.limits.max_attachments:
            dropped += 1
            continue
        files.append(validate_file(ref, len(files), t, ctx.limits))
    note = None
    if dropped:
        note = "⚠️ " + t.ngettext("{n} file was not kept: at most {max} attachments. Press “Done” to continue.", "{n} files were not kept: at most {max} attachments. Press “Done” to continue.", dropped).format(n=dropped, max=ctx.limits.max_attachments)
    return Stay({**view, "files": files, "dropped": dropped}, note)
def attachments_done(ctx: FormContext, answers: dict, view: dict) -> Outcome:
    return Accept(files_so_far(answers, view))


def attachments_text(text: str, ctx: FormContext, answers: dict, view: dict) -> Outcome:
    t = ctx.texts
    if fold(text) in (fold(t.gettext("✅ Done")), "selesai", "done"):
        return Accept(files_so_far(answers, view))
    raise Invalid(t.gettext("Please send a photo, a document, a voice note or a video, or press “Done” / “Skip”."))


def show_attachments(value: Any, ctx: FormContext) -> str:
    if not value:
        return "—"
    return esc(", ".join(files_summary(value, ctx.texts)))

