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
HELP = """Ketik seperti di Telegram. Perintah demo:
  angka (mis. 1)   tekan tombol nomor itu pada pesan terakhir yang bertombol
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
        self.buttons: list[tuple[int, str]] = []  # (message id, button text)

    def show_new(self) -> None:
        for message in self.citizen.messages():
            key = (message.text or "", len(message.buttons))
            if message.deleted or self.seen.get(message.message_id) == key:
                continue
            edited = message.message_id in self.seen
            self.seen[message.message_id] = key
            print(("\n🤖 (diubah) " if edited else "\n🤖 ") + _plain(message.html or message.text or ""), file=self.out)
            if message.buttons:
                self.buttons = []
                for row in message.buttons:
                    for text, data in row:
                        if data is not None:
                            self.buttons.append((message.message_id, text))
                            print(f"   [{len(self.buttons)}] {text}", file=self.out)
            if getattr(message, "reply_keyboard", None):
                labels = [b["text"] if isinstance(b, dict) else getattr(b, "text", str(b)) for row in message.reply_keyboard for b in row]
                print("   ⌨️  " + " | ".join(labels), file=self.out)
        self.out.flush()

    def show_admin(self) -> None:
        messages = self.admin.messages()
        for message in messages[self.admin_seen:]:
            print("\n👮 [admin] " + _plain(message.html or message.text or f"({message.kind})"), file=self.out)
        self.admin_seen = len(messages)

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
        elif line.strip().isdigit() and 1 <= int(line.strip()) <= len(self.buttons):
            message_id, text = self.buttons[int(line.strip()) - 1]
            self.citizen.press(message_id, text=text)
        elif line.strip():
            self.citizen.send(line)
        return True


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
    })  # fmt: skip
    Path("data").mkdir(exist_ok=True)
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


async def _settle(chat: TerminalChat, quiet: float = 0.6, limit: float = 8.0) -> None:
    """Wait until the bot has answered: nothing pending and no new message for `quiet` seconds."""
    loop = asyncio.get_running_loop()
    start = last_change = loop.time()
    last = None
    while loop.time() - start < limit:
        snapshot = [(m.message_id, m.text, len(m.buttons)) for m in chat.citizen.messages()]
        if snapshot != last:
            last, last_change = snapshot, loop.time()
        elif chat.emulator.pending_updates() == 0 and loop.time() - last_change >= quiet:
            return
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

    threading.Thread(target=read_stdin, daemon=True).start()
    chat.citizen.send("/start")
    try:
        while not server.done():
            try:
                line = await asyncio.wait_for(lines.get(), timeout=0.2)
            except asyncio.TimeoutError:
                chat.show_new()
                continue
            if line is None or not chat.act(line):
                await asyncio.sleep(1.5)  # let the last answers arrive before leaving
                chat.show_new()
                break
            await _settle(chat)
            chat.show_new()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await server
