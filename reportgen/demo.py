"""Sample projects: the "Brightline Media" demo agency and synthetic agencies.

`write_demo_agency` fills a project folder with four clients whose numbers,
events and monthly notes hang together, so a first `reportgen build` looks like
a real agency's month. `write_synthetic_agency` writes agencies of any size for
tests and benchmarks, optionally with a per-client marker string in every text
field so isolation tests can grep for leaks between portals.

Both are deterministic: every random draw comes from a `random.Random` seeded
by a name (string seeds are hashed with SHA-512, so PYTHONHASHSEED does not
matter), never from the clock, and nothing depends on the process locale.
Numbers and dates in the notes are Babel's (through `reportgen.i18n`), ratios
come from `reportgen.metrics`, and YAML is written by PyYAML, so the prose
reads exactly like the portal around it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from babel.dates import format_date, format_skeleton
from babel.numbers import format_compact_decimal

from .formulas import parse_formula
from .i18n import NO_VALUE, Formatter
from .metrics import MetricSet
from .model import Month, Person

CANONICAL_COLUMNS = ("date", "campaign", "channel", "impressions", "clicks", "spend",
                     "conversions", "leads", "revenue")
BASE_METRICS = CANONICAL_COLUMNS[3:]
DEMO_MONTHS = 15  # history in the demo: enough for a year-on-year comparison
NOTE_MONTHS = 7   # the demo's AEs started writing notes seven months ago
LONG_AGO, OPEN_END = dt.date(1900, 1, 1), dt.date(9999, 12, 31)  # flights without a start / an end

Row = tuple  # (day, campaign, channel, impressions, clicks, spend, conversions, leads, revenue)


def _months_ending(last_day: dt.date, count: int) -> list[Month]:
    """The `count` calendar months that end with `last_day`'s month."""
    return [Month.of(last_day).shift(-back) for back in reversed(range(count))]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# --- text helpers --------------------------------------------------------------

class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter is ~5x faster
    """Safe YAML, block style, with tuples and `_Inline` mappings on one line."""

    def ignore_aliases(self, data: object) -> bool:
        return True


class _Inline(dict):
    pass


_Dumper.add_representer(tuple, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, True))
_Dumper.add_representer(_Inline, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, True))


def _yaml(value: object, *, flow: bool = True) -> str:
    """`value` as YAML, quoted only where PyYAML says it must be; one line when `flow`."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=flow, sort_keys=False,
                     allow_unicode=True, width=1 << 20)
    return text.removesuffix("\n...\n").strip() if flow else text


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _month_word(locale: str, month: Month) -> str:
    """The bare month name as it reads mid-sentence: "November", "tháng 11"."""
    return format_date(month.first_day, "MMMM", locale=locale)


def _day(locale: str, day: dt.date) -> str:
    """A day in prose: "November 5", "5. November", "5 tháng 11"."""
    return format_skeleton("MMMMd", day, locale=locale)


# --- the demo agency: who the clients are ------------------------------------------

@dataclass(frozen=True)
class CampaignPlan:
    """How one campaign spends and performs; the data generator's knobs."""

    id: str
    name: str
    channel: str
    share: float  # weight in the client's budget split while the campaign is live
    cpc: float    # cost per click, in the client's currency
    ctr: float    # clicks per impression
    cvr: float    # conversions per click
    lead_rate: float = 0.0  # leads per conversion
    value: float = 0.0      # revenue per conversion (per lead for B2B pipeline value)
    live: tuple[tuple[dt.date, dt.date], ...] = ()  # empty: live the whole time

    def is_live(self, day: dt.date) -> bool:
        return not self.live or any(start <= day <= end for start, end in self.live)


@dataclass(frozen=True)
class DataEvent:
    """Something that happened to an account: it moves the data and gets annotated."""

    day: dt.date
    text: str                        # the annotation, in the client's language
    campaigns: tuple[str, ...] = ()  # affected campaigns; empty means all
    until: dt.date | None = None
    ctr_lift: float = 1.0
    cvr_lift: float = 1.0
    prep_task: str | None = None     # next step in the month before, done when the event happens

    def lifts(self, day: dt.date, campaign: str) -> bool:
        in_time = self.day <= day and (self.until is None or day <= self.until)
        return in_time and (not self.campaigns or campaign in self.campaigns)


@dataclass(frozen=True)
class Voice:
    """How a client's notes talk: language, the lead metric and the AE's habits."""

    language: str
    primary: str          # the metric the notes lead with
    primary_label: str    # "leads", "Umsatz", "lượt đặt bàn"
    efficiency: str       # the metric that says whether the money worked (cpl, roas, ...)
    efficiency_label: str
    tasks: tuple[tuple[str, str], ...]  # (task, owner: ae | client1 | client2)
    recommendations: tuple[str, ...]
    meeting_notes: tuple[str, ...]
    channel_names: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DemoClient:
    id: str
    name: str
    comment: str  # the YAML comment above the client: what the account is
    locale: str
    currency: str
    columns: tuple[str, ...]
    account_executive: Person
    contacts: tuple[Person, ...]
    color: str
    initials: str
    budget: float
    budget_months: tuple[tuple[str, float, str], ...]  # (YYYY-MM, amount, why)
    weekday: tuple[float, ...]   # demand Monday..Sunday
    season: tuple[float, ...]    # demand January..December
    trend: float                 # conversion-rate drift per month
    campaigns: tuple[CampaignPlan, ...]
    events: tuple[DataEvent, ...]
    metrics: tuple[tuple[str, str, str, str], ...]  # (name, numerator, denominator, why)
    kpis: tuple[tuple[str, str, float, str], ...]   # (metric, label, target, better)
    voice: Voice
    since: Month | None = None

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.locale, self.currency)

    @cached_property
    def metric_set(self) -> MetricSet:
        """What the portal computes: base metrics, built-in ratios and the client's own."""
        own = [(name, parse_formula(f"{num} / {den}"), 0) for name, num, den, _ in self.metrics]
        return MetricSet(BASE_METRICS, own)

    def budget_for(self, month: Month) -> float:
        overrides = {key: amount for key, amount, _ in self.budget_months}
        return overrides.get(str(month), self.budget)

    def campaign(self, campaign_id: str) -> CampaignPlan:
        return next(c for c in self.campaigns if c.id == campaign_id)

    def person(self, owner: str) -> str:
        if owner == "ae":
            return self.account_executive.name
        return self.contacts[min(int(owner[-1]) - 1, len(self.contacts) - 1)].name

    def target(self, metric: str) -> float | None:
        return next((target for m, _, target, _ in self.kpis if m == metric), None)

    def better(self, metric: str) -> str:
        return next((better for m, _, _, better in self.kpis if m == metric), "higher")

    def channel_name(self, channel: str) -> str:
        return dict(self.voice.channel_names).get(channel, _capitalise(channel))


def _seasons(values: str) -> tuple[float, ...]:
    return tuple(float(v) for v in values.split())


def _year_end_overrides(months: Sequence[Month], amounts: dict[int, tuple[float, str]]
                        ) -> tuple[tuple[str, float, str], ...]:
    """Budget overrides for the calendar months in `amounts` that fall in the data window."""
    return tuple((str(m), *amounts[m.month]) for m in months if m.month in amounts)


def _every_year(months: Sequence[Month], month: int, first_day: int, last_day: int | None
                ) -> tuple[tuple[dt.date, dt.date], ...]:
    """A seasonal campaign's flights: the same dates each year in the window."""
    flights = []
    for year in sorted({m.year for m in months} | {months[-1].year + 1}):
        start = dt.date(year, month, first_day)
        if last_day is None:
            end = Month.of(start).last_day
        elif last_day < first_day:  # a flight that runs into the next month
            end = Month.of(start).next.first_day.replace(day=last_day)
        else:
            end = start.replace(day=last_day)
        flights.append((start, end))
    return tuple(flights)


def _acme(months: Sequence[Month]) -> DemoClient:
    landing = months[-3].first_day.replace(day=14)
    video_start = months[-5].first_day
    pause_start, pause_end = months[-2].first_day, months[-2].first_day.replace(day=15)
    display_live = ((LONG_AGO, pause_start - dt.timedelta(days=1)),
                    (pause_end + dt.timedelta(days=1), OPEN_END))
    return DemoClient(
        id="acme-corp", name="Acme Corp",
        comment=("B2B software. We generate demo requests for their sales team:\n"
                 "conversions = every form fill, leads = sales-qualified demo requests,\n"
                 "revenue = pipeline value from the CRM (so roas is pipeline per ad dollar)."),
        locale="en_US", currency="USD", columns=CANONICAL_COLUMNS,
        account_executive=Person("Maya Chen", "maya.chen@brightline.example", "+1 415 555 0142"),
        contacts=(Person("Sam Lee", "sam.lee@acme.example", role="Marketing Director"),
                  Person("Priya Raman", "priya.raman@acme.example",
                         role="Demand Generation Manager")),
        color="#0b6e4f", initials="AC",
        budget=20000,
        budget_months=_year_end_overrides(months, {11: (25000, "year-end pipeline push"),
                                                   12: (22000, "use-it-or-lose-it budgets")}),
        weekday=(1.12, 1.18, 1.18, 1.12, 0.98, 0.45, 0.40),
        season=_seasons("1.00 1.02 1.05 1.03 1.00 0.96 0.91 0.89 1.02 1.06 1.04 0.88"),
        trend=0.006,
        campaigns=(
            CampaignPlan("brand-search", "Brand search", "search", 0.15, 1.85, 0.082, 0.13,
                         0.70, 175),
            CampaignPlan("solutions-search", "Solutions search", "search", 0.35, 4.20, 0.036,
                         0.12, 0.66, 150),
            CampaignPlan("linkedin-abm", "LinkedIn ABM", "social", 0.25, 5.60, 0.0062, 0.14,
                         0.62, 230),
            CampaignPlan("display-retargeting", "Display retargeting", "display", 0.15, 0.92,
                         0.0026, 0.026, 0.45, 95, live=display_live),
            CampaignPlan("youtube-explainer", "YouTube explainer", "video", 0.10, 1.25, 0.0042,
                         0.030, 0.45, 90, live=((video_start, OPEN_END),)),
        ),
        events=(DataEvent(landing, "New demo-request landing page live",
                          ("brand-search", "solutions-search", "linkedin-abm"), cvr_lift=1.30,
                          prep_task="Launch the new demo-request landing page"),),
        metrics=(("cpl", "spend", "leads", "cost per qualified lead"),),
        kpis=(("leads", "Leads", 450, "higher"), ("cpl", "Cost per lead", 45, "lower"),
              ("ctr", "Click-through rate", 0.0055, "higher"), ("roas", "Pipeline ROAS", 3.5, "higher")),
        voice=Voice(
            language="en", primary="leads", primary_label="leads", efficiency="cpl",
            efficiency_label="cost per lead",
            tasks=(("Share closed-won accounts for a LinkedIn lookalike audience", "client1"),
                   ("Draft three new ad variants for solutions search", "ae"),
                   ("Set up offline conversion import from the CRM", "ae"),
                   ("Review lead quality with the SDR team", "client2"),
                   ("Approve the new whitepaper for gated content", "client1"),
                   ("Add negative keywords from the search terms report", "ae"),
                   ("Refresh the display retargeting creatives", "ae"),
                   ("Confirm next quarter's budget split", "client1")),
            recommendations=(
                "Test a shorter demo-request form (five fields instead of nine).",
                "Add negative keywords for job-seeker searches such as careers and salary.",
                "Build a lookalike audience from closed-won accounts on LinkedIn.",
                "Start a three-step retargeting sequence for whitepaper downloaders.",
                "Bid up on solutions search during weekday mornings, when demo requests peak."),
            meeting_notes=(
                "Agreed to shift 10% of display budget into solutions search.",
                "Sales says lead quality is up; they want more demo requests and fewer ebook downloads.",
                "Discussed next quarter's budget; Sam will confirm by the 15th.",
                "Went through the search terms report together and agreed a new negative keyword list.",
                "Priya asked for a split of leads by company size in next month's report."),
            channel_names=(("search", "Search"), ("social", "LinkedIn"), ("display", "Display"),
                           ("video", "YouTube"))),
    )


def _pho_saigon(months: Sequence[Month]) -> DemoClient:
    branch = months[-4].first_day.replace(day=8)
    return DemoClient(
        id="pho-saigon", name="Phở Sài Gòn",
        comment=("Restaurant chain, four branches in Ho Chi Minh City. Amounts in đồng.\n"
                 "conversions = calls + direction requests + messages, leads = table bookings.\n"
                 "No revenue column: sales happen at the till, not online."),
        locale="vi_VN", currency="VND",
        columns=tuple(c for c in CANONICAL_COLUMNS if c != "revenue"),
        account_executive=Person("Nguyễn Thu Hà", "thuha.nguyen@brightline.example",
                                 "+84 28 3822 0199"),
        contacts=(Person("Trần Minh Khoa", "khoa.tran@phosaigon.example",
                         role="Giám đốc vận hành"),
                  Person("Lê Phương Anh", "phuonganh.le@phosaigon.example",
                         role="Trưởng phòng marketing")),
        color="#c8102e", initials="PS",
        budget=150_000_000,
        budget_months=_year_end_overrides(months, {12: (175_000_000, "tiệc cuối năm"),
                                                   1: (185_000_000, "trước Tết"),
                                                   2: (170_000_000, "Tết Nguyên đán")}),
        weekday=(0.84, 0.84, 0.88, 0.94, 1.14, 1.42, 1.36),
        season=_seasons("1.15 1.05 0.95 0.97 1.00 0.98 1.00 1.00 1.06 1.00 0.98 1.12"),
        trend=0.004,
        campaigns=(
            CampaignPlan("facebook-mon-moi", "Facebook – Món mới & combo", "social", 0.34, 1950,
                         0.018, 0.060, 0.36),
            CampaignPlan("google-search", "Google Search – Phở gần đây", "search", 0.26, 4500,
                         0.071, 0.175, 0.30),
            CampaignPlan("google-maps", "Google Maps – Chỉ đường", "maps", 0.28, 2050, 0.031,
                         0.245, 0.15),
            CampaignPlan("instagram-reels", "Instagram Reels – Bếp phở", "social", 0.12, 1600,
                         0.012, 0.035, 0.30),
            CampaignPlan("trung-thu", "Trung thu – Combo gia đình", "social", 0.22, 1750, 0.021,
                         0.070, 0.42, live=_every_year(months, 9, 1, None)),
        ),
        events=(DataEvent(branch, "Khai trương chi nhánh Quận 7", ("google-maps", "google-search"),
                          ctr_lift=1.10, cvr_lift=1.35,
                          prep_task="Tạo địa điểm Google Maps cho chi nhánh Quận 7"),),
        metrics=(("cost_per_booking", "spend", "leads", "chi phí mỗi lượt đặt bàn"),),
        kpis=(("leads", "Lượt đặt bàn", 2100, "higher"),
              ("cost_per_booking", "Chi phí mỗi lượt đặt bàn", 70000, "lower"),
              ("conversions", "Lượt gọi, chỉ đường & nhắn tin", 9500, "higher"),
              ("ctr", "Tỷ lệ nhấp (CTR)", 0.022, "higher")),
        voice=Voice(
            language="vi", primary="leads", primary_label="lượt đặt bàn",
            efficiency="cost_per_booking", efficiency_label="chi phí mỗi lượt đặt bàn",
            tasks=(("Chụp bộ ảnh mới cho combo trưa văn phòng", "client2"),
                   ("Cập nhật giờ mở cửa ngày lễ trên Google Business Profile", "ae"),
                   ("Trả lời các đánh giá Google Maps dưới 4 sao", "client2"),
                   ("Thiết lập theo dõi cuộc gọi riêng cho từng chi nhánh", "ae"),
                   ("Gửi danh sách món mới để làm video ngắn", "client1"),
                   ("Thử nghiệm quảng cáo TikTok cho chi nhánh Quận 1", "ae"),
                   ("Lên lịch đăng bài tháng tới cho fanpage", "ae"),
                   ("Kiểm tra lại vị trí ghim bản đồ của các chi nhánh", "ae")),
            recommendations=(
                "Tăng 10–15% ngân sách Google Maps vào tối thứ Sáu đến Chủ nhật, "
                "lúc lượt chỉ đường cao nhất.",
                "Làm mới hình ảnh quảng cáo Facebook vì các mẫu cũ đã chạy hơn sáu tuần.",
                "Chạy quảng cáo combo trưa từ 10h30 đến 12h30 cho dân văn phòng trong bán kính 2 km.",
                "Khuyến khích khách để lại đánh giá Google sau bữa ăn để lên hạng trên Maps.",
                "Thêm từ khoá phủ định như công thức nấu phở để bớt lượt nhấp không có nhu cầu."),
            meeting_notes=(
                "Thống nhất chuyển 10% ngân sách từ Facebook sang Google Maps.",
                "Anh Khoa muốn ưu tiên chi nhánh mới; bên em sẽ tách ngân sách riêng cho Quận 7.",
                "Chị Phương Anh sẽ gửi ảnh món mới trước ngày 10.",
                "Đối chiếu số đặt bàn qua hotline với báo cáo; chênh lệch dưới 5%.",
                "Bàn về thực đơn mùa mới và thời điểm chạy quảng cáo."),
            channel_names=(("search", "Google Search"), ("maps", "Google Maps"),
                           ("social", "Facebook & Instagram"))),
    )


def _nordlicht(months: Sequence[Month]) -> DemoClient:
    feed = months[-4].first_day.replace(day=10)
    sale_start = months[-2].first_day
    sale_end = sale_start.replace(day=14)
    sale = {12: "Winter", 1: "Winter", 2: "Winter", 3: "Frühjahrs", 4: "Frühjahrs",
            5: "Frühjahrs", 6: "Sommer", 7: "Sommer", 8: "Sommer"}.get(sale_start.month, "Herbst")
    pinterest = ((months[1].first_day, months[5].last_day),)
    return DemoClient(
        id="nordlicht-moebel", name="Nordlicht Möbel GmbH",
        comment=("Online furniture shop (Hamburg). conversions = purchases, revenue = order\n"
                 "value net of returns. Q4 is the peak; Black Week runs 20 Nov – 1 Dec."),
        locale="de_DE", currency="EUR",
        columns=tuple(c for c in CANONICAL_COLUMNS if c != "leads"),
        account_executive=Person("Jonas Weber", "jonas.weber@brightline.example",
                                 "+49 40 5555 0123"),
        contacts=(Person("Katrin Hoffmann", "k.hoffmann@nordlicht-moebel.example",
                         role="Leiterin E-Commerce"),
                  Person("Lukas Brandt", "l.brandt@nordlicht-moebel.example",
                         role="Performance Marketing")),
        color="#1f4e79", initials="NM",
        budget=30000,
        budget_months=_year_end_overrides(months, {11: (42000, "Black Week"),
                                                   12: (38000, "Weihnachtsgeschäft")}),
        weekday=(1.00, 0.95, 0.94, 0.95, 0.88, 0.96, 1.30),
        season=_seasons("0.86 0.90 0.98 0.95 0.92 0.85 0.84 0.88 0.98 1.08 1.32 1.22"),
        trend=0.005,
        campaigns=(
            CampaignPlan("shopping", "Google Shopping – Gesamtsortiment", "shopping", 0.38, 1.10,
                         0.012, 0.021, value=236),
            CampaignPlan("brand-search", "Markensuche Nordlicht", "search", 0.08, 0.48, 0.12,
                         0.032, value=262),
            CampaignPlan("search-esstische", "Suche – Esstische & Stühle", "search", 0.20, 1.48,
                         0.046, 0.019, value=318),
            CampaignPlan("meta-katalog", "Meta – Dynamische Katalog-Anzeigen", "social", 0.26,
                         0.78, 0.011, 0.013, value=204),
            CampaignPlan("pinterest-wohnideen", "Pinterest – Wohnideen", "social", 0.08, 0.60,
                         0.006, 0.007, value=255, live=pinterest),
            CampaignPlan("black-week", "Black Week Sale", "display", 0.30, 0.90, 0.0075, 0.024,
                         value=214, live=_every_year(months, 11, 20, 1)),
        ),
        events=(DataEvent(feed, "Neuer Produktfeed live", ("shopping",), ctr_lift=1.28,
                          prep_task="Neuen Produktfeed mit Farbvarianten freischalten"),
                DataEvent(sale_start, f"{sale}-Sale vom 1. bis {_day('de_DE', sale_end)}",
                          until=sale_end, cvr_lift=1.32)),
        metrics=(("aov", "revenue", "conversions", "durchschnittlicher Warenkorbwert"),),
        kpis=(("revenue", "Umsatz", 150000, "higher"), ("roas", "ROAS", 5, "higher"),
              ("conversions", "Bestellungen", 800, "higher"),
              ("cpa", "Kosten pro Bestellung", 48, "lower")),
        voice=Voice(
            language="de", primary="revenue", primary_label="Umsatz", efficiency="roas",
            efficiency_label="ROAS",
            tasks=(("Produktfeed um Lieferzeiten ergänzen", "ae"),
                   ("Creatives für die nächste Aktion freigeben", "client1"),
                   ("Gutscheincode für Newsletter-Abonnenten anlegen", "client2"),
                   ("Retargeting-Zielgruppen für Warenkorbabbrecher neu aufbauen", "ae"),
                   ("Artikel mit niedriger Marge aus Shopping ausschließen", "ae"),
                   ("Lagerbestand der Bestseller für die Aktionswochen prüfen", "client1"),
                   ("Conversions-API von Meta serverseitig einrichten", "client2"),
                   ("Aktionskalender fürs nächste Quartal abstimmen", "client1")),
            recommendations=(
                "Shopping-Budget in den umsatzstärksten Wochen um 15 % erhöhen; der ROAS trägt das.",
                "Meta-Katalogkampagne auf Bestseller und Neuheiten beschränken.",
                "Für Sofas und Betten eigene Shopping-Kampagnen mit höheren Zielwerten anlegen.",
                "Warenkorbabbrecher mit einem Hinweis auf kostenlose Lieferung erneut ansprechen.",
                "Generische Suchbegriffe mit einem ROAS unter 2 pausieren."),
            meeting_notes=(
                "Budgetverschiebung von Meta zu Shopping vereinbart.",
                "Frau Hoffmann wünscht eine Auswertung nach Produktkategorie.",
                "Lieferengpass bei Esstischen besprochen; betroffene Artikel nehmen wir aus dem Feed.",
                "Aktionskalender für die nächsten Wochen abgestimmt.",
                "Herr Brandt prüft, ob die Retouren im Umsatz schon abgezogen sind."),
            channel_names=(("shopping", "Google Shopping"), ("search", "Google-Suche"),
                           ("social", "Meta & Pinterest"), ("display", "Display"))),
    )


def _harbor(months: Sequence[Month]) -> DemoClient:
    since = months[-10]
    widget = months[-2].first_day.replace(day=6)
    return DemoClient(
        id="harbor-dental", name="Harbor Dental",
        comment=("Single-site dental practice; with us since the month in `since`.\n"
                 "leads = appointment requests (calls over 60 s + online bookings)."),
        locale="en_US", currency="USD",
        columns=tuple(c for c in CANONICAL_COLUMNS if c != "revenue"),
        account_executive=Person("Daniel Ortiz", "daniel.ortiz@brightline.example",
                                 "+1 415 555 0178"),
        contacts=(Person("Dr. Emily Carter", "emily@harbordental.example", role="Practice owner"),
                  Person("Rosa Alvarez", "rosa@harbordental.example", role="Office manager")),
        color="#0e7490", initials="HD",
        budget=3000,
        budget_months=_year_end_overrides(months[-10:], {11: (3800, "use-your-benefits push"),
                                                   12: (3600, "benefits expire Dec 31")}),
        weekday=(1.20, 1.14, 1.10, 1.10, 1.00, 0.62, 0.40),
        season=_seasons("1.10 1.02 1.00 0.98 0.96 0.92 0.90 0.95 1.00 1.02 1.10 1.05"),
        trend=0.004,
        campaigns=(
            CampaignPlan("emergency-search", "Emergency dentist search", "search", 0.50, 6.40,
                         0.061, 0.12, 0.80),
            CampaignPlan("local-maps", "Google Business Profile", "maps", 0.25, 2.20, 0.026, 0.09,
                         0.62),
            CampaignPlan("invisalign-social", "Invisalign consults", "social", 0.25, 1.60, 0.0092,
                         0.036, 0.70, live=((months[-7].first_day, OPEN_END),)),
        ),
        events=(DataEvent(widget, "Online booking widget added to the website", cvr_lift=1.30,
                          prep_task="Install the online booking widget"),),
        metrics=(("cost_per_booking", "spend", "leads", "cost per appointment request"),),
        kpis=(("leads", "Appointment requests", 55, "higher"),
              ("cost_per_booking", "Cost per appointment request", 55, "lower"),
              ("ctr", "Click-through rate", 0.018, "higher")),
        voice=Voice(
            language="en", primary="leads", primary_label="appointment requests",
            efficiency="cost_per_booking", efficiency_label="cost per appointment request",
            tasks=(("Ask the front desk to log how new patients found us", "client2"),
                   ("Add the after-hours number to the emergency ads", "ae"),
                   ("Send five new before-and-after photos for the Invisalign ads", "client1"),
                   ("Reply to this month's Google reviews", "client2"),
                   ("Update holiday opening hours on the Google Business Profile", "ae"),
                   ("Check the call tracking numbers on the website", "ae")),
            recommendations=(
                "Add call extensions with the after-hours number to the emergency search ads.",
                "Ask patients for a Google review at checkout; fresh reviews lift the maps listing.",
                "Run a use-your-benefits-before-December message from mid-November.",
                "Try a before-and-after carousel for the Invisalign audience.",
                "Keep emergency search on through the weekend; Saturday calls convert well."),
            meeting_notes=(
                "Dr. Carter is happy with emergency volume and wants more Invisalign consults.",
                "Agreed to keep the budget flat until we have a full month of booking-widget data.",
                "Rosa says most new patients mention the Google listing when they call.",
                "Talked through the year-end insurance benefits push."),
            channel_names=(("search", "Search"), ("maps", "Google Maps"),
                           ("social", "Facebook & Instagram"))),
        since=since,
    )


def demo_clients(months: Sequence[Month]) -> list[DemoClient]:
    """The four demo clients, their events placed relative to the data window."""
    return [_acme(months), _pho_saigon(months), _nordlicht(months), _harbor(months)]


# --- the demo agency: daily rows ---------------------------------------------------

def _count(expected: float, rng: random.Random) -> int:
    """An integer count whose average is `expected` (small numbers don't all round to 0)."""
    whole = int(expected)
    return whole + (rng.random() < expected - whole)


def _daily_weights(client: DemoClient, month: Month, rng: random.Random) -> list[float]:
    days = _days(month.first_day, month.last_day)
    weights = [client.weekday[d.weekday()] * rng.uniform(0.86, 1.14) for d in days]
    total = sum(weights)
    return [w / total for w in weights]


def _campaign_day(client: DemoClient, plan: CampaignPlan, day: dt.date, spend: float,
                  month_index: int, rng: random.Random) -> Row:
    """One campaign's numbers for one day, driven by its spend."""
    ctr_lift = cvr_lift = 1.0
    for event in client.events:
        if event.lifts(day, plan.id):
            ctr_lift *= event.ctr_lift
            cvr_lift *= event.cvr_lift
    demand = client.season[day.month - 1] * (0.75 + 0.25 * client.weekday[day.weekday()])
    cpc = plan.cpc * rng.uniform(0.88, 1.12) / demand ** 0.3
    clicks_expected = spend / cpc
    ctr = plan.ctr * ctr_lift * rng.uniform(0.9, 1.1)
    impressions = max(_count(clicks_expected / ctr, rng), 1)
    clicks = min(_count(clicks_expected, rng), impressions)
    cvr = plan.cvr * cvr_lift * demand * (1 + client.trend * month_index) * rng.uniform(0.8, 1.2)
    conversions = min(_count(clicks * cvr, rng), clicks)
    leads = min(_count(conversions * plan.lead_rate, rng), conversions)
    per = leads if plan.lead_rate and "leads" in client.columns else conversions
    revenue = round(per * plan.value * rng.uniform(0.7, 1.3), 2)
    spend = round(spend, client.fmt.currency_digits)
    return (day, plan.id, plan.channel, impressions, clicks, spend, conversions, leads, revenue)


def _month_rows(client: DemoClient, month: Month, last_day: dt.date, month_index: int,
                rng: random.Random) -> list[Row]:
    """A month of rows; spend paces to the month's budget (±10%), cut off at `last_day`."""
    planned = client.budget_for(month) * rng.uniform(0.91, 1.07)
    rows: list[Row] = []
    for day, weight in zip(_days(month.first_day, month.last_day), _daily_weights(client, month, rng),
                           strict=True):
        if day > last_day:
            break
        live = [c for c in client.campaigns if c.is_live(day)]
        shares = [c.share * rng.uniform(0.85, 1.15) for c in live]
        total_share = sum(shares)
        for plan, share in zip(live, shares, strict=True):
            spend = planned * weight * share / total_share
            rows.append(_campaign_day(client, plan, day, spend, month_index, rng))
    return rows


def _client_rows(client: DemoClient, months: Sequence[Month], last_day: dt.date
                 ) -> dict[Month, list[Row]]:
    rng = random.Random(f"demo:{client.id}")
    start = client.since or months[0]
    return {month: _month_rows(client, month, last_day, index, rng)
            for index, month in enumerate(months) if month >= start}


def _csv_text(client: DemoClient, rows: Iterable[Row]) -> str:
    decimals = client.fmt.currency_digits
    keep = [CANONICAL_COLUMNS.index(c) for c in client.columns]
    lines = [",".join(client.columns)]
    for row in rows:
        cells = [row[0].isoformat(), row[1], row[2], str(row[3]), str(row[4]),
                 f"{row[5]:.{decimals}f}", str(row[6]), str(row[7]), f"{row[8]:.2f}"]
        lines.append(",".join(cells[i] for i in keep))
    return "\n".join(lines) + "\n"


# --- the demo agency: what the notes say -----------------------------------------------

def _totals(rows: Iterable[Row]) -> dict[str, float]:
    totals = dict.fromkeys(BASE_METRICS, 0.0)
    for row in rows:
        for name, value in zip(BASE_METRICS, row[3:], strict=True):
            totals[name] += value
    return totals


def _metric(client: DemoClient, totals: dict[str, float] | None, name: str) -> float | None:
    """A base or derived metric of summed totals, as the portal computes it."""
    if totals is None:
        return None
    return client.metric_set.value([totals[base] for base in BASE_METRICS], name)


@dataclass(frozen=True)
class MonthFacts:
    """What happened in one client-month, computed from the generated rows."""

    month: Month
    last_day: dt.date
    rows: list[Row]
    previous_rows: list[Row]
    budget: float
    data_start: dt.date  # first day of the client's data: nothing "launches" before it

    def covers(self, day: dt.date) -> bool:
        return self.month.first_day <= day <= self.last_day

    @property
    def partial(self) -> bool:
        return self.last_day < self.month.last_day

    @property
    def totals(self) -> dict[str, float]:
        return _totals(self.rows)

    @property
    def previous(self) -> dict[str, float] | None:
        return _totals(self.previous_rows) if self.previous_rows else None

    def by(self, index: int) -> dict[str, dict[str, float]]:
        groups: dict[str, list[Row]] = {}
        for row in self.rows:
            groups.setdefault(row[index], []).append(row)
        return {key: _totals(rows) for key, rows in groups.items()}


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or not before else now / before - 1


def _format_metric(client: DemoClient, name: str, value: float | None) -> str:
    """As the portal shows it, except that sums of money are in whole units."""
    unit = client.metric_set.unit(name)
    if unit == "currency":
        return client.fmt.money(value, whole=client.metric_set.is_additive(name))
    return client.fmt.value(value, unit)


def _format_target(client: DemoClient, name: str, target: float) -> str:
    """Targets are round numbers; "$45 target" reads better than "$45.00 target", "5×" than "5.00×"."""
    unit = client.metric_set.unit(name)
    if not float(target).is_integer() or unit == "percent":
        return _format_metric(client, name, target)
    if unit == "currency":
        return client.fmt.money(target, whole=True)
    return client.fmt.count(target) + ("×" if unit == "ratio" else "")


def _show(client: DemoClient, totals: dict[str, float] | None, name: str) -> str:
    return _format_metric(client, name, _metric(client, totals, name))


def _primary_text(client: DemoClient, value: float) -> str:
    return f"{_format_metric(client, client.voice.primary, value)} {client.voice.primary_label}"


def _amount(client: DemoClient, value: float) -> str:
    """A rounded amount for prose; đồng are counted in millions ("148,3 triệu ₫"), as people say them."""
    if client.currency == "VND" and value >= 1_000_000:
        words = format_compact_decimal(value, format_type="long", fraction_digits=1, locale=client.locale)
        return f"{words} ₫"
    return client.fmt.money(value, whole=True)


PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "title": ("{month} performance", "{month} report", "{month}: results and next steps"),
        "summary_up": ("{Label} up {change} on {prev_month} at a {eff_label} of {eff}.",
                       "{primary}, {change} more than in {prev_month}, at a {eff_label} of {eff}."),
        "summary_down": ("{Label} down {change} on {prev_month}; {eff_label} at {eff}.",
                         "A softer month: {primary} ({change} fewer than in {prev_month}) at {eff} each."),
        "summary_flat": ("{Label} steady at {count}, with the {eff_label} at {eff}.",),
        "summary_partial": ("Month to date ({days} of {dim} days): {primary} at a {eff_label} of "
                            "{eff}, with {spent_pct} of the budget spent.",),
        "target_beat": ("The {eff_label} of {eff} beat the {target} target.",
                        "{Eff_label} came in at {eff}, better than the {target} target."),
        "target_miss": ("The {eff_label} of {eff} is still short of the {target} target.",),
        "best": ("{campaign} had the best {eff_label} at {value}.",),
        "ctr_up": ("Click-through rate rose from {before} to {after}.",),
        "ctr_down": ("Click-through rate slipped from {before} to {after}.",),
        "budget": ("Spent {spend} of the {budget} budget ({pct}).",),
        "weekend": ("Saturdays and Sundays brought {share} of all {label}.",),
        "lift_cvr": ("{event}: conversion rate on {campaigns} went from {before} to {after}.",),
        "lift_ctr": ("{event}: click-through rate on {campaigns} went from {before} to {after}.",),
        "launch": ("{campaign} went live and brought {primary} this month.",),
        "h_overview": ("{month} at a glance", "What happened in {month}", "Results"),
        "h_campaigns": ("Campaigns", "By campaign"),
        "h_next": ("What's next", "Next month", "Plans"),
        "narr_spend": ("We spent {spend}, {pct} of the {budget} budget, and brought in {primary}.",
                       "Media spend was {spend} against a budget of {budget} ({pct}); the "
                       "accounts delivered {primary}."),
        "narr_channel": ("{channel} drove the most {label} ({share}).",
                         "{channel} brought in {share} of all {label}, more than any other channel."),
        "narr_events": ("The trend chart marks {events}.",),
        "narr_draft": ("*Draft: figures up to and including {date}; they will move until the month "
                       "closes.*",),
        "narr_next": ("We will focus on the recommendations above and report back at the next review.",
                      "The next steps below are what we agreed; open items carry over to next month.",
                      "Nothing dramatic planned: we keep optimising and will flag anything unusual."),
        "more": ("That is {change} more than in {prev_month}.",),
        "fewer": ("That is {change} fewer than in {prev_month}.",),
        "same": ("That is about the same as in {prev_month}.",),
        "col_campaign": ("Campaign",), "col_spend": ("Spend",), "total": ("Total",),
        "meeting": ("Monthly review", "Monthly performance call"),
        "chart_primary": ("{Label} per day",),
        "chart_efficiency": ("{Eff_label} by week",),
        "chart_mix": ("Spend by channel",),
        "paused": ("{campaign} paused",), "resumed": ("{campaign} live",),
        "all_campaigns": ("all campaigns",),
    },
    "de": {
        "title": ("Monatsbericht {month}", "{month}: Performance im Überblick"),
        "summary_up": ("Umsatz +{change} gegenüber {prev_month} bei einem ROAS von {eff}.",
                       "{primary} im {short_month}, {change} mehr als im {prev_month}; ROAS {eff}."),
        "summary_down": ("Umsatz −{change} gegenüber {prev_month}, ROAS bei {eff}.",
                         "Schwächerer Monat: {primary}, {change} unter {prev_month}; ROAS {eff}."),
        "summary_flat": ("Umsatz stabil bei {count}, ROAS {eff}.",),
        "summary_partial": ("Zwischenstand nach {days} von {dim} Tagen: {primary}, ROAS {eff}, "
                            "{spent_pct} des Monatsbudgets ausgegeben.",),
        "target_beat": ("ROAS von {eff} liegt über dem Ziel von {target}.",),
        "target_miss": ("ROAS von {eff} liegt noch unter dem Ziel von {target}.",),
        "best": ("Stärkste Kampagne: {campaign} mit einem ROAS von {value}.",),
        "ctr_up": ("Die Klickrate stieg von {before} auf {after}.",),
        "ctr_down": ("Die Klickrate sank von {before} auf {after}.",),
        "budget": ("{spend} ausgegeben, {pct} des Budgets von {budget}.",),
        "weekend": ("Das Wochenende brachte {share} des Umsatzes, vor allem der Sonntag.",),
        "lift_cvr": ("{event}: Die Conversion-Rate ({campaigns}) stieg von {before} auf {after}.",),
        "lift_ctr": ("{event}: Die Klickrate ({campaigns}) stieg von {before} auf {after}.",),
        "launch": ("{campaign} gestartet: {primary} in diesem Monat.",),
        "h_overview": ("Überblick", "Der {short_month} in Zahlen"),
        "h_campaigns": ("Kampagnen", "Nach Kampagne"),
        "h_next": ("Ausblick", "Wie es weitergeht"),
        "narr_spend": ("Mit {spend} Mediabudget ({pct} des Plans von {budget}) erzielten wir {primary}.",
                       "Wir haben {spend} investiert ({pct} des Budgets) und {primary} erzielt."),
        "narr_channel": ("{channel} lieferte den größten Anteil am Umsatz ({share}).",
                         "Den größten Umsatzanteil hatte {channel} mit {share}."),
        "narr_events": ("Im Verlauf markiert: {events}.",),
        "narr_draft": ("*Entwurf: Zahlen bis einschließlich {date}; der Monat ist noch nicht "
                       "abgeschlossen.*",),
        "narr_next": ("Die Empfehlungen oben setzen wir bis zum nächsten Jour fixe um.",
                      "Offene Aufgaben nehmen wir in den nächsten Monat mit.",
                      "Wir optimieren laufend weiter und melden uns, falls etwas auffällt."),
        "more": ("Das sind {change} mehr als im {prev_month}.",),
        "fewer": ("Das sind {change} weniger als im {prev_month}.",),
        "same": ("Das ist etwa so viel wie im {prev_month}.",),
        "col_campaign": ("Kampagne",), "col_spend": ("Kosten",), "total": ("Gesamt",),
        "meeting": ("Monatsreview", "Jour fixe"),
        "chart_primary": ("Umsatz pro Tag",),
        "chart_efficiency": ("ROAS nach Woche",),
        "chart_mix": ("Kosten nach Kampagne",),
        "paused": ("{campaign} pausiert",), "resumed": ("{campaign} gestartet",),
        "all_campaigns": ("alle Kampagnen",),
    },
    "vi": {
        "title": ("Báo cáo {month}", "Kết quả quảng cáo {month}"),
        "summary_up": ("Lượt đặt bàn tăng {change} so với {prev_month}, chi phí mỗi lượt {eff}.",
                       "{Primary} trong {short_month}, tăng {change} so với {prev_month}; chi phí "
                       "mỗi lượt {eff}."),
        "summary_down": ("Lượt đặt bàn giảm {change} so với {prev_month}; chi phí mỗi lượt {eff}.",
                         "Tháng chậm hơn: {primary}, giảm {change} so với {prev_month}; chi phí mỗi "
                         "lượt {eff}."),
        "summary_flat": ("Lượt đặt bàn ổn định ở mức {count}, chi phí mỗi lượt {eff}.",),
        "summary_partial": ("Số liệu tạm tính {days}/{dim} ngày: {primary}, chi phí mỗi lượt {eff}, "
                            "đã dùng {spent_pct} ngân sách tháng.",),
        "target_beat": ("Chi phí mỗi lượt đặt bàn {eff}, thấp hơn mục tiêu {target}.",),
        "target_miss": ("Chi phí mỗi lượt đặt bàn {eff}, vẫn cao hơn mục tiêu {target}.",),
        "best": ("Chiến dịch {campaign} hiệu quả nhất, chỉ {value} mỗi lượt đặt bàn.",),
        "ctr_up": ("Tỷ lệ nhấp (CTR) tăng từ {before} lên {after}.",),
        "ctr_down": ("Tỷ lệ nhấp (CTR) giảm từ {before} xuống {after}.",),
        "budget": ("Đã chi {spend}, bằng {pct} ngân sách {budget}.",),
        "weekend": ("Thứ Bảy và Chủ nhật mang về {share} tổng lượt đặt bàn.",),
        "lift_cvr": ("{event}: tỷ lệ chuyển đổi của {campaigns} tăng từ {before} lên {after}.",),
        "lift_ctr": ("{event}: tỷ lệ nhấp của {campaigns} tăng từ {before} lên {after}.",),
        "launch": ("Chiến dịch {campaign} bắt đầu chạy và mang về {primary} trong tháng.",),
        "h_overview": ("Tổng quan {short_month}", "Kết quả {short_month}"),
        "h_campaigns": ("Hiệu quả theo chiến dịch", "Các chiến dịch"),
        "h_next": ("Kế hoạch tháng tới", "Việc cần làm tiếp"),
        "narr_spend": ("Tổng chi tiêu là {spend} ({pct} ngân sách {budget}), mang về {primary}.",
                       "Tháng này chúng tôi đã chi {spend}, tương đương {pct} ngân sách, và có "
                       "{primary}."),
        "narr_channel": ("{channel} đóng góp nhiều lượt đặt bàn nhất ({share}).",
                         "{channel} là kênh mang về nhiều lượt đặt bàn nhất, chiếm {share}."),
        "narr_events": ("Biểu đồ có đánh dấu các mốc: {events}.",),
        "narr_draft": ("*Bản nháp: số liệu tính đến hết ngày {date}, sẽ còn thay đổi đến cuối "
                       "tháng.*",),
        "narr_next": ("Chúng tôi sẽ triển khai các đề xuất trên và báo cáo lại trong buổi họp tới.",
                      "Các việc chưa xong sẽ được chuyển sang tháng sau.",
                      "Tháng tới tiếp tục tối ưu; nếu có gì bất thường chúng tôi sẽ báo ngay."),
        "more": ("Con số này tăng {change} so với {prev_month}.",),
        "fewer": ("Con số này giảm {change} so với {prev_month}.",),
        "same": ("Con số này gần như không đổi so với {prev_month}.",),
        "col_campaign": ("Chiến dịch",), "col_spend": ("Chi tiêu",), "total": ("Tổng",),
        "meeting": ("Họp đánh giá tháng", "Họp định kỳ hàng tháng"),
        "chart_primary": ("Lượt đặt bàn theo ngày",),
        "chart_efficiency": ("Chi phí mỗi lượt đặt bàn theo tuần",),
        "chart_mix": ("Chuyển đổi theo kênh",),
        "paused": ("Tạm dừng {campaign}",), "resumed": ("Bắt đầu chạy {campaign}",),
        "all_campaigns": ("tất cả chiến dịch",),
    },
}


def _say(language: str, key: str, rng: random.Random, **fields: str) -> str:
    """One of the phrasebook's variants for `key`, filled in."""
    return rng.choice(PHRASES[language][key]).format(**fields)


@dataclass
class NextStep:
    task: str
    owner: str
    due: dt.date
    done: bool = False


def _campaign_events(client: DemoClient, facts: MonthFacts) -> list[tuple[dt.date, str]]:
    """Launches and pauses inside the month, as annotations."""
    phrases = PHRASES[client.voice.language]
    marks = []
    for plan in client.campaigns:
        for start, end in plan.live:
            if facts.covers(start) and start > facts.data_start:
                marks.append((start, phrases["resumed"][0].format(campaign=plan.name)))
            after = end + dt.timedelta(days=1) if end < OPEN_END else OPEN_END
            if facts.covers(after):
                marks.append((after, phrases["paused"][0].format(campaign=plan.name)))
    return marks


def _annotations(client: DemoClient, facts: MonthFacts) -> list[tuple[dt.date, str]]:
    events = [(e.day, e.text) for e in client.events if facts.covers(e.day)]
    return sorted(events + _campaign_events(client, facts))


def _lift_highlights(client: DemoClient, facts: MonthFacts, rng: random.Random) -> list[str]:
    """Before/after figures for the month's events, straight from the rows."""
    language = client.voice.language
    out = []
    for event in client.events:
        if not facts.covers(event.day):
            continue
        metric = "cvr" if event.cvr_lift >= event.ctr_lift else "ctr"
        affected = set(event.campaigns) or {c.id for c in client.campaigns}
        mine = [r for r in facts.previous_rows + facts.rows if r[1] in affected]
        before = [r for r in mine if r[0] < event.day and (event.day - r[0]).days <= 31]
        after = [r for r in mine if r[0] >= event.day and (event.until is None or r[0] <= event.until)]
        names = [client.campaign(c).name for c in sorted(affected)] if event.campaigns else []
        campaigns = ", ".join(names) if names else PHRASES[language]["all_campaigns"][0]
        out.append(_say(language, f"lift_{metric}", rng, event=event.text, campaigns=campaigns,
                        before=_show(client, _totals(before), metric),
                        after=_show(client, _totals(after), metric)))
    for day, _ in _campaign_events(client, facts):
        for plan in client.campaigns:
            if any(start == day for start, _ in plan.live) and day.day == 1 and not facts.partial:
                value = _totals(r for r in facts.rows if r[1] == plan.id)[client.voice.primary]
                out.append(_say(language, "launch", rng, campaign=plan.name,
                                primary=_primary_text(client, value)))
    return out


def _data_highlights(client: DemoClient, facts: MonthFacts, rng: random.Random) -> list[str]:
    """Candidate highlights from the month's figures, in random order."""
    voice, fmt = client.voice, client.fmt
    totals, previous = facts.totals, facts.previous
    eff_name = voice.efficiency
    eff = _metric(client, totals, eff_name)
    fields = {"eff": _show(client, totals, eff_name), "eff_label": voice.efficiency_label,
              "Eff_label": _capitalise(voice.efficiency_label), "label": voice.primary_label}
    out = []
    target = client.target(eff_name)
    if target is not None and eff is not None:
        beat = eff <= target if client.better(eff_name) == "lower" else eff >= target
        out.append(_say(voice.language, "target_beat" if beat else "target_miss", rng,
                        target=_format_target(client, eff_name, target), **fields))
    campaigns = {c: t for c, t in facts.by(1).items() if _metric(client, t, eff_name) is not None}
    if len(campaigns) > 1:
        pick = min if client.better(eff_name) == "lower" else max
        best = pick(campaigns, key=lambda c: _metric(client, campaigns[c], eff_name))
        out.append(_say(voice.language, "best", rng, campaign=client.campaign(best).name,
                        value=_show(client, campaigns[best], eff_name),
                        **fields))
    ctr, ctr_before = _metric(client, totals, "ctr"), _metric(client, previous, "ctr")
    if ctr is not None and ctr_before is not None and abs(ctr / ctr_before - 1) > 0.03:
        out.append(_say(voice.language, "ctr_up" if ctr > ctr_before else "ctr_down", rng,
                        before=_format_metric(client, "ctr", ctr_before),
                        after=_format_metric(client, "ctr", ctr)))
    if not facts.partial:
        out.append(_say(voice.language, "budget", rng, spend=_amount(client, totals["spend"]),
                        budget=_amount(client, facts.budget),
                        pct=fmt.percent(totals["spend"] / facts.budget, 0)))
    weekend = sum(r[CANONICAL_COLUMNS.index(voice.primary)] for r in facts.rows if r[0].weekday() >= 5)
    if totals[voice.primary]:
        out.append(_say(voice.language, "weekend", rng, share=fmt.percent(weekend / totals[voice.primary], 0),
                        **fields))
    rng.shuffle(out)
    return out


def _highlights(client: DemoClient, facts: MonthFacts, rng: random.Random) -> list[str]:
    wanted = 2 if facts.partial else rng.randint(2, 4)
    return (_lift_highlights(client, facts, rng) + _data_highlights(client, facts, rng))[:wanted]


def _summary(client: DemoClient, facts: MonthFacts, rng: random.Random) -> str:
    voice, fmt, language = client.voice, client.fmt, client.voice.language
    totals = facts.totals
    primary = totals[voice.primary]
    fields = {"Label": _capitalise(voice.primary_label), "primary": _primary_text(client, primary),
              "Primary": _capitalise(_primary_text(client, primary)),
              "count": _show(client, totals, voice.primary),
              "eff_label": voice.efficiency_label, "Eff_label": _capitalise(voice.efficiency_label),
              "eff": _show(client, totals, voice.efficiency),
              "prev_month": _month_word(client.locale, facts.month.previous),
              "short_month": _month_word(client.locale, facts.month)}
    if facts.partial:
        budget_so_far = totals["spend"] / facts.budget
        return _say(language, "summary_partial", rng, days=str(facts.last_day.day),
                    dim=str(facts.month.days), spent_pct=fmt.percent(budget_so_far, 0), **fields)
    change = _change(primary, (facts.previous or {}).get(voice.primary))
    if change is None or abs(change) < 0.03:
        text = _say(language, "summary_flat", rng, **fields)
    else:
        key = "summary_up" if change > 0 else "summary_down"
        text = _say(language, key, rng, change=fmt.percent(abs(change), 0), **fields)
    events = [e for e in client.events if facts.covers(e.day)]
    if events:  # a dated event is news; one with an end date already says when
        event = events[0]
        text += f" {event.text}." if event.until else f" {event.text} ({_day(client.locale, event.day)})."
    return text


def _recommendations(client: DemoClient, index: int, rng: random.Random) -> list[str]:
    """One to three of the AE's standing ideas, rotating so each month reads differently."""
    pool = client.voice.recommendations
    count = rng.randint(1, 3)
    return [pool[(index + k) % len(pool)] for k in range(count)]


def _due_date(month: Month, rng: random.Random) -> dt.date:
    """A working day in the following month."""
    day = month.next.first_day.replace(day=rng.randint(5, 26))
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def _next_steps(client: DemoClient, facts: MonthFacts, carried: list[NextStep], index: int,
                rng: random.Random) -> tuple[list[NextStep], list[NextStep]]:
    """This month's next steps (carried ones first) and the ones still open afterwards."""
    steps = []
    for step in carried:
        due_passed = step.due <= facts.last_day
        prepared = any(e.prep_task == step.task and e.day <= facts.last_day for e in client.events)
        steps.append(NextStep(step.task, step.owner, step.due,
                              prepared or (due_passed and rng.random() < 0.8)))
    pool = client.voice.tasks
    for k in range(rng.randint(1, 2)):
        task, owner = pool[(2 * index + k) % len(pool)]
        if all(task != s.task for s in steps):
            steps.append(NextStep(task, client.person(owner), _due_date(facts.month, rng)))
    for event in client.events:
        if event.prep_task and Month.of(event.day) == facts.month.next:
            steps.append(NextStep(event.prep_task, client.account_executive.name, event.day))
    return steps, [s for s in steps if not s.done]


def _as_of(steps: list[NextStep], carried: set[str], pool: set[str], today: dt.date,
           rng: random.Random) -> list[NextStep]:
    """The newest notes as the AE leaves them on the day the demo is written:
    nothing open is overdue. A step set in this note gets a due date from
    `today` on; an older one (or an event's preparation) whose date has passed
    is done. So `build --month previous --strict` passes on the day of `init`."""
    out = []
    for step in steps:
        if step.done or step.due >= today:
            out.append(step)
        elif step.task in carried or step.task not in pool:
            out.append(NextStep(step.task, step.owner, step.due, True))
        else:
            due = today + dt.timedelta(days=rng.randint(3, 16))
            due += dt.timedelta(days=max(0, 7 - due.weekday()) if due.weekday() >= 5 else 0)
            out.append(NextStep(step.task, step.owner, due))
    return out


def _meetings(client: DemoClient, facts: MonthFacts, index: int, rng: random.Random
              ) -> list[dict]:
    """The monthly review (second week, Tuesday), held if the month has got that far."""
    language = client.voice.language
    day = facts.month.first_day.replace(day=rng.randint(10, 14))
    review = day - dt.timedelta(days=(day.weekday() - 1) % 7)
    if review > facts.last_day:
        return []
    attendees = (client.account_executive.name, *[c.name for c in client.contacts[: 1 + index % 2]])
    notes = client.voice.meeting_notes
    return [{"date": review, "title": _say(language, "meeting", rng), "attendees": attendees,
             "notes": notes[index % len(notes)]}]


def _campaign_table(client: DemoClient, facts: MonthFacts) -> str:
    voice, language = client.voice, client.voice.language
    label = PHRASES[language]
    header = [label["col_campaign"][0], label["col_spend"][0], _capitalise(voice.primary_label),
              _capitalise(voice.efficiency_label) if voice.efficiency != "roas" else "ROAS"]
    lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|"]
    by_campaign = facts.by(1)
    order = [c.id for c in client.campaigns if c.id in by_campaign]
    for campaign_id in [*order, None]:
        totals = by_campaign[campaign_id] if campaign_id else facts.totals
        name = client.campaign(campaign_id).name if campaign_id else f"**{label['total'][0]}**"
        cells = [name, *(_show(client, totals, m) for m in ("spend", voice.primary, voice.efficiency))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _chart(metric: str, type_: str, by: str, title: str, compare: str | None = None) -> str:
    spec = {"metric": metric, "type": type_, "by": by, "compare": compare, "title": title}
    return f"```chart\n{_yaml({k: v for k, v in spec.items() if v}, flow=False)}```"


def _charts(client: DemoClient, facts: MonthFacts, index: int, rng: random.Random
            ) -> tuple[str, str | None]:
    """A daily trend of the lead metric, then either efficiency vs target or the mix."""
    voice, language = client.voice, client.voice.language
    fields = {"Label": _capitalise(voice.primary_label), "Eff_label": _capitalise(voice.efficiency_label)}
    kind = "area" if voice.primary == "revenue" else ("bar" if client.budget < 10000 else "line")
    first = _chart(voice.primary, kind, "day", _say(language, "chart_primary", rng, **fields),
                   "previous")
    if index % 3 == 2:
        return first, None
    if index % 2 == 0 and client.target(voice.efficiency) is not None:
        return first, _chart(voice.efficiency, "line", "week",
                             _say(language, "chart_efficiency", rng, **fields), "target")
    mix = {"de": ("spend", "campaign"), "vi": ("conversions", "channel")}.get(language,
                                                                            ("spend", "channel"))
    return first, _chart(mix[0], "pie", mix[1], _say(language, "chart_mix", rng))


def _body(client: DemoClient, facts: MonthFacts, index: int, rng: random.Random) -> str:
    voice, fmt, language = client.voice, client.fmt, client.voice.language
    totals, previous = facts.totals, facts.previous
    month_fields = {"month": fmt.month_name(facts.month),
                    "short_month": _month_word(client.locale, facts.month)}
    narrative = []
    if facts.partial:
        narrative.append(_say(language, "narr_draft", rng, date=_day(client.locale, facts.last_day)))
    narrative.append(_say(language, "narr_spend", rng, spend=_amount(client, totals["spend"]),
                          budget=_amount(client, facts.budget),
                          pct=fmt.percent(totals["spend"] / facts.budget, 0),
                          primary=_primary_text(client, totals[voice.primary])))
    change = _change(totals[voice.primary], (previous or {}).get(voice.primary))
    if change is not None and not facts.partial:
        key = "same" if abs(change) < 0.03 else ("more" if change > 0 else "fewer")
        narrative.append(_say(language, key, rng, change=fmt.percent(abs(change), 0),
                              prev_month=_month_word(client.locale, facts.month.previous)))
    channels = facts.by(2)
    if totals[voice.primary] and len(channels) > 1:
        top = max(channels, key=lambda c: channels[c][voice.primary])
        narrative.append(_say(language, "narr_channel", rng, channel=client.channel_name(top),
                              label=voice.primary_label,
                              share=fmt.percent(channels[top][voice.primary] / totals[voice.primary], 0)))
    events = _annotations(client, facts)
    if events:
        marks = "; ".join(f"{text} ({_day(client.locale, day)})" for day, text in events)
        narrative.append(_say(language, "narr_events", rng, events=marks))
    first_chart, second_chart = _charts(client, facts, index, rng)
    parts = [f"## {_say(language, 'h_overview', rng, **month_fields)}", " ".join(narrative),
             first_chart, f"## {_say(language, 'h_campaigns', rng, **month_fields)}",
             _campaign_table(client, facts)]
    if second_chart:
        parts.append(second_chart)
    parts += [f"## {_say(language, 'h_next', rng, **month_fields)}", _say(language, "narr_next", rng)]
    return "\n\n".join(parts) + "\n"


def _note_text(front: dict, body: str) -> str:
    """A note file: YAML front matter (SPEC 2.3; a missing title is left out), then Markdown."""
    return f"---\n{_yaml({k: v for k, v in front.items() if v is not None}, flow=False)}---\n{body}"


def _inline_steps(steps: Iterable[NextStep]) -> list[_Inline]:
    return [_Inline(task=s.task, owner=s.owner, due=s.due, done=s.done) for s in steps]


def _inline_annotations(annotations: Iterable[tuple[dt.date, str]]) -> list[_Inline]:
    return [_Inline(date=day, text=text) for day, text in annotations]


def _client_notes(client: DemoClient, rows: dict[Month, list[Row]], last_day: dt.date
                  ) -> dict[Month, str]:
    """Notes for the last NOTE_MONTHS months, with next steps carried month to month."""
    rng = random.Random(f"notes:{client.id}")
    data_start = min(rows).first_day
    today = last_day + dt.timedelta(days=1)  # the day the demo is written
    carried: list[NextStep] = []
    notes = {}
    for index, month in enumerate(sorted(rows)[-NOTE_MONTHS:]):
        facts = MonthFacts(month, min(last_day, month.last_day), rows[month], rows.get(month.previous, []),
                           client.budget_for(month), data_start)
        before = {step.task for step in carried}
        steps, carried = _next_steps(client, facts, carried, index, rng)
        if month >= Month.of(today).previous:  # the notes a build on `today` reads last
            steps = _as_of(steps, before, {task for task, _ in client.voice.tasks}, today, rng)
            carried = [step for step in steps if not step.done]
        title = _say(client.voice.language, "title", rng, month=client.fmt.month_name(month))
        front = {
            "title": title if rng.random() < 0.7 else None,
            "status": "draft" if facts.partial else "final",
            "summary": _summary(client, facts, rng),
            "highlights": _highlights(client, facts, rng),
            "recommendations": _recommendations(client, index, rng),
            "next_steps": _inline_steps(steps),
            "meetings": _meetings(client, facts, index, rng),
            "annotations": _inline_annotations(_annotations(client, facts)),
        }
        notes[month] = _note_text(front, _body(client, facts, index, rng))
    return notes


# --- the demo agency: clients.yaml and logos ------------------------------------------------

def _client_yaml(client: DemoClient) -> list[str]:
    """One client's entry, written line by line so it can carry comments."""
    ae = client.account_executive
    lines = [f"  # {line}".rstrip() for line in client.comment.splitlines()]
    lines += [f"  - id: {client.id}", f"    name: {_yaml(client.name)}",
              "    account_executive:", f"      name: {_yaml(ae.name)}",
              f"      email: {ae.email}", f"      phone: {_yaml(ae.phone)}", "    contacts:"]
    lines += [f"      - {_yaml({'name': p.name, 'role': p.role, 'email': p.email})}" for p in client.contacts]
    if client.locale != "en_US" or client.currency != "USD":
        lines += [f"    locale: {client.locale}", f"    currency: {client.currency}"]
    else:
        lines.append("    # locale and currency come from defaults (en_US, USD)")
    lines.append(f"    brand: {_yaml({'color': client.color, 'logo': f'assets/{client.id}.svg'})}")
    if client.id == "acme-corp":
        lines += ["    # Uncomment to password-protect this portal (the password comes from the",
                  "    # environment at build time, never from this file), and give it an address",
                  "    # nobody can guess: make up 16 random letters and digits for the slug.",
                  "    # slug: <16 random letters and digits>",
                  "    # access: {password_env: ACME_PORTAL_PASSWORD}"]
    if client.since:
        lines.append(f'    since: "{client.since}"   # the month we took the account over')
    lines += ["    budget:", f"      monthly: {client.budget}"]
    if client.budget_months:
        lines.append("      months:")
        lines += [f'        "{month}": {amount}   # {why}' for month, amount, why in client.budget_months]
    lines.append("    metrics:")
    lines += [f"      {name}: {num} / {den}   # {why}" for name, num, den, why in client.metrics]
    lines.append("    kpis:                # scorecards, in display order")
    for metric, label, target, better in client.kpis:
        kpi = {"metric": metric, "label": label, "target": target}
        lines.append(f"      - {_yaml(kpi | {'better': better} if better == 'lower' else kpi)}")
    lines.append("    campaigns:           # budget = the monthly plan per campaign")
    weights = sum(c.share for c in client.campaigns)
    # Round like a media plan: tens for a small practice, hundreds, or 100,000 đồng.
    digits = -1 if client.budget < 10_000 else (-2 if client.budget < 1e6 else -5)
    for plan in client.campaigns:
        campaign = {"id": plan.id, "name": plan.name, "channel": plan.channel,
                    "budget": int(round(client.budget * plan.share / weights, digits))}
        lines.append(f"      - {_yaml(campaign)}")
    lines += ["    data:", f"      - data/{client.id}/*.csv", ""]
    return lines


def _clients_yaml(clients: Sequence[DemoClient]) -> str:
    head = [
        "# Brightline Media — demo project for reportgen.",
        "# Generated by `python -m reportgen.demo demo .`; edit freely, then run `reportgen build`.",
        "# Field reference: README (clients.yaml). Paths are relative to this file.",
        "",
        "agency:",
        "  name: Brightline Media",
        "  website: https://brightline.example",
        "  logo: assets/brightline.svg",
        "  contact_email: reports@brightline.example",
        "  site_url: https://reports.brightline.example/   # where the portals are published (e-mail links)",
        "",
        "# Every client inherits these unless it sets its own.",
        "defaults:",
        "  locale: en_US",
        "  currency: USD",
        "",
        "clients:",
    ]
    body = [line for client in clients for line in _client_yaml(client)]
    return "\n".join(head + body).rstrip("\n") + "\n"


# The demo logos' lettering as outlines (DejaVu Sans Bold, Bitstream Vera licence), so
# they look the same on every machine: SVG <text> depends on the fonts installed, and
# "Brightline Media" in a wider fallback font was cut off at the logo's edge.
_AGENCY_WORDMARK = (  # "Brightline Media", 18 px, baseline at y=30 from x=46
    "M52.9 22Q53.7 22 54.1 21.6Q54.5 21.3 54.5 20.6Q54.5 19.9 54.1 19.5Q53.7 19.2 52.9 19.2"
    "H51V22ZM53 27.7Q54 27.7 54.6 27.3Q55.1 26.8 55.1 26Q55.1 25.1 54.6 24.7"
    "Q54.1 24.3 53 24.3H51V27.7ZM56.2 23Q57.3 23.3 57.9 24.1Q58.5 25 58.5 26.2"
    "Q58.5 28.1 57.2 29.1Q55.9 30 53.3 30H47.7V16.9H52.7Q55.5 16.9 56.7 17.7"
    "Q57.9 18.5 57.9 20.3Q57.9 21.3 57.5 22Q57 22.7 56.2 23ZM68.5 22.8Q68.1 22.6 67.7 22.6"
    "Q67.3 22.5 66.9 22.5Q65.7 22.5 65 23.2Q64.4 24 64.4 25.5V30H61.2V20.2H64.4V21.8"
    "Q65 20.8 65.8 20.4Q66.6 19.9 67.7 19.9Q67.8 19.9 68 19.9Q68.2 19.9 68.5 20ZM70.1 20.2"
    "H73.3V30H70.1ZM70.1 16.3H73.3V18.9H70.1ZM83 28.3Q82.3 29.2 81.5 29.6Q80.8 30 79.7 30"
    "Q77.9 30 76.8 28.6Q75.6 27.2 75.6 25Q75.6 22.8 76.8 21.3Q77.9 19.9 79.7 19.9"
    "Q80.8 19.9 81.5 20.3Q82.3 20.7 83 21.6V20.2H86.1V29Q86.1 31.4 84.6 32.6"
    "Q83.1 33.9 80.3 33.9Q79.4 33.9 78.5 33.7Q77.6 33.6 76.8 33.3V30.9Q77.6 31.3 78.4 31.6"
    "Q79.2 31.8 80 31.8Q81.5 31.8 82.3 31.1Q83 30.4 83 29ZM80.9 22.2Q79.9 22.2 79.4 22.9"
    "Q78.8 23.6 78.8 25Q78.8 26.3 79.4 27Q79.9 27.7 80.9 27.7Q81.9 27.7 82.4 27Q83 26.3 83 25"
    "Q83 23.6 82.4 22.9Q81.9 22.2 80.9 22.2ZM99.1 24V30H95.9V29V25.4Q95.9 24.1 95.8 23.7"
    "Q95.8 23.2 95.6 22.9Q95.5 22.6 95.1 22.5Q94.8 22.3 94.4 22.3Q93.4 22.3 92.9 23.1"
    "Q92.3 23.8 92.3 25.2V30H89.2V16.3H92.3V21.6Q93 20.7 93.8 20.3Q94.6 19.9 95.6 19.9"
    "Q97.3 19.9 98.2 21Q99.1 22 99.1 24ZM105.4 17.4V20.2H108.7V22.4H105.4V26.6"
    "Q105.4 27.3 105.7 27.5Q106 27.8 106.8 27.8H108.4V30H105.7Q103.8 30 103 29.2"
    "Q102.3 28.4 102.3 26.6V22.4H100.7V20.2H102.3V17.4ZM110.6 16.3H113.7V30H110.6ZM116.8 20.2"
    "H119.9V30H116.8ZM116.8 16.3H119.9V18.9H116.8ZM132.8 24V30H129.7V29V25.4"
    "Q129.7 24.1 129.6 23.7Q129.5 23.2 129.4 22.9Q129.2 22.6 128.9 22.5Q128.6 22.3 128.2 22.3"
    "Q127.2 22.3 126.6 23.1Q126.1 23.8 126.1 25.2V30H122.9V20.2H126.1V21.6"
    "Q126.8 20.7 127.6 20.3Q128.4 19.9 129.3 19.9Q131.1 19.9 131.9 21Q132.8 22 132.8 24Z"
    "M145.6 25.1V25.9H138.2Q138.3 27.1 139 27.6Q139.7 28.2 140.9 28.2Q141.9 28.2 143 27.9"
    "Q144 27.6 145.1 27V29.4Q144 29.8 142.9 30Q141.7 30.3 140.6 30.3Q138 30.3 136.5 28.9"
    "Q135 27.5 135 25.1Q135 22.7 136.5 21.3Q137.9 19.9 140.5 19.9Q142.8 19.9 144.2 21.3"
    "Q145.6 22.7 145.6 25.1ZM142.3 24Q142.3 23.1 141.8 22.6Q141.3 22 140.4 22"
    "Q139.5 22 139 22.5Q138.4 23 138.2 24ZM154.4 16.9H158.7L161.6 23.9L164.7 16.9H169V30"
    "H165.8V20.4L162.7 27.5H160.6L157.6 20.4V30H154.4ZM181.9 25.1V25.9H174.6"
    "Q174.7 27.1 175.4 27.6Q176.1 28.2 177.3 28.2Q178.3 28.2 179.3 27.9Q180.4 27.6 181.5 27"
    "V29.4Q180.4 29.8 179.3 30Q178.1 30.3 177 30.3Q174.3 30.3 172.9 28.9"
    "Q171.4 27.5 171.4 25.1Q171.4 22.7 172.8 21.3Q174.3 19.9 176.8 19.9Q179.2 19.9 180.6 21.3"
    "Q181.9 22.7 181.9 25.1ZM178.7 24Q178.7 23.1 178.2 22.6Q177.7 22 176.8 22"
    "Q175.9 22 175.3 22.5Q174.8 23 174.6 24ZM191 21.6V16.3H194.2V30H191V28.6"
    "Q190.4 29.4 189.6 29.9Q188.8 30.3 187.8 30.3Q186 30.3 184.8 28.8Q183.6 27.4 183.6 25.1"
    "Q183.6 22.8 184.8 21.4Q186 19.9 187.8 19.9Q188.8 19.9 189.6 20.3Q190.4 20.7 191 21.6Z"
    "M189 28Q190 28 190.5 27.2Q191 26.5 191 25.1Q191 23.7 190.5 22.9Q190 22.2 189 22.2"
    "Q188 22.2 187.4 22.9Q186.9 23.7 186.9 25.1Q186.9 26.5 187.4 27.2Q188 28 189 28Z"
    "M197.2 20.2H200.4V30H197.2ZM197.2 16.3H200.4V18.9H197.2ZM207.8 25.6"
    "Q206.8 25.6 206.3 25.9Q205.8 26.2 205.8 26.9Q205.8 27.5 206.2 27.8Q206.6 28.2 207.3 28.2"
    "Q208.2 28.2 208.8 27.5Q209.4 26.9 209.4 25.9V25.6ZM212.6 24.4V30H209.4V28.5"
    "Q208.8 29.4 208 29.8Q207.2 30.3 206.1 30.3Q204.6 30.3 203.6 29.4Q202.6 28.5 202.6 27"
    "Q202.6 25.3 203.8 24.5Q205 23.7 207.6 23.7H209.4V23.5Q209.4 22.7 208.8 22.4"
    "Q208.3 22 207 22Q206 22 205.1 22.2Q204.3 22.4 203.5 22.8V20.4Q204.5 20.2 205.5 20"
    "Q206.6 19.9 207.6 19.9Q210.2 19.9 211.4 21Q212.6 22 212.6 24.4Z"
)
_INITIALS = {  # 22 px, centred on x=0, baseline at y=0
    "AC": (
        "M-4.8 -2.9H-11.3L-12.3 0H-16.5L-10.5 -16H-5.6L0.3 0H-3.8ZM-10.3 -5.9H-5.9L-8.1 -12.3Z"
        "M15.2 -0.9Q14 -0.3 12.8 0Q11.6 0.3 10.2 0.3Q6.2 0.3 3.9 -1.9Q1.5 -4.2 1.5 -8"
        "Q1.5 -11.8 3.9 -14.1Q6.2 -16.3 10.2 -16.3Q11.6 -16.3 12.8 -16Q14 -15.7 15.2 -15.1V-11.8"
        "Q14 -12.6 12.9 -13Q11.8 -13.3 10.6 -13.3Q8.3 -13.3 7.1 -11.9Q5.8 -10.5 5.8 -8"
        "Q5.8 -5.5 7.1 -4.1Q8.3 -2.7 10.6 -2.7Q11.8 -2.7 12.9 -3.1Q14 -3.4 15.2 -4.2Z"
    ),
    "PS": (
        "M-14 -16H-7.1Q-4 -16 -2.4 -14.7Q-0.8 -13.3 -0.8 -10.8Q-0.8 -8.3 -2.4 -6.9"
        "Q-4 -5.6 -7.1 -5.6H-9.8V0H-14ZM-9.8 -13V-8.6H-7.5Q-6.3 -8.6 -5.7 -9.1Q-5 -9.7 -5 -10.8"
        "Q-5 -11.9 -5.7 -12.5Q-6.3 -13 -7.5 -13ZM13.3 -15.5V-12.1Q12 -12.7 10.7 -13"
        "Q9.5 -13.3 8.4 -13.3Q6.9 -13.3 6.2 -12.9Q5.5 -12.5 5.5 -11.7Q5.5 -11 5.9 -10.7"
        "Q6.4 -10.3 7.7 -10L9.4 -9.7Q12.1 -9.1 13.2 -8Q14.4 -7 14.4 -4.9Q14.4 -2.3 12.8 -1"
        "Q11.2 0.3 8 0.3Q6.5 0.3 4.9 0Q3.4 -0.3 1.9 -0.8V-4.3Q3.4 -3.5 4.8 -3.1Q6.3 -2.7 7.6 -2.7"
        "Q8.9 -2.7 9.7 -3.1Q10.4 -3.6 10.4 -4.4Q10.4 -5.2 9.9 -5.6Q9.4 -6 7.9 -6.3L6.3 -6.7"
        "Q3.9 -7.2 2.8 -8.3Q1.7 -9.4 1.7 -11.4Q1.7 -13.8 3.3 -15Q4.8 -16.3 7.7 -16.3"
        "Q9 -16.3 10.4 -16.1Q11.8 -15.9 13.3 -15.5Z"
    ),
    "NM": (
        "M-18.1 -16H-13.5L-7.7 -5V-16H-3.8V0H-8.4L-14.2 -11V0H-18.1ZM0.3 -16H5.5L9.2 -7.5"
        "L12.9 -16H18.1V0H14.2V-11.7L10.5 -3.1H7.9L4.2 -11.7V0H0.3Z"
    ),
    "HD": (
        "M-16.3 -16H-12.2V-9.9H-6.1V-16H-1.9V0H-6.1V-6.8H-12.2V0H-16.3ZM6.2 -12.9V-3.1H7.7"
        "Q10.2 -3.1 11.6 -4.4Q12.9 -5.6 12.9 -8Q12.9 -10.4 11.6 -11.7Q10.3 -12.9 7.7 -12.9Z"
        "M2.1 -16H6.5Q10.1 -16 11.9 -15.5Q13.7 -15 15 -13.8Q16.1 -12.7 16.6 -11.2"
        "Q17.2 -9.8 17.2 -8Q17.2 -6.2 16.6 -4.8Q16.1 -3.4 15 -2.3Q13.7 -1 11.9 -0.5Q10.1 0 6.5 0"
        "H2.1Z"
    ),
}


def _logo_svg(initials: str, color: str, shape: str) -> str:
    """A small hand-drawn logo: a shape in the brand colour with white initials (outlines)."""
    shapes = {
        "hexagon": '<polygon points="32,3 57,17.5 57,46.5 32,61 7,46.5 7,17.5" fill="{c}"/>',
        "circle": '<circle cx="32" cy="32" r="29" fill="{c}"/>',
        "square": '<rect x="4" y="4" width="56" height="56" rx="12" fill="{c}"/>',
        "drop": '<path d="M32 3 C44 20 56 30 56 40 A24 21 0 0 1 8 40 C8 30 20 20 32 3 Z" fill="{c}"/>',
    }
    label = (f'<path transform="translate(32 {40 if shape != "drop" else 46})" '
             f'd="{_INITIALS[initials]}" fill="#ffffff"/>')
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
            f'role="img" aria-label="{initials}">\n  {shapes[shape].format(c=color)}\n  {label}\n</svg>\n')


def _agency_logo() -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="220" height="48" viewBox="0 0 220 48" '
            'role="img" aria-label="Brightline Media">\n'
            '  <circle cx="24" cy="24" r="14" fill="#f59e0b"/>\n'
            '  <path d="M4 38 H216" stroke="#1f2937" stroke-width="3" stroke-linecap="round"/>\n'
            f'  <path d="{_AGENCY_WORDMARK}" fill="#1f2937"/>\n'
            '</svg>\n')


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_demo_agency(root: Path, today: dt.date) -> None:
    """Write the Brightline Media demo into `root` (files are overwritten, never deleted).

    Data covers DEMO_MONTHS calendar months up to the day before `today`, so the
    current month is partial and its note is a draft.
    """
    root = Path(root)
    last_day = today - dt.timedelta(days=1)
    months = _months_ending(last_day, DEMO_MONTHS)
    clients = demo_clients(months)
    _write(root / "clients.yaml", _clients_yaml(clients))
    _write(root / "assets" / "brightline.svg", _agency_logo())
    for client, shape in zip(clients, ("hexagon", "circle", "square", "drop"), strict=True):
        _write(root / "assets" / f"{client.id}.svg", _logo_svg(client.initials, client.color, shape))
        rows = _client_rows(client, months, last_day)
        for month, month_rows in rows.items():
            _write(root / "data" / client.id / f"{month}.csv", _csv_text(client, month_rows))
        for month, text in _client_notes(client, rows, last_day).items():
            _write(root / "content" / client.id / f"{month}.md", text)


# --- synthetic agencies for tests and benchmarks --------------------------------------------

# (locale, currency, money scale)
SYNTHETIC_LOCALES = (("en_US", "USD", 1.0), ("vi_VN", "VND", 25000.0), ("de_DE", "EUR", 0.92))
# (channel, cost per click, click-through rate, conversion rate) in dollars
SYNTHETIC_CHANNELS = (("search", 2.4, 0.045, 0.08), ("social", 1.1, 0.012, 0.04),
                      ("display", 0.6, 0.003, 0.02), ("video", 0.9, 0.005, 0.025),
                      ("maps", 1.5, 0.03, 0.12), ("shopping", 0.8, 0.011, 0.03))
SYNTHETIC_WEEKDAY = (1.1, 1.1, 1.05, 1.05, 1.0, 0.8, 0.75)


def _marked(text: str, client_id: str, field: str, marker: bool) -> str:
    return f"{text} MARKER-{client_id}-{field}" if marker else text


@dataclass(frozen=True)
class SyntheticCampaign:
    id: str
    name: str
    channel: str
    daily_spend: float
    cpc: float
    ctr: float
    cvr: float
    value: float
    first_month: int  # index of the month it starts in


@dataclass(frozen=True)
class SyntheticClient:
    id: str
    name: str
    locale: str
    currency: str
    scale: float
    budget: float
    campaigns: tuple[SyntheticCampaign, ...]
    marker: bool

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.locale, self.currency)

    def mark(self, text: str, field: str) -> str:
        return _marked(text, self.id, field, self.marker)


def _synthetic_client(number: int, months: int, seed: int, campaigns: int, marker: bool
                      ) -> SyntheticClient:
    client_id = f"client-{number:04d}"
    rng = random.Random(f"synthetic:{seed}:{client_id}")
    locale, currency, scale = SYNTHETIC_LOCALES[(number - 1) % len(SYNTHETIC_LOCALES)]
    budget = round(rng.uniform(4000, 40000), -2) * scale
    plans = []
    for k in range(campaigns):
        channel, cpc, ctr, cvr = SYNTHETIC_CHANNELS[k % len(SYNTHETIC_CHANNELS)]
        campaign_id = f"{channel}-{k + 1}"
        if marker:  # campaign ids show up in tables and metrics.csv, so they carry it too
            campaign_id = f"MARKER-{client_id}-campaign-{k + 1}"
        plans.append(SyntheticCampaign(
            id=campaign_id, name=_marked(f"{channel.title()} campaign {k + 1}", client_id,
                                         f"campaign-name-{k + 1}", marker),
            channel=channel, daily_spend=budget / 30.4 / campaigns * rng.uniform(0.6, 1.4),
            cpc=cpc * scale * rng.uniform(0.8, 1.2), ctr=ctr * rng.uniform(0.8, 1.2),
            cvr=cvr * rng.uniform(0.8, 1.2), value=rng.uniform(40, 160) * scale,
            first_month=months // 3 if k == campaigns - 1 and campaigns > 2 else 0))
    return SyntheticClient(client_id, _marked(f"Client {number:04d}", client_id, "name", marker),
                           locale, currency, scale, budget, tuple(plans), marker)


def _synthetic_month_csv(client: SyntheticClient, first: dt.date, last: dt.date, index: int,
                         rng: random.Random) -> tuple[str, dict[str, float]]:
    """One month of rows as CSV text, plus its totals for the note.

    The hot loop of the L benchmark (millions of rows): plain floats, local
    names and f-strings; no csv module, no per-row objects.
    """
    rand = rng.random
    lines = [",".join(CANONICAL_COLUMNS)]
    spend_total = leads_total = clicks_total = 0.0
    live = [c for c in client.campaigns if c.first_month <= index]
    decimals = client.fmt.currency_digits
    for day in _days(first, last):
        date = day.isoformat()
        weekday = SYNTHETIC_WEEKDAY[day.weekday()]
        for c in live:
            spend = c.daily_spend * weekday * (0.8 + 0.4 * rand())
            clicks = int(spend / c.cpc * (0.9 + 0.2 * rand()))
            impressions = int(clicks / c.ctr * (0.9 + 0.2 * rand())) + 1
            clicks = min(clicks, impressions)
            conversions = min(int(clicks * c.cvr * (0.7 + 0.6 * rand()) + rand()), clicks)
            leads = int(conversions * 0.6 + rand())
            leads = min(leads, conversions)
            revenue = conversions * c.value * (0.8 + 0.4 * rand())
            lines.append(f"{date},{c.id},{c.channel},{impressions},{clicks},{spend:.{decimals}f},"
                         f"{conversions},{leads},{revenue:.{decimals}f}")
            spend_total += spend
            leads_total += leads
            clicks_total += clicks
    totals = {"spend": spend_total, "leads": leads_total, "clicks": clicks_total}
    return "\n".join(lines) + "\n", totals


def _synthetic_clients_yaml(clients: Sequence[SyntheticClient], end: dt.date) -> str:
    document = {
        "agency": {"name": "Synthetic Agency", "contact_email": "reports@synthetic.example"},
        "defaults": {"locale": "en_US", "currency": "USD"},
        "clients": [_synthetic_client_entry(c, end) for c in clients],
    }
    return ("# Synthetic agency for tests and benchmarks (reportgen.demo.write_synthetic_agency).\n"
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))


def _synthetic_client_entry(client: SyntheticClient, end: dt.date) -> dict:
    mark = client.mark
    peak = str(Month.of(end))
    return {
        "id": client.id,
        "name": client.name,
        "account_executive": {"name": mark(f"AE {client.id[-4:]}", "ae-name"),
                              "email": f"ae-{client.id}@agency.example",
                              "phone": f"+1 555 {client.id[-4:]}"},
        "contacts": [{"name": mark(f"Contact {client.id[-4:]}", "contact-name"),
                      "role": mark("Marketing lead", "contact-role"),
                      "email": f"contact@{client.id}.example"}],
        "locale": client.locale,
        "currency": client.currency,
        "brand": {"color": f"#{(int(client.id[-4:]) * 2654435761) % 0xFFFFFF:06x}"},
        "budget": {"monthly": round(client.budget), "months": {peak: round(client.budget * 1.2)}},
        "metrics": {"cpl": "spend / leads"},
        "kpis": [{"metric": "leads", "label": mark("Leads", "kpi-leads"),
                  "target": round(client.budget / (45 * client.scale))},
                 {"metric": "cpl", "label": mark("Cost per lead", "kpi-cpl"),
                  "target": round(45 * client.scale), "better": "lower"},
                 {"metric": "ctr", "label": mark("Click-through rate", "kpi-ctr"), "target": 0.02}],
        "campaigns": [{"id": c.id, "name": c.name, "channel": c.channel,
                       "budget": round(c.daily_spend * 30.4)} for c in client.campaigns],
        "data": [f"data/{client.id}/*.csv"],
    }


def _synthetic_note(client: SyntheticClient, month: Month, last: dt.date,
                    totals: dict[str, float], draft: bool) -> str:
    mark, fmt = client.mark, client.fmt
    leads = totals["leads"]
    cpl = fmt.money(totals["spend"] / leads) if leads else NO_VALUE
    summary = mark(f"{fmt.count(leads)} leads at {cpl} per lead.", "summary")
    ae, contact = mark(f"AE {client.id[-4:]}", "ae-name"), mark(f"Contact {client.id[-4:]}", "contact-name")
    front = {
        "title": mark(f"{Formatter('en_US', client.currency).month_name(month)} report", "title"),
        "status": "draft" if draft else "final",
        "summary": summary,
        "highlights": [mark(f"Spend {fmt.money(totals['spend'], whole=True)}.", "highlight-1"),
                       mark(f"{fmt.count(totals['clicks'])} clicks.", "highlight-2")],
        "recommendations": [mark("Keep the current budget split.", "recommendation")],
        "next_steps": _inline_steps([NextStep(mark("Review the search terms report", "task"), ae,
                                              month.next.first_day.replace(day=15))]),
        "meetings": [{"date": month.first_day.replace(day=min(10, last.day)),
                      "title": mark("Monthly review", "meeting-title"), "attendees": (ae, contact),
                      "notes": mark("Agreed to keep going.", "meeting-notes")}],
        "annotations": _inline_annotations([(month.first_day, mark("Month start", "annotation"))]),
    }
    body = (f"## {mark('Overview', 'heading')}\n\n{mark(summary, 'body')}\n\n"
            f"| {mark('Metric', 'table')} | Value |\n|---|---:|\n| Leads | {fmt.count(leads)} |\n\n"
            + _chart("leads", "line", "day", mark("Leads per day", "chart-title"), "previous") + "\n")
    return _note_text(front, body)


def write_synthetic_agency(root: Path, *, clients: int, months: int, end: dt.date, seed: int = 1,
                           campaigns_per_client: int = 6, notes: bool = True,
                           marker: bool = False) -> None:
    """Write a generated agency of `clients` clients × `months` months ending at `end`.

    One CSV per client and month with a row per day and campaign (the last
    campaign starts a third of the way in), and, with `notes`, one short note
    per client-month; the month of `end` is a draft unless `end` is its last
    day. With `marker`, every text field of a client carries
    `MARKER-<client id>-<field>`.
    """
    root = Path(root)
    month_list = _months_ending(end, months)
    roster = [_synthetic_client(n, months, seed, campaigns_per_client, marker)
              for n in range(1, clients + 1)]
    _write(root / "clients.yaml", _synthetic_clients_yaml(roster, end))
    for client in roster:
        rng = random.Random(f"synthetic-rows:{seed}:{client.id}")
        data_dir = root / "data" / client.id
        content_dir = root / "content" / client.id
        data_dir.mkdir(parents=True, exist_ok=True)
        if notes:
            content_dir.mkdir(parents=True, exist_ok=True)
        for index, month in enumerate(month_list):
            last = min(end, month.last_day)
            text, totals = _synthetic_month_csv(client, month.first_day, last, index, rng)
            (data_dir / f"{month}.csv").write_text(text, encoding="utf-8", newline="\n")
            if notes:
                note = _synthetic_note(client, month, last, totals, last < month.last_day)
                (content_dir / f"{month}.md").write_text(note, encoding="utf-8", newline="\n")


# --- command line ----------------------------------------------------------------------

def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reportgen.demo",
                                     description="Write the demo agency or a synthetic one.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="the Brightline Media demo agency")
    demo.add_argument("root", type=Path, help="project folder to write into")
    demo.add_argument("--today", type=_iso_date, default=None,
                      help="data ends the day before (default: the current date)")
    synthetic = commands.add_parser("synthetic", help="a generated agency of any size")
    synthetic.add_argument("root", type=Path, help="project folder to write into")
    synthetic.add_argument("--clients", type=int, required=True)
    synthetic.add_argument("--months", type=int, required=True)
    synthetic.add_argument("--end", type=_iso_date, required=True, help="last day of data")
    synthetic.add_argument("--seed", type=int, default=1)
    synthetic.add_argument("--campaigns", type=int, default=6, help="campaigns per client")
    synthetic.add_argument("--no-notes", dest="notes", action="store_false")
    synthetic.add_argument("--markers", action="store_true",
                           help="put MARKER-<client>-<field> in every client text field")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        # The only place the clock is read: a convenience default for humans.
        write_demo_agency(args.root, args.today or dt.date.today())
    else:
        write_synthetic_agency(args.root, clients=args.clients, months=args.months, end=args.end,
                               seed=args.seed, campaigns_per_client=args.campaigns,
                               notes=args.notes, marker=args.markers)
    print(f"Wrote the {args.command} agency into {args.root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
