"""The offline demo: a local Bot API emulator, the real bot, and a terminal chat.

No token and no internet: the emulator (tests/emulator, built from the official Bot API spec)
plays Telegram, the bot runs exactly as in production against it, and you type in its chats.
You can be every side of a case in turn — the citizen, the Diskominfo admin and an agency's
officer — each a distinct emulated Telegram user with a private chat of their own.
The emulator lives with the tests, so the demo runs from a source checkout.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import html
import io
import logging
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import SecretStr

from bot.settings import Settings

if TYPE_CHECKING:
    from storage.db import Database

DEMO_TOKEN = "100000001:TEST-offline-demo-token"
DEMO_ADMIN_ID = 900_000_001
# The demo's agency officers get ids from this range, one per agency, kept in the demo database
# so that a later run (same ./data) finds them again; the emulator's own users start at 5_000_001.
DEMO_OFFICER_IDS = range(900_000_101, 900_001_000)
DEMO_DATABASE = "sqlite+aiosqlite:///./data/demo.sqlite3"
DEMO_VAULT = Path("data/demo-vault-keys.json")
HELP = """Ketik seperti di Telegram. Anda bisa bergantian menjadi warga, admin, atau petugas instansi:
  :warga           jadi warga pelapor (di awal demo Anda warga)
  :admin           jadi admin Diskominfo (pesan yang belum dibaca ditampilkan)
  :petugas KODE    jadi petugas instansi, mis. :petugas DPU (kode atau bagian nama)
  :instansi [KATA] daftar kode instansi (atau cari dengan KATA)
  angka (mis. 1)   tekan tombol bernomor itu pada pesan bertombol terakhir (atau ketik labelnya)
  :foto [BERKAS]   kirim foto (tanpa berkas: foto contoh)
  :dokumen BERKAS  kirim dokumen
  :lokasi          bagikan lokasi (Tenggarong)
  :kontak          bagikan nomor telepon Anda
  :bantuan         bantuan ini
  :keluar          keluar (atau Ctrl-D)
Satu laporan sampai selesai: sebagai warga /lapor lalu kirim; :admin, verifikasi dan teruskan ke
instansi; :petugas DPU, /tugas, jawab pelapor; :warga, nilai jawabannya."""
# What people call an agency, where it is not the Kukar directory's code (the national name of
# public works, PUPR, is DPU there): fuzzy matching alone would pick Pertanahan (DPTR) for PUPR.
AGENCY_ALIASES = {"PUPR": "DPU", "PU": "DPU"}
KINDS = {"photo": "📷 (foto)", "document": "📎 (dokumen)", "location": "📍 (lokasi)", "contact": "👤 (kontak)"}


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


# --- who you are: the role switch and the agency it names ------------------------------------


class RoleSwitch(NamedTuple):
    """A typed `:warga`, `:admin` or `:petugas QUERY`."""

    role: str  # "warga", "admin" or "petugas"
    agency_query: str = ""


class AgencyChoice(NamedTuple):
    """The agency a query names, or (agency None) the line telling the newcomer what to type."""

    agency: tuple[str, str] | None  # (code, name)
    problem: str = ""


def parse_role_switch(line: str) -> RoleSwitch | None:
    word, _, rest = line.strip().partition(" ")
    word = word.casefold()
    if word == ":warga":
        return RoleSwitch("warga")
    if word == ":admin":
        return RoleSwitch("admin")
    if word in (":petugas", ":opd"):
        return RoleSwitch("petugas", rest.strip())
    return None


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def find_agencies(query: str, agencies: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The agencies a loosely typed code or name may mean, best first: the exact code (or a common
    alias) alone, else every code or name containing it, else codes close to it (typos)."""
    typed = _squash(query)
    if not typed:
        return []
    by_code = {_squash(code): (code, name) for code, name in agencies}
    for key in (typed, _squash(AGENCY_ALIASES.get(typed.upper(), ""))):
        if key in by_code:
            return [by_code[key]]
    words = query.casefold().split()
    hits = [(code, name) for code, name in agencies if typed in _squash(code) or all(w in name.casefold() for w in words)]
    if hits:
        return hits
    return [by_code[key] for key in difflib.get_close_matches(typed, list(by_code), n=5, cutoff=0.75)]


def resolve_agency(query: str, agencies: Sequence[tuple[str, str]]) -> AgencyChoice:
    """The one agency `:petugas QUERY` means; otherwise a line saying how to find the code."""
    how = "Lihat kodenya dengan :instansi atau cari dengan :instansi KATA (di server: `aduan opd list`)."
    if not query.strip():
        return AgencyChoice(None, f"Tulis instansinya, mis. :petugas DPU. {how}")
    found = find_agencies(query, agencies)
    if not found:
        return AgencyChoice(None, f"Instansi “{query.strip()}” tidak ditemukan. {how}")
    if len(found) > 1:
        listed = ", ".join(f"{code} ({name})" for code, name in found[:6]) + (f", dan {len(found) - 6} lainnya" if len(found) > 6 else "")
        return AgencyChoice(None, f"“{query.strip()}” cocok dengan {len(found)} instansi: {listed}. Ketik kodenya, mis. :petugas {found[0][0]}.")
    return AgencyChoice(found[0])


def agency_list(query: str, agencies: Sequence[tuple[str, str]]) -> str:
    """`:instansi [WORD]`: the codes to type after :petugas."""
    shown = find_agencies(query, agencies) if query.strip() else list(agencies)
    if not shown:
        return f"Tidak ada instansi yang cocok dengan “{query.strip()}”. Ketik :instansi untuk semua."
    return "Kode instansi (ketik :petugas KODE):\n" + "\n".join(f"  {code:<20} {name}" for code, name in shown)


# --- the terminal chat ----------------------------------------------------------------------


@dataclass
class Role:
    """One person the newcomer can be: an emulated Telegram user with a private chat of their own."""

    name: str  # as the prompt shows it: "warga", "admin", "petugas DPU"
    command: str  # the line that switches to it
    user: Any  # tests.emulator.EmulatedUser
    detail: str = ""  # said when switching to it
    seen: dict[int, tuple[str, int]] = field(default_factory=dict)  # message id -> (text, buttons) shown
    announced: int = 0  # unread messages already announced, so each arrival is announced once


class TerminalChat:
    """Prints what the bot says to the role you are now; turns typed lines into that user's actions."""

    def __init__(self, emulator: Any, citizen: Any, admin: Any, out: Any = None) -> None:
        self.emulator = emulator
        self.citizen = citizen
        self.admin = admin
        self.out = out or sys.stdout
        self.roles: dict[str, Role] = {
            "warga": Role("warga", ":warga", citizen, "Warga Kukar, pelapor"),
            "admin": Role("admin", ":admin", admin, "Admin Diskominfo: verifikasi dan teruskan laporan (/antrian)"),
        }
        self.current = self.roles["warga"]
        self.database: Database | None = None  # set once the bot has migrated it
        self.pressed: tuple[Any, str] | None = None  # (user, callback query id) of the last press

    @property
    def prompt(self) -> str:
        return f"[{self.current.name}] > "

    # -- what is shown -------------------------------------------------------------------------

    @staticmethod
    def _key(message: Any) -> tuple[str, int]:
        return message.text or "", len(message.buttons)

    def _unread(self, role: Role) -> list[Any]:
        return [m for m in role.user.messages() if not m.deleted and role.seen.get(m.message_id) != self._key(m)]

    def show_new(self) -> bool:
        """Print the current role's new (or edited) messages and announce the others'; True if
        anything was printed."""
        printed = False
        for message in self._unread(self.current):
            edited = message.message_id in self.current.seen
            self.current.seen[message.message_id] = self._key(message)
            body = _plain(message.html or message.text or "") or KINDS.get(message.kind, f"({message.kind})")
            print(("\n🤖 (diubah) " if edited else "\n🤖 ") + body, file=self.out)
            for row in message.buttons:
                for text, data in row:
                    if data is not None:
                        print(f"   [{self._number(message.message_id, text)}] {text}", file=self.out)
            if getattr(message, "reply_keyboard", None):
                labels = [b["text"] if isinstance(b, dict) else getattr(b, "text", str(b)) for row in message.reply_keyboard for b in row]
                print("   ⌨️  " + " | ".join(labels), file=self.out)
            printed = True
        if self.pressed is not None:
            user, query_id = self.pressed
            answer = user.callback_answer(query_id)
            if answer is not None:  # Telegram shows this over the chat (a toast, or an alert)
                self.pressed = None
                if answer.get("text"):
                    print(f"\n💬 {answer['text']}", file=self.out)
                    printed = True
        for role in self.roles.values():
            if role is self.current:
                continue
            unread = len(self._unread(role))
            if unread > role.announced:
                print(f"\n📨 {unread} pesan baru untuk {role.name} (ketik {role.command})", file=self.out)
                printed = True
            role.announced = unread
        self.out.flush()
        return printed

    def _current_buttons(self) -> list[tuple[int, str]]:
        """Only the newest buttoned message's buttons can be pressed: older ones are stale. Not
        simply the newest message: a case card is followed by its attachments, which have none.
        A reply keyboard counts too (it has no buttons to press: its labels are typed as text)."""
        for message in reversed(self.current.user.messages()):
            if message.deleted:
                continue
            if getattr(message, "reply_keyboard", None):
                return []
            buttons = [(message.message_id, text) for row in message.buttons for text, data in row if data is not None]
            if buttons:
                return buttons
        return []

    def _number(self, message_id: int, text: str) -> int | str:
        current = self._current_buttons()
        return current.index((message_id, text)) + 1 if (message_id, text) in current else "-"

    def _button_for(self, typed: str) -> tuple[int, str] | None:
        """A button of the newest buttoned message, by its number or by (part of) its label."""
        current = self._current_buttons()
        if typed.isascii() and typed.isdigit():
            number = int(typed)
            return current[number - 1] if 1 <= number <= len(current) else None
        if len(typed) >= 3:
            for message_id, text in current:
                if typed.casefold() in text.casefold():
                    return message_id, text
        return None

    # -- who you are ---------------------------------------------------------------------------

    def _switch(self, role: Role, joining: bool = False) -> None:
        """Become `role`: its unread messages are shown now (a joining officer has none yet)."""
        self.current = role
        role.announced = 0
        print(f"\n— Sekarang Anda {role.name}" + (f" ({role.detail})" if role.detail else "") + " —", file=self.out)
        if not self.show_new() and not joining:
            print("(tidak ada pesan baru)", file=self.out)

    async def _agencies(self) -> list[tuple[str, str]]:
        from sqlalchemy import select

        from storage.models import Agency

        assert self.database is not None
        async with self.database.read() as session:
            rows = await session.execute(select(Agency.code, Agency.name).where(Agency.active.is_(True)).order_by(Agency.code))
            return [(code, name) for code, name in rows.all()]

    def _officer_role(self, code: str, name: str, user: Any) -> Role:
        role = Role(f"petugas {code}", f":petugas {code}", user, f"{name}; kasus instansi ini: /tugas")
        self.roles[role.name] = role
        return role

    async def restore_officers(self) -> None:
        """The officers an earlier demo run made (same database): their chats exist again, so the
        cases routed to their agency reach them (and are announced) as they would in Telegram."""
        from sqlalchemy import select

        from storage.models import Agency, Officer

        assert self.database is not None
        async with self.database.read() as session:
            rows = (await session.execute(
                select(Officer.telegram_id, Agency.code, Agency.name)
                .join(Agency, Agency.code == Officer.agency_code)
                .where(Officer.revoked_at.is_(None), Agency.active.is_(True),
                       Officer.telegram_id.between(DEMO_OFFICER_IDS.start, DEMO_OFFICER_IDS.stop - 1))
                .order_by(Officer.telegram_id)
            )).all()  # fmt: skip
        for telegram_id, code, name in rows:
            if f"petugas {code}" not in self.roles:
                self._officer_role(code, name, self._officer_user(telegram_id, code))

    def _officer_user(self, telegram_id: int, code: str) -> Any:
        return self.emulator.user(first_name="Petugas", last_name=code, language_code="id", user_id=telegram_id)

    async def _become_officer(self, query: str) -> None:
        choice = resolve_agency(query, await self._agencies())
        if choice.agency is None:
            print(choice.problem, file=self.out)
            return
        code, name = choice.agency
        role = self.roles.get(f"petugas {code}")
        if role is not None:
            self._switch(role)
            return
        telegram_id, payload = await self._invite_officer(code)
        role = self._officer_role(code, name, self._officer_user(telegram_id, code))
        self._switch(role, joining=True)
        # How an officer joins for real: opening the one-time link that `aduan opd invite` (or an
        # admin's /undang) made; the bot's own welcome follows.
        role.user.send(f"/start {payload}")

    async def _invite_officer(self, code: str) -> tuple[int, str]:
        """A one-time invitation to `code`, made as `aduan opd invite` makes it, and the demo
        officer's Telegram id for that agency (the same one again in a later run)."""
        from sqlalchemy import select

        from storage import roles
        from storage.models import Officer

        assert self.database is not None
        async with self.database.write() as session, session.begin():
            rows = (await session.execute(
                select(Officer.telegram_id, Officer.agency_code)
                .where(Officer.telegram_id.between(DEMO_OFFICER_IDS.start, DEMO_OFFICER_IDS.stop - 1))
            )).all()  # fmt: skip
            same = [telegram_id for telegram_id, agency in rows if agency == code]
            telegram_id = same[0] if same else max([DEMO_OFFICER_IDS.start - 1, *(r[0] for r in rows)]) + 1
            _, payload = await roles.create_invite(session, code, False, "demo", datetime.now(UTC), timedelta(hours=1))
        return telegram_id, payload

    # -- typed lines ---------------------------------------------------------------------------

    async def act(self, line: str) -> bool:
        """Apply one typed line as the current role; False means quit."""
        line = line.rstrip("\n")
        word, _, rest = line.strip().partition(" ")
        user = self.current.user
        if word in (":keluar", ":quit"):
            return False
        if (switch := parse_role_switch(line)) is not None:
            if switch.role == "petugas":
                await self._become_officer(switch.agency_query)
            else:
                self._switch(self.roles[switch.role])
        elif word == ":bantuan":
            print(HELP, file=self.out)
        elif word == ":instansi":
            print(agency_list(rest, await self._agencies()), file=self.out)
        elif word == ":foto":
            data = Path(rest).read_bytes() if rest else _sample_photo()
            user.send_photo(data)
        elif word == ":dokumen" and rest:
            path = Path(rest)
            mime = "application/pdf" if path.suffix.lower() == ".pdf" else "application/octet-stream"
            user.send_document(path.read_bytes(), file_name=path.name, mime_type=mime)
        elif word == ":lokasi":
            user.send_location(-0.4219, 116.9853)
        elif word == ":kontak":
            user.send_contact(phone_number="+6281234567890", own=True)
        elif (button := self._button_for(line.strip())) is not None:
            self.pressed = (user, user.press(button[0], text=button[1]))
        elif line.strip():
            user.send(line)
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


async def _first_update_id(database_url: str) -> int:
    """Past every update an earlier run stored: the bot keeps each update id it has seen and
    ignores a repeat (a redelivery), and a new emulator would count from 10_000_001 again."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import DBAPIError

    from storage.db import Database
    from storage.models import InboxUpdate

    database = Database(database_url)
    try:
        async with database.read() as session:
            last = await session.scalar(select(func.max(InboxUpdate.update_id)))
    except DBAPIError:  # a new database: no tables yet
        last = None
    finally:
        await database.dispose()
    return max(10_000_001, (last or 0) + 1)


def run_demo(settings: Settings, database_url: str | None = None) -> int:
    emulator_module = _emulator_module()
    demo_settings = settings.model_copy(update={
        "telegram_bot_token": SecretStr(DEMO_TOKEN),
        "database_url": database_url or (settings.database_url if settings.database_url != Settings.model_fields["database_url"].default else DEMO_DATABASE),
        "admin_telegram_ids": (DEMO_ADMIN_ID,),
        "polling_timeout_seconds": 1,
        "vault_key_file": DEMO_VAULT,
    })  # fmt: skip
    Path("data").mkdir(exist_ok=True)
    _demo_vault()
    first_update_id = asyncio.run(_first_update_id(demo_settings.database_url))
    emulator = emulator_module.BotApiEmulator(token=DEMO_TOKEN, bot_username="kanal_aduan_demo_bot", first_update_id=first_update_id)
    emulator.start()
    logging.basicConfig(filename="data/demo.log", level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot import logs

    for handler in logging.getLogger().handlers:
        handler.addFilter(logs.RedactingFilter([DEMO_TOKEN]))
    admin = emulator.user(first_name="Admin", last_name="Diskominfo", username="admin_demo", language_code="id", user_id=DEMO_ADMIN_ID)
    admin.send("/start")
    citizen = emulator.user(first_name="Warga", last_name="Kukar", username="warga_demo", language_code="id")
    chat = TerminalChat(emulator, citizen, admin)
    demo_settings = demo_settings.model_copy(update={"telegram_api_base_url": emulator.base_url})
    print("Kanal Aduan — demo offline (emulator Bot API lokal, tanpa internet).\n" + HELP + "\n", flush=True)
    try:
        asyncio.run(_main(demo_settings, chat))
    finally:
        emulator.stop()
    return 0


async def _settle(chat: TerminalChat, database: Database, limit: float = 30.0) -> None:
    """Wait until the bot has answered: every update processed and every message sent."""
    from sqlalchemy import func, select

    from storage.models import InboxUpdate, OutboxMessage

    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(0.2)
    while loop.time() - start < limit:
        async with database.read() as session:
            busy = await session.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending"))
            busy += await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending"))))
        if not busy and chat.emulator.pending_updates() == 0:
            await asyncio.sleep(0.2)  # the last call's answer reaches the emulator's state
            return
        chat.show_new()
        await asyncio.sleep(0.1)


async def _main(settings: Settings, chat: TerminalChat) -> None:
    from bot.app import serve
    from storage.db import Database

    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, stop))
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    # The bot migrates the database and starts polling before we read the first line.
    while not chat.emulator.calls_of("getUpdates"):
        if server.done():
            return await server
        await asyncio.sleep(0.05)
    database = chat.database = Database(settings.database_url)
    try:
        await chat.restore_officers()
        threading.Thread(target=read_stdin, daemon=True).start()
        chat.citizen.send("/start")
        await _settle(chat, database)
        chat.show_new()
        print("\n" + chat.prompt, end="", file=chat.out, flush=True)
        while not server.done():
            try:
                line = await asyncio.wait_for(lines.get(), timeout=0.2)
            except asyncio.TimeoutError:
                if chat.show_new():  # something arrived while you were typing
                    print("\n" + chat.prompt, end="", file=chat.out, flush=True)
                continue
            if line is None or not await chat.act(line):
                await _settle(chat, database)
                chat.show_new()
                print(file=chat.out, flush=True)
                break
            await _settle(chat, database)
            chat.show_new()
            print("\n" + chat.prompt, end="", file=chat.out, flush=True)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await server
        await database.dispose()
