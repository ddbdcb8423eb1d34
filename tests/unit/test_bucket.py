"""bot.dispatcher.Bucket: a token bucket with a 429 block."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dispatcher import Bucket

T0 = 1000.0  # an arbitrary monotonic clock reading


def test_burst_of_capacity_then_wait() -> None:
    bucket = Bucket(rate=1.0, capacity=3.0)
    for _ in range(3):
        assert bucket.wait_time(T0) == 0.0
        bucket.take(T0)
    assert bucket.wait_time(T0) == pytest.approx(1.0)


def test_refills_at_rate() -> None:
    bucket = Bucket(rate=2.0, capacity=3.0)
    for _ in range(3):
        bucket.take(T0)
    assert bucket.wait_time(T0) == pytest.approx(0.5)
    assert bucket.wait_time(T0 + 0.25) == pytest.approx(0.25)
    assert bucket.wait_time(T0 + 0.5) == 0.0
    bucket.take(T0 + 0.5)
    assert bucket.wait_time(T0 + 0.5) == pytest.approx(0.5)


def test_sustained_rate() -> None:
    # Sending whenever allowed: 3 at once, then one a second.
    bucket = Bucket(rate=1.0, capacity=3.0)
    now, sent = T0, []
    while now < T0 + 10.0:
        wait = bucket.wait_time(now)
        if wait > 0:
            now += wait
            continue
        bucket.take(now)
        sent.append(now)
    assert len(sent[:3]) == 3 and sent[:3] == [T0] * 3
    gaps = [b - a for a, b in zip(sent[3:], sent[4:])]
    assert all(gap == pytest.approx(1.0) for gap in gaps)
    # the burst at T0, then one at T0+1, T0+2, … T0+9 (the loop stops before T0+10)
    assert len(sent) == 3 + 9
    assert sent[-1] == pytest.approx(T0 + 9)


def test_never_more_than_capacity_saved_up() -> None:
    bucket = Bucket(rate=1.0, capacity=3.0)
    bucket.wait_time(T0)
    assert bucket.wait_time(T0 + 3600) == 0.0
    for _ in range(3):
        bucket.take(T0 + 3600)
    assert bucket.wait_time(T0 + 3600) == pytest.approx(1.0)


def test_group_rate() -> None:
    bucket = Bucket(rate=20 / 60, capacity=3.0)
    for _ in range(3):
        bucket.take(T0)
    assert bucket.wait_time(T0) == pytest.approx(3.0)


def test_blocked_until_is_honoured() -> None:
    bucket = Bucket(rate=30.0, capacity=30.0)
    assert bucket.wait_time(T0) == 0.0
    bucket.blocked_until = T0 + 17.0  # Telegram said retry_after=17
    assert bucket.wait_time(T0) == pytest.approx(17.0)
    assert bucket.wait_time(T0 + 10.0) == pytest.approx(7.0)
    assert bucket.wait_time(T0 + 17.0) == 0.0
    assert bucket.wait_time(T0 + 20.0) == 0.0


def test_blocked_and_empty_waits_for_both() -> None:
    bucket = Bucket(rate=1.0, capacity=1.0)
    bucket.take(T0)
    bucket.blocked_until = T0 + 0.5
    assert bucket.wait_time(T0) == pytest.approx(0.5)  # the block first…
    assert bucket.wait_time(T0 + 0.5) == pytest.approx(0.5)  # …then still a token short


@settings(max_examples=200)
@given(
    st.floats(min_value=0.1, max_value=50),
    st.integers(min_value=1, max_value=30),
    st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=60),
)
def test_never_faster_than_rate_plus_burst(rate: float, capacity: int, pauses: list[float]) -> None:
    """Whatever the timing, sends in any window ≤ capacity + rate × window."""
    bucket = Bucket(rate=rate, capacity=float(capacity))
    now, sent = T0, []
    for pause in pauses:
        now += pause
        wait = bucket.wait_time(now)
        assert wait >= 0
        if wait == 0:
            bucket.take(now)
            sent.append(now)
        else:
            assert wait <= 1 / rate + 1e-9
    for i, start in enumerate(sent):
        for j in range(i, len(sent)):
            window = sent[j] - start
            assert j - i + 1 <= capacity + rate * window + 1e-6
