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
    """Where a complaint stands. A new complaint waits for Diskominfo's verification."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"
    RESPONDED = "responded"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.VERIFIED, Status.RESPONDED})
