"""One answer to a burst (handlers.core.bursts), and the outbox rows that carry it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.outbox import rows_for
from handlers.core.actions import AnswerCallback, Later, Send
from handlers.core.bursts import WINDOW, answer_once
from handlers.core.events import Event

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)


def message(update_id: int, album: str | None = None) -> Event:
    return Event(update_id=update_id, user_id=7, chat_id=7, chat_type="private", message_id=update_id, text="halo", album=album)


def state(step: str, heard: dict | None = None) -> dict:
    return {"form": "lapor", "nonce": "n0", "step": step, "answers": {}, "view": {}, **({"heard": heard} if heard else {})}


def test_the_first_message_at_a_step_is_answered_at_once_and_the_next_ones_held() -> None:
    reply = [Send(7, "⚠️ terlalu pendek")]
    after, actions = answer_once(message(1), state("title"), state("title"), reply, T0)
    assert actions == reply
    assert after is not None and after["heard"] == {"step": "title", "at": T0.isoformat()}
    _, actions = answer_once(message(2), after, state("title"), reply, T0 + WINDOW / 2)
    assert actions == [Later("form:n0:title", 1.5, tuple(reply))]
    _, actions = answer_once(message(3), after, state("title"), reply, T0 + WINDOW * 2)
    assert actions == reply, "after the window it is a new try, answered at once"


def test_a_message_that_moves_the_form_on_is_never_held() -> None:
    before = state("title", {"step": "title", "at": T0.isoformat()})
    reply = [Send(7, "✅ Judul"), Send(7, "Langkah 5")]
    after, actions = answer_once(message(2), before, state("description"), reply, T0 + timedelta(seconds=1))
    assert actions == reply
    assert after is not None and after["heard"]["step"] == "title", "the step it arrived at"


def test_an_album_is_always_gathered_and_button_answers_are_not_held() -> None:
    reply = [AnswerCallback(7, "q"), Send(7, "3 dari 5")]
    _, actions = answer_once(message(1, album="g1"), state("attachments"), state("attachments"), reply, None)
    assert actions == [AnswerCallback(7, "q"), Later("form:n0:attachments", 1.5, (Send(7, "3 dari 5"),))]


def test_held_rows_wait_and_carry_their_key() -> None:
    rows = rows_for([Send(7, "now"), Later("form:n0:title", 1.5, (Send(7, "later"),))], now=T0)
    assert [r.payload["text"] for r in rows] == ["now", "later"]
    assert rows[0].coalesce_key is None and rows[1].coalesce_key == "form:n0:title"
    assert rows[1].not_before == T0 + timedelta(seconds=1.5)
