"""Compute and present: each client's status for the agency (`reportgen status`, the overview).

Two stages, both plain data:

1. `summarize_client` turns what the build computes for a client (metrics.py's
   facts, its notes, each data entry's last day with data) into a *summary*:
   a JSON-able dict with the status month's KPIs, budget pacing, note, next
   steps, data freshness and anomalies, plus the 13-month history and the
   next-step history the overview draws. The build stores it in the project's
   cache (`.reportgen-cache/status/`, a file per client) under its *status
   fingerprint* (its clients.yaml entry and the content of its data files and
   notes, the as-of month and today), so `status` on a warm cache reads no CSV:
   it recomputes only the clients whose fingerprint changed.
2. `status_row` turns a summary into a flat `StatusRow` with its flags, each
   "red" (needs action) or "amber" (watch); `sort_rows` puts the clients that
   need attention first (inputs with errors, then most red flags, then most
   amber flags, then by id).

A protected client's summary is never stored in the cache (its figures and
next steps stay out of it, as its warnings are sealed there): `status` loads
such a client each time. The cache itself is statuscache.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import metrics as m
from .anomalies import client_anomalies
from .model import Client, Month, NextStep, Note
from .notes import open_next_steps, task_key
from .vocabulary import kpi_label

# A client's summary, and each object in it: JSON documents, stored in the status
# cache and read back after a check of their shape (statuscache.valid_summary).
Summary = dict[str, Any]
JsonObject = dict[str, Any]
# A data entry's last day with data, per month: (pattern, line, ((month, day), ...)) (metrics.py)
DataSource = tuple[str, int | None, tuple[tuple[Month, dt.date], ...]]

HISTORY_MONTHS = 13
STALE_DAYS = 3  # a data entry this many days behind the expected day is late
PACE_RED = 0.25  # pacing off by more than this is red; by more than metrics.PACE_BAND amber


# --- 1. summary ---------------------------------------------------------------------------


def status_month(
    facts: m.ClientFacts, notes: dict[Month, Note], until: Month | None, since: Month | None
) -> Month | None:
    """The month a client's status is about: `until` (an explicit --month), else its
    newest month with data or a note (as the portal's latest report)."""
    if until is not None:
        return until
    months = set(facts.rows_by_month) | set(notes)
    if since:
        months = {mo for mo in months if mo >= since}
    return max(months, default=None)


def summarize_client(
    client: Client, facts: m.ClientFacts, notes: Iterable[Note], today: dt.date, until: Month | None
) -> Summary:
    """Everything `status` and the overview show of one client, as plain JSON data.

    `notes`: every note of the client, drafts included (the AE's own view)."""
    notes_by_month = {n.month: n for n in notes if until is None or n.month <= until}
    month = status_month(facts, notes_by_month, until, client.since)
    reports = report_months(facts, notes_by_month, client.since)
    summary: Summary = {
        **_who(client),
        "month": str(month) if month else None,
        "today": today.isoformat(),
        "report": month in reports,
    }
    if month is None or (
        until is not None and month not in reports and (not reports or month < min(reports))
    ):
        # nothing yet, or a --month before the client's first report: no report, nothing late
        summary.update(
            partial=False,
            kpis=[],
            budget=None,
            note="not_due" if month else "missing",
            steps=step_history(notes_by_month.values(), today) if month else [],
            history=[],
            sources=[],
            data_through=None,
            spikes=[],
            gaps=[],
        )
        return summary
    if month not in reports:
        # a month the portal has no report for (no data, no final note): no KPI, pacing
        # or note judgement and no link; late or missing data is still late
        note = notes_by_month.get(month)
        last = facts.untracked_span()[1]
        summary.update(
            partial=m.month_is_partial(month, today),
            kpis=[],
            budget=None,
            note=note_state(note, True),
            steps=step_history(notes_by_month.values(), today),
            data_through=last.isoformat() if last else None,
            sources=freshness(facts.sources, month, today, as_of=until is None),
            spikes=[],
            gaps=[],
            history=history(facts, month, today),
        )
        return summary
    figures = m.compute_month(facts, month, today)
    summary["partial"] = figures.partial
    summary["kpis"] = [
        {
            "metric": k.metric,
            "label": kpi_label(k.label, k.metric),
            "unit": k.unit,
            "better": k.better,
            "value": k.value,
            "target": k.target,
            "projected": k.projected,
            "pct_of_target": _attainment(k),
            "status": k.status,
        }
        for k in figures.kpis
    ]
    budget = figures.budget
    pace = m.ratio(budget.spent, budget.expected_by_now)
    summary["budget"] = {
        "budget": budget.budget,
        "spent": budget.spent,
        "expected_by_now": budget.expected_by_now,
        "status": budget.status,
        "delta": pace - 1 if pace is not None else None,
    }
    if budget.spent is None and budget.expected_by_now:  # a budget and no spend at all: under
        summary["budget"].update(status="under", delta=-1.0)
    note = notes_by_month.get(month)
    summary["note"] = note_state(note, figures.partial)
    summary["steps"] = step_history(notes_by_month.values(), today)
    last = facts.untracked_span()[1]
    summary["data_through"] = last.isoformat() if last else None
    summary["sources"] = freshness(facts.sources, month, today, as_of=until is None)
    spikes, gaps = client_anomalies(facts, month)
    summary["spikes"] = [
        {
            "metric": s.metric,
            "label": s.label,
            "unit": s.unit,
            "date": x.date.isoformat(),
            "value": x.value,
            "median": x.median,
            "score": x.score,
            "direction": x.direction,
        }
        for s in spikes
        for x in s.spikes
    ]
    summary["gaps"] = [
        {
            "campaign": (found.name if (found := client.campaign(g.campaign)) else g.campaign),
            "last_date": g.last_date.isoformat(),
            "days": g.days,
        }
        for g in gaps
    ]
    summary["history"] = history(facts, month, today)
    return summary


def report_months(facts: m.ClientFacts, notes: dict[Month, Note], since: Month | None) -> set[Month]:
    """The months the client's portal has a report for: with data or a final note
    (drafts are left out of a build), from `since` on."""
    months = set(facts.rows_by_month) | {mo for mo, n in notes.items() if not n.is_draft}
    return {mo for mo in months if since is None or mo >= since}


def _attainment(kpi: m.KpiFigure) -> float | None:
    """How far a KPI is towards its target, 1.0 = on target, in its `better` direction
    (for a lower-is-better KPI, target / value); judged on the month-end projection."""
    value = kpi.projected if kpi.projected is not None else kpi.value
    if value is None or kpi.target is None or value < 0 or kpi.target <= 0:
        return None  # a negative value (refunds) or a zero target: no attainment, never inverted
    return m.ratio(value, kpi.target) if kpi.better == "higher" else m.ratio(kpi.target, value)


def note_state(note: Note | None, partial: bool) -> str:
    if note is None:
        return "not_due" if partial else "missing"
    if note.is_draft:
        return "draft"
    return "final" if note.summary else "final_without_summary"


def step_history(notes: Iterable[Note], today: dt.date) -> list[JsonObject]:
    """Every next step ever written, by its latest mention: open, done or overdue."""
    ordered = sorted(notes, key=lambda n: n.month)
    first: dict[str, str] = {}
    latest: dict[str, tuple[NextStep, Note]] = {}
    for note in ordered:
        for step in note.next_steps:
            key = task_key(step.task)
            first.setdefault(key, str(note.month))
            latest[key] = (step, note)
    open_keys = {task_key(s.task) for s, _n in open_next_steps(ordered)}
    steps = []
    for key, (step, note) in latest.items():
        overdue = key in open_keys and step.due is not None and step.due < today
        steps.append(
            {
                "task": step.task,
                "owner": step.owner,
                "due": step.due.isoformat() if step.due else None,
                "state": "done" if step.done else "overdue" if overdue else "open",
                "first_month": first[key],
                "last_month": str(note.month),
            }
        )
    return sorted(
        steps, key=lambda s: ({"overdue": 0, "open": 1, "done": 2}[s["state"]], s["due"] or "9999", s["task"])
    )


def freshness(
    sources: Iterable[DataSource], month: Month, today: dt.date, as_of: bool = False
) -> list[JsonObject]:
    """Each data entry's last day with data (up to `month`) and whether it is late:
    *missing* when it had data the month before but none in `month` (once the
    month is `STALE_DAYS` days old), *stale* when its last day lags the expected
    day by more than `STALE_DAYS` days. The expected day is yesterday (today is
    the as-of date: SOURCE_DATE_EPOCH or the clock) when `as_of` (the default
    status, of the latest month: exports that all stopped weeks ago are late even
    though the latest month with data is complete), else for an explicit month
    the month's last day, or yesterday while it runs."""
    yesterday = today - dt.timedelta(days=1)
    expected = yesterday if as_of else min(yesterday, month.last_day)
    out = []
    for pattern, _line, by_month in sources:
        spans = {mo: day for mo, day in by_month if mo <= month}
        last = max(spans.values(), default=None)
        ongoing = month in spans or month.previous in spans
        missing = (
            month not in spans and month.previous in spans and (expected - month.first_day).days >= STALE_DAYS
        )
        stale = bool(last and ongoing and not missing and (expected - last).days > STALE_DAYS)
        out.append(
            {
                "data": pattern,
                "last_date": last.isoformat() if last else None,
                "missing": missing,
                "stale": stale,
            }
        )
    return out


def history(facts: m.ClientFacts, end: Month, today: dt.date) -> list[JsonObject]:
    """The 13 months up to `end`: spend, budget and each KPI's value and status."""
    out = []
    spend_at = facts.metrics.index.get("spend")
    for month in (end.shift(-i) for i in range(HISTORY_MONTHS - 1, -1, -1)):
        totals = facts.totals(month)
        partial = m.month_is_partial(month, today)
        elapsed = m.days_elapsed(facts, month, today)
        kpis = (
            [m.compute_kpi(facts, kpi, month, partial, elapsed) for kpi in facts.client.kpis]
            if totals
            else []
        )
        out.append(
            {
                "month": str(month),
                "has_data": totals is not None,
                "spend": totals[spend_at] if totals and spend_at is not None else None,
                "budget": facts.client.budget.for_month(month),
                "kpis": [
                    {"value": k.value, "status": k.status, "pct_of_target": _attainment(k)} for k in kpis
                ],
            }
        )
    return out


# --- 2. rows and flags -------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    level: str  # "red": needs action; "amber": watch
    code: str  # kpi_below, kpi_near, pacing_over, pacing_under, note_missing, note_draft,
    #            note_without_summary, steps_overdue, data_stale, export_missing, anomaly, no_data
    text: str


@dataclass(frozen=True)
class StatusRow:
    """One client's line of `reportgen status` (and of the overview's table)."""

    id: str
    name: str
    slug: str
    account_executive: str
    ae_email: str | None
    protected: bool
    currency: str
    month: str | None
    partial: bool
    kpis_met: int
    kpis_near: int
    kpis_below: int
    kpis_without_target: int
    worst_kpi: str | None  # label of the KPI furthest from its target
    worst_kpi_attainment: float | None  # 1.0 = on target (lower-is-better KPIs inverted)
    kpis: list[JsonObject]
    budget: float | None
    spent: float | None
    expected_by_now: float | None
    pacing: str  # over | on_pace | under | none
    pacing_delta: float | None  # spent / expected by now − 1
    note: str  # missing | draft | final_without_summary | final | not_due
    open_steps: int
    overdue_steps: int
    oldest_overdue: str | None  # its due date
    oldest_overdue_task: str | None
    data_through: str | None
    sources: list[JsonObject]  # per data entry: data, last_date, missing, stale
    stale_data: bool
    missing_exports: int
    anomalies: int
    spikes: list[JsonObject]
    gaps: list[JsonObject]
    red: int
    amber: int
    flags: list[JsonObject] = field(default_factory=list)
    portal: str | None = None  # the month's report, relative to the site: slug/YYYY-MM/index.html
    report: bool = True  # the portal has a report for `month` (else "no report for M", no link)
    error: str | None = None  # the client's inputs have errors (`reportgen check` says which)

    def to_json(self) -> JsonObject:
        return asdict(self)


def status_row(summary: Summary) -> StatusRow:
    kpis = summary.get("kpis", [])
    counts = {s: sum(1 for k in kpis if k["status"] == s) for s in ("met", "close", "behind", "none")}
    judged = [k for k in kpis if k["pct_of_target"] is not None]
    worst = min(judged, key=lambda k: k["pct_of_target"], default=None)
    budget = summary.get("budget") or {}
    steps = summary.get("steps", [])
    overdue = sorted((s for s in steps if s["state"] == "overdue"), key=lambda s: s["due"])
    sources = summary.get("sources", [])
    flags = compute_flags(summary, counts, worst, overdue)
    month = summary.get("month")
    return StatusRow(
        id=summary["id"],
        name=summary["name"],
        slug=summary["slug"],
        account_executive=summary["account_executive"],
        ae_email=summary.get("ae_email"),
        protected=summary.get("protected", False),
        currency=summary.get("currency", ""),
        month=month,
        partial=summary.get("partial", False),
        kpis_met=counts["met"],
        kpis_near=counts["close"],
        kpis_below=counts["behind"],
        kpis_without_target=counts["none"],
        worst_kpi=worst["label"] if worst else None,
        worst_kpi_attainment=worst["pct_of_target"] if worst else None,
        kpis=kpis,
        budget=budget.get("budget"),
        spent=budget.get("spent"),
        expected_by_now=budget.get("expected_by_now"),
        pacing=budget.get("status", "none"),
        pacing_delta=budget.get("delta"),
        note=summary.get("note", "missing"),
        open_steps=sum(1 for s in steps if s["state"] != "done"),
        overdue_steps=len(overdue),
        oldest_overdue=overdue[0]["due"] if overdue else None,
        oldest_overdue_task=overdue[0]["task"] if overdue else None,
        data_through=summary.get("data_through"),
        sources=sources,
        stale_data=any(s["stale"] for s in sources),
        missing_exports=sum(s["missing"] for s in sources),
        anomalies=len(summary.get("spikes", [])) + len(summary.get("gaps", [])),
        spikes=summary.get("spikes", []),
        gaps=summary.get("gaps", []),
        red=sum(f.level == "red" for f in flags),
        amber=sum(f.level == "amber" for f in flags),
        flags=[asdict(f) for f in flags],
        portal=f"{summary['slug']}/{month}/index.html"
        if month and summary.get("report", True) and not summary.get("error")
        else None,
        report=bool(month) and summary.get("report", True) and not summary.get("error"),
        error=summary.get("error"),
    )


def compute_flags(
    summary: Summary, counts: dict[str, int], worst: JsonObject | None, overdue: list[JsonObject]
) -> list[Flag]:
    flags: list[Flag] = []
    if summary.get("error"):
        flags.append(Flag("red", "error", summary["error"]))
        return flags
    if (
        summary.get("month") is not None
        and not summary.get("report", True)
        and summary.get("data_through") is None
        and not summary.get("kpis")
    ):
        return flags  # a --month before the client's first report: nothing is due yet
    if summary.get("month") is None or (summary.get("data_through") is None and summary.get("kpis")):
        flags.append(Flag("red", "no_data", "no data yet"))
    if counts["behind"]:
        flags.append(
            Flag(
                "red",
                "kpi_below",
                f"{counts['behind']} KPI(s) below target" + (f", worst {worst['label']}" if worst else ""),
            )
        )
    if counts["close"]:
        flags.append(Flag("amber", "kpi_near", f"{counts['close']} KPI(s) just short of target"))
    budget = summary.get("budget") or {}
    delta = budget.get("delta")
    if budget.get("status") in ("over", "under") and delta is not None:
        word = "over" if budget["status"] == "over" else "under"
        flags.append(
            Flag(
                "red" if abs(delta) > PACE_RED else "amber",
                f"pacing_{word}",
                f"spend {abs(delta):.0%} {word} the expected pace",
            )
        )
    note = summary.get("note")
    if note == "missing":
        flags.append(Flag("red", "note_missing", f"no note for {summary.get('month')}"))
    elif note == "draft":
        flags.append(Flag("amber", "note_draft", f"the {summary.get('month')} note is a draft"))
    elif note == "final_without_summary":
        flags.append(Flag("amber", "note_without_summary", "final note without a summary"))
    if overdue:
        flags.append(
            Flag(
                "red", "steps_overdue", f"{len(overdue)} next step(s) overdue, oldest due {overdue[0]['due']}"
            )
        )
    for source in summary.get("sources", []):
        if source["missing"]:
            flags.append(
                Flag("red", "export_missing", f"no {summary['month']} export for '{source['data']}'")
            )
        elif source["stale"]:
            flags.append(
                Flag("red", "data_stale", f"'{source['data']}' has data only up to {source['last_date']}")
            )
    anomalies = len(summary.get("spikes", [])) + len(summary.get("gaps", []))
    if anomalies:
        flags.append(Flag("amber", "anomaly", f"{anomalies} anomal{'y' if anomalies == 1 else 'ies'}"))
    return flags


def sort_rows(rows: Iterable[StatusRow]) -> list[StatusRow]:
    """What needs attention first: a client whose inputs have errors (its portal cannot be
    built), then most red flags, then most amber flags, then by id."""
    return sorted(rows, key=lambda r: (r.error is None, -r.red, -r.amber, r.id))


def _who(client: Client) -> Summary:
    """The fields every summary starts with: who the client is and who looks after it."""
    return {
        "id": client.id,
        "name": client.name,
        "slug": client.slug,
        "account_executive": client.account_executive.name,
        "ae_email": client.account_executive.email,
        "currency": client.currency,
        "locale": client.locale,
        "protected": client.access is not None,
    }


def error_summary(client: Client, message: str) -> Summary:
    return {**_who(client), "month": None, "error": message}


# --- the terminal table --------------------------------------------------------------------

COLUMNS = ("client", "AE", "month", "KPIs met/near/below", "pacing", "note", "overdue", "data", "anomalies")
NOTE_WORDS = {
    "missing": "missing",
    "draft": "draft",
    "final_without_summary": "no summary",
    "final": "final",
    "not_due": "not due",
}
# ANSI SGR codes of each level's colour (red, yellow, green), and of the bold header
COLOURS = {"red": "31", "amber": "33", "ok": "32", "": None}
BOLD = "1"


def table_cells(row: StatusRow) -> list[tuple[str, str]]:
    """Each cell of a row's line as (text, level): level red, amber, ok or ''."""
    codes = {f["code"]: f["level"] for f in row.flags}
    if row.error:
        return [
            (row.name, "red"),
            (row.account_executive, ""),
            (row.month or "—", ""),
            ("input errors: see check", "red"),
            ("", ""),
            ("", ""),
            ("", ""),
            ("", ""),
            ("", ""),
        ]
    kpis = f"{row.kpis_met}/{row.kpis_near}/{row.kpis_below}"
    if row.worst_kpi is not None and row.worst_kpi_attainment is not None and row.worst_kpi_attainment < 1:
        kpis += f" {row.worst_kpi} {row.worst_kpi_attainment:.0%}"
    kpi_level = "red" if row.kpis_below else "amber" if row.kpis_near else "ok" if row.kpis_met else ""
    if row.pacing_delta is None or row.pacing == "none":
        pacing = ("—", "")
    elif row.pacing == "on_pace":
        pacing = (f"on pace {row.pacing_delta:+.0%}", "ok")
    else:
        pacing = (f"{row.pacing_delta:+.0%} {row.pacing}", codes.get(f"pacing_{row.pacing}", "amber"))
    note_level = {
        "missing": "red",
        "draft": "amber",
        "final_without_summary": "amber",
        "final": "ok",
        "not_due": "",
    }[row.note]
    overdue = (
        (f"{row.overdue_steps} since {row.oldest_overdue}", "red")
        if row.overdue_steps
        else (str(row.open_steps) + " open" if row.open_steps else "0", "ok")
    )
    late = [s for s in row.sources if s["missing"] or s["stale"]]
    if row.data_through is None:
        data = ("no data", "red")
    elif late:
        first = late[0]
        data = (
            f"{'missing' if first['missing'] else 'late'}: {first['data']}"
            + (f" +{len(late) - 1}" if len(late) > 1 else ""),
            "red",
        )
    else:
        data = (f"to {row.data_through}", "ok")
    anomalies = (str(row.anomalies), "amber" if row.anomalies else "ok")
    return [
        (row.name, "red" if row.red else "amber" if row.amber else "ok"),
        (row.account_executive, ""),
        (
            (row.month or "—")
            + (" (no report)" if row.month and not row.report else " (to date)" if row.partial else ""),
            "",
        ),
        (kpis, kpi_level),
        pacing,
        (NOTE_WORDS[row.note], note_level),
        overdue,
        data,
        anomalies,
    ]


def render_table(rows: list[StatusRow], styled: bool, width: int = 28) -> str:
    """The status table as text; with `styled`, each cell coloured by its level
    (ANSI escape codes; the caller decides whether the output is a terminal)."""
    lines = [[(c, "") for c in COLUMNS]] + [table_cells(r) for r in rows]
    lines = [[(_clip(text, width), level) for text, level in line] for line in lines]
    widths = [max(len(line[i][0]) for line in lines) for i in range(len(COLUMNS))]
    out = []
    for n, line in enumerate(lines):
        cells = []
        for i, (text, level) in enumerate(line):
            padded = text.ljust(widths[i]) if i < len(line) - 1 else text
            code = BOLD if n == 0 else COLOURS.get(level)
            if styled and code:
                padded = f"\x1b[{code}m{padded}\x1b[0m"
            cells.append(padded)
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def _clip(text: str, width: int) -> str:
    # no line breaks, tabs or terminal escape sequences from a name
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return text if len(text) <= width else text[: width - 1] + "…"
