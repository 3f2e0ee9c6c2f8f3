"""Scaffolding for the AE's month: new projects, new clients, new monthly notes.

Everything here writes user files (inputs), never the output: `init` writes a
project, `new client` appends to clients.yaml as text (its comments and
layout stay as the AE left them), `new report` writes a draft note that
carries over last month's unfinished next steps. The CI workflow `init` writes
is in ciworkflow.py; `reportgen import` (an export turned into a canonical CSV)
in importexport.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import stat
from pathlib import Path

import yaml

from . import metrics as m
from .ciworkflow import WORKFLOW, workflow_text
from .config import (
    CLIENT_ID_PATTERN,
    CLIENTS_YAML,
    CONFIG_FILE,
    is_windows_reserved,
    read_project_config,
)
from .demo import check_demo_day, write_demo_agency
from .errors import InputError, ReportgenError, UsageError, did_you_mean
from .i18n import Formatter
from .inputfiles import write_whole
from .model import FIRST_YEAR, LAST_YEAR, Client, MetricTable, Month, NextStep, Note, outside_range
from .notes import CONTENT_DIR, FRONT_MATTER, load_client_notes
from .sources import load_client_data
from .vocabulary import kpi_label

SCHEMA_DIR = ".reportgen/schema"
CLIENTS_SCHEMA = "clients.schema.json"
NOTE_SCHEMA = "note.schema.json"


class ScaffoldError(ReportgenError):
    """A scaffolding request that cannot be done as asked."""


# --- JSON Schema for editors ------------------------------------------------------------------


def json_schemas() -> dict[str, dict[str, object]]:
    """JSON Schemas of clients.yaml and of a note's front matter, generated from
    the very field declarations the validator uses."""

    def wrap(schema: dict[str, object], title: str) -> dict[str, object]:
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **schema}

    return {
        CLIENTS_SCHEMA: wrap(CLIENTS_YAML.schema(), "reportgen clients.yaml"),
        NOTE_SCHEMA: wrap(FRONT_MATTER.schema(), "reportgen monthly note front matter"),
    }


def write_schemas(root: Path) -> None:
    folder = root / SCHEMA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        (folder / name).write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def schema_comment(name: str, depth: int = 0) -> str:
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_DIR}/{name}\n"


# --- reportgen init --------------------------------------------------------------------------


STARTER_CLIENTS = """\
agency:
  name: {agency}
  contact_email: reports@example.com
  # site_url: https://reports.example.com/   # the portals' address, linked from e-mails (send)
  # email: {{from: reports@example.com, attach_pdf: false}}   # sender; attach the PDF (build --pdf)
  # plotly_js: assets/plotly-basic.min.js   # a lighter plotly.js (README: "A lighter Plotly bundle")

defaults:                 # every client inherits these unless it sets its own
  locale: en_US
  currency: USD

clients:
  - id: example-client
    name: Example Client
    account_executive: {{name: Your Name, email: you@example.com}}
    contacts:                 # the client's people; `reportgen send` e-mails them the monthly report
      - {{name: Client Contact, role: Marketing lead, email: contact@example.com}}   # reports: false opts out
    budget: {{monthly: 10000}}
    metrics:
      cpl: spend / leads
    kpis:
      - {{metric: leads, label: Leads, target: 300}}
      - {{metric: cpl, label: Cost per lead, target: 35, better: lower}}
    campaigns:
      - {{id: brand-search, name: Brand search, channel: search}}
      - {{id: social, name: Social prospecting, channel: social}}
    data:
      - data/example-client/*.csv
    # To password-protect this portal, uncomment both lines. The slug is the portal's
    # address under site/ (default: the id); this one was drawn at random for you,
    # so the URL neither names the client nor can be guessed.
    # slug: {slug}
    # access: {{password_env: EXAMPLE_PORTAL_PASSWORD}}
"""

# the hidden folders beside an output are its staging folder and back buffer (output.py)
GITIGNORE = "site/\n/.site.*/\n.reportgen-cache/\n/overview/\n/.overview.*/\n"


def random_slug() -> str:
    """An unguessable portal address: 16 letters and digits (about 80 bits)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def init_project(target: Path, *, demo: bool, today: dt.date, agency: str = "My Agency") -> None:
    """Write a new project into `target` (a new or empty folder). A folder that
    cannot be made or written is an error naming it (exit 1), and what init
    had written by then is removed again."""
    if demo:
        check_demo_day(today)  # before anything is written
    try:
        if target.exists() and any(target.iterdir()):
            raise ScaffoldError(f"{target} is not empty; reportgen init needs a new or empty folder")
    except OSError as exc:
        raise _folder_error(target, exc) from None
    created = _outermost_missing(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        _write_project(target, demo=demo, today=today, agency=agency)
    except OSError as exc:
        _remove_written(target, created)
        raise _folder_error(target, exc) from None


def _folder_error(target: Path, exc: OSError) -> ScaffoldError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, FileExistsError) and target.is_symlink():
        reason = "it is a symbolic link to nothing"
    return ScaffoldError(f"{target}: cannot create the project folder: {reason}")


def _outermost_missing(target: Path) -> Path | None:
    """The first folder `target.mkdir(parents=True)` would create (None: target is there)."""
    missing = None
    for folder in (target, *target.parents):
        if os.path.lexists(folder):
            break
        missing = folder
    return missing


def _remove_written(target: Path, created: Path | None) -> None:
    """Best effort: the folders init created, or what it wrote into the empty folder it was given."""
    try:
        if created is not None:
            shutil.rmtree(created)
        elif target.is_dir():
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    except OSError:
        pass  # the error that brought us here is the one to report


def _write_project(target: Path, *, demo: bool, today: dt.date, agency: str) -> None:
    if demo:
        write_demo_agency(target, today)
    else:
        starter = STARTER_CLIENTS.format(agency=agency, slug=random_slug())
        (target / CONFIG_FILE).write_text(starter, encoding="utf-8")
        _write_starter_data(target, today)
    config = target / CONFIG_FILE
    config.write_text(schema_comment(CLIENTS_SCHEMA) + config.read_text(encoding="utf-8"), encoding="utf-8")
    write_schemas(target)
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    workflow = target / WORKFLOW
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(workflow_text(), encoding="utf-8")


def _write_starter_data(root: Path, today: dt.date) -> None:
    """Last month's data and note for the example client, so the project builds at once."""
    month = Month.of(today).previous
    rows = ["date,campaign,channel,impressions,clicks,spend,conversions,leads"]
    for day in range(1, month.days + 1):
        date = month.first_day.replace(day=day)
        weekend = date.weekday() >= 5
        for campaign, channel, base in (("brand-search", "search", 900), ("social", "social", 2400)):
            impressions = base // (2 if weekend else 1) + day * 7
            clicks = impressions // (18 if channel == "search" else 60)
            spend = round(clicks * (1.9 if channel == "search" else 0.85), 2)
            conversions = max(clicks // 9, 1)
            rows.append(
                f"{date.isoformat()},{campaign},{channel},{impressions},{clicks},{spend},"
                f"{conversions},{max(conversions - 1, 0)}"
            )
    data = root / "data" / "example-client"
    data.mkdir(parents=True, exist_ok=True)
    (data / f"{month}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    note = root / CONTENT_DIR / "example-client" / f"{month}.md"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(
        note_text(
            {
                "summary": "Replace this with the month in one sentence.",
                "highlights": ["What went well"],
                "next_steps": [
                    {
                        "task": "Agree next month's priorities",
                        "owner": "Your Name",
                        "due": today + dt.timedelta(days=14),
                        "done": False,
                    }
                ],
            },
            "leads",
        ),
        encoding="utf-8",
    )


# --- reportgen new client -----------------------------------------------------------------------


def new_client(root: Path, client_id: str, name: str) -> Path:
    """Append a client to clients.yaml (as text: comments and layout stay) and
    create its content and data folders. Returns the config path."""
    if not re.fullmatch(CLIENT_ID_PATTERN, client_id):
        raise ScaffoldError(
            f"'{client_id}' is not a valid client id (lower-case letters, digits and '-', "
            "at most 63, starting with a letter or digit)"
        )
    if is_windows_reserved(client_id):
        raise ScaffoldError(
            f"'{client_id}' is a name Windows reserves for a device (con, prn, aux, "
            "nul, com1-9, lpt1-9); choose another client id"
        )
    config_path = root / CONFIG_FILE
    config, problems = read_project_config(root)
    if config is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    if client_id in config.declared_ids:
        raise ScaffoldError(f"client '{client_id}' already exists in {CONFIG_FILE}")
    text = config_path.read_text(encoding="utf-8")
    ae = config.clients[0].account_executive if config.clients else None
    entry = _client_entry(
        client_id, name, ae.name if ae else "Your Name", ae.email if ae else None, _item_indent(text)
    )
    updated = _insert_into_clients(text, entry)
    # all of it or none (a full disk must not truncate clients.yaml), through a link to the file
    target = Path(os.path.realpath(config_path))
    mode = stat.S_IMODE(os.stat(target).st_mode)
    write_whole(target, updated.encode("utf-8"), mode=mode)
    _, problems = read_project_config(root)
    if any(p.severity == "error" for p in problems):  # never leave a broken file behind
        write_whole(target, text.encode("utf-8"), mode=mode)
        raise InputError(problems)
    for folder in (root / CONTENT_DIR / client_id, root / "data" / client_id):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".gitkeep").touch()
    return config_path


def _item_indent(text: str) -> str:
    match = re.search(r"^( *)- id:", text, re.MULTILINE)
    return match.group(1) if match else "  "


def _client_entry(client_id: str, name: str, ae_name: str, ae_email: str | None, indent: str) -> str:
    person = {"name": ae_name, **({"email": ae_email} if ae_email else {})}
    inner = indent + "  "

    def flow(value: object) -> str:  # JSON is YAML: quoted, escaped, on one line
        return json.dumps(value, ensure_ascii=False)

    return (
        f"{indent}- id: {client_id}\n"
        f"{inner}name: {flow(name)}\n"
        f"{inner}account_executive: {flow(person)}\n"
        f"{inner}data:\n"
        f"{inner}  - data/{client_id}/*.csv\n"
    )


def _insert_into_clients(text: str, entry: str) -> str:
    """After the last line of the top-level `clients:` block."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"clients\s*:", line)), None)
    if start is None:
        raise ScaffoldError(f"{CONFIG_FILE} has no top-level 'clients:' list")
    end = len(lines)
    for index in range(start + 1, len(lines)):
        if re.match(r"[^\s#-]", lines[index]):  # the next top-level key
            end = index
            break
    while end > start + 1 and not lines[end - 1].strip():  # keep blank lines after the block
        end -= 1
    before = "".join(lines[:end])
    if before and not before.endswith("\n"):
        before += "\n"
    return before + entry + "".join(lines[end:])


# --- reportgen new report -------------------------------------------------------------------------


def valid_client(root: Path, client_id: str, option: str = "CLIENT") -> Client:
    """The client, from a clients.yaml without errors. An id clients.yaml does
    not declare is a usage error (exit 2), like `--client` of build and check."""
    config, problems = read_project_config(root)
    if config is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    client = next((c for c in config.clients if c.id == client_id), None)
    if client is None:
        raise UsageError(
            f"no client '{client_id}' in {CONFIG_FILE}"
            f"{did_you_mean(client_id, [c.id for c in config.clients])}",
            param_hint=f"'{option}'",
        )
    return client


def new_report(root: Path, client_id: str, month: Month | None, today: dt.date) -> Path:
    client = valid_client(root, client_id)
    notes, note_problems = load_client_notes(root, client_id)
    if any(p.severity == "error" for p in note_problems):
        raise InputError(note_problems)
    table, data_problems = load_client_data(root, client)
    if any(p.severity == "error" for p in data_problems):
        raise InputError(data_problems)
    data_months = {Month.of(row.date) for row in table.rows}
    if month is None:
        month = default_report_month(notes, data_months, today)
    if not FIRST_YEAR <= month.year <= LAST_YEAR:  # the month after 2999-12: no note to write
        raise ScaffoldError(
            f"{CONTENT_DIR}/{client_id}/{month}.md: {outside_range(month)}; "
            "pass --month with a month in range"
        )
    path = root / CONTENT_DIR / client_id / f"{month}.md"
    exists = ScaffoldError(
        f"{path.relative_to(root)} already exists; reportgen never overwrites a note "
        "(finish that one, or pass --month)"
    )
    if path.exists():
        raise exists
    earlier = [n for n in notes if n.month < month]
    carried = carried_steps(earlier[-1]) if earlier else []
    front: dict[str, object] = {"status": "draft"}
    fmt = Formatter(client.locale, client.currency)
    summary = suggest_summary(root, client, month, fmt, table)
    if summary:
        front["summary"] = summary
    front.update(
        {"highlights": [], "next_steps": [_step_dict(s) for s in carried], "meetings": [], "annotations": []}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    first_kpi = client.kpis[0].metric if client.kpis else "clicks"
    try:  # all of it or none: an empty note would be published as a final one
        write_whole(path, note_text(front, first_kpi, fmt).encode("utf-8"), new=True)
    except FileExistsError:  # (made since the check above)
        raise exists from None
    return path


def default_report_month(notes: list[Note], data_months: set[Month], today: dt.date) -> Month:
    """The month `new report` writes when none is given.

    The earliest month after the newest final note that has data (the report
    the client is waiting for); if no later month has data, the month after
    the newest final note. Without a final note: the newest complete month
    with data, else the newest month with data, else last calendar month.
    """
    finals = [n.month for n in notes if not n.is_draft]
    if finals:
        newest = max(finals)
        later = sorted(mo for mo in data_months if mo > newest)
        return later[0] if later else newest.next
    complete = [mo for mo in data_months if mo.last_day < today]
    if complete:
        return max(complete)
    return max(data_months) if data_months else Month.of(today).previous


def carried_steps(previous: Note) -> list[NextStep]:
    return [step for step in previous.next_steps if not step.done]


def _step_dict(step: NextStep) -> dict[str, object]:
    out: dict[str, object] = {"task": step.task}
    if step.owner:
        out["owner"] = step.owner
    if step.due:
        out["due"] = step.due
    out["done"] = False
    return out


def suggest_summary(
    root: Path, client: Client, month: Month, fmt: Formatter | None = None, table: MetricTable | None = None
) -> str:
    """A first line from the data, in the client's language: the KPI that moved
    most against last month."""
    fmt = fmt or Formatter(client.locale, client.currency)
    if table is None:
        table, problems = load_client_data(root, client)
        if any(p.severity == "error" for p in problems):
            return ""
    if not table.rows:
        return ""
    facts = m.compute_client_facts(client, table)
    if facts.totals(month) is None:
        return ""
    moves = []
    for kpi in client.kpis:
        value = facts.metrics.value(facts.totals(month), kpi.metric)
        before = facts.metrics.value(facts.totals(month.previous), kpi.metric)
        change = m.compute_change(value, before, kpi.better)
        if change.ratio is not None:
            moves.append((change.ratio, kpi, change))
    if not moves:
        return ""
    ratio, kpi, change = max(moves, key=lambda move: abs(move[0]))
    verdict = {
        "better": fmt.gettext("an improvement"),
        "worse": fmt.gettext("worth a look"),
        "same": fmt.gettext("steady"),
    }[change.verdict]
    template = (
        fmt.gettext("{kpi} up {change} on last month ({verdict}).")
        if ratio > 0
        else fmt.gettext("{kpi} down {change} on last month ({verdict}).")
    )
    return template.format(
        kpi=fmt.gettext(kpi_label(kpi.label, kpi.metric)), change=fmt.percent(abs(ratio), 0), verdict=verdict
    )


def note_text(front: dict[str, object], metric: str, fmt: Formatter | None = None) -> str:
    """A note: front matter, then headings in the client's language."""
    fmt = fmt or Formatter("en_US", "USD")
    front_matter = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    return (
        f"---\n{front_matter}---\n"
        f"## {fmt.gettext('What happened')}\n\n{fmt.gettext('Write the story of the month here.')}\n\n"
        f"```chart\nmetric: {metric}\ntype: line\nby: day\ncompare: previous\n```\n\n"
        f"## {fmt.gettext('What we recommend')}\n\n"
    )
