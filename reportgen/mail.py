"""Present: a monthly report as e-mail messages, plain data (no network, no disk).

A message says what the report's page says, in the same words and numbers:
the KPI rows are the portal's own scorecards (`pages.kpi_card`) of the
figures every output of the month reads (`output_kinds.month_figures`: the
page, `report.json`, the PDF), formatted by the same `Formatter` in the client's
locale. The templates are `templates/email/message.html` and `message.txt`
(a project's own `templates/email/` overrides them, as for pages).

Protected portals: the message carries the greeting, the month and the link
only — no figure, no note text, never a password.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import json
import re
from dataclasses import asdict, dataclass, replace
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import jinja2

from . import pages
from .colors import readable_on
from .contexts import MailPage
from .errors import InputError, Problem
from .i18n import Formatter
from .model import Client, MailSettings, Month, Note, Person, ProjectConfig
from .notes import open_next_steps
from .output_kinds import month_figures
from .render import make_environment, render_page
from .site import ClientPlan

EMAIL_TEMPLATES = ("email/message.html", "email/message.txt")
INK = "#0f172a"  # the message's body text colour (templates/email/message.html)


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class KpiRow:
    """One scorecard as a table row: the portal's KpiCard, flattened."""

    label: str
    value: str
    target: str | None
    pct_of_target: str | None
    status: str  # met | close | behind | none
    status_text: str
    arrow: str
    change: str  # "12.3% vs Sep 2026", or "no comparison for ..."
    verdict: str  # better | worse | same | none
    words: str  # "better" / "worse" in the client's language


@dataclass(frozen=True)
class StepRow:
    task: str
    owner: str | None
    due: str | None


@dataclass(frozen=True)
class MailContent:
    """What one client's message for one month says (the same for each of its recipients)."""

    client_id: str
    client_name: str
    month: str  # YYYY-MM
    month_name: str
    lang: str
    subject: str
    link: str
    protected: bool
    brand_color: str
    agency_name: str
    ae_name: str
    ae_email: str | None
    # Report content: empty for a protected portal.
    title: str | None = None
    summary: str | None = None
    highlights: tuple[str, ...] = ()
    kpis: tuple[KpiRow, ...] = ()
    next_steps: tuple[StepRow, ...] = ()
    partial: bool = False
    # The button: the brand colour, darkened or lightened when needed so its text (the
    # body's ink or white) reaches WCAG AA 4.5:1 on it (colors.readable_on).
    button_color: str = "#2563eb"
    button_text_color: str = "#ffffff"

    @property
    def digest(self) -> str:
        """Of everything the message says about the report (not who it is for)."""
        text = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Message:
    """One e-mail to one recipient: plain data, turned into MIME by `mime_message`."""

    client_id: str
    month: str
    recipient: Recipient
    sender: str
    sender_name: str
    reply_to: str | None
    reply_to_name: str
    subject: str
    text: str
    html: str
    digest: str  # MailContent.digest
    attachment: tuple[str, bytes] | None = None  # (file name, PDF bytes)


# C0 and C1 controls, DEL, and the bidi embedding/override/isolate controls.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# "=?" starts an RFC 2047 encoded-word, "?=" ends one: in user text they become "= ?" / "? =",
# so no reader decodes a name into other headers, addresses or a body.
_ENCODED_WORD_MARK = re.compile(r"=\?|\?=")


def printable(text: str) -> str:
    """User text for a terminal or a header: controls (escape sequences, bidi overrides)
    become spaces, whitespace (line breaks too) collapses to single spaces."""
    return " ".join(_CONTROLS.sub(" ", str(text)).split())


HEADER_TEXT_MAX = 150  # characters of user text in one header: it is never folded (below)
# Python's folding (3.11/3.12) can drop the quotes of a long display name holding a comma,
# turning one name into two mailboxes: headers are written unfolded, on one line (RFC 5322
# allows 998 characters; one_line keeps user text short enough for that).
MIME_POLICY = email.policy.SMTP.clone(max_line_length=998)


def one_line(text: str) -> str:
    """User text for a header: `printable`, never read back as an encoded-word, at most
    HEADER_TEXT_MAX characters."""
    text = printable(text)
    while _ENCODED_WORD_MARK.search(text):
        text = _ENCODED_WORD_MARK.sub(lambda m: " ".join(m.group()), text)
    if len(text) > HEADER_TEXT_MAX:
        text = text[: HEADER_TEXT_MAX - 1].rstrip() + "…"
    return text


def recipients(client: Client) -> list[Recipient]:
    """Each contact with an e-mail address and `reports` not false, each address once."""
    seen: set[str] = set()
    found = []
    for person in client.contacts:
        if not person.email or not person.reports or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        found.append(Recipient(one_line(person.name), person.email))
    return found


def report_link(settings: MailSettings, client: Client, month: Month) -> str:
    assert settings.site_url, "checked by the caller"
    return f"{settings.site_url}{client.slug}/{month}/"


def mail_content(config: ProjectConfig, plan: ClientPlan, month: Month, note: Note | None) -> MailContent:
    """The message's content, from the same figures and view objects as the report page."""
    client = plan.client
    fmt = Formatter(client.locale, client.currency)
    _ = fmt.gettext
    month_name = fmt.month_name(month)
    ae: Person = client.account_executive
    protected = client.access is not None
    # A protected portal's message does not even name the client (as its login page).
    subject = (
        _("Your report for {month}").format(month=month_name)
        if protected
        else _("{client}: your report for {month}").format(client=client.name, month=month_name)
    )
    button_color, button_text_color = readable_on(client.brand.color, INK)
    base = MailContent(
        button_color=button_color,
        button_text_color=button_text_color,
        client_id=client.id,
        client_name="" if protected else client.name,
        month=str(month),
        month_name=month_name,
        lang=client.locale.replace("_", "-"),
        subject=one_line(subject),
        link=report_link(config.mail, client, month),
        protected=protected,
        brand_color=client.brand.color,
        agency_name=config.agency.name,
        ae_name=one_line(ae.name),
        ae_email=ae.email,
    )
    if protected:
        return base
    # As the report's output kinds: the report's own clock, the same figures as its report.json.
    figures = month_figures(plan, month)
    cards = [pages.kpi_card(k, month, figures.partial, fmt) for k in figures.kpis]
    kpis = tuple(
        KpiRow(
            label=c.label,
            value=c.value,
            target=c.target,
            pct_of_target=c.pct_of_target,
            status=c.status,
            status_text=c.status_text,
            arrow=c.vs_previous.arrow,
            change=c.vs_previous.text,
            verdict=c.vs_previous.verdict,
            words=c.vs_previous.words,
        )
        for c in cards
    )
    # As the portal home: every step still open as of this month (carried from earlier
    # notes too, closed by a later mention), due date first.
    notes = [n for n in plan.notes.values() if n.month <= month and (not n.is_draft or n is note)]
    steps = tuple(
        StepRow(s.task, s.owner, fmt.date(s.due) if s.due else None) for s, _note in open_next_steps(notes)
    )
    return replace(
        base,
        title=note.title if note and note.title else month_name,
        summary=note.summary if note else None,
        highlights=tuple(note.highlights) if note else (),
        kpis=kpis,
        next_steps=steps,
        partial=figures.partial,
    )


def mail_environment(root: Path) -> jinja2.Environment:
    """The pages' environment (the project's templates first), escaping only HTML."""
    env = make_environment(root)
    env.autoescape = jinja2.select_autoescape(
        enabled_extensions=("html",), default_for_string=False, default=False
    )
    return env


def render_message(
    env: jinja2.Environment, content: MailContent, recipient: Recipient, attached: bool
) -> tuple[str, str]:
    """(plain text, HTML) of one message."""
    fmt = Formatter(content.lang.replace("-", "_"), "USD")  # words only; numbers are formatted already
    context = MailPage(_=fmt.gettext, mail=content, recipient=recipient, attached=attached).as_context()
    html = render_page(env, "email/message.html", context)
    text = render_page(env, "email/message.txt", context)
    return text, html


def check_message(config: ProjectConfig, root: Path, plan: ClientPlan) -> list[Problem]:
    """(`check`) Render the client's message for its newest final month in memory (no
    SMTP, nothing written), so a mistake in templates/email/ fails `check` at its line."""
    finals = [month for month, note in plan.notes.items() if not note.is_draft and month in plan.months]
    if not finals:
        return []
    month = max(finals)
    settings = replace(config.mail, site_url=config.mail.site_url or "https://reports.example.invalid/")
    try:
        content = mail_content(replace(config, mail=settings), plan, month, plan.notes[month])
        people = recipients(plan.client) or [Recipient("Name", "name@example.invalid")]
        render_message(mail_environment(root), content, people[0], config.mail.attach_pdf)
    except InputError as exc:
        return list(exc.problems)
    return []


def compose(
    env: jinja2.Environment,
    config: ProjectConfig,
    content: MailContent,
    recipient: Recipient,
    attachment: tuple[str, bytes] | None,
) -> Message:
    text, html = render_message(env, content, recipient, attachment is not None)
    client = next(c for c in config.clients if c.id == content.client_id)
    assert config.mail.sender, "checked by the caller"
    return Message(
        client_id=content.client_id,
        month=content.month,
        recipient=recipient,
        sender=config.mail.sender,
        sender_name=one_line(config.agency.name),
        reply_to=client.account_executive.email,
        reply_to_name=one_line(client.account_executive.name),
        subject=content.subject,
        text=text,
        html=html,
        digest=content.digest,
        attachment=attachment,
    )


def mime_message(message: Message, message_id: str, date: str) -> EmailMessage:
    """The message as MIME: multipart/alternative (text, then HTML), a PDF attached if any."""
    mime = EmailMessage(policy=email.policy.SMTP)  # the parts' quoted-printable: 76 a line
    # Every user string in a header goes through one_line (again: idempotent), so it is data:
    # one line, no controls, nothing a reader decodes as an encoded-word; the names go in
    # Address objects, which the policy quotes or encodes as one display name.
    mime["From"] = Address(display_name=one_line(message.sender_name), addr_spec=message.sender)
    mime["To"] = Address(display_name=one_line(message.recipient.name), addr_spec=message.recipient.email)
    if message.reply_to:
        mime["Reply-To"] = Address(display_name=one_line(message.reply_to_name), addr_spec=message.reply_to)
    mime["Subject"] = one_line(message.subject)
    mime["Date"] = date
    mime["Message-ID"] = message_id
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    mime.set_content(message.text, subtype="plain", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", cte="quoted-printable")
    if message.attachment:
        name, data = message.attachment
        mime.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    mime.policy = MIME_POLICY  # headers unfolded (see MIME_POLICY)
    return mime


def new_message_id(sender: str) -> str:
    return email.utils.make_msgid(idstring="reportgen", domain=sender.rpartition("@")[2])
