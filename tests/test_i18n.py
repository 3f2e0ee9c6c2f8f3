"""i18n: money, percents, dates and month names per locale; Vietnamese labels."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from reportgen.i18n import LOCALES_DIR, NO_VALUE, Formatter
from reportgen.model import Month

REPO = Path(__file__).resolve().parent.parent
VI_PO = LOCALES_DIR / "vi.po"
needs_vi = pytest.mark.skipif(not VI_PO.is_file(), reason="reportgen/locales/vi.po not present")


def plain(text: str) -> str:
    """Babel uses no-break spaces; compare with ordinary ones."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


EN = Formatter("en_US", "USD")
VI = Formatter("vi_VN", "VND")
DE = Formatter("de_DE", "EUR")
FR = Formatter("fr_FR", "EUR")


@pytest.mark.parametrize(
    "fmt, expected",
    [
        (EN, "$1,234,567.89"),
        (VI, "1.234.568 ₫"),  # the dong has no minor unit
        (DE, "1.234.567,89 €"),
    ],
)
def test_money(fmt, expected):
    assert plain(fmt.money(1234567.891)) == expected


@pytest.mark.parametrize("fmt, expected", [(EN, "$1,235"), (VI, "1.235 ₫"), (DE, "1.235 €")])
def test_money_whole(fmt, expected):
    assert plain(fmt.money(1234.6, whole=True)) == expected


@pytest.mark.parametrize(
    "fmt, big, small",
    [
        (EN, "12.3%", "1.23%"),
        (VI, "12,3%", "1,23%"),
        (DE, "12,3%", "1,23%"),
    ],
)
def test_percent(fmt, big, small):
    assert plain(fmt.percent(0.1234)).replace(" %", "%") == big
    assert plain(fmt.percent(0.01234)).replace(" %", "%") == small


@pytest.mark.parametrize(
    "fmt, count, ratio",
    [
        (EN, "1,234,567", "2.50×"),
        (VI, "1.234.567", "2,50×"),
        (DE, "1.234.567", "2,50×"),
    ],
)
def test_numbers(fmt, count, ratio):
    assert fmt.count(1234567) == count
    assert fmt.value(2.5, "ratio") == ratio
    assert fmt.value(1234567, "count") == count


@pytest.mark.parametrize(
    "fmt, date, month, short",
    [
        (EN, "Oct 5, 2026", "October 2026", "Oct 2026"),
        (VI, "5 thg 10, 2026", "tháng 10 năm 2026", "thg 10 2026"),
        (DE, "05.10.2026", "Oktober 2026", "Okt. 2026"),
    ],
)
def test_dates_and_month_names(fmt, date, month, short):
    assert plain(fmt.date(dt.date(2026, 10, 5))) == date
    assert plain(fmt.month_name(Month(2026, 10))) == month
    assert plain(fmt.month_short(Month(2026, 10))) == short


@pytest.mark.parametrize("fmt", [EN, VI, DE])
def test_no_value_is_a_dash(fmt):
    for unit in ("currency", "percent", "ratio", "count", "number"):
        assert fmt.value(None, unit) == NO_VALUE
    assert fmt.money(None) == NO_VALUE and fmt.percent(None) == NO_VALUE
    assert fmt.date(None) == NO_VALUE and fmt.change(None) == NO_VALUE


def test_change_is_unsigned():
    assert EN.change(-0.123) == EN.change(0.123) == "12.3%"


def test_plotly_separators():
    assert EN.plotly_separators == ".,"
    assert DE.plotly_separators == ",."
    assert VI.plotly_separators == ",."


def test_english_labels_are_the_source():
    assert EN.gettext("All reports") == "All reports"
    assert FR.gettext("All reports") == "All reports"  # no French catalog: English


@needs_vi
def test_vietnamese_labels():
    assert VI.gettext("All reports") == "Tất cả báo cáo"
    assert VI.gettext("Budget pacing") == "Tiến độ ngân sách"
    assert VI.gettext("no such message") == "no such message"


_MESSAGE = re.compile(
    r"""(?<![A-Za-z0-9_])(?:_|gettext)\(\s*"""
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]"""
)


def used_messages() -> set[str]:
    from reportgen.vocabulary import DEFAULT_WORDS

    found = set(DEFAULT_WORDS)
    files = [*(REPO / "templates").rglob("*.html"), *(REPO / "reportgen").glob("*.py")]
    for path in files:
        for match in _MESSAGE.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


@pytest.mark.parametrize("language", ["vi", "de"])
def test_every_label_has_a_translation(language):
    from babel.messages.pofile import read_po

    with (LOCALES_DIR / f"{language}.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string}
    used = used_messages()
    assert len(used) > 30
    missing = sorted(used - translated)
    assert missing == [], f"labels without a {language} translation: {missing}"


def test_german_labels():
    assert DE.gettext("All reports") == "Alle Berichte"
