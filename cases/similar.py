"""Similar reports: which open cases a new report may repeat, for the admin's card of the new one.

A candidate is similar when it is about the same place — the same kecamatan, or within
`NEARBY_METRES` when both have a location — and the same topic (a whistleblower's case has no
topic of its own: place and text decide), and its text reads alike: rapidfuzz's token-set ratio of
title and description, which ignores word order and repeated words. Pure: the caller loads the
candidates and opens sealed texts; nothing here shows a text to anyone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

NEARBY_METRES = 500.0
THRESHOLD = 60.0  # token-set ratio, 0..100
LIMIT = 3


@dataclass(frozen=True)
class Candidate:
    id: int
    ticket: str
    topic: str | None  # None for a whistleblower's case
    kecamatan: str | None
    latitude: float | None
    longitude: float | None
    text: str


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) on a 6,371 km sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def same_place(a: Candidate, b: Candidate) -> bool:
    if None not in (a.latitude, a.longitude, b.latitude, b.longitude):
        return metres(a.latitude, a.longitude, b.latitude, b.longitude) <= NEARBY_METRES  # type: ignore[arg-type]
    return a.kecamatan is not None and a.kecamatan == b.kecamatan


def same_topic(a: Candidate, b: Candidate) -> bool:
    if a.topic is None or b.topic is None:
        return True
    return a.topic.split(".", 1)[0] == b.topic.split(".", 1)[0]


def similar(new: Candidate, others: Iterable[Candidate], limit: int = LIMIT, threshold: float = THRESHOLD) -> list[tuple[Candidate, float]]:
    """Up to `limit` candidates like `new`, most alike first, with their score (0..100)."""
    text = utils.default_process(new.text)
    found = []
    for other in others:
        if other.id == new.id or not same_place(new, other) or not same_topic(new, other):
            continue
        score = fuzz.token_set_ratio(text, utils.default_process(other.text))
        if score >= threshold:
            found.append((other, float(score)))
    found.sort(key=lambda item: (-item[1], item[0].id))
    return found[:limit]
