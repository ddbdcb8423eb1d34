"""Both Telegram runtimes behind the seam (python-telegram-bot and aiogram) behave the same where the
bot can tell: the same `Event` of every update, raw updates stored as Telegram sent them (so a
database written under one runtime is read under the other), the same results of calls and the
same error kinds, checked against the Bot API emulator."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from PIL import Image

from bot import telegram
from bot.settings import SettingsError, load_settings
from bot.telegram import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    ServerError,
    TelegramApi,
    TelegramError,
    TimedOut,
    Upload,
)
from handlers.core.events import Event
from tests.emulator import BotApiEmulator

TOKEN = "123456789:TEST-runtime-seam-secret"
BOT = "kanal_aduan_test_bot"
RUNTIMES = ("ptb", "aiogram")
# python-telegram-bot 22 warns that RetryAfter.retry_after will become a timedelta.
# It also suggests its typed methods over `do_api_request` (the bot's log silences that advice).
pytestmark = [pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")]


@pytest.fixture
def emu() -> Iterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, bot_username=BOT, rate_limit=None).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(params=RUNTIMES)
async def client(request: pytest.FixtureRequest, emu: BotApiEmulator) -> AsyncIterator[TelegramApi]:
    api = telegram.connect(request.param, TOKEN, emu.base_url, poll_timeout=1)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def queued(emu: BotApiEmulator) -> list[dict[str, Any]]:
    with emu.state.lock:
        return [dict(u) for u in emu.state.updates]


async def corpus(emu: BotApiEmulator) -> list[dict[str, Any]]:
    """Every kind of update the bot understands, and kinds it refuses or ignores, as the emulator's
    users make them (plus a few hand-made ones the users cannot send)."""
    siti = emu.user(first_name="Siti", last_name="Rahma", username="siti_r", language_code="id")
    budi = emu.user(first_name="Budi", language_code=None)
    siti.send("Jalan rusak di depan pasar sejak bulan lalu, mohon diperbaiki.")
    siti.send("/start")
    siti.send(f"/LAPOR@{BOT}   jalan  rusak ")
    siti.send("/")
    budi.send("/status@other_bot TKT-1")
    siti.send_photo(jpeg((1280, 960)), caption="Lubang di jalan")
    siti.send_album([jpeg(), jpeg((640, 480)), jpeg()], caption="Tiga foto")
    siti.send_document(b"%PDF-1.4 surat", file_name="surat.pdf", mime_type="application/pdf", caption="Surat")
    siti.send_voice(duration=37)
    siti.send_voice(duration=5, forward_from="Pak RT")
    siti.send_audio(b"ID3 rekaman", duration=75)
    siti.send_video(b"\x00\x00\x00\x18ftypmp42", duration=12, size=22_000_000, caption="Video banjir")
    siti.send_video(b"\x00\x00\x00\x18ftypmp42", forward_from="Grup Warga")
    siti.send_video_note(b"\x00\x00\x00\x18ftypmp42")
    siti.send_sticker()
    siti.send_animation()
    siti.send_poll()
    siti.send_dice()
    siti.send_venue()
    siti.send_location(-0.4203, 116.9876)
    siti.send_contact("+6281234567890")
    siti.send_contact("+6289876543210", own=False, first_name="Tetangga")
    siti.forward_text("Pengumuman: air mati besok")
    siti.forward_photo(jpeg())
    edited = siti.send("Jalan rusakk")
    siti.edit(edited, "Jalan rusak parah")
    group = emu.group("Warga RT 05", [siti])
    group.send(siti, f"/start@{BOT}")
    prompt = await _bot_message_with_buttons(emu, siti.id)
    siti.press(prompt, "Ya")
    siti.press_data(prompt, "forged:data")
    siti.block_bot()  # a my_chat_member update: ignored
    siti.unblock_bot()
    message = dict(queued(emu)[0]["message"])
    emu.inject_raw_update({"callback_query": {  # a press on a message too old to be accessible
        "id": "9001", "from": message["from"], "chat_instance": "42", "data": "old",
        "message": {"chat": message["chat"], "message_id": 1, "date": 0},
    }})  # fmt: skip
    emu.inject_raw_update({"callback_query": {"id": "9002", "from": message["from"], "chat_instance": "43",
                                              "inline_message_id": "AAA", "data": "inline"}})  # fmt: skip
    game = {"title": "Tebak", "description": "Permainan", "photo": [{"file_id": "g", "file_unique_id": "g",
                                                                     "width": 1, "height": 1}]}  # fmt: skip
    story = {"chat": message["chat"], "id": 7}
    for extra in ({"game": game}, {"story": story}):
        emu.inject_raw_update({"message": {**_without_text(message), "message_id": 900, **extra}})
    emu.inject_raw_update({"message": {k: v for k, v in message.items() if k != "from"}})  # no sender
    emu.inject_raw_update({"channel_post": {**_without_text(message), "text": "kanal"}})
    return queued(emu)


def _without_text(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k not in ("text", "entities")}


async def _bot_message_with_buttons(emu: BotApiEmulator, chat_id: int) -> int:
    sender = telegram.connect("ptb", TOKEN, emu.base_url)
    await sender.start()
    try:
        markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "confirm:yes"}]]}
        sent = await sender.call("sendMessage", {"chat_id": chat_id, "text": "Kirim?", "reply_markup": markup})
    finally:
        await sender.stop()
    return int(sent["message_id"])


def events(runtime: str, emu: BotApiEmulator, raws: list[dict[str, Any]]) -> list[Event | None]:
    client = telegram.connect(runtime, TOKEN, emu.base_url)  # parsing needs no connection
    return [client.event_of(raw) for raw in raws]


async def test_both_runtimes_make_the_same_event_of_every_update(emu: BotApiEmulator) -> None:
    raws = await corpus(emu)
    ptb, aiogram = events("ptb", emu, raws), events("aiogram", emu, raws)
    for raw, one, other in zip(raws, ptb, aiogram, strict=True):
        assert one == other, raw
    # The corpus covers what it claims to: every file kind, every refused kind, and the rest.
    made = [e for e in ptb if e is not None]
    assert {f.kind for e in made for f in e.files} == {"photo", "document", "voice", "audio", "video", "video_note"}
    assert {e.unsupported for e in made} >= {"sticker", "animation", "poll", "dice", "venue", "game", "story"}
    assert {e.command for e in made} >= {"start", "lapor", "status"}
    assert any(e.location for e in made) and any(e.contact and e.contact.user_id is None for e in made)
    assert any(e.album for e in made) and any(e.edited for e in made) and any(e.forwarded for e in made)
    assert any(f.forwarded and f.duration == 5 for e in made for f in e.files)
    assert {e.callback_data for e in made if e.is_callback} == {"confirm:yes", "forged:data", "old", "inline"}
    assert any(e.chat_type == "group" for e in made)
    assert sum(e is None for e in ptb) >= 5  # membership changes, no sender, a channel post


async def test_a_command_keeps_its_arguments_and_drops_the_bot_name(emu: BotApiEmulator) -> None:
    user = emu.user()
    user.send(f"/LAPOR@{BOT}   jalan  rusak ")
    for runtime in RUNTIMES:
        event = events(runtime, emu, queued(emu))[0]
        assert event is not None and (event.command, event.args) == ("lapor", "jalan  rusak")


async def test_aiogram_hands_back_updates_exactly_as_telegram_sent_them(emu: BotApiEmulator) -> None:
    sent = await corpus(emu)
    client = telegram.connect("aiogram", TOKEN, emu.base_url, poll_timeout=0)
    await client.start()
    try:
        received = await client.get_updates(None, timeout=0)
        assert received == sent
        last = received[-1]["update_id"]
        assert await client.get_updates(last + 1, timeout=0) == []  # the offset confirms them
    finally:
        await client.stop()
    assert emu.state.allowed_updates == {"message", "edited_message", "callback_query", "my_chat_member"}


async def test_a_database_written_under_one_runtime_is_read_under_the_other(emu: BotApiEmulator) -> None:
    await corpus(emu)
    stored: dict[str, list[dict[str, Any]]] = {}
    for runtime in RUNTIMES:  # what each runtime's intake would store in the inbox
        client = telegram.connect(runtime, TOKEN, emu.base_url, poll_timeout=0)
        await client.start()
        try:
            stored[runtime] = await client.get_updates(None, timeout=0)
        finally:
            await client.stop()
    expected = events("ptb", emu, stored["ptb"])
    assert events("aiogram", emu, stored["ptb"]) == expected
    assert events("ptb", emu, stored["aiogram"]) == expected


# --- calls ----------------------------------------------------------------------------------------


async def test_calls_return_telegram_json(emu: BotApiEmulator, client: TelegramApi) -> None:
    user = emu.user()
    markup = {"inline_keyboard": [[{"text": "Lihat", "callback_data": "case:1"}]]}
    sent = await client.call("sendMessage", {"chat_id": user.id, "text": "<b>Laporan</b> diterima",
                                             "parse_mode": "HTML", "reply_markup": markup})  # fmt: skip
    assert isinstance(sent, dict) and isinstance(sent["message_id"], int)
    assert sent["from"]["username"] == BOT  # Telegram's field names, not a framework's
    shown = user.wait_for_messages()[0]
    assert (shown.text, shown.buttons[0][0].data) == ("Laporan diterima", "case:1")
    edited = await client.call("editMessageReplyMarkup", {"chat_id": user.id, "message_id": sent["message_id"]})
    assert isinstance(edited, dict)
    assert await client.call("setMyCommands", {"commands": [{"command": "lapor", "description": "Lapor"}]}) is True


async def test_a_photo_upload(emu: BotApiEmulator, client: TelegramApi) -> None:
    user = emu.user()
    picture = jpeg()
    sent = await client.call("sendPhoto", {"chat_id": user.id, "photo": Upload(picture, "bukti.jpg"), "caption": "Bukti"})
    assert isinstance(sent["message_id"], int)
    assert emu.file_bytes(sent["photo"][-1]["file_id"]) == picture


async def test_an_album_comes_back_as_a_list(emu: BotApiEmulator) -> None:
    """aiogram only: python-telegram-bot's `do_api_request` cannot send `media` as JSON dicts (it
    expects its InputMedia objects there); the bot sends no albums today."""
    user = emu.user()
    user.send_photo(jpeg())
    photo = queued(emu)[-1]["message"]["photo"][-1]["file_id"]
    client = telegram.connect("aiogram", TOKEN, emu.base_url)
    await client.start()
    try:
        album = await client.call("sendMediaGroup", {"chat_id": user.id, "media": [
            {"type": "photo", "media": photo, "caption": "satu"}, {"type": "photo", "media": photo},
        ]})  # fmt: skip
    finally:
        await client.stop()
    assert isinstance(album, list) and [type(m["message_id"]) for m in album] == [int, int]
    assert [m.kind for m in user.wait_for_messages(2)] == ["photo", "photo"]


async def test_a_method_aiogram_does_not_model_is_still_sent(emu: BotApiEmulator) -> None:
    """A payload aiogram's models refuse goes to Telegram as it is, which judges it (as under ptb)."""
    user = emu.user()
    client = telegram.connect("aiogram", TOKEN, emu.base_url)
    await client.start()
    try:
        with pytest.raises(BadRequest):
            await client.call("sendMessage", {"chat_id": user.id})  # no text: Telegram says 400
        assert emu.calls_of("sendMessage")[-1].error_code == 400
    finally:
        await client.stop()


async def test_download(emu: BotApiEmulator, client: TelegramApi) -> None:
    user = emu.user()
    user.send_voice(b"OggS\x00suara", duration=3)
    file_id = queued(emu)[-1]["message"]["voice"]["file_id"]
    downloaded = await client.download(file_id)
    assert downloaded.content == b"OggS\x00suara"
    assert downloaded.path.startswith("voices/") and TOKEN not in downloaded.path
    with pytest.raises(BadRequest):
        await client.download("no-such-file")


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "kind"), [
    (403, Forbidden), (400, BadRequest), (500, ServerError), (502, ServerError), (503, ServerError),
    (413, NetworkError),
])  # fmt: skip
async def test_refusals_become_the_seams_errors(emu: BotApiEmulator, client: TelegramApi, status: int, kind: type) -> None:
    user = emu.user()
    emu.fail_next("sendMessage", status=status)
    with pytest.raises(TelegramError) as caught:
        await client.call("sendMessage", {"chat_id": user.id, "text": "halo"})
    if status == 413:  # retried like a network error; ptb cannot tell it from a 5xx (it has no status)
        assert isinstance(caught.value, kind)
    else:
        assert type(caught.value) is kind
    if status >= 500:  # retried by the dispatcher, and not taken for a bad request
        assert isinstance(caught.value, NetworkError) and not isinstance(caught.value, BadRequest)


async def test_flood_control_says_how_long_to_wait(emu: BotApiEmulator, client: TelegramApi) -> None:
    user = emu.user()
    emu.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await client.call("sendMessage", {"chat_id": user.id, "text": "halo"})
    assert caught.value.retry_after == 7.0


async def test_another_poller_is_a_conflict(emu: BotApiEmulator, client: TelegramApi) -> None:
    emu.fail_next("getUpdates", status=409)
    with pytest.raises(Conflict):
        await client.get_updates(None, timeout=0)


async def test_an_unknown_method_after_start_is_not_a_bad_token(emu: BotApiEmulator, client: TelegramApi) -> None:
    with pytest.raises(TelegramError) as caught:
        await client.call("sendTelepathy", {"chat_id": 1})
    assert not isinstance(caught.value, InvalidToken | NetworkError)


async def test_both_runtimes_word_a_refusal_the_same(emu: BotApiEmulator) -> None:
    """The outbox records the message; it must not depend on the runtime."""
    user = emu.user()
    messages = []
    for runtime in RUNTIMES:
        client = telegram.connect(runtime, TOKEN, emu.base_url)
        await client.start()
        try:
            for status in (400, 403, 409, 502):
                emu.fail_next("sendMessage", status=status)
                with pytest.raises(TelegramError) as caught:
                    await client.call("sendMessage", {"chat_id": user.id, "text": "halo"})
                messages.append((runtime, status, type(caught.value).__name__, caught.value.message))
        finally:
            await client.stop()
    ptb = [m[1:] for m in messages if m[0] == "ptb"]
    assert ptb == [m[1:] for m in messages if m[0] == "aiogram"]
    assert ("Injected failure" in ptb[0][2]) and ptb[0][1] == "BadRequest"


@pytest.mark.parametrize("runtime", RUNTIMES)
async def test_a_rejected_token_is_invalid_and_not_quoted(emu: BotApiEmulator, runtime: str) -> None:
    wrong = "123456789:not-the-token-the-emulator-knows"
    client = telegram.connect(runtime, wrong, emu.base_url)
    with pytest.raises(InvalidToken) as caught:
        await client.start()
    await client.stop()
    assert wrong not in str(caught.value) and wrong.split(":")[1] not in str(caught.value)
    assert caught.value.message == "Telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)"


@pytest.mark.parametrize("runtime", RUNTIMES)
async def test_a_restarting_telegram_at_start_is_worth_waiting_for(emu: BotApiEmulator, runtime: str) -> None:
    emu.fail_next("getMe", status=502, description="Bad Gateway")
    client = telegram.connect(runtime, TOKEN, emu.base_url)
    try:
        with pytest.raises(NetworkError) as caught:
            await client.start()
        assert not isinstance(caught.value, BadRequest)
        assert (await client.start())["username"] == BOT
        assert client.username == BOT
    finally:
        await client.stop()


@pytest.mark.parametrize("runtime", RUNTIMES)
async def test_nobody_listening_is_a_network_error(runtime: str) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = telegram.connect(runtime, TOKEN, f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkError) as caught:
        await client.start()
    await client.stop()
    assert not isinstance(caught.value, BadRequest | TimedOut) and TOKEN.split(":")[1] not in caught.value.message


async def test_a_slow_answer_times_out(emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiogram only: ptb's read timeout is fixed when its client is made (15 s, too long here)."""
    import bot.telegram.aiogram as adapter

    monkeypatch.setattr(adapter, "SEND_TIMEOUT", 1)
    user = emu.user()
    client = telegram.connect("aiogram", TOKEN, emu.base_url)
    await client.start()
    try:
        emu.delay_next("sendMessage", 3)
        with pytest.raises(TimedOut):
            await client.call("sendMessage", {"chat_id": user.id, "text": "halo"})
    finally:
        await client.stop()


# --- choosing the runtime -------------------------------------------------------------------------


def test_connect_picks_the_runtime() -> None:
    assert type(telegram.connect("ptb", TOKEN, "http://127.0.0.1:1")).__name__ == "PtbClient"
    assert type(telegram.connect("aiogram", TOKEN, "http://127.0.0.1:1")).__name__ == "AiogramClient"
    with pytest.raises(ValueError, match="unknown Telegram runtime"):
        telegram.connect("telethon", TOKEN, "http://127.0.0.1:1")


def test_the_runtime_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_RUNTIME", raising=False)
    assert load_settings(_env_file=None).telegram_runtime == "ptb"
    monkeypatch.setenv("TELEGRAM_RUNTIME", "aiogram")
    assert load_settings(_env_file=None).telegram_runtime == "aiogram"
    monkeypatch.setenv("TELEGRAM_RUNTIME", "telethon")
    with pytest.raises(SettingsError, match="TELEGRAM_RUNTIME"):
        load_settings(_env_file=None)
