"""One client, made ready to render: load its notes and data, validate, compute.

`load_client` is what every command that looks at one client's month runs
(build's workers, `check`, `send`, `pdf`): it returns the client's plan (the
computed facts and the months and notes its portal shows) with every
problem found, or no plan when an error leaves nothing to render.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import metrics as m
from .advice import advise
from .buildoptions import BuildOptions, as_of_month
from .errors import Problem
from .model import Client, MetricTable, Note
from .notes import load_client_notes
from .notescache import NotesCache
from .parsedcache import ParsedCache
from .protect import Sealer, make_sealer, new_salt
from .site import ClientPlan
from .sources import load_client_data

SHORT_PASSWORD = 12  # shorter portal passwords are a warning (empty or only spaces: an error)


def load_client(
    root: Path,
    client: Client,
    options: BuildOptions,
    all_notes: list[Note] | None = None,
    parsed: ParsedCache | None = None,
    parsed_notes: NotesCache | None = None,
) -> tuple[ClientPlan | None, list[Problem]]:
    """`all_notes`, when given, receives every note of the client, drafts included;
    `parsed`, `parsed_notes`: its data files and notes as an earlier build parsed them
    (never for a protected client)."""
    notes_cache = parsed_notes if client.access is None else None
    notes, problems = load_client_notes(root, client.id, notes_cache)
    if notes_cache is not None:
        notes_cache.save()
    if all_notes is not None:
        all_notes.extend(notes)
    cache = parsed if client.access is None else None
    table, data_problems = load_client_data(root, client, options.today, cache)
    problems.extend(data_problems)
    if any(p.severity == "error" for p in data_problems):
        return None, problems
    plan, plan_problems = plan_client(client, table, notes, options)
    # A file that failed to load is named by its error: a warning about it (a note that did not
    # parse "has data but no note") would read as a second thing to fix.
    failed = {p.path for p in problems if p.severity == "error"}
    return plan, problems + [p for p in plan_problems if p.severity == "error" or p.path not in failed]


def plan_client(
    client: Client, table: MetricTable, notes: list[Note], options: BuildOptions
) -> tuple[ClientPlan | None, list[Problem]]:
    problems: list[Problem] = access_problems(client, options.preview)
    if any(p.severity == "error" for p in problems):
        return None, problems
    until = as_of_month(options.month, options.today)
    facts = m.compute_client_facts(client, table, until)
    if table.rows:
        problems.extend(facts.metrics.check(client))
    elif client.data:
        problems.append(
            Problem("clients.yaml", client.line, f"client '{client.id}' has no metric rows yet", "warning")
        )
    included = {
        n.month: n
        for n in notes
        if (options.drafts or not n.is_draft) and (until is None or n.month <= until)
    }
    for note in included.values():
        for spec in note.charts:
            if table.rows:
                problems.extend(facts.metrics.check_metric(spec.metric, note.path, spec.line, "chart"))
            if spec.compare == "target" and not any(
                k.metric == spec.metric and k.target is not None for k in client.kpis
            ):
                problems.append(
                    Problem(
                        note.path,
                        spec.line,
                        (f"chart: 'compare: target' needs a KPI with a target for '{spec.metric}'"),
                    )
                )
    months = set(facts.rows_by_month) | set(included)
    if client.since:
        months = {mo for mo in months if mo >= client.since}
    problems.extend(advise(client, facts, included, tuple(sorted(months)), options.today))
    plan = ClientPlan(
        client=client, facts=facts, notes=included, months=tuple(sorted(months)), today=options.today
    )
    return plan, problems


def access_problems(client: Client, preview: bool) -> list[Problem]:
    """Every password of a protected portal is set, and no two people share one."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for where, variable, line in client.access.keys if client.access else ():
        password = os.environ.get(variable)
        if password and not password.strip():
            problems.append(
                Problem(
                    "clients.yaml",
                    line or client.line,
                    (
                        f"client '{client.id}': {where}: the environment variable {variable} holds only "
                        "spaces; set a real password"
                    ),
                    "warning" if preview else "error",
                )
            )
            continue
        if password and len(password) < SHORT_PASSWORD:
            problems.append(
                Problem(
                    "clients.yaml",
                    line or client.line,
                    (
                        f"client '{client.id}': {where}: the password in {variable} has only "
                        f"{len(password)} characters; anyone with a downloaded page can try guesses "
                        f"offline — use at least {SHORT_PASSWORD} (e.g. four random words)"
                    ),
                    "warning",
                )
            )
        if not password and preview:
            problems.append(
                Problem(
                    "clients.yaml",
                    line or client.line,
                    (
                        f"client '{client.id}': {where}: the environment variable {variable} is not "
                        "set (or empty); `reportgen build` will refuse to publish this portal until it is"
                    ),
                    "warning",
                )
            )
        elif not password:
            problems.append(
                Problem(
                    "clients.yaml",
                    line or client.line,
                    (
                        f"client '{client.id}': {where}: the environment variable "
                        f"{variable} is not set (or empty); refusing to build an unprotected portal"
                    ),
                )
            )
        elif password in seen:
            problems.append(
                Problem(
                    "clients.yaml",
                    line or client.line,
                    (
                        f"client '{client.id}': {where}: {variable} holds the same password as "
                        f"{seen[password]}; "
                        "give each person their own (removing one of them would not revoke the other)"
                    ),
                )
            )
        else:
            seen[password] = where
    return problems


def portal_sealers(clients: list[Client], salts: dict[str, bytes]) -> dict[str, Sealer]:
    """Each protected portal's sealer: one PBKDF2 per person, in this process.

    A portal with a missing or shared password gets none (`access_problems`
    reports it). New portals get a new salt in `salts`."""
    sealers = {}
    for client in clients:
        if client.access is None or any(
            p.severity == "error" for p in access_problems(client, preview=False)
        ):
            continue
        passwords = [os.environ[variable] for _where, variable, _line in client.access.keys]
        sealers[client.id] = make_sealer(passwords, salts.setdefault(client.id, new_salt()))
    return sealers
