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
import math
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)

from . import vocabulary
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


# --- fast number formatting ----------------------------------------------------
#
# A report formats hundreds of numbers; Babel's general formatter (Decimal
# arithmetic) costs ~30 us a call. For each (locale, pattern) we derive a
# compiled formatter from Babel's own locale data and pattern, check it
# against Babel on sample values, and fall back to Babel when they differ
# (unusual grouping rules, currency spacing, ...). Output is Babel's.

# Decimal ties (999.995) may round differently from Babel's Decimal arithmetic,
# by one unit in the last shown digit; the samples avoid them on purpose.
_SAMPLES = (0, 1, -1, 7.5, 0.0349, 12.34, 999.4, 1234.5, -1234.5, 56789.13, 1234567.891, 0.5, 0.0001)


@cache
def _number_formatter(locale: str, kind: str, pattern: str, currency: str = "") -> Callable[[float], str]:
    def babel(value: float) -> str:
        if kind == "currency":
            return format_currency(value, currency, pattern, locale=locale, currency_digits=pattern == "")
        if kind == "percent":
            return format_percent(value, pattern, locale=locale)
        return format_decimal(value, pattern, locale=locale)

    try:
        fast = _compile(locale, kind, pattern, currency)
    except (ValueError, KeyError, AttributeError):
        return babel
    if all(fast(v) == babel(v) for v in _SAMPLES):
        return fast
    return babel


def _compile(locale: str, kind: str, pattern: str, currency: str) -> Callable[[float], str]:
    loc = Locale.parse(locale)
    if kind == "currency" and not pattern:
        parsed = parse_pattern(loc.currency_formats["standard"].pattern)
        digits = get_currency_precision(currency)
        min_frac = max_frac = digits
    else:
        parsed = parse_pattern(pattern)
        min_frac, max_frac = parsed.frac_prec
    if parsed.grouping not in ((3, 3), (1000, 1000)) or parsed.int_prec[0] > 1:
        raise ValueError("grouping needs Babel")
    group = get_group_symbol(loc) if parsed.grouping == (3, 3) else ""
    decimal = get_decimal_symbol(loc)
    scale = 10**parsed.scale
    symbol = get_currency_symbol(currency, loc) if currency else ""
    percent_sign = (
        loc.number_symbols.get("latn", loc.number_symbols).get("percentSign", "%")
        if isinstance(loc.number_symbols.get("latn"), dict)
        else "%"
    )
    minus = "-"

    def affix(text: str) -> str:
        return text.replace("¤", symbol).replace("%", percent_sign)

    pos_prefix, neg_prefix = affix(parsed.prefix[0]), affix(parsed.prefix[1])
    pos_suffix, neg_suffix = affix(parsed.suffix[0]), affix(parsed.suffix[1])
    if neg_prefix == pos_prefix and neg_suffix == pos_suffix:
        neg_prefix = minus + pos_prefix

    def fast(value: float) -> str:
        number = abs(value) * scale
        text = f"{number:,.{max_frac}f}"
        if max_frac > min_frac:
            whole, _, frac = text.partition(".")
            frac = frac.rstrip("0")
            if len(frac) < min_frac:
                frac = frac.ljust(min_frac, "0")
            text = whole + ("." + frac if frac else "")
        whole, _, frac = text.partition(".")
        digits = whole.replace(",", group) + (decimal + frac if frac else "")
        if value < 0 and any(ch not in "0.," for ch in text):
            return neg_prefix + digits + neg_suffix
        return pos_prefix + digits + pos_suffix

    return fast


@lru_cache(maxsize=65536)
def _date_text(locale: str, skeleton: str, day: dt.date) -> str:
    if skeleton == "medium":
        return format_date(day, "medium", locale=_locale(locale))
    return format_skeleton(skeleton, day, locale=_locale(locale))


@cache
def _locale(locale: str) -> Locale:
    """Babel's Locale for `locale`, parsed once (Babel parses an identifier at every call;
    given a Locale, it takes it as it is)."""
    return Locale.parse(locale)


# Formatter.value's memo: bounded (cleared when full), so an agency of any size keeps its
# memory flat; a client's pages are rendered together, so its values are found while hot.
_VALUE_TEXTS: dict[tuple[str, str, str, type, float], str] = {}
_VALUE_TEXTS_MAX = 1 << 17


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

    def meeting_title(self, title: str | None) -> str:
        """A note's meeting as its page names it: its title, else the default one translated."""
        return vocabulary.meeting_title(title, self.gettext)

    @property
    def language(self) -> str:
        return Locale.parse(self.locale).language

    # -- numbers
    def value(self, value: float | None, unit: str) -> str:
        """`value` in `unit`, memoised per (locale, currency, unit, type, value): a client's
        pages format the same sums again and again (a day's value in its chart's hover, its
        numbers table, the next month's comparison line)."""
        if value is None:
            return NO_VALUE
        key = (self.locale, self.currency, unit, value.__class__, value)
        text = _VALUE_TEXTS.get(key)
        if text is None:
            text = self._value(value, unit)
            if value:  # 0.0 and -0.0 share a key: zero is never memoised
                if len(_VALUE_TEXTS) >= _VALUE_TEXTS_MAX:
                    _VALUE_TEXTS.clear()
                _VALUE_TEXTS[key] = text
        return text

    def values(self, values: Iterable[float | None], unit: str) -> list[str]:
        """`[self.value(v, unit) for v in values]`, the memo read without a call per value
        (a chart formats each of its series at once)."""
        locale, currency, known = self.locale, self.currency, _VALUE_TEXTS.get
        texts = []
        for value in values:
            if value is None:
                texts.append(NO_VALUE)
                continue
            text = known((locale, currency, unit, value.__class__, value))
            texts.append(self.value(value, unit) if text is None else text)
        return texts

    def _value(self, value: float, unit: str) -> str:
        if unit == "currency":
            return self.money(value)
        if unit == "percent":
            return self.percent(value)
        if unit == "ratio":
            return _number_formatter(self.locale, "decimal", "#,##0.00")(value) + "×"
        if unit == "count":
            return self.count(value)
        return _number_formatter(self.locale, "decimal", "#,##0.##")(value)

    def count(self, value: float | None) -> str:
        if value is None:
            return NO_VALUE
        pattern = "#,##0" if float(value).is_integer() or abs(value) >= 100 else "#,##0.#"
        return _number_formatter(self.locale, "decimal", pattern)(value)

    def money(self, value: float | None, *, whole: bool = False) -> str:
        if value is None:
            return NO_VALUE
        if whole:
            pattern = "¤#,##0" if self._symbol_first else "#,##0\u00a0¤"
            rounded = math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)  # half away from zero
            return _number_formatter(self.locale, "currency", pattern, self.currency)(rounded)
        return _number_formatter(self.locale, "currency", "", self.currency)(value)

    @property
    def _symbol_first(self) -> bool:
        return _symbol_first(self.locale, self.currency)

    def percent(self, value: float | None, digits: int | None = None) -> str:
        if value is None:
            return NO_VALUE
        if digits is None:
            digits = 2 if abs(value) < 0.1 else 1
        return _number_formatter(self.locale, "percent", _percent_pattern(self.locale, digits))(value)

    def change(self, value: float | None) -> str:
        """A relative change as an unsigned percent; the arrow says which way."""
        if value is None:
            return NO_VALUE
        return _number_formatter(self.locale, "percent", _percent_pattern(self.locale, 1))(abs(value))

    @property
    def plotly_separators(self) -> str:
        """Plotly's `separators`: decimal mark then thousands mark."""
        return _separators(self.locale)

    @property
    def currency_digits(self) -> int:
        return get_currency_precision(self.currency)

    # -- dates
    def date(self, day: dt.date | None) -> str:
        return NO_VALUE if day is None else _date_text(self.locale, "medium", day)

    def day_short(self, day: dt.date) -> str:
        return _date_text(self.locale, "MMMd", day)

    def month_name(self, month: Month) -> str:
        return _date_text(self.locale, "yMMMM", month.first_day)

    def month_short(self, month: Month) -> str:
        return _date_text(self.locale, "yMMM", month.first_day)


@cache
def _separators(locale: str) -> str:
    return get_decimal_symbol(locale) + get_group_symbol(locale)


@cache
def _percent_pattern(locale: str, digits: int) -> str:
    """The locale's own percent pattern ("#,##0 %" in German) with `digits` decimals."""
    standard = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    number = "#,##0" + ("." + "0" * digits if digits else "")
    return re.sub(r"[#0,.]+", number, standard, count=1)


@cache
def _symbol_first(locale: str, currency: str) -> bool:
    sample = format_currency(1, currency, locale=locale)
    return not sample.rstrip().endswith(get_currency_symbol(currency, locale))


def sentence(template: str, **values: object) -> str:
    """`template.format(**values)` without a doubled full stop: a value that already ends
    in "." (an abbreviated month, German "31. Okt.", or a name such as "Acme Inc.") ends
    the sentence itself, so "… bis {day}." reads "… bis 31. Okt." and not "… Okt..".
    """
    formatter = string.Formatter()
    text, value_ends_sentence = "", False
    for literal, field, spec, conversion in formatter.parse(template):
        if literal:
            if value_ends_sentence and literal.startswith("."):
                literal = literal[1:]
            text += literal
            value_ends_sentence = False
        if field is not None:
            value = formatter.convert_field(formatter.get_field(field, (), values)[0], conversion)
            shown = formatter.format_field(value, spec or "")
            text += shown
            if shown:
                value_ends_sentence = shown.endswith(".")
    return text
