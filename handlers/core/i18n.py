"""User-facing text from gettext catalogs (Babel): Bahasa Indonesia first, English on request.

Message ids are English; `handlers/locale/<lang>/LC_MESSAGES/messages.po` holds the translations
(one catalog for every audience).
The .po files are compiled in memory at start-up, so there is no build step to forget.
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LOCALE_DIR = Path(__file__).parents[1] / "locale"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; `Texts.gettext` translates it when shown."""
    return message


class Texts:
    """Translations for one language, plus locale-aware dates."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def date(self, value: date, fmt: str = "full") -> str:
        """e.g. "Rabu, 02 Desember 2026" in Indonesian."""
        return format_date(value, format=fmt, locale=self.language)

    def number(self, value: float, digits: int = 1) -> str:
        """e.g. "4,2" in Indonesian, "4.2" in English; whole numbers without decimals."""
        pattern = "#,##0" if float(value).is_integer() else "#,##0." + "0" * digits
        return format_decimal(value, format=pattern, locale=self.language)

    def percent(self, share: float) -> str:
        """A share (0..1) as a whole percentage, e.g. "83%"."""
        return format_percent(share, format="#,##0%", locale=self.language)


def _load(language: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=None)
def texts(language: str | None) -> Texts:
    lang = normalize_language(language)
    return Texts(lang, _load(lang))


def normalize_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Telegram's language_code ("en-US", "id") to one of ours."""
    if not code:
        return default
    base = code.split("-")[0].lower()
    return base if base in LANGUAGES else default
