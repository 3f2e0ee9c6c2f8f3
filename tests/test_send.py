"""`reportgen send` without a network: who gets what, what it says, --dry-run, clients.yaml.

The SMTP side (a real server, STARTTLS, login, the ledger across runs) is in
test_send_smtp.py.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import re
import shutil
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import DEFAULT_MARKERS, TODAY, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.addresses import ADDRESS_RE, address_problem
from reportgen.i18n import Formatter
from reportgen.ledger import LEDGER, load_ledger
from reportgen.mail import mime_message
from reportgen.model import Month
from reportgen.send import SendOptions, plan_sending

SITE_URL = "https://reports.brightline.example/portals"
MONTH = "2026-10"
LOCALES = {"acme-corp": ("en_US", "USD"), "saigon-foods": ("vi_VN", "VND"), "berlin-bikes": ("de_DE", "EUR")}
UNITS = {"leads": "count", "cpl": "currency", "roas": "ratio"}  # the generated project's KPIs


def with_site_url(root: Path, extra_agency: str = "") -> None:
    config = root / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "  contact_email: reports@brightline.example\n",
        f"  contact_email: reports@brightline.example\n  site_url: {SITE_URL}\n{extra_agency}",
        1,
    )
    config.write_text(text, encoding="utf-8")


def edit_config(root: Path, change) -> None:
    """Change clients.yaml as data (the generated project is plain YAML)."""
    path = root / "clients.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(text, encoding="utf-8")


def client_entry(document: dict, client_id: str) -> dict:
    return next(c for c in document["clients"] if c["id"] == client_id)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A generated project with agency.site_url, built (report.json to compare with)."""
    root = tmp_path_factory.mktemp("send") / "proj"
    make_project(root)
    with_site_url(root)
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def project(built, tmp_path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(built, target, symlinks=True)
    return target


def dry_run(root: Path, out: Path, *args: str):
    result = run_cli("send", "--project", root, "--dry-run", out, *args)
    assert "Traceback" not in result.output
    return result


def read_eml(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def parts(message: EmailMessage) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def everything(message: EmailMessage) -> str:
    """Every header and part of a message, decoded: what anyone could read in it."""
    text, html = parts(message)
    headers = "\n".join(f"{k}: {v}" for k, v in message.items())
    return "\n".join([headers, text, html])


class _Rows(HTMLParser):
    """The KPI table of the HTML part: each body row's cells as text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def kpi_rows(html: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def plain(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


# --- who gets what ----------------------------------------------------------------------------


def test_dry_run_one_message_per_contact_in_each_language(project, tmp_path):
    out = tmp_path / "outbox"
    result = dry_run(project, out, "--month", "previous")  # today is 2026-11-23: October
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == 3
    assert "nothing was sent" in result.output and "would send:" in result.output
    assert not (project / LEDGER).exists()  # a dry run records nothing
    subjects = {
        "acme-corp": "Client qzacmeqz: your report for October 2026",
        "saigon-foods": "Client qzsaigonqz: báo cáo tháng 10 năm 2026 của bạn",
        "berlin-bikes": "Client qzberlinqz: Ihr Bericht für Oktober 2026",
    }
    greetings = {
        "acme-corp": "Hello Contact qzacmeqz,",
        "saigon-foods": "Xin chào Contact qzsaigonqz,",
        "berlin-bikes": "Guten Tag Contact qzberlinqz,",
    }
    seen = set()
    for path in files:
        message = read_eml(path)
        client_id = next(c for c in DEFAULT_MARKERS if f"-{c}-" in path.name)
        seen.add(client_id)
        marker = DEFAULT_MARKERS[client_id]
        assert message.get_all("To") == [f"Contact {marker} <contact{marker}@client.example>"]
        assert message.get_all("Cc") is None and message.get_all("Bcc") is None
        assert message["From"] == "Brightline Media <reports@brightline.example>"
        assert message["Reply-To"] == f"AE {marker} <{marker}@agency.example>"
        assert message["Subject"] == subjects[client_id]
        assert message["Message-ID"].strip().startswith("<") and message["Date"]
        assert message.get_content_type() == "multipart/alternative"
        text, html = parts(message)
        link = f"{SITE_URL}/{client_id}/{MONTH}/"
        assert greetings[client_id] in text and link in text
        assert f'href="{link}"' in html and f'lang="{LOCALES[client_id][0].replace("_", "-")}"' in html
        for part in (text, html):  # the note: title, summary, highlights, open next steps
            for needle in (
                f"October 2026 performance {marker}",
                f"Summary October {marker}",
                f"Highlight one {marker}",
                f"Highlight two {marker}",
                f"Open task {marker}",
                f"Owner {marker}",
            ):
                assert needle in part, (client_id, needle)
            assert f"Done task {marker}" not in part  # a done step is no next step
            assert "Body paragraph" not in part  # the note's body stays on the portal
        # No external resource: no image, stylesheet or script at all.
        assert not re.search(r"<(img|script|link|iframe|object)\b", html, re.I)
        assert "url(" not in html
    assert seen == set(DEFAULT_MARKERS)


def test_numbers_and_formatting_equal_report_json(project, tmp_path):
    out = tmp_path / "outbox"
    assert dry_run(project, out, "--month", MONTH).exit_code == 0
    for path in sorted(out.glob("*.eml")):
        client_id = next(c for c in DEFAULT_MARKERS if f"-{c}-" in path.name)
        report = json.loads((project / "site" / client_id / MONTH / "report.json").read_text())
        fmt = Formatter(*LOCALES[client_id])
        text, html = parts(read_eml(path))
        rows = kpi_rows(html)
        assert len(rows) == len(report["kpis"]) == 3
        for kpi, row in zip(report["kpis"], rows, strict=True):
            unit = UNITS[kpi["metric"]]
            value, target = fmt.value(kpi["value"], unit), fmt.value(kpi["target"], unit)
            change = fmt.change((kpi["value"] - kpi["previous"]) / abs(kpi["previous"]))
            label, shown_value, status_and_change = row  # value (target below), status (change below)
            assert label == kpi["label"]
            target_text = fmt.gettext("Target {target}").format(target=target)
            assert plain(shown_value) == plain(f"{value}{target_text}")
            assert plain(change) in plain(status_and_change)
            assert fmt.gettext("Target met") in status_and_change  # the generated data meets every target
            line = next(ln for ln in text.splitlines() if ln.startswith(f"- {kpi['label']}:"))
            assert plain(value) in plain(line) and plain(target) in plain(line)
            assert plain(change) in plain(text)


def test_no_other_clients_data_in_any_message(project, tmp_path):
    out = tmp_path / "outbox"
    assert dry_run(project, out, "--month", MONTH).exit_code == 0
    for path in sorted(out.glob("*.eml")):
        client_id = next(c for c in DEFAULT_MARKERS if f"-{c}-" in path.name)
        content = everything(read_eml(path))
        for other, marker in DEFAULT_MARKERS.items():
            if other != client_id:
                assert marker not in content and f"/{other}/" not in content, (client_id, other)


def test_drafts_and_months_without_a_note_are_skipped_and_listed(project, tmp_path):
    out = tmp_path / "outbox"
    result = dry_run(project, out, "--month", "2026-11")  # every client's November note is a draft
    assert result.exit_code == 0, result.output
    for client_id in DEFAULT_MARKERS:
        assert f"skipped: {client_id} 2026-11: the 2026-11 note is a draft" in result.output
    assert list(out.glob("*.eml")) == []
    result = dry_run(project, out, "--month", "2026-08")
    assert "skipped: acme-corp 2026-08: no note for 2026-08" in result.output
    (project / "content" / "acme-corp" / "2026-09.md").write_text(
        "---\nstatus: draft\nsummary: not yet\n---\nDraft.\n", encoding="utf-8"
    )
    result = dry_run(project, out, "--month", "2026-09")
    assert "skipped: acme-corp 2026-09: the 2026-09 note is a draft" in result.output
    assert "would send: saigon-foods 2026-09" in result.output


def test_only_the_clients_asked_for(project, tmp_path):
    out = tmp_path / "outbox"
    result = dry_run(project, out, "--month", MONTH, "--client", "berlin-bikes")
    assert result.exit_code == 0
    assert [p.name.split("-2026")[0][4:] for p in out.glob("*.eml")] == ["berlin-bikes"]
    result = run_cli("send", "--project", project, "--month", MONTH, "--client", "nobody", "--dry-run", out)
    assert result.exit_code == 2 and "no such client" in result.output


def test_contacts_who_opted_out_or_have_no_address_get_nothing(project, tmp_path):
    def change(document):
        entry = client_entry(document, "acme-corp")
        entry["contacts"] = [
            {"name": "Ann One", "email": "ann@acme.example"},
            {"name": "Bob Two", "email": "bob@acme.example", "reports": False},
            {"name": "Cy Three", "role": "CEO"},  # no address
            {"name": "Dee Four", "email": "DEE@acme.example"},
            {"name": "Dee Again", "email": "dee@ACME.example"},  # the same mailbox: once
        ]
        client_entry(document, "saigon-foods")["contacts"] = [
            {"name": "Only", "email": "o@x.example", "reports": False}
        ]

    edit_config(project, change)
    out = tmp_path / "outbox"
    result = dry_run(project, out, "--month", MONTH)
    assert result.exit_code == 0, result.output
    to = sorted(read_eml(p)["To"] for p in out.glob("*-acme-corp-*.eml"))
    assert to == ["Ann One <ann@acme.example>", "Dee Four <DEE@acme.example>"]
    assert "skipped: saigon-foods 2026-10: no contact with an e-mail address" in result.output


def test_protected_portal_message_has_no_figure_and_no_note_text(project, tmp_path, monkeypatch):
    password = "correct horse battery staple"
    edit_config(
        project,
        lambda d: client_entry(d, "saigon-foods").update(
            access={"password_env": "SAIGON_PW"}, slug="k3x9q2w7m4v8z6p1"
        ),
    )
    config = project / "clients.yaml"
    config.write_text(
        config.read_text().replace(
            f"  site_url: {SITE_URL}\n", f"  site_url: {SITE_URL}\n  email:\n    attach_pdf: true\n"
        )
    )
    pdf = project / "site" / "k3x9q2w7m4v8z6p1" / MONTH / "report.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.7 a report\n")
    out = tmp_path / "outbox"
    result = run_cli(
        "send", "--project", project, "--month", MONTH, "--dry-run", out, env={"SAIGON_PW": password}
    )
    assert result.exit_code == 0, result.output
    [path] = out.glob("*-saigon-foods-*.eml")
    message = read_eml(path)
    content = everything(message)
    assert "Xin chào Contact qzsaigonqz" in content and "tháng 10 năm 2026" in content
    assert f"{SITE_URL}/k3x9q2w7m4v8z6p1/{MONTH}/" in content
    assert "/saigon-foods/" not in content  # the portal's address is its slug
    assert "Client qzsaigonqz" not in content  # not even the client's name, as on its login page
    assert message["Subject"] == "Báo cáo tháng 10 năm 2026 của bạn"
    assert password not in content
    report = json.loads((project / "site" / "saigon-foods" / MONTH / "report.json").read_text())
    fmt = Formatter("vi_VN", "VND")
    for kpi in report["kpis"]:
        assert plain(fmt.value(kpi["value"], UNITS[kpi["metric"]])) not in plain(content)
        assert kpi["label"] not in content
    for needle in ("performance", "Summary", "Highlight", "task", "Owner", "Meeting"):
        assert needle not in content
    assert not list(message.iter_attachments())  # never the PDF of a protected portal


def test_the_pdf_is_attached_when_asked_for_and_built(project, tmp_path):
    config = project / "clients.yaml"
    config.write_text(
        config.read_text().replace(
            f"  site_url: {SITE_URL}\n", f"  site_url: {SITE_URL}\n  email: {{attach_pdf: true}}\n"
        )
    )
    pdf = project / "site" / "acme-corp" / MONTH / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 acme's report\n")
    out = tmp_path / "outbox"
    result = dry_run(project, out, "--month", MONTH)
    assert result.exit_code == 0, result.output
    [acme] = out.glob("*-acme-corp-*.eml")
    [attachment] = read_eml(acme).iter_attachments()
    assert attachment.get_filename() == "acme-corp-2026-10.pdf"
    assert attachment.get_content() == pdf.read_bytes()
    assert "The report is attached as a PDF." in parts(read_eml(acme))[0]
    [berlin] = out.glob("*-berlin-bikes-*.eml")
    assert not list(read_eml(berlin).iter_attachments())
    assert "site/berlin-bikes/2026-10/report.pdf: warning: agency.email.attach_pdf" in result.output


def test_sender_from_agency_email_from(project, tmp_path):
    config = project / "clients.yaml"
    config.write_text(
        config.read_text().replace(
            f"  site_url: {SITE_URL}\n",
            f"  site_url: {SITE_URL}/\n  email:\n    from: news@brightline.example\n",
        )
    )
    out = tmp_path / "outbox"
    assert dry_run(project, out, "--month", MONTH, "--client", "acme-corp").exit_code == 0
    [path] = out.glob("*.eml")
    message = read_eml(path)
    assert message["From"] == "Brightline Media <news@brightline.example>"
    assert f"{SITE_URL}/acme-corp/{MONTH}/" in parts(message)[0]  # one slash, however site_url ends


# --- clients.yaml: the new fields and addresses -----------------------------------------------


def line_with(root: Path, needle: str) -> int:
    lines = (root / "clients.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(
    "bad",
    [
        "sam@acme",
        "Sam Lee <sam@acme.example>",
        "sam@@acme.example",
        "sam lee@acme.example",
        "sam@acme.example, kim@acme.example",
        "sam@acme.123",
        "sämi@acme.example",
        ".sam@acme.example",
        "sam@-acme.example",
    ],
)
def test_a_bad_contact_address_is_an_error_at_its_line(project, tmp_path, bad):
    edit_config(project, lambda d: client_entry(d, "berlin-bikes")["contacts"][0].update(email=bad))
    line = line_with(project, bad)
    for command in (("check",), ("send", "--month", MONTH, "--dry-run", tmp_path / "out")):
        result = run_cli(*command, "--project", project)
        assert result.exit_code == 1, result.output
        assert f"clients.yaml:{line}: clients[3].contacts[1].email: " in result.output
        assert "expected an e-mail address" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("site_url", "reports.example.com", "expected an http:// or https:// address"),
        ("site_url", "https://user:pw@reports.example.com/", "must not hold a user name or password"),
        ("site_url", "https://reports.example.com/?x=1", "must not have a ?query"),
        ("email", "{from: not-an-address}", "expected an e-mail address"),
        ("email", "{attach_pdf: yes please}", "expected true or false"),
        ("email", "{to: x@y.example}", "unknown field 'agency.email.to'"),
    ],
)
def test_bad_agency_mail_settings_are_errors_at_their_line(project, field, value, message):
    config = project / "clients.yaml"
    text = config.read_text().replace(f"  site_url: {SITE_URL}\n", "")
    config.write_text(text.replace("  contact_email:", f"  {field}: {value}\n  contact_email:", 1))
    result = run_cli("check", "--project", project)
    assert result.exit_code == 1
    line = line_with(project, f"  {field}: ")
    assert f"clients.yaml:{line}: " in result.output and message in result.output


def test_send_needs_site_url_and_a_sender(project, tmp_path):
    config = project / "clients.yaml"
    config.write_text(
        config.read_text()
        .replace(f"  site_url: {SITE_URL}\n", "")
        .replace("  contact_email: reports@brightline.example\n", "")
    )
    result = run_cli("send", "--project", project, "--month", MONTH, "--dry-run", tmp_path / "out")
    assert result.exit_code == 1
    assert "clients.yaml:1: agency.site_url is not set" in result.output
    assert "clients.yaml:1: agency.contact_email (or agency.email.from) is not set" in result.output
    assert "Traceback" not in result.output
    assert run_cli("check", "--project", project).exit_code == 0  # a portal does not need them


def test_check_warns_about_a_final_note_nobody_would_get(project):
    edit_config(
        project,
        lambda d: client_entry(d, "acme-corp").update(
            contacts=[{"name": "No Mail"}, {"name": "Out", "email": "out@acme.example", "reports": False}]
        ),
    )
    result = run_cli("check", "--project", project)
    assert result.exit_code == 0
    assert re.search(
        r"clients\.yaml:\d+: warning: client 'acme-corp': the 2026-10 note is final, but no "
        r"contact has an e-mail address",
        result.output,
    )
    assert "client 'saigon-foods': the" not in result.output


EMAIL_ATOM = st.text(alphabet="abcxyz0189!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=8)
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    local=st.lists(EMAIL_ATOM, min_size=1, max_size=3).map(".".join),
    domain=st.lists(LABEL, min_size=1, max_size=3).map(".".join),
    tld=st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
def test_every_well_formed_address_is_accepted(local, domain, tld):
    address = f"{local}@{domain}.{tld}"
    assert address_problem(address) is None, address


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab.@ <>\"',;:\\()[]\n\r\té-_+x1")), max_size=24)
    | st.emails().map(str)
)
def test_an_accepted_address_is_exactly_one_mailbox(text):
    """Whatever the rule accepts is one plain address, read back unchanged by the e-mail
    parser and by a message's To header: a contact can never add a recipient."""
    if address_problem(text) is not None:
        return
    assert ADDRESS_RE.fullmatch(text)
    assert email.utils.parseaddr(text) == ("", text)
    assert email.utils.getaddresses([text]) == [("", text)]
    message = EmailMessage(policy=email.policy.SMTP)
    message["To"] = text
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert [a.addr_spec for a in parsed["To"].addresses] == [text]


# --- templates --------------------------------------------------------------------------------


def test_a_project_template_overrides_the_message(project, tmp_path):
    own = project / "templates" / "email"
    own.mkdir(parents=True)
    (own / "message.txt").write_text("Dear {{ recipient.name }}: {{ mail.link }}\n", encoding="utf-8")
    out = tmp_path / "outbox"
    assert dry_run(project, out, "--month", MONTH, "--client", "acme-corp").exit_code == 0
    [path] = out.glob("*.eml")
    assert (
        parts(read_eml(path))[0].replace("\r\n", "\n")
        == f"Dear Contact qzacmeqz: {SITE_URL}/acme-corp/{MONTH}/\n"
    )
    (own / "message.txt").write_text("line one\n{{ 1 // 0 }}\n", encoding="utf-8")
    result = dry_run(project, tmp_path / "again", "--month", MONTH)
    assert result.exit_code == 1
    assert "templates/email/message.txt:2: template error: ZeroDivisionError" in result.output


def test_html_part_escapes_what_the_note_says(project, tmp_path):
    note = project / "content" / "acme-corp" / f"{MONTH}.md"
    text = note.read_text(encoding="utf-8")
    note.write_text(
        text.replace(
            "summary: Summary October qzacmeqz", "summary: '<script>alert(1)</script> & <b>bold</b>'"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "outbox"
    assert dry_run(project, out, "--month", MONTH, "--client", "acme-corp").exit_code == 0
    [path] = out.glob("*.eml")
    text_part, html = parts(read_eml(path))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "<script>alert(1)</script> & <b>bold</b>" in text_part  # plain text is plain


# --- the ledger -------------------------------------------------------------------------------


def test_a_corrupt_ledger_line_stops_the_run(project, tmp_path):
    ledger = project / LEDGER
    ledger.parent.mkdir(exist_ok=True)
    ledger.write_text(
        '{"client": "acme-corp"}\n'
        '{"client": "x", "month": "2026-10", "recipient": "a@b.example", '
        '"message_id": "<1@b>", "time": "2026-11-04T06:00:00+00:00", "digest": "00"}\n'
    )
    result = dry_run(project, tmp_path / "out", "--month", MONTH)
    assert result.exit_code == 1
    assert ".reportgen/sent.jsonl:1: not a ledger record" in result.output


def test_an_unfinished_last_ledger_line_is_ignored(project):
    record = {
        "client": "acme-corp",
        "month": MONTH,
        "recipient": "contactqzacmeqz@client.example",
        "message_id": "<1@x>",
        "time": "2026-11-04T06:00:00+00:00",
        "digest": "0" * 64,
    }
    (project / LEDGER).parent.mkdir(exist_ok=True)
    (project / LEDGER).write_text(json.dumps(record) + '\n{"client": "saigon-fo')
    records, problems = load_ledger(project)
    assert list(records) == [("acme-corp", MONTH, "contactqzacmeqz@client.example")]
    assert [p.severity for p in problems] == ["warning"]


# --- the scheduled workflow -------------------------------------------------------------------


def test_the_workflow_sends_after_a_scheduled_publish_when_opted_in(tmp_path):
    root = tmp_path / "new"
    assert run_cli("init", root).exit_code == 0
    workflow = yaml.safe_load((root / ".github" / "workflows" / "reportgen.yml").read_text())
    job = workflow["jobs"]["send"]
    assert job["needs"] == "publish"
    assert "github.event_name == 'schedule'" in job["if"] and "vars.REPORTGEN_SEND == 'true'" in job["if"]
    assert job["permissions"] == {"contents": "write"}
    send_step = next(s for s in job["steps"] if "reportgen send" in str(s.get("run")))
    assert send_step["run"] == "reportgen send --month previous"
    assert send_step["env"] == {"REPORTGEN_SMTP_URL": "${{ secrets.REPORTGEN_SMTP_URL }}"}
    commit = job["steps"][-1]
    assert "git add .reportgen/sent.jsonl" in commit["run"] and "git push" in commit["run"]
    assert commit["if"] == "${{ !cancelled() }}"
    # The starter project has a contact with an address: its check stays clean.
    assert "warning" not in run_cli("check", "--project", root, "--strict").output


# --- generated: one recipient per message, no other client's data -----------------------------


NOTE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=30
).map(lambda s: s.strip() or "x")
CONTACT = st.fixed_dictionaries(
    {"name": st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?", fullmatch=True)},
    optional={
        "email": st.sampled_from(["a", "b", "c", "d", "A"]).map(lambda s: f"{s}@"),
        "reports": st.booleans(),
        "role": st.just("Role"),
    },
)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gen") / "proj"
    make_project(root)
    with_site_url(root)
    return root


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contacts=st.fixed_dictionaries({c: st.lists(CONTACT, max_size=4) for c in DEFAULT_MARKERS}),
    notes=st.fixed_dictionaries(
        {c: st.tuples(NOTE_TEXT, st.lists(NOTE_TEXT, max_size=3), NOTE_TEXT) for c in DEFAULT_MARKERS}
    ),
    protected=st.sampled_from([None, *DEFAULT_MARKERS]),
)
def test_generated_contacts_and_notes_one_recipient_no_other_clients_data(
    small_project, tmp_path_factory, contacts, notes, protected
):
    root = tmp_path_factory.mktemp("case") / "proj"
    shutil.copytree(small_project, root)

    def change(document):
        for client_id, people in contacts.items():
            marker = DEFAULT_MARKERS[client_id]
            entry = client_entry(document, client_id)
            entry["contacts"] = [
                {
                    **p,
                    "name": f"{p['name']} {marker}",
                    **({"email": f"{p['email']}{marker}.example"} if "email" in p else {}),
                }
                for p in people
            ]
            if client_id == protected:
                entry["access"] = {"password_env": "NOT_NEEDED_TO_SEND"}

    edit_config(root, change)
    for client_id, (summary, highlights, task) in notes.items():
        marker = DEFAULT_MARKERS[client_id]
        front = {
            "title": f"{summary} {marker}",
            "summary": f"{summary} {marker}",
            "highlights": [f"{h} {marker}" for h in highlights],
            "next_steps": [{"task": f"{task} {marker}", "owner": f"Owner {marker}"}],
        }
        (root / "content" / client_id / f"{MONTH}.md").write_text(
            "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\nBody.\n", encoding="utf-8"
        )
    plan = plan_sending(SendOptions(root, Month.parse(MONTH), today=TODAY))
    expected = {}
    for client_id, people in contacts.items():
        marker = DEFAULT_MARKERS[client_id]
        addresses = {}
        for person in people:
            if "email" in person and person.get("reports", True):
                address = f"{person['email']}{marker}.example"
                addresses.setdefault(address.lower(), address)
        expected[client_id] = sorted(addresses.values())
    got: dict[str, list[str]] = {c: [] for c in DEFAULT_MARKERS}
    for message in plan.to_send:
        got[message.client_id].append(message.recipient.email)
        mime = mime_message(message, "<id@brightline.example>", "Mon, 23 Nov 2026 06:00:00 +0000")
        parsed = email.message_from_bytes(bytes(mime), policy=email.policy.default)
        assert [a.addr_spec for a in parsed["To"].addresses] == [message.recipient.email]
        assert parsed["Cc"] is None and parsed["Bcc"] is None
        content = everything(parsed)
        for other, marker in DEFAULT_MARKERS.items():
            if other != message.client_id:
                assert marker not in content, (message.client_id, other)
        marker = DEFAULT_MARKERS[message.client_id]
        summary = notes[message.client_id][0]
        if message.client_id == protected:
            assert f"Owner {marker}" not in content and f"{summary} {marker}" not in content
        else:
            assert f"Owner {marker}" in content
    assert {c: sorted(v) for c, v in got.items()} == expected
    skipped = {s.client_id for s in plan.skipped}
    assert skipped == {c for c, v in expected.items() if not v}


def test_line_breaks_in_names_never_make_a_header(project, tmp_path):
    edit_config(
        project,
        lambda d: client_entry(d, "acme-corp").update(
            name="Acme\nBcc: all@rival.example",
            contacts=[{"name": "Sam\r\nBcc: spy@rival.example", "email": "sam@acme.example"}],
        ),
    )
    out = tmp_path / "outbox"
    assert dry_run(project, out, "--month", MONTH, "--client", "acme-corp").exit_code == 0
    [path] = out.glob("*.eml")
    headers = path.read_bytes().split(b"\r\n\r\n", 1)[0]  # a name in the body is only text
    assert b"\nBcc:" not in headers
    message = read_eml(path)
    assert [a.addr_spec for a in message["To"].addresses] == ["sam@acme.example"]
    assert message["Bcc"] is None and message["Subject"].startswith("Acme Bcc: all@rival.example: ")
