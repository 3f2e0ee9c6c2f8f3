"""Test helpers: a generator of realistic multi-client reportgen projects.

`make_project(root)` writes a project in the SPEC 2 format: clients.yaml with
three clients (en_US/USD inheriting the defaults, vi_VN/VND, de_DE/EUR),
14 months of daily rows for three campaigns on two channels, monthly notes
using every front-matter field and chart blocks, a custom metric
`cpl: spend / leads`, and budgets with a per-month override.

Every user-controlled string of a client carries that client's *marker*, so
isolation and escaping tests can look for it in the output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import re
import signal
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

# 2026-11-23 00:00 UTC: "today" for every e2e build.
SOURCE_DATE_EPOCH = "1795392000"
TODAY = dt.date(2026, 11, 23)
FIRST_DAY = dt.date(2025, 10, 1)  # 14 months: 2025-10 .. 2026-11 (partial)
LAST_DAY = dt.date(2026, 11, 22)  # data runs up to yesterday

BASE_METRICS = ("impressions", "clicks", "spend", "conversions", "leads", "revenue")
BUILTIN_DERIVED = ("ctr", "cpc", "cpm", "cvr", "cpa", "roas")
HEADER = ("date", "campaign", "channel", *BASE_METRICS)


@dataclass
class ClientSpec:
    id: str
    marker: str
    locale: str | None  # None: inherit the defaults (en_US)
    currency: str | None  # None: inherit the defaults (USD)
    scale: float  # money scale for the currency (VND amounts are large)
    seed: int
    campaigns: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, channel)

    @property
    def monthly_budget(self) -> float:
        return round(32000 * self.scale)  # above the generated spend: no overspend warnings

    @property
    def november_budget(self) -> float:
        return round(40000 * self.scale)


DEFAULT_MARKERS = {"acme-corp": "qzacmeqz", "saigon-foods": "qzsaigonqz", "berlin-bikes": "qzberlinqz"}


def default_clients(markers: dict[str, str] | None = None) -> list[ClientSpec]:
    markers = {**DEFAULT_MARKERS, **(markers or {})}
    specs = [
        ClientSpec("acme-corp", markers["acme-corp"], None, None, 1.0, 1),
        ClientSpec("saigon-foods", markers["saigon-foods"], "vi_VN", "VND", 25000.0, 2),
        ClientSpec("berlin-bikes", markers["berlin-bikes"], "de_DE", "EUR", 0.9, 3),
    ]
    for spec in specs:
        mk = spec.marker
        spec.campaigns = [
            (f"brand-search {mk}", f"Brand search {mk}", f"search {mk}"),
            (f"generic-search {mk}", f"Generic search {mk}", f"search {mk}"),
            (f"prospecting {mk}", f"Prospecting {mk}", f"social {mk}"),
        ]
    return specs


def email_safe(marker: str) -> str:
    """The marker as it can appear in an e-mail address: the characters an address's
    local part may hold (clients.yaml accepts only valid addresses, reportgen/addresses.py)."""
    return re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]", "", marker) or "x"


def client_yaml(spec: ClientSpec) -> dict:
    mk = spec.marker
    client: dict = {
        "id": spec.id,
        "name": f"Client {mk}",
        "account_executive": {
            "name": f"AE {mk}",
            "email": f"{email_safe(mk)}@agency.example",
            "phone": "+1 555 0100",
        },
        "contacts": [
            {
                "name": f"Contact {mk}",
                "role": f"Director {mk}",
                "email": f"contact{email_safe(mk)}@client.example",
            }
        ],
    }
    if spec.locale:
        client["locale"] = spec.locale
    if spec.currency:
        client["currency"] = spec.currency
    client["brand"] = {"color": "#0b6e4f"}
    client["budget"] = {"monthly": spec.monthly_budget, "months": {"2026-11": spec.november_budget}}
    client["metrics"] = {"cpl": "spend / leads"}
    if spec.locale:  # the inheriting client takes its KPIs from the defaults
        client["kpis"] = kpis_yaml(spec)
    client["campaigns"] = [
        {"id": cid, "name": name, "channel": channel, "budget": round(5000 * spec.scale)}
        for cid, name, channel in spec.campaigns
    ]
    client["data"] = [f"data/{spec.id}/*.csv"]
    return client


def kpis_yaml(spec: ClientSpec) -> list[dict]:
    mk = spec.marker
    return [
        {"metric": "leads", "label": f"Leads {mk}", "target": 400},
        {
            "metric": "cpl",
            "label": f"Cost per lead {mk}",
            "target": round(45 * spec.scale),
            "better": "lower",
        },
        {"metric": "roas", "label": f"ROAS {mk}", "target": 3},
    ]


def clients_yaml(specs: list[ClientSpec], agency_name: str = "Brightline Media") -> str:
    inheriting = next((s for s in specs if not s.locale), specs[0])
    document = {
        "agency": {
            "name": agency_name,
            "website": "https://brightline.example",
            "contact_email": "reports@brightline.example",
        },
        "defaults": {"locale": "en_US", "currency": "USD", "kpis": kpis_yaml(inheriting)},
        "clients": [client_yaml(s) for s in specs],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)


def daily_rows(spec: ClientSpec) -> list[dict]:
    """Deterministic daily rows; a few zero and blank cells on purpose."""
    rng = random.Random(spec.seed)
    rows = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for index, (cid, _name, channel) in enumerate(spec.campaigns):
            impressions = rng.randint(2000, 20000)
            clicks = rng.randint(20, 900)
            spend = round(rng.uniform(50, 600) * spec.scale, 2)
            conversions = rng.randint(0, 40)
            leads = rng.randint(0, 30)
            revenue: object = round(rng.uniform(0, 4000) * spec.scale, 2)
            if day.day == 7 and index == 2:  # a day with no delivery at all
                impressions = clicks = conversions = leads = 0
                spend = 0
                revenue = 0
            if day.day == 13 and index == 1:  # missing revenue: blank means "no value"
                revenue = ""
            rows.append(
                {
                    "date": day.isoformat(),
                    "campaign": cid,
                    "channel": channel,
                    "impressions": impressions,
                    "clicks": clicks,
                    "spend": spend,
                    "conversions": conversions,
                    "leads": leads,
                    "revenue": revenue,
                }
            )
        day += dt.timedelta(days=1)
    return rows


def write_csv(path: Path, rows: list[dict], header=HEADER) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def note_text(front: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000) + "---\n" + body


def notes_for(spec: ClientSpec) -> dict[str, str]:
    """content/<client>/<month>.md files, by month."""
    mk = spec.marker
    full_front = {
        "title": f"October 2026 performance {mk}",
        "status": "final",
        "summary": f"Summary October {mk}",
        "highlights": [f"Highlight one {mk}", f"Highlight two {mk}"],
        "recommendations": [f"Recommendation {mk}"],
        "next_steps": [
            {"task": f"Open task {mk}", "owner": f"Owner {mk}", "due": dt.date(2026, 12, 15), "done": False},
            {"task": f"Done task {mk}", "owner": f"Owner {mk}", "due": dt.date(2026, 10, 20), "done": True},
        ],
        "meetings": [
            {
                "date": dt.date(2026, 10, 12),
                "title": f"Monthly review {mk}",
                "attendees": [f"AE {mk}", f"Contact {mk}"],
                "notes": f"Meeting notes {mk}",
            }
        ],
        "annotations": [{"date": dt.date(2026, 10, 5), "text": f"Annotation {mk}"}],
    }
    full_body = f"""## What happened {mk}

Body paragraph {mk} with *emphasis* and a [link](https://example.com).

| Channel | Comment |
|---|---|
| search | Table cell {mk} |

```chart
metric: cpl
type: line
by: day
compare: previous
title: "Chart title {yaml_inline(mk)}"
```

```chart
metric: spend
type: pie
by: channel
title: "Spend by channel {yaml_inline(mk)}"
```

```chart
metric: leads
type: bar
by: week
compare: target
```
"""
    september = {
        "summary": f"Summary September {mk}",
        "highlights": [f"September highlight {mk}"],
        "next_steps": [{"task": f"September task {mk}", "owner": f"Owner {mk}", "done": False}],
    }
    draft = {"status": "draft", "summary": f"Draft summary {mk}"}
    early = {"title": f"Kick-off {mk}", "summary": f"Kick-off summary {mk}"}
    return {
        "2025-09": note_text(early, f"Onboarding started {mk}.\n"),
        "2026-09": note_text(september, f"September body {mk}.\n"),
        "2026-10": note_text(full_front, full_body),
        "2026-11": note_text(draft, f"Draft body {mk}.\n"),
    }


def yaml_inline(text: str) -> str:
    """Text safe inside a double-quoted YAML scalar."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def make_project(
    root: Path, markers: dict[str, str] | None = None, agency_name: str = "Brightline Media"
) -> list[ClientSpec]:
    """Write a full project into `root`; return the client specs."""
    specs = default_clients(markers)
    root.mkdir(parents=True, exist_ok=True)
    (root / "clients.yaml").write_text(clients_yaml(specs, agency_name), encoding="utf-8")
    for spec in specs:
        rows = daily_rows(spec)
        # Two files per client, split by year, to exercise globs.
        write_csv(root / "data" / spec.id / "2025.csv", [r for r in rows if r["date"] < "2026"])
        write_csv(root / "data" / spec.id / "2026.csv", [r for r in rows if r["date"] >= "2026"])
        for month, text in notes_for(spec).items():
            path = root / "content" / spec.id / f"{month}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return specs


# --- reading output ----------------------------------------------------------------


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative POSIX path → content."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def tree_listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def build_env() -> dict[str, str]:
    return {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the `occurrence`-th line containing `needle`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


class ScriptScanner(HTMLParser):
    """Collects <script> tags (attributes + content) and every attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self.attributes: list[tuple[str, str, str | None]] = []  # (tag, name, value)
        self.tags: list[str] = []
        self.text: list[str] = []  # text outside <script>
        self._in_script: dict | None = None
        self._content: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value))
        if tag == "script":
            self._in_script = dict(attrs)
            self._content = []

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value))

    def handle_data(self, data):
        if self._in_script is not None:
            self._content.append(data)
        else:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._content)))
            self._in_script = None


def scan_html(html: str) -> ScriptScanner:
    scanner = ScriptScanner()
    scanner.feed(html)
    scanner.close()
    return scanner


def figure_blocks(html: str) -> dict[str, dict]:
    """The JSON figures embedded in a page, by element id."""
    out = {}
    for attrs, content in scan_html(html).scripts:
        if attrs.get("type") == "application/json":
            out[attrs.get("id", "")] = json.loads(content)
    return out


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(build_env())
    env.update(extra)
    return env


def from_a_terminal() -> None:
    """A child process started as from a terminal (a Popen preexec_fn): SIGINT, SIGTERM and
    SIGHUP at their defaults, whatever this test run inherited. A run started in the
    background by a non-interactive shell (`cmd &`) ignores SIGINT, `nohup` ignores SIGHUP,
    and serve keeps a signal it was started ignoring ignored (serve.py): a test that stops
    serve with one would wait for it in vain."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def wait_for(predicate, seconds: float = 40.0):
    """Poll `predicate` until it returns something truthy (that value), or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def draw_all_charts(page, timeout_ms: int = 30_000) -> str:
    """Scroll each chart not drawn yet into view (reportgen.js draws a chart when it nears
    the view) until every one is drawn, scroll back to the top, and wait until
    html[data-charts] is set; its value ("drawn", "failed" or "none"; None on a page without
    charts or reportgen.js, such as the landing page). On a protected portal it first waits
    for the opened page (main#main; the login page has none). Selectors only: the pages' CSP
    forbids the eval() that wait_for_function needs."""
    page.wait_for_selector("main#main", state="attached", timeout=timeout_ms)
    if not page.locator("[data-figure]").count():
        return page.get_attribute("html", "data-charts")
    undrawn = "Array.from(document.querySelectorAll('[data-figure]:not([data-drawn])'), e => e.id)"
    while ids := page.evaluate(undrawn):
        chart = f'[id="{ids[0]}"]'
        page.locator(chart).scroll_into_view_if_needed(timeout=timeout_ms)
        page.wait_for_selector(f"{chart}[data-drawn]", state="attached", timeout=timeout_ms)
    page.wait_for_selector("html[data-charts]", state="attached", timeout=timeout_ms)
    page.evaluate("window.scrollTo(0, 0)")
    return page.get_attribute("html", "data-charts")


# --- test tools from npm (tests/js) ---------------------------------------------------------

NPM_TOOLS = Path(__file__).resolve().parent / "js" / "node_modules"
AXE_JS = NPM_TOOLS / "axe-core" / "axe.min.js"
BASIC_PLOTLY_JS = NPM_TOOLS / "plotly.js-basic-dist-min" / "plotly-basic.min.js"


def npm_tool(path: Path) -> Path:
    """A tool `npm ci --prefix tests/js` installs (.ci/run does): a test needing it is
    skipped where it is missing, and fails in CI, where it must run."""
    if not path.is_file():
        reason = f"tests/js/node_modules/{path.relative_to(NPM_TOOLS)} is missing (npm ci --prefix tests/js)"
        if os.environ.get("CI"):
            pytest.fail(f"cannot run in CI: {reason}")
        pytest.skip(reason)
    return path
