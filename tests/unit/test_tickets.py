"""Ticket numbers: KKR-YYYY-NNNNNN, and tolerant parsing of what people type."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.tickets import format_ticket, parse_ticket

CANONICAL = re.compile(r"^KKR-\d{4}-\d{6,9}$")


def test_format() -> None:
    assert format_ticket(2026, 123) == "KKR-2026-000123"
    assert format_ticket(2026, 1234567) == "KKR-2026-1234567"


@pytest.mark.parametrize(
    "typed",
    [
        "KKR-2026-000123",
        "kkr 2026 123",
        "#KKR-2026-000123",
        "# kkr-2026-123",
        "  KKR2026000123  ",
        "Kkr-2026 0123",
        "KKR 2026-123\n",
    ],
)
def test_tolerant_parsing(typed: str) -> None:
    assert parse_ticket(typed) == "KKR-2026-000123"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "hello",
        "KKR",
        "KKR-2026",
        "KKR-2026-",
        "KKR-26-000123",
        "ABC-2026-000123",
        "KKR-2026-00012a",
        "KKR-2026-0001234567890",  # more than 9 digits
        "KKR--2026-000123",
        "status KKR-2026-000123",
        "KKR-2026-000123 please",
        "KKR_2026_000123",
    ],
)
def test_rejects_garbage(garbage: str) -> None:
    assert parse_ticket(garbage) is None


def test_none_is_rejected() -> None:
    assert parse_ticket(None) is None  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.integers(min_value=2000, max_value=2999), st.integers(min_value=0, max_value=999_999_999))
def test_round_trip(year: int, number: int) -> None:
    ticket = format_ticket(year, number)
    assert CANONICAL.match(ticket)
    assert ticket.startswith(f"KKR-{year}-")
    assert int(ticket.rsplit("-", 1)[1]) == number
    assert parse_ticket(ticket) == ticket


@settings(max_examples=300)
@given(
    st.integers(min_value=2000, max_value=2999),
    st.integers(min_value=0, max_value=999_999_999),
    st.sampled_from(["-", " ", ""]),
    st.sampled_from(["", "#", "# "]),
    st.booleans(),
)
def test_typed_variants_normalise(year: int, number: int, sep: str, hash_: str, lower: bool) -> None:
    prefix = "kkr" if lower else "KKR"
    typed = f"{hash_}{prefix}{sep}{year}{sep}{number}"
    assert parse_ticket(typed) == format_ticket(year, number)


@settings(max_examples=300)
@given(st.text())
def test_never_raises_and_only_returns_canonical(text: str) -> None:
    result = parse_ticket(text)
    assert result is None or CANONICAL.match(result)
