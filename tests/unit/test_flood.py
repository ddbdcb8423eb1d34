"""The flood gate: N messages a window, one warning, then silence until the window ends; an
album's photos count once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from handlers.core.flood import FloodGate, Verdict

START = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)


def verdicts(gate: FloodGate, user: int, messages: list[tuple[float, str | None]]) -> list[Verdict]:
    return [gate.check(user, START + timedelta(seconds=at), album) for at, album in messages]


def test_over_the_limit_the_user_is_warned_once_then_dropped_until_the_window_ends() -> None:
    gate = FloodGate(max_messages=3, window=timedelta(seconds=10))
    got = verdicts(gate, 1, [(0, None), (1, None), (2, None), (3, None), (4, None), (9.9, None), (10, None)])
    assert got == [Verdict.PASS] * 3 + [Verdict.WARN, Verdict.DROP, Verdict.DROP, Verdict.PASS]


def test_users_are_counted_apart() -> None:
    gate = FloodGate(max_messages=2, window=timedelta(seconds=10))
    assert verdicts(gate, 1, [(0, None), (0.1, None), (0.2, None)]) == [Verdict.PASS, Verdict.PASS, Verdict.WARN]
    assert verdicts(gate, 2, [(0.3, None)]) == [Verdict.PASS]


def test_the_photos_of_an_album_count_as_one_message() -> None:
    gate = FloodGate(max_messages=3, window=timedelta(seconds=10))
    ten = [(0.5 + n / 1000, "album-1") for n in range(10)]
    assert verdicts(gate, 1, [(0, None), *ten, (1, None)]) == [Verdict.PASS] * 12
    # The next album is a new message.
    assert verdicts(gate, 1, [(2, "album-2"), (2.001, "album-2")]) == [Verdict.WARN, Verdict.DROP]


def test_an_album_over_the_limit_is_dropped_whole() -> None:
    gate = FloodGate(max_messages=2, window=timedelta(seconds=10))
    got = verdicts(gate, 1, [(0, None), (0.1, None), *[(0.2 + n / 1000, "album") for n in range(4)]])
    assert got == [Verdict.PASS, Verdict.PASS, Verdict.WARN, Verdict.DROP, Verdict.DROP, Verdict.DROP]


def test_an_album_id_seen_again_after_a_text_counts_again() -> None:
    # Only the album last counted is remembered: a stray update of an earlier album counts anew.
    gate = FloodGate(max_messages=3, window=timedelta(seconds=10))
    got = verdicts(gate, 1, [(0, "a"), (0.1, None), (0.2, "a"), (0.3, "a")])
    assert got == [Verdict.PASS, Verdict.PASS, Verdict.PASS, Verdict.PASS]
    assert gate.check(1, START + timedelta(seconds=0.4)) is Verdict.WARN


def test_idle_users_are_forgotten_once_many_are_counted() -> None:
    gate = FloodGate(max_messages=3, window=timedelta(seconds=10))
    for user in range(10_001):
        gate.check(user, START)
    gate.check(99_999, START + timedelta(seconds=20))  # a new window past 10,000 users: old windows go
    assert len(gate._windows) == 1
