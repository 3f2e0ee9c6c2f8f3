"""Plan: every client's status summary, from the status cache or computed afresh.

`collect_summaries` is what `reportgen status` and `reportgen overview` start
from. A client whose status fingerprint (status.py) matches the cache's is
not loaded at all; the others are loaded (notes and data), in parallel
processes, summarized, and stored back. A client whose inputs have errors
gets a summary that says so (`reportgen check` lists them); the others are
still shown.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
from dataclasses import dataclass
from pathlib import Path

from . import metrics as m
from .buildoptions import as_of_month
from .cache import CACHE_DIR, InputDigests
from .config import read_project_config
from .datafiles import find_data_sources
from .errors import InputError, OutputError, UsageError, did_you_mean
from .inputfiles import cache_folder_problem
from .model import Client, Month, ProjectConfig
from .notes import load_client_notes
from .parsedcache import forget_protected
from .sources import load_client_data
from .status import StatusRow, Summary, error_summary, sort_rows, status_row, summarize_client
from .statuscache import (
    cacheable_ids,
    forget_status_files,
    load_status_cache,
    save_status_cache,
    status_fingerprint,
    status_inputs,
    valid_summary,
)


@dataclass(frozen=True)
class AgencyStatus:
    config: ProjectConfig
    until: Month | None
    summaries: dict[str, Summary]  # client id → summary (status.py), in clients.yaml order
    loaded: int  # clients loaded afresh (the others came from the cache)

    def rows(self, ae: str | None = None) -> list[StatusRow]:
        rows = [status_row(s) for s in self.summaries.values()]
        if ae is not None:
            rows = [r for r in rows if matches_ae(r, ae)]
        return sort_rows(rows)


def matches_ae(row: StatusRow, ae: str) -> bool:
    wanted = ae.strip().casefold()
    return wanted in (row.account_executive.casefold(), (row.ae_email or "").casefold())


def check_ae(config: ProjectConfig, ae: str) -> None:
    """`--ae NAME`: the name (or e-mail) of an account executive in clients.yaml."""
    names = {c.account_executive.name for c in config.clients}
    emails = {c.account_executive.email.casefold() for c in config.clients if c.account_executive.email}
    if ae.strip().casefold() in {n.casefold() for n in names} | emails:
        return
    known = ", ".join(sorted(names)) or "none"
    raise UsageError(  # a bad option value, as a bad --client is: exit 2 with the usage line
        f"no client has the account executive '{ae}'{did_you_mean(ae, names)}; they are: {known}",
        param_hint="--ae",
    )


def load_config(project: Path) -> ProjectConfig:
    config, problems = read_project_config(project)
    if config is None or any(p.severity == "error" for p in problems):
        raise InputError([p for p in problems if p.severity == "error"] or problems)
    return config


def collect_summaries(
    project: Path, month: str | None, today: dt.date, jobs: int = 1, cache_dir: Path | None = None
) -> AgencyStatus:
    cache_dir = cache_dir or project / CACHE_DIR
    if (problem := cache_folder_problem(cache_dir)) is not None:
        raise OutputError(problem)
    config = load_config(project)
    until = as_of_month(month, today)  # a bad --month is a usage error (exit 2), as for build
    cache = load_status_cache(cache_dir, sorted(cacheable_ids(config.clients)))
    forget_status_files(cache_dir, config.clients)  # gone or protected now: dropped at once
    forget_protected(cache_dir, config.clients)  # and its parsed data files (parsedcache.py)
    stored = cache.inputs
    inputs = InputDigests(stored)
    summaries: dict[str, Summary | None] = {}
    prints: dict[str, str] = {}
    paths: dict[str, list[str]] = {}  # client id → the files its fingerprint read
    todo: list[Client] = []
    for client in config.clients:
        try:
            files = [path for path, _source in find_data_sources(project, client)[0]]
        except (OSError, RuntimeError, ValueError):
            files = None
        entry = cache.clients.get(client.id)
        if files is not None and client.access is None:
            paths[client.id] = status_inputs(project, client, files)
            prints[client.id] = status_fingerprint(
                project, client, files, inputs, until, today, files=paths[client.id]
            )
            if (
                entry
                and entry["fingerprint"] == prints[client.id]
                and valid_summary(entry["summary"], client)
            ):
                summaries[client.id] = entry["summary"]
                continue
        summaries[client.id] = None
        todo.append(client)
    fresh = _summarize_all(project, todo, until, today, jobs)
    for client in todo:
        summary = fresh[client.id]
        summaries[client.id] = summary
        if client.id in prints and not summary.get("error"):
            cache.clients[client.id] = {"fingerprint": prints[client.id], "summary": summary}
    # Written again: the clients summarized afresh, and those whose files' digests
    # settled or changed since (their files only; nothing else is rewritten).
    summarized = {c.id for c in todo}
    to_save = {
        client_id: files
        for client_id, files in paths.items()
        if client_id in cache.clients
        and cache.clients[client_id]["fingerprint"] == prints[client_id]
        and (client_id in summarized or any(inputs.seen.get(f) != stored.get(f) for f in files))
    }
    cache.inputs = inputs.seen
    save_status_cache(cache_dir, cache, config.clients, to_save)
    return AgencyStatus(config, until, {k: v for k, v in summaries.items() if v is not None}, len(todo))


def summary_for(project: Path, client: Client, until: Month | None, today: dt.date) -> Summary:
    """Load one client's notes and data and summarize them (status.summarize_client)."""
    notes, problems = load_client_notes(project, client.id)
    table, data_problems = load_client_data(project, client, today)
    errors = [p for p in problems + data_problems if p.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return error_summary(client, f"cannot read its inputs: {errors[0]}{more}; run `reportgen check`")
    facts = m.compute_client_facts(client, table, until)
    return summarize_client(client, facts, notes, today, until)


@dataclass(frozen=True)
class _SummaryJob:
    """What each pool process summarizes clients with."""

    project: Path
    clients: dict[str, Client]
    until: Month | None
    today: dt.date


# The job of a pool process: set only by `_install_job`, the pool's initializer.
_POOL_JOB: _SummaryJob | None = None


def _install_job(job: _SummaryJob) -> None:
    global _POOL_JOB
    _POOL_JOB = job


def _one(client_id: str) -> tuple[str, Summary]:
    assert _POOL_JOB is not None, "_install_job runs first in every pool process"
    job = _POOL_JOB
    return client_id, summary_for(job.project, job.clients[client_id], job.until, job.today)


def _summarize_all(
    project: Path, clients: list[Client], until: Month | None, today: dt.date, jobs: int
) -> dict[str, Summary]:
    if jobs <= 1 or len(clients) <= 2:
        return {c.id: summary_for(project, c, until, today) for c in clients}
    workers = min(jobs, len(clients))  # a process per client at most: the rest would sit idle
    job = _SummaryJob(project, {c.id: c for c in clients}, until, today)
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_install_job, initargs=(job,)
    ) as pool:
        return dict(pool.map(_one, [c.id for c in clients], chunksize=4))
