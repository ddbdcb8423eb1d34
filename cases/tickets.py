"""Human-friendly ticket numbers, e.g. ``KKR-2026-000123``."""

from __future__ import annotations

import re

PREFIX = "KKR"
_TICKET = re.compile(r"^\s*#?\s*(KKR)[-\s]?(\d{4})[-\s]?(\d{1,9})\s*$", re.IGNORECASE)


def format_ticket(year: int, number: int) -> str:
    return f"{PREFIX}-{year:04d}-{number:06d}"


def parse_ticket(text: str) -> str | None:
    """Normalise what a user typed ("kkr 2026 123", "#KKR-2026-000123") to the canonical form."""
    match = _TICKET.match(text or "")
    if not match:
        return None
    return format_ticket(int(match.group(2)), int(match.group(3)))
