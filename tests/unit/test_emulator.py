"""The Bot API emulator behaves like Telegram where the bot can tell: shapes python-telegram-bot
parses, the refusals, long polling, files, flood limits and injected faults."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from tests.emulator import BotApiEmulator, RateLimit, SentMessage
from tests.emulator.html import HtmlParseError, parse_html
from tests.emulator.markdown import parse_markdown_v2
from tests.emulator.spec import load_spec
from tests.emulator.text import detect_entities, utf16_len

TOKEN = "123456:TEST-token"
# python-telegram-bot 22 warns that RetryAfter.retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def emu() -> Iterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, bot_username="kanal_aduan_test_bot", rate_limit=None).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN, base_url=f"{emu.base_url}/bot", base_file_url=f"{emu.base_url}/file/bot"
    ) as client:
        yield client


def api(
    emu: BotApiEmulator, method: str, token: str = TOKEN, **params: Any
) -> tuple[int, dict[str, Any]]:
    """A raw JSON call, as any HTTP client would make it."""
    response = httpx.post(f"{emu.base_url}/bot{token}/{method}", json=params, timeout=10)
    return response.status_code, response.json()


def jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- identity, routing, parameters ------------------------------------------------------------


async def test_get_me_through_python_telegram_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "kanal_aduan_test_bot", True)


def test_unknown_token_method_and_parameter_are_refused(emu: BotApiEmulator) -> None:
    assert api(emu, "getMe", token="123456:wrong") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert api(emu, "sendMesage", chat_id=1, text="x") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    alice = emu.user(first_name="Alice")
    status, body = api(emu, "sendMessage", chat_id=alice.id, text="hi", colour="red")
    assert (status, body["description"]) == (400, 'Bad Request: unknown parameter "colour"')
    status, body = api(emu, "sendMessage", chat_id=alice.id)
    assert (status, body["description"]) == (400, 'Bad Request: parameter "text" is required')
    status, body = api(
        emu, "sendMessage", chat_id=alice.id, text="hi", disable_notification="maybe"
    )
    assert status == 400 and "disable_notification" in body["description"]
    assert [c.ok for c in emu.calls] == [False] * 5


def test_method_names_are_case_insensitive_and_all_encodings_work(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")
    base = f"{emu.base_url}/bot{TOKEN}"
    assert httpx.get(f"{base}/SENDMESSAGE", params={"chat_id": alice.id, "text": "query"}).json()[
        "ok"
    ]
    assert httpx.post(
        f"{base}/sendMessage", data={"chat_id": str(alice.id), "text": "form"}
    ).json()["ok"]
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    form = httpx.post(
        f"{base}/sendMessage",
        files={
            "chat_id": (None, str(alice.id)),
            "text": (None, "multipart"),
            "reply_markup": (None, markup),
        },
    ).json()
    assert (
        form["ok"]
        and form["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    )
    assert [m.text for m in alice.messages()] == ["query", "form", "multipart"]
    assert emu.calls_of("sendmessage")[0].method == "sendMessage"


def test_unlisted_methods_are_validated_then_accepted(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")
    assert api(emu, "setMessageReaction", chat_id=alice.id, message_id=1) == (
        200,
        {"ok": True, "result": True},
    )
    assert api(emu, "setMessageReaction", chat_id=alice.id)[0] == 400


# --- updates ------------------------------------------------------------------------------------


async def test_get_updates_delivers_text_and_button_presses(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Siti", last_name="Aminah", username="siti", language_code="id")
    alice.send("/start@kanal_aduan_test_bot hello")
    (update,) = await bot.get_updates(timeout=1)
    message = update.message
    assert message is not None and message.from_user is not None
    assert (message.text, message.chat.id, message.chat.type) == (
        "/start@kanal_aduan_test_bot hello",
        alice.id,
        "private",
    )
    assert message.from_user.language_code == "id" and message.from_user.full_name == "Siti Aminah"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == len(
        "/start@kanal_aduan_test_bot"
    )

    sent = await bot.send_message(
        alice.id,
        "Pilih:",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Lewati", callback_data="skip")]]),
    )
    query_id = alice.press(sent.message_id, text="Lewati")
    (press,) = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    query = press.callback_query
    assert query is not None and isinstance(query.message, Message)
    assert (query.id, query.data, query.from_user.id, query.message.message_id) == (
        query_id,
        "skip",
        alice.id,
        sent.message_id,
    )
    assert query.message.reply_markup is not None and query.chat_instance
    assert await query.answer("ok") and alice.callback_answer(query_id) == {"text": "ok"}


def test_every_update_kind_parses_with_python_telegram_bot_and_matches_the_spec(
    emu: BotApiEmulator,
) -> None:
    spec = load_spec()
    alice = emu.user(first_name="Siti", username="siti", language_code="id")
    group = emu.group(title="Warga", members=[alice])
    alice.send("/lapor #jalan @kanal_aduan_test_bot https://example.org")
    alice.send_photo(jpeg(), caption="foto")
    alice.send_document(b"%PDF-1.4", file_name="x.pdf", mime_type="application/pdf")
    alice.send_location(-0.43, 116.98)
    alice.send_contact(phone_number="+628123", own=True)
    first = alice.send("salah ketik")
    alice.edit(first, "benar")
    alice.send_to_group(group, "/lapor@kanal_aduan_test_bot")
    _, body = api(
        emu,
        "sendMessage",
        chat_id=alice.id,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    alice.press(body["result"]["message_id"], data="a")
    alice.block_bot()
    updates = api(emu, "getUpdates")[1]["result"]
    kinds = [next(k for k in u if k != "update_id") for u in updates]
    assert kinds == [
        "my_chat_member",
        "message",
        "message",
        "message",
        "message",
        "message",
        "message",
        "edited_message",
        "message",
        "callback_query",
        "my_chat_member",
    ]
    bot = Bot(TOKEN)
    for raw in updates:
        assert spec.check_value(["Update"], raw) == [], raw
        update = Update.de_json(raw, bot)
        assert update is not None and update.update_id == raw["update_id"]
        parsed = update.effective_message or update.callback_query or update.my_chat_member
        assert parsed is not None and parsed.api_kwargs == {}, (
            "fields python-telegram-bot does not know"
        )
    photo = updates[2]["message"]["photo"]
    assert len(photo) == 2 and photo[0]["width"] < photo[1]["width"] == 320
    assert [e["type"] for e in updates[1]["message"]["entities"]] == [
        "bot_command",
        "hashtag",
        "mention",
        "url",
    ]
    assert updates[5]["message"]["contact"]["user_id"] == alice.id
    assert updates[8]["message"]["chat"] == {"id": group.id, "type": "group", "title": "Warga"}
    assert updates[10]["my_chat_member"]["new_chat_member"]["status"] == "kicked"


def test_offset_confirms_updates_forever(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")
    alice.send("one")
    alice.send("two")
    first, second = api(emu, "getUpdates")[1]["result"]
    assert [u["update_id"] for u in api(emu, "getUpdates")[1]["result"]] == [
        first["update_id"],
        second["update_id"],
    ]
    assert api(emu, "getUpdates", offset=second["update_id"], limit=5)[1]["result"] == [second]
    assert emu.pending_updates() == 1
    assert api(emu, "getUpdates", offset=second["update_id"] + 1)[1]["result"] == []
    assert api(emu, "getUpdates")[1]["result"] == []
    emu.wait_until_confirmed(timeout=1)
    emu.redeliver(first["update_id"])  # Telegram may deliver an update again
    assert api(emu, "getUpdates")[1]["result"] == [first]
    injected = emu.inject_raw_update({"update_id": 42, "message": first["message"]})
    assert (
        injected == 42 and api(emu, "getUpdates", offset=first["update_id"] + 1)[1]["result"] == []
    )


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emu: BotApiEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    alice.send("ping")
    (update,) = await asyncio.wait_for(poll, 5)
    assert update.message is not None and update.message.text == "ping"
    assert time.monotonic() - started < 3


async def test_a_second_get_updates_ends_the_first_with_409(emu: BotApiEmulator) -> None:
    url = f"{emu.base_url}/bot{TOKEN}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as client:
        first = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.2)
        second = await client.post(url, data={"timeout": "0"})
        old = await first
    assert second.json() == {"ok": True, "result": []}
    assert old.status_code == 409 and old.json()["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    )


def test_stop_answers_a_pending_long_poll_and_the_emulator_can_restart() -> None:
    emulator = BotApiEmulator(TOKEN).start()
    answers: list[httpx.Response] = []
    url = f"{emulator.base_url}/bot{TOKEN}/getUpdates"
    poll = threading.Thread(
        target=lambda: answers.append(httpx.post(url, data={"timeout": "30"}, timeout=40))
    )
    poll.start()
    time.sleep(0.2)
    started = time.monotonic()
    emulator.stop()
    poll.join(5)
    assert time.monotonic() - started < 3 and answers[0].json() == {"ok": True, "result": []}
    with emulator:  # starts it again
        assert api(emulator, "getMe")[0] == 200


def test_webhook_blocks_get_updates_until_deleted(emu: BotApiEmulator) -> None:
    assert api(emu, "setWebhook", url="http://example.org/hook")[1]["description"].startswith(
        "Bad Request: bad webhook"
    )
    assert api(emu, "setWebhook", url="https://example.org/hook")[1]["result"] is True
    assert api(emu, "getWebhookInfo")[1]["result"]["url"] == "https://example.org/hook"
    status, body = api(emu, "getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    api(emu, "deleteWebhook")
    assert api(emu, "getUpdates") == (200, {"ok": True, "result": []})


# --- sending and its refusals -------------------------------------------------------------------


def test_send_message_refusals_match_telegram(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")

    def refusal(**params: Any) -> str:
        status, body = api(emu, "sendMessage", **{"chat_id": alice.id, **params})
        assert status == 400, body
        return str(body["description"]).removeprefix("Bad Request: ")

    assert refusal(text="x" * 4097) == "message is too long"
    assert refusal(text="😡" * 2049) == "message is too long"  # 4098 UTF-16 units
    assert (
        refusal(text="<b>x", parse_mode="HTML")
        == "can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert refusal(text="a & b", parse_mode="HTML").startswith("can't parse entities: ")
    assert (
        refusal(text="1 < 2", parse_mode="HTML")
        == 'can\'t parse entities: Unsupported start tag "" at byte offset 2'
    )
    assert refusal(text="x", parse_mode="HTML5") == "unsupported parse_mode"
    assert refusal(text="") == "message text is empty"
    assert refusal(text="<b> </b>", parse_mode="HTML") == "message must be non-empty"
    assert refusal(text="x", chat_id=999) == "chat not found"
    button = {"text": "B", "callback_data": "é" * 33}  # 66 bytes
    assert refusal(text="x", reply_markup={"inline_keyboard": [[button]]}) == "BUTTON_DATA_INVALID"
    assert refusal(text="x", reply_markup={"inline_keyboard": [[{"text": "B"}]]}).endswith(
        "Text buttons are unallowed in the inline keyboard"
    )
    assert refusal(text="x", reply_markup={"inline_keyboard": {"text": "B"}}).startswith(
        'field "inline_keyboard"'
    )
    assert alice.messages() == []

    ok = api(
        emu,
        "sendMessage",
        chat_id=alice.id,
        text="<b>Tono</b> &amp; Co 😡" + "x" * 4080,
        parse_mode="HTML",
    )
    assert ok[0] == 200
    assert api(emu, "sendMessage", chat_id=alice.id, text="😡" * 2048)[0] == 200
    assert (
        api(
            emu,
            "sendMessage",
            chat_id=alice.id,
            text="y",
            reply_markup={"inline_keyboard": [[{"text": "B", "callback_data": "d" * 64}]]},
        )[0]
        == 200
    )
    first = alice.messages()[0]
    assert (
        first.text is not None and first.text.startswith("Tono & Co 😡") and first.html is not None
    )
    assert first.entities == ({"type": "bold", "offset": 0, "length": 4},)


async def test_refusals_reach_python_telegram_bot_as_its_exceptions(
    emu: BotApiEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    alice.block_bot()
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "hello?")
    stranger = emu.user(first_name="Stranger", started=False)
    with pytest.raises(Forbidden, match="(?i)can't initiate conversation"):
        await bot.send_message(stranger.id, "hello")
    alice.unblock_bot()
    assert (await bot.send_message(alice.id, "welcome back")).text == "welcome back"


async def test_flood_limit_answers_429_with_retry_after() -> None:
    strict = BotApiEmulator(
        TOKEN, rate_limit=RateLimit(per_chat_burst=3, per_chat_per_second=0.5)
    ).start()
    try:
        alice = strict.user(first_name="Alice")
        status = [api(strict, "sendMessage", chat_id=alice.id, text=f"m{n}")[0] for n in range(3)]
        limited = api(strict, "sendMessage", chat_id=alice.id, text="one too many")
        assert status == [200, 200, 200]
        assert limited[0] == 429 and limited[1]["parameters"]["retry_after"] == 2
        assert limited[1]["description"] == "Too Many Requests: retry after 2"
        assert (
            api(
                strict,
                "editMessageText",
                chat_id=alice.id,
                message_id=1,
                text="edits are not limited",
            )[0]
            == 200
        )
        async with Bot(TOKEN, base_url=f"{strict.base_url}/bot") as client:
            with pytest.raises(RetryAfter) as caught:
                await client.send_message(alice.id, "again")
        assert "Retry in 2 seconds" in str(caught.value)
        assert len(alice.messages()) == 3
    finally:
        strict.stop()


# --- files --------------------------------------------------------------------------------------


async def test_user_photo_can_be_downloaded_and_resent_by_file_id(
    emu: BotApiEmulator, bot: Bot
) -> None:
    alice, admin = emu.user(first_name="Alice"), emu.user(first_name="Admin")
    photo = jpeg((640, 480))
    alice.send_photo(photo, caption="jalan rusak")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.caption == "jalan rusak"
    largest = max(update.message.photo, key=lambda size: size.width)
    downloaded = await (await bot.get_file(largest.file_id)).download_as_bytearray()
    assert bytes(downloaded) == photo
    assert emu.calls_of("getFile")[0].result["file_path"].startswith("photos/")

    sent = await bot.send_photo(
        admin.id, largest.file_id, caption="<b>KKR-1</b>", parse_mode="HTML"
    )
    assert sent.photo[-1].file_id == largest.file_id
    (copy,) = admin.messages()
    assert (copy.kind, copy.text, copy.html) == ("photo", "KKR-1", "<b>KKR-1</b>")
    assert copy.file_id is not None and emu.file_bytes(copy.file_id) == photo

    with pytest.raises(BadRequest, match="(?i)wrong file identifier/HTTP URL specified"):
        await bot.send_photo(admin.id, "AgACAgIAAxkBAAIforgedforgedforged")
    with pytest.raises(BadRequest, match="(?i)type of file mismatch"):
        await bot.send_document(admin.id, largest.file_id)


async def test_bot_uploads_documents_and_albums(emu: BotApiEmulator, bot: Bot) -> None:
    from telegram import InputMediaPhoto

    admin = emu.user(first_name="Admin")
    sent = await bot.send_document(
        admin.id, b"%PDF-1.4 report", filename="laporan.pdf", caption="c" * 1024
    )
    assert sent.document is not None and sent.document.file_name == "laporan.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert emu.file_bytes(sent.document.file_id) == b"%PDF-1.4 report"
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_document(admin.id, b"x", filename="x.txt", caption="c" * 1025)
    with pytest.raises(BadRequest):
        await bot.send_media_group(admin.id, [InputMediaPhoto(jpeg())])
    album = await bot.send_media_group(
        admin.id, [InputMediaPhoto(jpeg(), caption="1"), InputMediaPhoto(jpeg())]
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert [m.kind for m in admin.messages()] == ["document", "photo", "photo"]


# --- editing, deleting, buttons -----------------------------------------------------------------


def test_edits_and_deletes_follow_telegram_rules(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")
    keyboard = {"inline_keyboard": [[{"text": "Kirim", "callback_data": "send"}]]}
    message_id = api(emu, "sendMessage", chat_id=alice.id, text="Ringkasan", reply_markup=keyboard)[
        1
    ]["result"]["message_id"]

    same = api(
        emu,
        "editMessageText",
        chat_id=alice.id,
        message_id=message_id,
        text="Ringkasan",
        reply_markup=keyboard,
    )
    assert same[1]["description"].startswith(
        "Bad Request: message is not modified: specified new message content"
    )
    assert api(emu, "editMessageText", chat_id=alice.id, message_id=99, text="x")[1][
        "description"
    ] == ("Bad Request: message to edit not found")
    assert (
        api(emu, "editMessageCaption", chat_id=alice.id, message_id=message_id, caption="x")[0]
        == 400
    )

    # An edit without reply_markup drops the keyboard, as on Telegram.
    assert (
        api(emu, "editMessageText", chat_id=alice.id, message_id=message_id, text="Terkirim")[0]
        == 200
    )
    edited = alice.wait_for(lambda m: m.text == "Terkirim", timeout=1)
    assert (edited.buttons, edited.edit_count) == ([], 1)
    assert edited.ever_contained("Ringkasan") and edited.versions[0].buttons == [
        [("Kirim", "send")]
    ]
    with pytest.raises(AssertionError, match="(?i)no callback button"):
        alice.press(message_id, text="Kirim")

    assert api(emu, "deleteMessage", chat_id=alice.id, message_id=message_id) == (
        200,
        {"ok": True, "result": True},
    )
    assert api(emu, "deleteMessage", chat_id=alice.id, message_id=message_id)[1]["description"] == (
        "Bad Request: message to delete not found"
    )
    assert alice.messages()[0].deleted


def test_callback_queries_are_answered_once(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")
    keyboard = {
        "inline_keyboard": [
            [{"text": "Ya", "callback_data": "yes"}, {"text": "Situs", "url": "https://x.org"}]
        ]
    }
    sent = api(emu, "sendMessage", chat_id=alice.id, text="?", reply_markup=keyboard)[1]["result"]
    message = alice.wait_for_messages()[0]
    assert message.button("Ya") == ("Ya", "yes") and message.buttons[0][1] == ("Situs", None)
    query_id = alice.press(message, "Ya")
    forged = alice.press_data(sent["message_id"], "admin|delete|all")
    assert api(emu, "answerCallbackQuery", callback_query_id=query_id, text="x" * 201)[1][
        "description"
    ] == ("Bad Request: MESSAGE_TOO_LONG")
    assert api(emu, "answerCallbackQuery", callback_query_id=query_id, text="Oke")[0] == 200
    again = api(emu, "answerCallbackQuery", callback_query_id=query_id)
    assert (
        again[1]["description"]
        == "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert api(emu, "answerCallbackQuery", callback_query_id="123")[0] == 400
    updates = api(emu, "getUpdates")[1]["result"]
    assert [u["callback_query"]["data"] for u in updates] == ["yes", "admin|delete|all"]
    assert updates[1]["callback_query"]["id"] == forged


def test_wait_for_messages_reports_what_it_saw(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Alice")
    api(emu, "sendMessage", chat_id=alice.id, text="Langkah 1 dari 11")
    assert [m.text for m in alice.wait_for_messages(timeout=1)] == ["Langkah 1 dari 11"]
    api(emu, "sendMessage", chat_id=alice.id, text="<i>", parse_mode="HTML")
    with pytest.raises(AssertionError) as caught:
        alice.wait_for_messages(timeout=0.2)
    report = str(caught.value)
    assert "Langkah 1 dari 11" in report and "Can't find end tag" in report
    assert isinstance(alice.last_message(), SentMessage)


# --- faults, groups, commands, forwarding -------------------------------------------------------


async def test_injected_faults_fail_calls_without_effect(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    emu.fail_next("sendMessage", status=502)
    emu.fail_next("sendMessage", status=429, retry_after=3, chat_id=alice.id)
    with pytest.raises(NetworkError, match="(?i)Bad Gateway"):
        await bot.send_message(alice.id, "first")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "second")
    await bot.send_message(alice.id, "third")
    assert [m.text for m in alice.messages()] == ["third"]
    assert [(c.ok, c.error_code, c.injected) for c in emu.calls_of("sendMessage")] == [
        (False, 502, True),
        (False, 429, True),
        (True, None, False),
    ]
    emu.delay_next("getMe", 0.3)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.3


def test_group_messages_respect_privacy_mode(emu: BotApiEmulator) -> None:
    alice = emu.user(first_name="Anggota")
    group = emu.group(title="Warga RT 05", members=[alice])
    alice.send_to_group(group, "halo semua")  # not for the bot: privacy mode hides it
    alice.send_to_group(group, "/lapor@other_bot")
    alice.send_to_group(group, "/lapor")
    messages = [u["message"] for u in api(emu, "getUpdates")[1]["result"] if "message" in u]
    assert [m["text"] for m in messages] == ["/lapor"]
    assert messages[0]["chat"]["type"] == "group" and messages[0]["from"]["id"] == alice.id
    assert (
        api(emu, "sendMessage", chat_id=group.id, text="Silakan lapor lewat chat pribadi")[0] == 200
    )
    assert [m.text for m in group.messages()] == ["Silakan lapor lewat chat pribadi"]
    group.remove_bot()
    assert api(emu, "sendMessage", chat_id=group.id, text="x")[1]["description"] == (
        "Forbidden: bot was kicked from the group chat"
    )


def test_commands_are_kept_per_scope_and_language(emu: BotApiEmulator) -> None:
    commands = [{"command": "lapor", "description": "Buat laporan"}]
    assert api(emu, "setMyCommands", commands=commands)[0] == 200
    assert (
        api(
            emu,
            "setMyCommands",
            commands=[{"command": "report", "description": "File a report"}],
            language_code="en",
        )[0]
        == 200
    )
    assert api(emu, "setMyCommands", commands=[{"command": "Lapor", "description": "x"}])[1][
        "description"
    ] == ("Bad Request: BOT_COMMAND_INVALID")
    assert api(emu, "getMyCommands")[1]["result"] == commands
    assert emu.commands(language_code="en") == [
        {"command": "report", "description": "File a report"}
    ]
    api(emu, "deleteMyCommands", language_code="en")
    assert emu.commands(language_code="en") == []
    assert {c.params.get("language_code") for c in emu.calls_of("setMyCommands")} == {None, "en"}


def test_forwarding_works_and_is_recorded(emu: BotApiEmulator) -> None:
    alice, admin = emu.user(first_name="Alice"), emu.user(first_name="Admin")
    message_id = alice.send("bukti")
    assert (
        api(emu, "forwardMessage", chat_id=admin.id, from_chat_id=alice.id, message_id=message_id)[
            0
        ]
        == 200
    )
    assert api(emu, "copyMessage", chat_id=admin.id, from_chat_id=alice.id, message_id=message_id)[
        1
    ]["result"] == {"message_id": 2}
    assert [(m.text, m.forwarded) for m in admin.messages()] == [("bukti", True), ("bukti", False)]
    assert len(emu.calls_of("forwardMessage")) == 1


# --- the parsers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x"', "Unclosed start tag at byte offset 0"),
        ("<a href=x/>y</a>", "Unexpected end of name token at byte offset 8"),
        ("é <", "Unclosed start tag at byte offset 3"),
    ],
)
def test_html_errors_match_tdlib(html: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(html)
    assert str(caught.value) == reason


def test_html_entities_and_offsets() -> None:
    parsed = parse_html(
        '😡 <b>a &lt;b&gt; &amp; &#x1F600;</b> <a href="https://x.id">l</a> '
        '<pre><code class="language-py">p</code></pre><blockquote expandable>q</blockquote>'
    )
    assert parsed.text == "😡 a <b> & 😀 l p" + "q"
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == [
        ("bold", 3, 10),
        ("text_link", 14, 1),
        ("pre", 16, 1),
        ("expandable_blockquote", 17, 1),
    ]
    assert parsed.entities[2]["language"] == "py"
    assert parse_html("a & b", strict_ampersand=False).text == "a & b"  # what TDLib itself does


def test_markdown_v2_and_entity_detection() -> None:
    with pytest.raises(HtmlParseError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("Selesai.")
    assert parse_markdown_v2(r"*Tiket* KKR\-1\.").text == "Tiket KKR-1."
    assert utf16_len("😡a") == 3
    assert [e["type"] for e in detect_entities("/start hi @siti #jalan")] == [
        "bot_command",
        "mention",
        "hashtag",
    ]
