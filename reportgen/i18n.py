"""Locale: numbers, money, percents, dates and the page's own words.

Formatting is Babel's (CLDR data), so `vi_VN` gets `1.234.568 ₫` and `de_DE`
gets `1.234,57 €` without a line of hand-written locale logic. The page's
labels are gettext messages; catalogs live in `reportgen/locales/<lang>.po`
(English is the source language) and are compiled in memory at start-up.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from .model import Month

LOCALES_DIR = Path(__file__).parent / "locales"
NO_VALUE = "—"


@cache
def translations_for(locale: str) -> gettext.NullTranslations:
    language = Locale.parse(locale).language
    path = LOCALES_DIR / f"{language}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def available_languages() -> list[str]:
    return ["en", *sorted(p.stem for p in LOCALES_DIR.glob("*.po"))]


@dataclass(frozen=True)
class Formatter:
    """Everything a page formats, in one client's locale and currency."""

    locale: str
    currency: str

    # -- words
    def gettext(self, message: str) -> str:
        return translations_for(self.locale).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return translations_for(self.locale).ngettext(singular, plural, count)

    @property
    def language(self) -> str:
        return Locale.parse(self.locale).language

    # -- numbers
    def value(self, value: float | None, unit: str) -> str:
        if value is None:
            return NO_VALUE
        if unit == "currency":
            return self.money(value)
        if unit == "percent":
            return self.percent(value)
        if unit == "ratio":
            return format_decimal(value, "#,##0.00", locale=self.locale) + "×"
        if unit == "count":
            return self.count(value)
        return format_decimal(value, "#,##0.##", locale=self.locale)

    def count(self, value: float | None) -> str:
        if value is None:
            return NO_VALUE
        pattern = "#,##0" if float(value).is_integer() or abs(value) >= 100 else "#,##0.#"
        return format_decimal(value, pattern, locale=self.locale)

    def money(self, value: float | None, *, whole: bool = False) -> str:
        if value is None:
            return NO_VALUE
        if whole:
            return format_currency(round(value), self.currency, locale=self.locale,
                                   currency_digits=False, format="¤#,##0" if self._symbol_first
                                   else "#,##0 ¤")
        return format_currency(value, self.currency, locale=self.locale)

    @property
    def _symbol_first(self) -> bool:
        sample = format_currency(1, self.currency, locale=self.locale)
        return not sample.rstrip().endswith(get_currency_symbol(self.currency, self.locale))

    def percent(self, value: float | None, digits: int | None = None) -> str:
        if value is None:
            return NO_VALUE
        if digits is None:
            digits = 2 if abs(value) < 0.1 else 1
        pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
        return format_percent(value, pattern, locale=self.locale)

    def change(self, value: float | None) -> str:
        """A relative change as an unsigned percent; the arrow says which way."""
        if value is None:
            return NO_VALUE
        return format_percent(abs(value), "#,##0.0%", locale=self.locale)

    @property
    def plotly_separators(self) -> str:
        """Plotly's `separators`: decimal mark then thousands mark."""
        return get_decimal_symbol(self.locale) + get_group_symbol(self.locale)

    # -- dates
    def date(self, day: dt.date | None) -> str:
        return NO_VALUE if day is None else format_date(day, "medium", locale=self.locale)

    def day_short(self, day: dt.date) -> str:
        return format_skeleton("MMMd", day, locale=self.locale)

    def month_name(self, month: Month) -> str:
        return format_skeleton("yMMMM", month.first_day, locale=self.locale)

    def month_short(self, month: Month) -> str:
        return format_skeleton("yMMM", month.first_day, locale=self.locale)
