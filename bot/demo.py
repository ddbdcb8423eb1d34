"""The offline demo: a local Bot API emulator, the real bot, and a terminal chat.

No token and no internet: the emulator (tests/emulator, built from the official Bot API spec)
plays Telegram, the bot runs exactly as in production against it, and you type as the citizen.
The emulator lives with the tests, so the demo runs from a source checkout.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import logging
import re
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings

DEMO_TOKEN = "100000001:TEST-offline-demo-token"
DEMO_ADMIN_ID = 900_000_001
DEMO_DATABASE = "sqlite+aiosqlite:///./data/demo.sqlite3"
DEMO_VAULT = Path("data/demo-vault-keys.json")
HELP = """Ketik seperti di Telegram. Perintah demo:
  angka (mis. 1)   tekan tombol bernomor itu pada pesan terakhir (atau ketik labelnya)
  :foto [BERKAS]   kirim foto (tanpa berkas: foto contoh)
  :dokumen BERKAS  kirim dokumen
  :lokasi          bagikan lokasi (Tenggarong)
  :kontak          bagikan nomor telepon Anda
  :admin           tampilkan pesan yang diterima admin Diskominfo
  :bantuan         bantuan ini
  :keluar          keluar (atau Ctrl-D)"""


def _emulator_module() -> Any:
    root = Path(__file__).resolve().parent.parent
    if not (root / "tests" / "emulator" / "__init__.py").is_file():
        raise SystemExit("aduan demo needs the source checkout (it uses tests/emulator).")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import tests.emulator as emulator

    return emulator


def _plain(markup: str) -> str:
    text = re.sub(r"</?(b|strong)>", "*", markup)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def _sample_photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


class TerminalChat:
    """Prints what the bot says to the citizen; turns typed lines into user actions."""

    def __init__(self, emulator: Any, citizen: Any, admin: Any, out: Any = None) -> None:
        self.emulator = emulator
        self.citizen = citizen
        self.admin = admin
        self.out = out or sys.stdout
        self.seen: dict[int, tuple[str, int]] = {}
        self.admin_seen = 0

    def show_new(self) -> None:
        for message in self.citizen.messages():
            key = (message.text or "", len(message.buttons))
            if message.deleted or self.seen.get(message.message_id) == key:
                continue
            edited = message.message_id in self.seen
            self.seen[message.message_id] = key
            print(("\n🤖 (diubah) " if edited else "\n🤖 ") + _plain(message.html or message.text or ""), file=self.out)
            for row in message.buttons:
                for text, data in row:
                    if data is not None:
                        print(f"   [{self._number(message.message_id, text)}] {text}", file=self.out)
            if getattr(message, "reply_keyboard", None):
                labels = [b["text"] if isinstance(b, dict) else getattr(b, "text", str(b)) for row in message.reply_keyboard for b in row]
                print("   ⌨️  " + " | ".join(labels), file=self.out)
        self.out.flush()

    def _current_buttons(self) -> list[tuple[int, str]]:
        """Only the newest message's buttons can be pressed: older ones are stale."""
        messages = [m for m in self.citizen.messages() if not m.deleted]
        if not messages:
            return []
        latest = messages[-1]
        return [(latest.message_id, text) for row in latest.buttons for text, data in row if data is not None]

    def _number(self, message_id: int, text: str) -> int | str:
        current = self._current_buttons()
        return current.index((message_id, text)) + 1 if (message_id, text) in current else "-"

    def show_admin(self) -> None:
        messages = self.admin.messages()
        for message in messages[self.admin_seen:]:
            print("\n👮 [admin] " + _plain(message.html or message.text or f"({message.kind})"), file=self.out)
        self.admin_seen = len(messages)

    def _button_for(self, typed: str) -> tuple[int, str] | None:
        """A button of the newest message, by its number or by (part of) its label."""
        current = self._current_buttons()
        if typed.isascii() and typed.isdigit():
            number = int(typed)
            return current[number - 1] if 1 <= number <= len(current) else None
        if len(typed) >= 3:
            for message_id, text in current:
                if typed.casefold() in text.casefold():
                    return message_id, text
        return None

    def act(self, line: str) -> bool:
        """Apply one typed line; False means quit."""
        line = line.rstrip("\n")
        word, _, rest = line.strip().partition(" ")
        if word in (":keluar", ":quit"):
            return False
        if word == ":bantuan":
            print(HELP, file=self.out)
        elif word == ":admin":
            self.show_admin()
        elif word == ":foto":
            data = Path(rest).read_bytes() if rest else _sample_photo()
            self.citizen.send_photo(data)
        elif word == ":dokumen" and rest:
            path = Path(rest)
            mime = "application/pdf" if path.suffix.lower() == ".pdf" else "application/octet-stream"
            self.citizen.send_document(path.read_bytes(), file_name=path.name, mime_type=mime)
        elif word == ":lokasi":
            self.citizen.send_location(-0.4219, 116.9853)
        elif word == ":kontak":
            self.citizen.send_contact(phone_number="+6281234567890", own=True)
        elif (button := self._button_for(line.strip())) is not None:
            self.citizen.press(button[0], text=button[1])
        elif line.strip():
            self.citizen.send(line)
        return True


def _demo_vault() -> None:
    """The demo's whistleblower vault, so /anonim works offline. Its disclosure key sits beside it,
    which a real deployment must never do (see `aduan keys init`)."""
    if DEMO_VAULT.exists():
        return
    from storage import vault as vaults

    vault, private = vaults.create()
    vaults.save(vault, DEMO_VAULT)
    DEMO_VAULT.with_name("demo-disclosure-key.txt").write_text(private[0])


def run_demo(settings: Settings, database_url: str | None = None) -> int:
    emulator_module = _emulator_module()
    emulator = emulator_module.BotApiEmulator(token=DEMO_TOKEN, bot_username="kanal_aduan_demo_bot")
    emulator.start()
    demo_settings = settings.model_copy(update={
        "telegram_bot_token": SecretStr(DEMO_TOKEN),
        "telegram_api_base_url": emulator.base_url,
        "database_url": database_url or (settings.database_url if settings.database_url != Settings.model_fields["database_url"].default else DEMO_DATABASE),
        "admin_telegram_ids": (DEMO_ADMIN_ID,),
        "polling_timeout_seconds": 1,
        "vault_key_file": DEMO_VAULT,
    })  # fmt: skip
    Path("data").mkdir(exist_ok=True)
    _demo_vault()
    logging.basicConfig(filename="data/demo.log", level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot import logs

    for handler in logging.getLogger().handlers:
        handler.addFilter(logs.RedactingFilter([DEMO_TOKEN]))
    admin = emulator.user(first_name="Admin", last_name="Diskominfo", username="admin_demo", language_code="id", user_id=DEMO_ADMIN_ID)
    admin.send("/start")
    citizen = emulator.user(first_name="Warga", last_name="Kukar", username="warga_demo", language_code="id")
    chat = TerminalChat(emulator, citizen, admin)
    print("Kanal Aduan — demo offline (emulator Bot API lokal, tanpa internet).\n" + HELP + "\n", flush=True)
    try:
        asyncio.run(_main(demo_settings, chat))
    finally:
        emulator.stop()
    return 0


async def _settle(chat: TerminalChat, sessions: Any, limit: float = 30.0) -> None:
    """Wait until the bot has answered: every update processed and every message sent."""
    from sqlalchemy import func, select

    from storage.models import InboxUpdate, OutboxMessage

    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(0.2)
    while loop.time() - start < limit:
        async with sessions() as session:
            busy = await session.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending"))
            busy += await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending"))))
        if not busy and chat.emulator.pending_updates() == 0:
            await asyncio.sleep(0.2)  # the last call's answer reaches the emulator's state
            return
        chat.show_new()
        await asyncio.sleep(0.1)


async def _main(settings: Settings, chat: TerminalChat) -> None:
    from bot.app import serve

    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, stop))
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    from storage.db import create_engine, session_factory

    # The bot migrates the database and starts polling before we read the first line.
    while not chat.emulator.calls_of("getUpdates"):
        if server.done():
            return await server
        await asyncio.sleep(0.05)
    threading.Thread(target=read_stdin, daemon=True).start()
    chat.citizen.send("/start")
    engine = None
    try:
        while not server.done():
            try:
                line = await asyncio.wait_for(lines.get(), timeout=0.2)
            except asyncio.TimeoutError:
                chat.show_new()
                continue
            if engine is None:  # the bot has created and migrated the database by now
                engine = create_engine(settings.database_url)
            if line is None or not chat.act(line):
                await _settle(chat, session_factory(engine))
                chat.show_new()
                break
            await _settle(chat, session_factory(engine))
            chat.show_new()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await server
        if engine is not None:
            await engine.dispose()
