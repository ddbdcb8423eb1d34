"""The /lapor form's own checks (title, address, phone). Each raises `Invalid` with a sentence for the user."""

from __future__ import annotations

import re

from handlers.core.events import Contact
from handlers.core.forms import Invalid
from handlers.core.i18n import Texts
from handlers.core.validation import Limits, clean_text, text_length

_PHONE = re.compile(r"^\+?\d{8,15}$")


def validate_title(value: str, t: Texts, limits: Limits) -> str:
    value = " ".join(clean_text(value).split())
    n = text_length(value)
    if n < limits.title_min:
        raise Invalid(t.gettext("The title is too short ({n} characters). Please write at least {min} characters.").format(n=n, min=limits.title_min))
    if n > limits.title_max:
        raise Invalid(t.gettext("The title is too long ({n} characters). Please keep it to at most {max} characters.").format(n=n, max=limits.title_max))
    return value


def validate_address(value: str, t: Texts, limits: Limits) -> str:
    value = " ".join(clean_text(value).split())
    if len(value) > limits.address_max:
        raise Invalid(t.gettext("The address is too long. Please keep it to at most {max} characters.").format(max=limits.address_max))
    if not value:
        raise Invalid(t.gettext("The answer is empty. Please write something."))
    return value


def validate_contact(contact: Contact, sender_id: int, t: Texts) -> str:
    if contact.user_id is not None and contact.user_id != sender_id:
        raise Invalid(t.gettext("Please share your own number with the button below, not someone else's contact."))
    if contact.user_id is None:
        raise Invalid(t.gettext("Please use the “Share my number” button so the number is verified by Telegram."))
    phone = re.sub(r"[\s-]", "", contact.phone_number)
    if phone.startswith("0"):
        phone = "+62" + phone[1:]  # a local Indonesian number (08xx) in international form
    elif not phone.startswith("+"):
        phone = "+" + phone
    if not _PHONE.match(phone):
        raise Invalid(t.gettext("That phone number does not look valid."))
    return phone
