"""cases.similar: which open reports a new one may repeat (place, topic, words alike)."""

from __future__ import annotations

from cases.similar import Candidate, metres, similar

NEW = Candidate(1, "KKR-2026-000010", "infra.jalan", "Tenggarong", None, None,
                "Jalan berlubang besar di depan SDN 001\nLubang di jalan depan SDN 001 sudah sebulan, motor sering jatuh.")  # fmt: skip


def other(id: int, text: str, *, topic: str | None = "infra.jalan", kecamatan: str | None = "Tenggarong",
          lat: float | None = None, lon: float | None = None) -> Candidate:
    return Candidate(id, f"KKR-2026-{id:06d}", topic, kecamatan, lat, lon, text)


def test_the_same_complaint_in_other_words_is_found() -> None:
    found = similar(NEW, [other(2, "Lubang besar di jalan depan SDN 001, motor jatuh. Sudah sebulan jalan berlubang.")])
    assert [c.id for c, _ in found] == [2]
    assert found[0][1] >= 60


def test_another_place_another_topic_or_other_words_are_not() -> None:
    text = "Lubang besar di jalan depan SDN 001, motor jatuh. Sudah sebulan jalan berlubang."
    assert similar(NEW, [other(2, text, kecamatan="Loa Kulu")]) == []
    assert similar(NEW, [other(3, text, topic="kes.puskesmas")]) == []
    assert similar(NEW, [other(4, "Obat di puskesmas kosong sejak minggu lalu, pasien disuruh beli sendiri.")]) == []
    assert similar(NEW, [other(1, text)]) == [], "a report is not similar to itself"


def test_a_child_topic_of_the_same_parent_counts_and_a_whistleblower_has_no_topic() -> None:
    text = "Lubang besar di jalan depan SDN 001, motor jatuh. Sudah sebulan jalan berlubang."
    assert similar(NEW, [other(2, text, topic="infra.drainase")])
    assert similar(NEW, [other(3, text, topic=None)]), "a whistleblower's case: place and words decide"


def test_within_500_metres_when_both_have_a_location() -> None:
    here = Candidate(1, "T1", "infra.jalan", None, -0.4219, 116.9853, NEW.text)
    text = "Lubang besar di jalan depan SDN 001, motor jatuh. Sudah sebulan jalan berlubang."
    near = other(2, text, kecamatan=None, lat=-0.4219 + 0.003, lon=116.9853)  # ~330 m north
    far = other(3, text, kecamatan=None, lat=-0.4219 + 0.006, lon=116.9853)  # ~670 m
    assert 300 < metres(-0.4219, 116.9853, -0.4189, 116.9853) < 360
    assert [c.id for c, _ in similar(here, [near, far])] == [2]


def test_at_most_three_most_alike_first() -> None:
    base = "Lubang besar di jalan depan SDN 001, motor jatuh. Sudah sebulan jalan berlubang."
    many = [other(10 + n, base + " tambahan" * n) for n in range(6)]
    found = similar(NEW, many)
    assert len(found) == 3
    scores = [score for _, score in found]
    assert scores == sorted(scores, reverse=True)
