"""What an AE wants to hear before sending: warnings about a client's portal.

Not errors — the portal builds — but things a client would notice: a month
with figures and no commentary, a final note without a summary, a KPI with no
target, next steps past their due date, spend well over budget. `--strict`
turns them into failures (a scheduled CI run then refuses to publish).
"""

from __future__ import annotations

import datetime as dt

from . import metrics as m
from .anomalies import anomaly_problems
from .config import CONFIG_FILE
from .errors import Problem
from .model import Client, Month, Note
from .notes import open_next_steps

OVERSPEND = 0.10  # spend more than 10% over budget is worth a word


def advise(
    client: Client, facts: m.ClientFacts, notes: dict[Month, Note], months: tuple[Month, ...], today: dt.date
) -> list[Problem]:
    return [
        *missing_notes(client, facts, notes, months, today),
        *notes_without_data(facts, notes, months),
        *empty_summaries(notes),
        *kpis_without_target(client),
        *overdue_steps(notes, today),
        *overspending(client, facts, months),
        *anomaly_problems(client, facts, months),  # severity info: --strict ignores them
    ]


def missing_notes(
    client: Client, facts: m.ClientFacts, notes: dict[Month, Note], months: tuple[Month, ...], today: dt.date
) -> list[Problem]:
    """Months with data but no note, from the first month that has both
    (history imported from before the AE wrote notes is not a gap); the running
    month is not over yet, so it is not asked for."""
    started = [month for month in notes if month in facts.rows_by_month]
    if not started:
        return []
    first = min(started)
    return [
        Problem(
            f"content/{client.id}/{month}.md",
            None,
            f"{month} has data but no note (a summary and next steps for the client)",
            "warning",
        )
        for month in months
        if month >= first
        and month not in notes
        and month in facts.rows_by_month
        and not m.month_is_partial(month, today)
    ]


def notes_without_data(
    facts: m.ClientFacts, notes: dict[Month, Note], months: tuple[Month, ...]
) -> list[Problem]:
    """Months with a note but no rows: the report says "no data yet" (a late export,
    a note written ahead). A note before the client's first data (a kick-off) is history."""
    first = min(facts.rows_by_month, default=None)
    return [
        Problem(
            note.path,
            None,
            f'{month} has a note but no data yet: its report shows "no data yet" (is an export missing?)',
            "warning",
        )
        for month, note in sorted(notes.items())
        if month in months and month not in facts.rows_by_month and (first is None or month > first)
    ]


def empty_summaries(notes: dict[Month, Note]) -> list[Problem]:
    return [
        Problem(note.path, 1, "final note without a summary (shown on the client's home page)", "warning")
        for note in notes.values()
        if not note.is_draft and not note.summary
    ]


def kpis_without_target(client: Client) -> list[Problem]:
    return [
        Problem(CONFIG_FILE, kpi.line, f"client '{client.id}': KPI '{kpi.metric}' has no target", "warning")
        for kpi in client.kpis
        if kpi.target is None
    ]


def overdue_steps(notes: dict[Month, Note], today: dt.date) -> list[Problem]:
    """Next steps whose latest mention is not done and whose due date has passed."""
    return [
        Problem(
            note.path,
            step.line,
            f"next step '{step.task}' was due {step.due.isoformat()} and is not done",
            "warning",
        )
        for step, note in open_next_steps(notes.values())
        if step.due and step.due < today
    ]


def overspending(client: Client, facts: m.ClientFacts, months: tuple[Month, ...]) -> list[Problem]:
    spend_at = facts.metrics.index.get("spend")
    if spend_at is None:
        return []
    problems = []
    for month in months:
        budget = client.budget.for_month(month)
        totals = facts.totals(month)
        spent = totals[spend_at] if totals else None
        if budget and spent is not None and spent > budget * (1 + OVERSPEND):
            problems.append(
                Problem(
                    CONFIG_FILE,
                    client.line,
                    (
                        f"client '{client.id}': {month} spend {spent:,.2f} is {spent / budget - 1:.0%} over "
                        f"the budget of {budget:,.2f}"
                    ),
                    "warning",
                )
            )
    return problems


def no_recipients(client: Client, notes: dict[Month, Note]) -> list[Problem]:
    """(`check`) The newest final note would reach nobody by e-mail (`reportgen send`):
    no contact has an address (or every one set `reports: false`)."""
    finals = [note for note in notes.values() if not note.is_draft]
    if not finals or any(person.email and person.reports for person in client.contacts):
        return []
    latest = max(finals, key=lambda note: note.month)
    return [
        Problem(
            CONFIG_FILE,
            client.line,
            (
                f"client '{client.id}': the {latest.month} note is final, but no contact has an e-mail "
                "address (contacts[].email, without reports: false): `reportgen send` would send it to "
                "nobody"
            ),
            "warning",
        )
    ]
