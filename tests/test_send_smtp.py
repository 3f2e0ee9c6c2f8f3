"""`reportgen send` against a real SMTP server (aiosmtpd on 127.0.0.1): delivery,
STARTTLS and login, implicit TLS, the ledger (once only, resume), every error path."""

from __future__ import annotations

import json
import shutil
import ssl
import urllib.parse
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import DEFAULT_MARKERS, make_project
from smtpserver import PASSWORD, SERVER_WARNINGS, USER, SmtpServer, free_port, make_certificate
from test_send import MONTH, SITE_URL, everything, parts, with_site_url

from reportgen import send as send_module
from reportgen.ledger import LEDGER

pytestmark = SERVER_WARNINGS
SECRETS = (PASSWORD, urllib.parse.quote(PASSWORD, safe=""), urllib.parse.quote(PASSWORD))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("smtp") / "proj"
    make_project(root)
    with_site_url(root)
    return root


@pytest.fixture
def project(base, tmp_path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(base, target)
    return target


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("certs"))


def send(project: Path, url: str | None, *args: str, cafile: Path | None = None):
    env = {"REPORTGEN_SMTP_URL": url} if url is not None else {}
    if cafile:
        env["REPORTGEN_SMTP_CAFILE"] = str(cafile)
    result = run_cli("send", "--project", project, "--month", MONTH, *args, env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for secret in SECRETS:
        assert secret not in result.output
    return result


def ledger_records(project: Path) -> list[dict]:
    path = project / LEDGER
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_each_contact_gets_one_message_once(project):
    with SmtpServer() as server:
        result = send(project, server.url())
        assert result.exit_code == 0, result.output
        assert "Sent 3 of 3 messages for 2026-10" in result.output
        assert len(server.received) == 3
        by_client = {}
        for received in server.received:
            assert len(received.rcpt_tos) == 1  # one recipient per message, in the envelope too
            message = received.message
            assert received.mail_from == "reports@brightline.example"
            assert [a.addr_spec for a in message["To"].addresses] == received.rcpt_tos
            client_id = next(c for c in DEFAULT_MARKERS if f"/{c}/{MONTH}/" in parts(message)[0])
            by_client[client_id] = message
            for other, marker in DEFAULT_MARKERS.items():
                if other != client_id:
                    assert marker not in everything(message)
        assert sorted(by_client) == sorted(DEFAULT_MARKERS)
        records = ledger_records(project)
        assert [(r["client"], r["month"], r["recipient"]) for r in records] == [
            (c, MONTH, f"contact{DEFAULT_MARKERS[c]}@client.example") for c in DEFAULT_MARKERS
        ]
        ids = {m["Message-ID"].strip() for m in by_client.values()}
        assert {r["message_id"] for r in records} == ids
        assert all(r["time"].endswith("+00:00") and len(r["digest"]) == 64 for r in records)

        again = send(project, server.url())  # the second run sends nothing
        assert again.exit_code == 0, again.output
        assert len(server.received) == 3
        assert again.output.count("already sent: ") == 3 and "Sent 0 of 0" in again.output
        assert len(ledger_records(project)) == 3


def test_an_interrupted_run_resumes_where_it_stopped(project):
    with SmtpServer(refuse_after=2) as server:
        result = send(project, server.url())
        assert result.exit_code == 1
        assert len(server.received) == 2 and len(ledger_records(project)) == 2
        assert "server reply 550, 5.7.1" in result.output  # the code, never the server's words
        assert "run the same command again to send the rest" in result.output
    with SmtpServer() as server:
        result = send(project, server.url())
        assert result.exit_code == 0, result.output
        assert len(server.received) == 1
        assert server.received[0].rcpt_tos == ["contactqzberlinqz@client.example"]
        assert result.output.count("already sent: ") == 2
    assert len(ledger_records(project)) == 3


def test_a_report_changed_after_it_was_sent_is_listed_not_sent(project):
    with SmtpServer() as server:
        assert send(project, server.url()).exit_code == 0
        note = project / "content" / "acme-corp" / f"{MONTH}.md"
        note.write_text(note.read_text().replace("Summary October qzacmeqz", "A better summary qzacmeqz"))
        result = send(project, server.url())
        assert result.exit_code == 0
        assert (
            "changed since it was sent: acme-corp 2026-10 → contactqzacmeqz@client.example" in result.output
        )
        assert len(server.received) == 3
        result = send(project, server.url(), "--resend", "--client", "acme-corp")
        assert result.exit_code == 0, result.output
        assert "sending again (--resend): acme-corp" in result.output
        assert len(server.received) == 4
        assert "A better summary qzacmeqz" in parts(server.received[-1].message)[0]
        assert len(ledger_records(project)) == 4
        assert "already sent: acme-corp" in send(project, server.url()).output  # the new digest


def test_starttls_and_login_with_an_encoded_password(project, certs):
    with SmtpServer("starttls", certs, auth=True) as server:
        result = send(project, server.url(USER, PASSWORD), "--client", "acme-corp", cafile=certs[0])
        assert result.exit_code == 0, result.output
        assert server.recorder.logins == [USER] and len(server.received) == 1
        # Without trusting the test CA the certificate is refused: never sent in the clear.
        (project / LEDGER).unlink()
        result = send(project, server.url(USER, PASSWORD), "--client", "acme-corp")
        assert result.exit_code == 1
        assert "its TLS certificate is not trusted" in result.output
        assert "REPORTGEN_SMTP_CAFILE" in result.output
        assert len(server.received) == 1


def test_implicit_tls(project, certs):
    with SmtpServer("smtps", certs, auth=True) as server:
        assert server.url(USER, PASSWORD).startswith("smtps://")
        result = send(project, server.url(USER, PASSWORD), cafile=certs[0])
        assert result.exit_code == 0, result.output
        assert len(server.received) == 3


def test_a_refused_login_is_an_error_without_the_password(project, certs):
    with SmtpServer("starttls", certs, auth=True) as server:
        result = send(project, server.url(USER, PASSWORD + "x"), cafile=certs[0])
        assert result.exit_code == 1
        assert f"the server refused the login for user '{USER}'" in result.output
        assert server.received == [] and ledger_records(project) == []


def test_a_server_that_requires_a_login_without_one(project, certs):
    with SmtpServer("starttls", certs, auth=True) as server:
        result = send(project, server.url(), cafile=certs[0])
        assert result.exit_code == 1 and "reportgen send:" in result.output
        assert server.received == []


def test_no_starttls_offered_by_a_remote_server_is_refused(project, monkeypatch):
    """Only a server on this machine may be spoken to without TLS."""
    monkeypatch.setattr(send_module.SmtpServer, "is_loopback", property(lambda self: False))
    with SmtpServer() as server:
        result = send(project, server.url(USER, PASSWORD))
        assert result.exit_code == 1
        assert "does not offer STARTTLS; refusing to send" in result.output
        assert server.received == []


@pytest.mark.parametrize(
    "url, message",
    [
        (None, "REPORTGEN_SMTP_URL is not set"),
        ("", "REPORTGEN_SMTP_URL is not set"),
        ("http://mail.example:25", "must start with smtp://"),
        (f"smtp://{USER}:{PASSWORD}@mail.example:25", "not a valid URL"),  # '/' in the password, unencoded
        ("smtp://user@127.0.0.1:2525", "a user name without a password"),
    ],
)
def test_bad_or_missing_smtp_url(project, url, message):
    result = send(project, url)
    assert result.exit_code == 1
    assert message in result.output
    assert ledger_records(project) == []


def test_an_unreachable_server(project):
    port = free_port()  # nothing listens there
    result = send(
        project, f"smtp://{urllib.parse.quote(USER)}:{urllib.parse.quote(PASSWORD, safe='')}@127.0.0.1:{port}"
    )
    assert result.exit_code == 1
    assert f"smtp://127.0.0.1:{port}: cannot reach the SMTP server: connection refused" in result.output


def test_a_missing_cafile(project, tmp_path):
    result = send(project, "smtp://127.0.0.1:2525", cafile=tmp_path / "nope.pem")
    assert result.exit_code == 1
    assert "REPORTGEN_SMTP_CAFILE" in result.output and "no such file" in result.output


def test_a_dry_run_needs_no_server(project, tmp_path):
    result = send(project, None, "--dry-run", tmp_path / "out")
    assert result.exit_code == 0 and len(list((tmp_path / "out").glob("*.eml"))) == 3


def test_a_bad_address_stops_the_run_before_anything_is_sent(project):
    config = project / "clients.yaml"
    text = config.read_text()
    config.write_text(text.replace("contactqzberlinqz@client.example", "contactqzberlinqz@client"))
    line = next(i for i, ln in enumerate(config.read_text().splitlines(), 1) if "@client\n" in ln + "\n")
    with SmtpServer() as server:
        result = send(project, server.url())
        assert result.exit_code == 1
        assert (
            f"clients.yaml:{line}: clients[3].contacts[1].email: 'contactqzberlinqz@client' is not valid"
            in result.output
        )
        assert server.received == []


def test_the_url_parser_decodes_and_keeps_the_password_out_of_repr():
    user, password = urllib.parse.quote(USER, safe=""), urllib.parse.quote(PASSWORD, safe="")
    server = send_module.smtp_server({"REPORTGEN_SMTP_URL": f"smtps://{user}:{password}@mail.example"})
    assert (server.scheme, server.host, server.port, server.username, server.password) == (
        "smtps",
        "mail.example",
        465,
        USER,
        PASSWORD,
    )
    assert PASSWORD not in repr(server) and PASSWORD not in server.shown
    assert send_module.smtp_server({"REPORTGEN_SMTP_URL": "smtp://mail.example"}).port == 587
    assert isinstance(send_module.tls_context({}), ssl.SSLContext)
    assert send_module.tls_context({}).verify_mode == ssl.CERT_REQUIRED


def test_site_url_link_in_the_sent_message(project):
    with SmtpServer() as server:
        assert send(project, server.url(), "--client", "saigon-foods").exit_code == 0
        text = parts(server.received[0].message)[0]
        assert f"{SITE_URL}/saigon-foods/{MONTH}/" in text and "Xin chào" in text
