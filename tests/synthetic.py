"""Synthetic agencies of any size, for the tests and the benchmark.

`write_synthetic_agency` writes a generated project (clients.yaml, one CSV
per client and month with a row per day and campaign, one short note per
client-month), optionally with a per-client marker string in every text field
so isolation tests can grep for leaks between portals. Deterministic: every
random draw comes from a `random.Random` seeded by a name, never the clock.

Not part of the product (the demo agency `reportgen init --demo` writes is
checked-in data, reportgen/demo.py). Tests import it as `synthetic` (tests/ is
on their path); benchmarks/bench.py puts tests/ on its path.

    python tests/synthetic.py OUT --clients 20 --months 12 --end 2026-10-31
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from reportgen.i18n import NO_VALUE, Formatter
from reportgen.model import Month

CANONICAL_COLUMNS = (
    "date",
    "campaign",
    "channel",
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "leads",
    "revenue",
)


def _months_ending(last_day: dt.date, count: int) -> list[Month]:
    """The `count` calendar months that end with `last_day`'s month."""
    return [Month.of(last_day).shift(-back) for back in reversed(range(count))]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter is ~5x faster
    """Safe YAML, block style, with tuples and `_Inline` mappings on one line."""

    def ignore_aliases(self, data: object) -> bool:
        return True


class _Inline(dict):
    pass


_Dumper.add_representer(tuple, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, True))
_Dumper.add_representer(_Inline, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, True))


def _yaml(value: object) -> str:
    return yaml.dump(
        value, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 20
    )


def _note_text(front: dict, body: str) -> str:
    """A note file: YAML front matter (a missing title is left out), then Markdown."""
    return f"---\n{_yaml({k: v for k, v in front.items() if v is not None})}---\n{body}"


def _chart(metric: str, type_: str, by: str, title: str, compare: str) -> str:
    spec = {"metric": metric, "type": type_, "by": by, "compare": compare, "title": title}
    return f"```chart\n{_yaml(spec)}```"


def _inline_annotations(annotations: Iterable[tuple[dt.date, str]]) -> list[_Inline]:
    return [_Inline(date=day, text=text) for day, text in annotations]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


# --- synthetic agencies ---------------------------------------------------------------------

# (locale, currency, money scale)
SYNTHETIC_LOCALES = (("en_US", "USD", 1.0), ("vi_VN", "VND", 25000.0), ("de_DE", "EUR", 0.92))
# (channel, cost per click, click-through rate, conversion rate) in dollars
SYNTHETIC_CHANNELS = (
    ("search", 2.4, 0.045, 0.08),
    ("social", 1.1, 0.012, 0.04),
    ("display", 0.6, 0.003, 0.02),
    ("video", 0.9, 0.005, 0.025),
    ("maps", 1.5, 0.03, 0.12),
    ("shopping", 0.8, 0.011, 0.03),
)
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


def _synthetic_client(number: int, months: int, seed: int, campaigns: int, marker: bool) -> SyntheticClient:
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
        plans.append(
            SyntheticCampaign(
                id=campaign_id,
                name=_marked(
                    f"{channel.title()} campaign {k + 1}", client_id, f"campaign-name-{k + 1}", marker
                ),
                channel=channel,
                daily_spend=budget / 30.4 / campaigns * rng.uniform(0.6, 1.4),
                cpc=cpc * scale * rng.uniform(0.8, 1.2),
                ctr=ctr * rng.uniform(0.8, 1.2),
                cvr=cvr * rng.uniform(0.8, 1.2),
                value=rng.uniform(40, 160) * scale,
                first_month=months // 3 if k == campaigns - 1 and campaigns > 2 else 0,
            )
        )
    return SyntheticClient(
        client_id,
        _marked(f"Client {number:04d}", client_id, "name", marker),
        locale,
        currency,
        scale,
        budget,
        tuple(plans),
        marker,
    )


def _synthetic_month_csv(
    client: SyntheticClient, first: dt.date, last: dt.date, index: int, rng: random.Random
) -> tuple[str, dict[str, float]]:
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
            lines.append(
                f"{date},{c.id},{c.channel},{impressions},{clicks},{spend:.{decimals}f},"
                f"{conversions},{leads},{revenue:.{decimals}f}"
            )
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
    return "# Synthetic agency for tests and benchmarks (tests/synthetic.py).\n" + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=120
    )


def _synthetic_client_entry(client: SyntheticClient, end: dt.date) -> dict:
    mark = client.mark
    peak = str(Month.of(end))
    return {
        "id": client.id,
        "name": client.name,
        "account_executive": {
            "name": mark(f"AE {client.id[-4:]}", "ae-name"),
            "email": f"ae-{client.id}@agency.example",
            "phone": f"+1 555 {client.id[-4:]}",
        },
        "contacts": [
            {
                "name": mark(f"Contact {client.id[-4:]}", "contact-name"),
                "role": mark("Marketing lead", "contact-role"),
                "email": f"contact@{client.id}.example",
            }
        ],
        "locale": client.locale,
        "currency": client.currency,
        "brand": {"color": f"#{(int(client.id[-4:]) * 2654435761) % 0xFFFFFF:06x}"},
        "budget": {"monthly": round(client.budget), "months": {peak: round(client.budget * 1.2)}},
        "metrics": {"cpl": "spend / leads"},
        "kpis": [
            {
                "metric": "leads",
                "label": mark("Leads", "kpi-leads"),
                "target": round(client.budget / (45 * client.scale)),
            },
            {
                "metric": "cpl",
                "label": mark("Cost per lead", "kpi-cpl"),
                "target": round(45 * client.scale),
                "better": "lower",
            },
            {"metric": "ctr", "label": mark("Click-through rate", "kpi-ctr"), "target": 0.02},
        ],
        "campaigns": [
            {"id": c.id, "name": c.name, "channel": c.channel, "budget": round(c.daily_spend * 30.4)}
            for c in client.campaigns
        ],
        "data": [f"data/{client.id}/*.csv"],
    }


def _synthetic_note(
    client: SyntheticClient, month: Month, last: dt.date, totals: dict[str, float], draft: bool
) -> str:
    mark, fmt = client.mark, client.fmt
    leads = totals["leads"]
    cpl = fmt.money(totals["spend"] / leads) if leads else NO_VALUE
    summary = mark(f"{fmt.count(leads)} leads at {cpl} per lead.", "summary")
    ae, contact = mark(f"AE {client.id[-4:]}", "ae-name"), mark(f"Contact {client.id[-4:]}", "contact-name")
    front = {
        "title": mark(f"{Formatter('en_US', client.currency).month_name(month)} report", "title"),
        "status": "draft" if draft else "final",
        "summary": summary,
        "highlights": [
            mark(f"Spend {fmt.money(totals['spend'], whole=True)}.", "highlight-1"),
            mark(f"{fmt.count(totals['clicks'])} clicks.", "highlight-2"),
        ],
        "recommendations": [mark("Keep the current budget split.", "recommendation")],
        "next_steps": [
            _Inline(
                task=mark("Review the search terms report", "task"),
                owner=ae,
                due=month.next.first_day.replace(day=15),
                done=False,
            )
        ],
        "meetings": [
            {
                "date": month.first_day.replace(day=min(10, last.day)),
                "title": mark("Monthly review", "meeting-title"),
                "attendees": (ae, contact),
                "notes": mark("Agreed to keep going.", "meeting-notes"),
            }
        ],
        "annotations": _inline_annotations([(month.first_day, mark("Month start", "annotation"))]),
    }
    body = (
        f"## {mark('Overview', 'heading')}\n\n{mark(summary, 'body')}\n\n"
        f"| {mark('Metric', 'table')} | Value |\n|---|---:|\n| Leads | {fmt.count(leads)} |\n\n"
        + _chart("leads", "line", "day", mark("Leads per day", "chart-title"), "previous")
        + "\n"
    )
    return _note_text(front, body)


def write_synthetic_agency(
    root: Path,
    *,
    clients: int,
    months: int,
    end: dt.date,
    seed: int = 1,
    campaigns_per_client: int = 6,
    notes: bool = True,
    marker: bool = False,
) -> None:
    """Write a generated agency of `clients` clients × `months` months ending at `end`.

    One CSV per client and month with a row per day and campaign (the last
    campaign starts a third of the way in), and, with `notes`, one short note
    per client-month; the month of `end` is a draft unless `end` is its last
    day. With `marker`, every text field of a client carries
    `MARKER-<client id>-<field>`.
    """
    root = Path(root)
    month_list = _months_ending(end, months)
    roster = [_synthetic_client(n, months, seed, campaigns_per_client, marker) for n in range(1, clients + 1)]
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


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/synthetic.py", description="Write a synthetic agency of any size."
    )
    parser.add_argument("root", type=Path, help="project folder to write into")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--months", type=int, required=True)
    parser.add_argument("--end", type=_iso_date, required=True, help="last day of data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--campaigns", type=int, default=6, help="campaigns per client")
    parser.add_argument("--no-notes", dest="notes", action="store_false")
    parser.add_argument(
        "--markers", action="store_true", help="put MARKER-<client>-<field> in every client text field"
    )
    args = parser.parse_args(argv)
    write_synthetic_agency(
        args.root,
        clients=args.clients,
        months=args.months,
        end=args.end,
        seed=args.seed,
        campaigns_per_client=args.campaigns,
        notes=args.notes,
        marker=args.markers,
    )
    print(f"Wrote a synthetic agency into {args.root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
