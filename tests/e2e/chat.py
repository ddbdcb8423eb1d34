"""A citizen's side of the conversation, as a test script reads it: say, expect, press."""

from __future__ import annotations

import time
from typing import Any


def typed_answers(n: int, *, address: str | None = None) -> list[str]:
    """The whole /lapor form answered by typing only, up to the summary (each step accepts its
    label as text); `n` makes the title and description unique to one citizen."""
    return [
        "/lapor", "Pengaduan", "Lainnya", "DPU",
        f"Judul laporan nomor {n} untuk uji",
        f"Uraian kejadian laporan nomor {n}: lampu jalan mati sejak seminggu, gelap dan rawan.",
        "Kemarin", "Tenggarong", address if address is not None else f"Alamat {n}", "Lewati", "Biasa", "Lewati",
    ]  # fmt: skip


class Chat:
    def __init__(self, user: Any, timeout: float = 20.0) -> None:
        self.user = user
        self.cursor = 0
        self.timeout = timeout

    def say(self, text: str) -> None:
        self.user.send(text)

    def expect(self, fragment: str, timeout: float | None = None) -> Any:
        """The first message at or after the cursor whose current text contains `fragment`."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            messages = self.user.messages()
            for index in range(self.cursor, len(messages)):
                if fragment in (messages[index].text or ""):
                    self.cursor = index + 1
                    return messages[index]
            time.sleep(0.05)
        recent = "\n---\n".join((m.text or f"({m.kind})") for m in self.user.messages()[-4:])
        raise AssertionError(f"no message containing {fragment!r}; the last ones were:\n{recent}")

    def press(self, label: str, timeout: float | None = None) -> Any:
        """Press the newest button whose text contains `label`."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            for message in reversed(self.user.messages()):
                for row in message.buttons:
                    for text, data in row:
                        if data is not None and label in text:
                            self.user.press(message.message_id, text=text)
                            return message
            time.sleep(0.05)
        raise AssertionError(f"no button containing {label!r}")

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.user.messages()]
