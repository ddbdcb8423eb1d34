"""A case as SP4N-LAPOR!'s form asks for it — judul, isi laporan, tanggal kejadian, lokasi,
instansi tujuan, kategori, anonim/rahasia — and the forwarder that takes it there.

Complaints are handled *berjenjang*, integrated with the national system, whose integration API
is not public. So the forwarder in use (`CopyPaste`) lays the fields out for an admin to copy into
LAPOR!'s web form, then record the tracking number LAPOR! gives (the card's "LAPOR! number").
A forwarder that talks to a real API would implement `Forwarder` on the delivery side and be set
in `HandlerConfig.lapor`; the conversation code does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from handlers.casework.cards import CardFacts, agency_label
from handlers.core.actions import Action, Send
from handlers.core.i18n import Texts
from handlers.core.text import esc
from storage.models import Complaint


@dataclass(frozen=True)
class LaporForm:
    judul: str
    isi: str
    tanggal: date | None
    lokasi: str
    instansi: str
    kategori: str
    anonim: bool
    rahasia: bool


def form_of(complaint: Complaint, facts: CardFacts, language: str) -> LaporForm:
    """The fields, from the case as the admin sees it (a whistleblower's from its sealed report)."""
    topic = complaint.category or complaint.topic
    kategori = facts.topics.path_label(topic, language) if topic and topic != "anonim" else "—"
    if complaint.anonymous:
        sealed = facts.sealed or {}
        when = sealed.get("when")
        return LaporForm(judul=complaint.title, isi=str(sealed.get("what") or ""),
                         tanggal=date.fromisoformat(str(when)) if when else None,
                         lokasi=f"Kecamatan {sealed['place']}" if sealed.get("place") else "",
                         instansi=agency_label(complaint.agency_code, facts), kategori=kategori,
                         anonim=True, rahasia=True)  # fmt: skip
    place = [f"Kecamatan {complaint.kecamatan}"] if complaint.kecamatan else []
    if complaint.latitude is not None and complaint.longitude is not None:
        place.append(f"{complaint.latitude:.5f}, {complaint.longitude:.5f}")
    if complaint.address:
        place.append(complaint.address)
    return LaporForm(judul=complaint.title, isi=complaint.description, tanggal=complaint.event_date,
                     lokasi="; ".join(place), instansi=agency_label(complaint.agency_code, facts), kategori=kategori,
                     anonim=False, rahasia=complaint.privacy == "rahasia")  # fmt: skip


class Forwarder(Protocol):
    def forward(self, complaint: Complaint, form: LaporForm, chat_id: int, t: Texts) -> list[Action]:
        """What to do when an admin sends a case to LAPOR!: the actions for the admin's chat."""
        ...


class CopyPaste:
    """The fields as separate code blocks (a tap copies one in Telegram), to paste into LAPOR!."""

    def forward(self, complaint: Complaint, form: LaporForm, chat_id: int, t: Texts) -> list[Action]:
        yes, no = t.gettext("Yes"), t.gettext("No")
        fields = [
            ("Judul", form.judul), ("Isi laporan", form.isi),
            ("Tanggal kejadian", form.tanggal.strftime("%d/%m/%Y") if form.tanggal else ""),
            ("Lokasi", form.lokasi), ("Instansi tujuan", form.instansi), ("Kategori", form.kategori),
            ("Anonim", yes if form.anonim else no), ("Rahasia", yes if form.rahasia else no),
        ]  # fmt: skip
        head = t.gettext("📋 <b>{ticket} for SP4N-LAPOR!</b> — tap a field to copy it, paste it into the form at lapor.go.id, then record the tracking number LAPOR! gives with “LAPOR! number”.").format(ticket=complaint.ticket)
        lines = [head] + [f"<b>{name}</b>\n<code>{esc(value) or '—'}</code>" for name, value in fields]
        return [Send(chat_id, "\n\n".join(lines))]


FORWARDER: Forwarder = CopyPaste()
"""The forwarder in use; a real LAPOR! API client would take its place here."""
