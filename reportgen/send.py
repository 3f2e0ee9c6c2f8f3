"""`reportgen send`: who gets which month's report, and handing it over.

The stages, one way:

1. `plan_sending` loads and validates everything first (clients.yaml, each
   selected client's notes and data — any error stops the run before a
   message goes out), picks the clients whose note for the month is final,
   composes every message (mail.py) and sorts them against the ledger
   (ledger.py): to send, already sent, changed since it was sent.
2. `write_dry_run` writes the messages as .eml files — or `send_messages`
   hands them to the SMTP server one by one (smtp.py: the server from
   REPORTGEN_SMTP_URL, verified TLS, errors that never quote a server reply or
   the password), recording each in the ledger as soon as the server accepted it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import metrics as m
from . import pages
from .buildoptions import BuildOptions, select_clients
from .cache import CACHE_DIR
from .clientload import load_client
from .config import CONFIG_FILE, read_project_config
from .errors import InputError, Problem
from .inputfiles import UnreadableInputError, input_folder_problem, read_input_bytes, real_path
from .ledger import LEDGER, LedgerWriter, SentRecord, load_ledger, sent_key
from .mail import (
    Message,
    compose,
    mail_content,
    mail_environment,
    mime_message,
    new_message_id,
    recipients,
)
from .model import Client, Month, ProjectConfig
from .output import INPUT_NAMES, SITE_MARKER
from .pdf import PDF_NAME
from .site import ClientPlan, report_clock
from .smtp import MessageRefused, SendError, SmtpServer, SmtpTransport, smtp_server, tls_context


@dataclass(frozen=True)
class SendOptions:
    project: Path
    month: Month
    clients: tuple[str, ...] = ()
    resend: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    site: Path | None = None  # where a built report.pdf is looked for (default: project/site)


@dataclass(frozen=True)
class Skipped:
    client_id: str
    reason: str


@dataclass
class SendPlan:
    month: Month
    to_send: list[Message] = field(default_factory=list)
    already: list[tuple[Message, SentRecord]] = field(default_factory=list)
    changed: list[tuple[Message, SentRecord]] = field(default_factory=list)
    resent: list[tuple[Message, SentRecord]] = field(default_factory=list)  # --resend
    skipped: list[Skipped] = field(default_factory=list)
    stale: list[Skipped] = field(default_factory=list)  # the built site disagrees: not sent, exit 1
    warnings: list[Problem] = field(default_factory=list)


# --- 1. plan: who gets what -------------------------------------------------------------------


def plan_sending(options: SendOptions) -> SendPlan:
    root = options.project
    config, problems = read_project_config(root)
    if config is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    problems = mail_settings_problems(config)
    if problems:
        raise InputError(problems)
    selected = select_clients(config, options.clients)
    build_options = BuildOptions(
        project=root,
        out=options.site or root / "site",
        clients=options.clients,
        month=str(options.month),
        drafts=True,
        today=options.today,
        preview=True,
    )  # no portal password is needed to send a link
    sent, ledger_warnings = load_ledger(root)
    plan = SendPlan(options.month, warnings=ledger_warnings)
    env = mail_environment(root)
    errors: list[Problem] = []
    month = options.month
    for client in selected:
        client_plan, client_problems = load_client(root, client, build_options)
        if client_plan is None or any(p.severity == "error" for p in client_problems):
            errors.extend(p for p in client_problems if p.severity == "error")
            continue
        note = client_plan.notes.get(month)
        if note is None:
            plan.skipped.append(Skipped(client.id, f"no note for {month} (content/{client.id}/{month}.md)"))
            continue
        if note.is_draft:
            plan.skipped.append(Skipped(client.id, f"the {month} note is a draft ({note.path})"))
            continue
        if month not in client_plan.months:
            plan.skipped.append(Skipped(client.id, f"{month} is before the client's `since` month"))
            continue
        people = recipients(client)
        if not people:
            plan.skipped.append(
                Skipped(
                    client.id,
                    "no contact with an e-mail address (contacts[].email; "
                    "`reports: false` opts a contact out)",
                )
            )
            continue
        try:
            content = mail_content(config, client_plan, month, note)
        except InputError as exc:
            errors.extend(exc.problems)
            continue
        stale = (
            None if client.access is not None else site_report_problem(build_options.out, client_plan, month)
        )
        if stale:
            plan.stale.append(Skipped(client.id, stale))
            continue
        attachment = pdf_attachment(config, build_options.out, client, month, plan.warnings)
        for person in people:
            try:
                message = compose(env, config, content, person, attachment)
            except InputError as exc:  # a template mistake: reported once, with the rest
                errors.extend(exc.problems)
                break
            record = sent.get(sent_key(client.id, str(month), person.email))
            if record is None:
                plan.to_send.append(message)
            elif options.resend:
                plan.resent.append((message, record))
                plan.to_send.append(message)
            elif record.digest == message.digest:
                plan.already.append((message, record))
            else:
                plan.changed.append((message, record))
    if errors:
        raise InputError(errors)
    return plan


def mail_settings_problems(config: ProjectConfig) -> list[Problem]:
    """What `send` needs from clients.yaml besides the clients: the portals' URL, a sender."""
    problems = []
    line = config.mail.line or None
    if not config.mail.site_url:
        problems.append(
            Problem(
                CONFIG_FILE,
                line,
                (
                    "agency.site_url is not set: each e-mail links to the client's report there "
                    "(e.g. site_url: https://reports.example.com/)"
                ),
            )
        )
    if not config.mail.sender:
        problems.append(
            Problem(
                CONFIG_FILE,
                line,
                ("agency.contact_email (or agency.email.from) is not set: the e-mails need a sender address"),
            )
        )
    return problems


def site_report_problem(site: Path, plan: ClientPlan, month: Month) -> str | None:
    """Why the built site's report for the month disagrees with the data (its report.json
    holds other figures than the message would), or None; None too when there is no built
    report to compare with. A stale site would show — and a stale PDF attach — other numbers
    than the message says."""
    path = site / plan.client.slug / str(month) / "report.json"
    shown = f"{site.name}/{plan.client.slug}/{month}/report.json"
    if not os.path.lexists(path):
        return None
    try:
        built = json.loads(read_input_bytes(path))
    except (UnreadableInputError, ValueError, RecursionError):
        return f"{shown} cannot be read: run `reportgen build` first"
    figures = m.compute_month(plan.facts, month, report_clock(month, plan.today))
    current = json.loads(json.dumps(pages.report_json(plan.facts, figures), allow_nan=False))
    if built != current:
        return (
            f"the built site is older than the data ({shown} holds other figures): run "
            "`reportgen build` first (and `--pdf` when the PDF is attached)"
        )
    return None


def pdf_attachment(
    config: ProjectConfig, site: Path, client: Client, month: Month, warnings: list[Problem]
) -> tuple[str, bytes] | None:
    """The month's report.pdf from the built site, when agency.email.attach_pdf asks for it.
    Never for a protected portal (its PDF is for its password holders only)."""
    if not config.mail.attach_pdf or client.access is not None:
        return None
    path = site / client.slug / str(month) / PDF_NAME
    shown = f"{site.name}/{client.slug}/{month}/{PDF_NAME}"
    try:
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    except OSError:
        data = None
    if data is None or not data.startswith(b"%PDF-"):
        warnings.append(
            Problem(
                shown,
                None,
                (
                    f"agency.email.attach_pdf: no PDF of {client.id}'s {month} report here (run `reportgen "
                    "build --pdf` first); its messages go without it"
                ),
                "warning",
            )
        )
        return None
    return f"{client.id}-{month}.pdf", data


# --- 2a. review: .eml files -------------------------------------------------------------------


def eml_name(index: int, message: Message) -> str:
    address = re.sub(r"[^A-Za-z0-9@._+-]", "_", message.recipient.email)
    return f"{index:03d}-{message.client_id}-{message.month}-{address}.eml"


DRY_RUN_MARKER = ".reportgen-dry-run"
DRY_RUN_MARKER_TEXT = b"Written by `reportgen send --dry-run`; each dry run replaces the .eml files.\n"


def check_dry_run_dir(folder: Path, root: Path, site: Path | None = None) -> None:
    """The guards of `build --out`, for --dry-run: never the project itself or inside its
    inputs, the ledger's folder, the cache or a built site (or any portal in it); an existing
    folder only if it is empty or an earlier dry run's (marked with DRY_RUN_MARKER)."""
    shown = f"--dry-run {folder}"
    if (why := input_folder_problem(folder)) is not None:
        raise SendError(f"{shown} is {why}")
    real, root_real = real_path(folder), real_path(root)
    if real == root_real or root_real.is_relative_to(real):
        raise SendError(f"{shown} contains the project itself; choose a new folder such as 'outbox'")
    protected = {name: real_path(root_real / name) for name in (*INPUT_NAMES, CACHE_DIR, ".reportgen")}
    protected["site"] = real_path(site if site is not None else root_real / "site")
    for name, path in protected.items():
        if real == path or real.is_relative_to(path):
            raise SendError(f"{shown} is inside the project's {name}; choose a new folder such as 'outbox'")
    for ancestor in (real, *real.parents):
        if (ancestor / SITE_MARKER).exists():
            raise SendError(f"{shown} is inside a site reportgen built ({ancestor}); choose a new folder")
    if real.is_dir() and any(real.iterdir()) and not (real / DRY_RUN_MARKER).is_file():
        raise SendError(
            f"{shown} is a non-empty folder that an earlier dry run did not write; "
            "refusing to write into it (choose a new or empty folder)"
        )


def write_dry_run(plan: SendPlan, folder: Path, root: Path | None = None) -> list[Path]:
    """Each message that would be sent as an .eml file (openable in any mail client), in an
    empty folder or an earlier dry run's (whose .eml files it replaces)."""
    if root is not None:
        check_dry_run_dir(folder, root)
    if folder.exists() and not folder.is_dir():
        raise SendError(f"--dry-run {folder}: not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.eml"):  # an earlier dry run's (a link is removed, never followed)
            if old.is_symlink() or old.is_file():
                old.unlink()
        (folder / DRY_RUN_MARKER).write_bytes(DRY_RUN_MARKER_TEXT)
        written = []
        now = email.utils.format_datetime(dt.datetime.now(dt.UTC))
        for index, message in enumerate(plan.to_send, start=1):
            mime = mime_message(message, new_message_id(message.sender), now)
            path = folder / eml_name(index, message)
            with open(path, "xb") as handle:  # a new file: never through a link left there
                handle.write(bytes(mime))
            written.append(path)
    except OSError as exc:
        raise SendError(f"--dry-run {folder}: cannot write there: {exc.strerror}") from None
    return written


# --- 2b. send: SMTP (the transport: smtp.py) --------------------------------------------------


@dataclass
class SendResult:
    sent: list[Message] = field(default_factory=list)
    refused: list[tuple[Message, str]] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (the rest stays for the next run)


def send_messages(
    plan: SendPlan, root: Path, server: SmtpServer, context: ssl.SSLContext, log: Callable[[str], None]
) -> SendResult:
    """Send each planned message once; record each in the ledger as soon as it is accepted."""
    result = SendResult()
    if not plan.to_send:
        return result
    with LedgerWriter(root) as ledger:
        # Re-read under the lock: another run may have sent some of these meanwhile.
        sent, _warnings = load_ledger(root)
        resend = {id(m) for m, _r in plan.resent}
        with SmtpTransport(server, context) as transport:
            for index, message in enumerate(plan.to_send):
                key = sent_key(message.client_id, message.month, message.recipient.email)
                if key in sent and id(message) not in resend:
                    continue
                now = dt.datetime.now(dt.UTC)
                message_id = new_message_id(message.sender)
                try:
                    transport.send(message, message_id, email.utils.format_datetime(now))
                except MessageRefused as exc:
                    result.refused.append((message, str(exc)))
                    log(f"not sent: {message.client_id} {message.month} → {message.recipient.email}: {exc}")
                    continue
                except SendError as exc:
                    result.stopped = exc.message
                    left = len(plan.to_send) - index
                    log(f"stopped: {exc.message} ({left} message{'s' if left != 1 else ''} not sent)")
                    break
                ledger.append(
                    SentRecord(
                        message.client_id,
                        message.month,
                        message.recipient.email,
                        message_id,
                        now.isoformat(timespec="seconds"),
                        message.digest,
                    )
                )
                result.sent.append(message)
                log(f"sent: {message.client_id} {message.month} → {message.recipient.email}")
    return result


__all__ = [
    "LEDGER",
    "SendError",
    "SendOptions",
    "SendPlan",
    "SendResult",
    "SmtpServer",
    "check_dry_run_dir",
    "plan_sending",
    "send_messages",
    "smtp_server",
    "tls_context",
    "write_dry_run",
]
