"""The words for the domain's values (statuses, report classes, privacy, maladministration), in
the reader's language. One place, so a status reads the same on a card, in a list and in a notice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from cases.model import Maladministration, Privacy, ReportClass, Status
from handlers.core.i18n import Texts


def status_label(status: str, t: Texts) -> str:
    """A status as the reporter reads it."""
    return {
        Status.SUBMITTED: t.gettext("Awaiting verification"),
        Status.VERIFIED: t.gettext("Being followed up by the agency"),
        Status.REJECTED: t.gettext("Rejected"),
        Status.RESPONDED: t.gettext("Answered"),
        Status.CLOSED: t.gettext("Closed"),
        Status.INFO_REQUESTED: t.gettext("Waiting for your information"),
        Status.AGENCY_INFO_REQUESTED: t.gettext("The agency waits for your information"),
        Status.RETURNED: t.gettext("Being re-routed by Diskominfo"),
        Status.DUPLICATE: t.gettext("Merged with another report"),
    }.get(status, status)  # type: ignore[call-overload]


def staff_status_label(status: str, t: Texts) -> str:
    """Statuses as the people handling the case say them (the citizen's labels speak to the citizen)."""
    return {
        Status.SUBMITTED: t.gettext("New, to verify"),
        Status.VERIFIED: t.gettext("Routed, to answer"),
        Status.REJECTED: t.gettext("Rejected"),
        Status.RESPONDED: t.gettext("Answered, waiting for the reporter"),
        Status.CLOSED: t.gettext("Closed"),
        Status.INFO_REQUESTED: t.gettext("Waiting for the reporter's information (verification paused)"),
        Status.AGENCY_INFO_REQUESTED: t.gettext("Waiting for the reporter's information (deadline paused)"),
        Status.RETURNED: t.gettext("Returned by the agency, to re-route"),
        Status.DUPLICATE: t.gettext("Duplicate"),
    }.get(status, status)  # type: ignore[call-overload]


def class_label(value: str, t: Texts) -> str:
    return {
        ReportClass.COMPLAINT: t.gettext("Complaint"),
        ReportClass.ASPIRATION: t.gettext("Aspiration / suggestion"),
        ReportClass.INFORMATION: t.gettext("Request for information"),
    }.get(value, value)  # type: ignore[call-overload]


def privacy_label(value: str, t: Texts) -> str:
    return {
        Privacy.NORMAL: t.gettext("Normal"),
        Privacy.CONFIDENTIAL: t.gettext("Confidential"),
    }.get(value, value)  # type: ignore[call-overload]


def maladministration_label(code: str, t: Texts) -> str:
    return {
        Maladministration.NO_SERVICE: t.gettext("Service refused or neglected"),
        Maladministration.UNDUE_DELAY: t.gettext("Undue delay"),
        Maladministration.PROCEDURE: t.gettext("Deviation from procedure"),
        Maladministration.IMPROPER: t.gettext("Improper conduct"),
        Maladministration.INCOMPETENT: t.gettext("Incompetence"),
        Maladministration.ABUSE: t.gettext("Abuse of authority"),
        Maladministration.PAYMENT: t.gettext("Asking for money, goods or services (pungli)"),
        Maladministration.DISCRIMINATION: t.gettext("Discrimination"),
        Maladministration.PARTIALITY: t.gettext("Partiality"),
        Maladministration.CONFLICT: t.gettext("Conflict of interest"),
    }.get(code, code)  # type: ignore[call-overload]


def files_summary(files: Iterable[dict[str, Any]], t: Texts) -> list[str]:
    """["2 photos", "1 voice note"]: the files a form kept, counted by kind in the order sent."""
    return [files_label(kind, n, t) for kind, n in Counter(f["kind"] for f in files).items()]


def files_label(kind: str, n: int, t: Texts) -> str:
    """"3 photos", "1 voice note": a count of one kind of file."""
    if kind == "photo":
        return t.ngettext("{n} photo", "{n} photos", n).format(n=n)
    if kind == "voice":
        return t.ngettext("{n} voice note", "{n} voice notes", n).format(n=n)
    if kind == "audio":
        return t.ngettext("{n} audio file", "{n} audio files", n).format(n=n)
    if kind == "video":
        return t.ngettext("{n} video", "{n} videos", n).format(n=n)
    if kind == "video_note":
        return t.ngettext("{n} video message", "{n} video messages", n).format(n=n)
    return t.ngettext("{n} document", "{n} documents", n).format(n=n)
