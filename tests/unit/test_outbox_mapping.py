"""bot.outbox.calls_for: conversation actions → Bot API method names and payloads."""

from __future__ import annotations

import html
import re

from bot.outbox import calls_for, markup, rows_for
from handlers.core.actions import (
    AnswerCallback,
    Button,
    Delete,
    Edit,
    InlineKeyboard,
    RemoveKeyboard,
    ReplyButton,
    ReplyKeyboard,
    Send,
    SendFile,
)
from handlers.core.text import esc

CHAT = 4242
KEYBOARD = InlineKeyboard(((Button("Ya", "n|1|v|y"), Button("Tidak", "n|1|v|n")), (Button("✖️ Batal", "n|1|x|"),)))


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", fragment))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_send_with_inline_keyboard() -> None:
    calls = calls_for(Send(CHAT, "<b>Halo</b> &amp; selamat datang", KEYBOARD))
    assert len(calls) == 1
    chat, method, payload = calls[0]
    assert (chat, method) == (CHAT, "sendMessage")
    assert payload["chat_id"] == CHAT
    assert payload["text"] == "<b>Halo</b> &amp; selamat datang"
    assert payload["parse_mode"] == "HTML"
    assert payload["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Ya", "callback_data": "n|1|v|y"}, {"text": "Tidak", "callback_data": "n|1|v|n"}],
            [{"text": "✖️ Batal", "callback_data": "n|1|x|"}],
        ]
    }


def test_send_without_keyboard_has_no_markup() -> None:
    (_, _, payload), = calls_for(Send(CHAT, "x"))
    assert "reply_markup" not in payload


def test_long_send_is_split_with_the_keyboard_on_the_last_part() -> None:
    paragraphs = [f"<b>Bagian {i}</b> " + esc("isi & <data> ") * 40 for i in range(20)]
    text = "\n\n".join(paragraphs)
    assert utf16(plain(text)) > 10_000
    calls = calls_for(Send(CHAT, text, KEYBOARD))
    assert len(calls) >= 3
    for index, (chat, method, payload) in enumerate(calls):
        assert (chat, method) == (CHAT, "sendMessage")
        assert payload["parse_mode"] == "HTML"
        assert utf16(plain(payload["text"])) <= 4096
        assert ("reply_markup" in payload) == (index == len(calls) - 1)
    assert calls[-1][2]["reply_markup"] == markup(KEYBOARD)
    joined = "".join(plain(p["text"]) for _, _, p in calls)
    assert joined.replace("\n", "") == plain(text).replace("\n", "")


def test_ten_thousand_plain_characters() -> None:
    calls = calls_for(Send(CHAT, "a" * 10_000, KEYBOARD))
    assert len(calls) == 3
    assert sum(len(p["text"]) for _, _, p in calls) == 10_000
    assert [("reply_markup" in p) for _, _, p in calls] == [False, False, True]


def test_reply_keyboard_and_remove() -> None:
    keyboard = ReplyKeyboard(((ReplyButton("📍 Lokasi", request_location=True),), (ReplyButton("📱 Nomor", request_contact=True), ReplyButton("Batal"))))
    (_, _, payload), = calls_for(Send(CHAT, "x", keyboard))
    assert payload["reply_markup"]["keyboard"] == [
        [{"text": "📍 Lokasi", "request_location": True}],
        [{"text": "📱 Nomor", "request_contact": True}, {"text": "Batal"}],
    ]
    assert payload["reply_markup"]["resize_keyboard"] is True
    (_, _, payload), = calls_for(Send(CHAT, "x", RemoveKeyboard()))
    assert payload["reply_markup"] == {"remove_keyboard": True}


def test_edit() -> None:
    (chat, method, payload), = calls_for(Edit(CHAT, 77, "<i>diubah</i>", KEYBOARD))
    assert method == "editMessageText"
    assert payload["message_id"] == 77 and payload["parse_mode"] == "HTML"
    assert payload["reply_markup"] == markup(KEYBOARD)


def test_long_edit_sends_the_rest() -> None:
    calls = calls_for(Edit(CHAT, 77, "b" * 9000))
    assert [m for _, m, _ in calls] == ["editMessageText", "sendMessage", "sendMessage"]
    assert all(utf16(plain(p["text"])) <= 4096 for _, _, p in calls)
    assert all(p["parse_mode"] == "HTML" for _, _, p in calls)
    assert "".join(p["text"] for _, _, p in calls) == "b" * 9000


def test_send_photo_by_file_id_never_a_forward() -> None:
    (chat, method, payload), = calls_for(SendFile(CHAT, "photo", "AgACAgQAAxkBAAIB", "Bukti <b>1</b>"))
    assert (chat, method) == (CHAT, "sendPhoto")
    assert payload["photo"] == "AgACAgQAAxkBAAIB"
    assert payload["caption"] == "Bukti <b>1</b>" and payload["parse_mode"] == "HTML"
    assert "from_chat_id" not in payload


def test_send_document_and_long_caption() -> None:
    (_, method, payload), = calls_for(SendFile(CHAT, "document", "BQACAgQ", "<b>" + "c" * 3000 + "</b>"))
    assert method == "sendDocument" and payload["document"] == "BQACAgQ"
    assert utf16(plain(payload["caption"])) <= 1024
    assert payload["caption"].startswith("<b>") and payload["caption"].endswith("</b>")


def test_file_without_caption() -> None:
    (_, _, payload), = calls_for(SendFile(CHAT, "photo", "P"))
    assert "caption" not in payload and "parse_mode" not in payload


def test_no_forward_anywhere() -> None:
    actions = [Send(CHAT, "x" * 5000, KEYBOARD), SendFile(CHAT, "photo", "P"), SendFile(CHAT, "document", "D", "c"),
               Edit(CHAT, 1, "y"), Delete(CHAT, 1), AnswerCallback(CHAT, "q")]
    methods = {method for action in actions for _, method, _ in calls_for(action)}
    assert not any("forward" in m.lower() for m in methods)


def test_answer_callback_truncated_to_200() -> None:
    (chat, method, payload), = calls_for(AnswerCallback(CHAT, "query-1", "x" * 500, alert=True))
    assert method == "answerCallbackQuery"
    assert payload["callback_query_id"] == "query-1"
    assert payload["text"] == "x" * 200
    assert payload["show_alert"] is True


def test_answer_callback_without_text() -> None:
    (_, _, payload), = calls_for(AnswerCallback(CHAT, "query-2"))
    assert payload == {"callback_query_id": "query-2"}


def test_delete() -> None:
    assert calls_for(Delete(CHAT, 9)) == [(CHAT, "deleteMessage", {"chat_id": CHAT, "message_id": 9})]


def test_rows_for_keeps_the_order() -> None:
    rows = rows_for([AnswerCallback(CHAT, "q"), Send(CHAT, "z" * 9000), SendFile(CHAT, "photo", "P")])
    assert [r.method for r in rows] == ["answerCallbackQuery", "sendMessage", "sendMessage", "sendMessage", "sendPhoto"]
    assert all(r.status == "pending" and r.chat_id == CHAT for r in rows)
