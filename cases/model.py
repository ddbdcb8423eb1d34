"""Complaint vocabulary: report classes, privacy choices and statuses.

The workflow between statuses (verification, routing, responses) grows here; handlers and storage
only refer to these names.
"""

from __future__ import annotations

from enum import StrEnum


class ReportClass(StrEnum):
    """Klasifikasi laporan in SP4N-LAPOR!."""

    COMPLAINT = "pengaduan"
    ASPIRATION = "aspirasi"
    INFORMATION = "informasi"


class Privacy(StrEnum):
    """Biasa: the reporter is known to the agency; Rahasia: the content is not public."""

    NORMAL = "biasa"
    CONFIDENTIAL = "rahasia"


class Status(StrEnum):
    """Where a complaint stands. A new complaint waits for Diskominfo's verification.

    Values are stored in a String(16) column, so keep them at most 16 characters. The rules that
    move a complaint between statuses live in `cases.workflow`.
    """

    SUBMITTED = "submitted"
    VERIFIED = "verified"  # verified and routed (disposisi) to an agency
    REJECTED = "rejected"
    RESPONDED = "responded"
    CLOSED = "closed"
    INFO_REQUESTED = "info_requested"  # verification paused: admin waits for the citizen
    AGENCY_INFO_REQUESTED = "agency_info_req"  # follow-up paused: agency waits for the citizen
    RETURNED = "returned"  # agency said "bukan kewenangan": back to admin for re-routing
    DUPLICATE = "duplicate"


OPEN_STATUSES = frozenset({
    Status.SUBMITTED, Status.VERIFIED, Status.RESPONDED,
    Status.INFO_REQUESTED, Status.AGENCY_INFO_REQUESTED, Status.RETURNED,
})  # fmt: skip


class Maladministration(StrEnum):
    """The Ombudsman's ten forms of maladministration (UU 37/2008), as an admin classifies a case."""

    NO_SERVICE = "tidak_melayani"  # tidak memberikan pelayanan
    UNDUE_DELAY = "penundaan"  # penundaan berlarut
    PROCEDURE = "prosedur"  # penyimpangan prosedur
    IMPROPER = "tidak_patut"
    INCOMPETENT = "tidak_kompeten"
    ABUSE = "penyalahgunaan"  # penyalahgunaan wewenang
    PAYMENT = "imbalan"  # permintaan imbalan uang/barang/jasa (pungli)
    DISCRIMINATION = "diskriminasi"
    PARTIALITY = "berpihak"
    CONFLICT = "konflik"  # konflik kepentingan
