"""What the bot says when triage recognises an emergency, a crime, a court case or another region
(`handlers.core.triage`): one message with a section per category — a risk of suicide first and
gently — each naming whom to contact, and a last line saying the report may still be made.

It never replaces an answer: outside a form it comes with the button that starts a report, inside
one it is added to the acknowledgement of the description and the form goes on.
"""

from __future__ import annotations

from handlers.core.i18n import N_, Texts
from handlers.core.text import esc
from handlers.core.triage import Category, Contact, TriageRules

HEADLINES = {
    "suicide": N_("💛 <b>You are not alone.</b> If you are thinking about ending your life or hurting yourself, please talk to someone now. It is free, and they are there to listen:"),
    "violence": N_("🛑 <b>Violence or threats</b> — if you or someone else is in danger now, go somewhere safe and call:"),
    "fire": N_("🔥 <b>Fire</b> — call the fire brigade at once:"),
    "flood": N_("🌊 <b>Flood, landslide or another disaster</b> — if people are in danger, call:"),
    "medical": N_("🚑 <b>Accident or medical emergency</b> — call an ambulance:"),
    "crime": N_("👮 <b>A crime</b> (theft, robbery, fraud, drugs) is handled by the police, not by this channel. Report it at the nearest police station (Polsek or Polres Kutai Kartanegara) or call:"),
    "court": N_("⚖️ <b>A court case</b> (a trial, a verdict, a lawsuit, a divorce) is for the courts; this channel cannot change a court's decision. Ask the court that handles it:"),
    "outside": N_("🗺 <b>Another region?</b> This channel handles the public services of the Kutai Kartanegara regency government. For a matter in another city or regency (Samarinda, Balikpapan, Bontang…), use that region's complaint channel or the national SP4N-LAPOR!:"),
}


def _contact_line(contact: Contact, language: str) -> str:
    # Operators' data, but shown as text all the same: escaped like anything not written here.
    where = f"<b>{esc(contact.number)}</b>" if contact.number else ""
    if contact.url:
        where = f"{where} · {esc(contact.url)}" if where else esc(contact.url)
    return f"• {esc(contact.label(language))}: {where}"


def notice(categories: tuple[Category, ...], t: Texts, in_form: bool) -> str | None:
    """The notice for what triage matched (None when nothing did), in the reader's language."""
    if not categories:
        return None
    sections: list[str] = []
    shown: set[str] = set()  # a number already listed above (112 under each emergency) is not repeated
    warned = False
    for category in categories:
        if category.is_emergency and not warned:
            # After the words for someone at risk of suicide, never before them.
            sections.append(t.gettext("🚨 <b>This chat is not an emergency line:</b> reports are read on working days. If anyone is in danger, call for help first."))
            warned = True
        lines = [t.gettext(HEADLINES[category.code])]
        for contact in category.contacts:
            if contact.code not in shown:
                lines.append(_contact_line(contact, t.language))
                shown.add(contact.code)
        sections.append("\n".join(lines))
    if in_form:
        sections.append(t.gettext("ℹ️ This does not stop your report: you can go on with it below."))
    else:
        sections.append(t.gettext("If it is (also) about a public service of the Kutai Kartanegara government, you can still make a report: press the button below or send /lapor."))
    return "\n\n".join(sections)


def in_form(text: str | None, rules: TriageRules, t: Texts) -> str | None:
    """The notice for a description being answered in a form (the form goes on), or None."""
    return notice(rules.match(text), t, in_form=True)


def outside_form(text: str | None, rules: TriageRules, t: Texts) -> str | None:
    """The notice for a message written outside any form (sent with the report button), or None."""
    return notice(rules.match(text), t, in_form=False)
