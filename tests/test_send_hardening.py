"""`reportgen send` against hostile input (issue 13's attack): headers, the ledger,
the transport's errors, terminal output, --dry-run's folder, the SMTP URL, site_url."""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import json
import os
import re
import shutil
import socket
import threading
import urllib.parse
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import make_project
from hypothesis import given, settings
from hypothesis import strategies as st
from test_send import MONTH, client_entry, edit_config, read_eml, with_site_url

from reportgen.ledger import LEDGER, LedgerWriter, load_ledger
from reportgen.mail import Message, Recipient, mime_message, one_line
from reportgen.send import SendError, smtp_server

SENDER, TO, REPLY = "send@agency.example", "one@client.example", "ae@agency.example"

# Names built from the pieces attacks use: encoded-word shapes (q and b, with CRLF, commas,
# addresses inside), quotes, angle brackets, commas, line breaks, controls, non-ASCII.
PIECES = st.sampled_from(
    [
        "=?utf-8?q?boss=40evil=2Eexample=2C?=",
        "=?utf-8?b?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?=",
        "=?utf-8?b?DQpDb250ZW50LVR5cGU6IHRleHQvaHRtbA0KDQo8aDE+eDwvaDE+?=",
        "=?",
        "?=",
        "=?=",
        "?utf-8?q?",
        ",",
        ";",
        ":",
        '"',
        "\\",
        "<",
        ">",
        "<evil@evil.example>",
        "evil@evil.example",
        "(",
        ")",
        "\r\n",
        "\n",
        "\r",
        "\r\nBcc: x@evil.example",
        "\u2028",
        "\u0085",
        "\x1b]52;c;eA==\x07",
        "\x9b31m",
        "\u202e",
        " ",
        "\t",
        "Ünïcödé",
        "Sài Gòn",
        "שלום",
        "名前",
        "🙂",
        "a" * 80,
    ]
)
NAMES = st.one_of(
    st.lists(PIECES, max_size=6).map("".join),
    st.text(max_size=40),
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=8).map("".join),
)


def _message(sender_name: str, to_name: str, reply_name: str, subject: str) -> Message:
    return Message(
        client_id="c",
        month="2026-10",
        recipient=Recipient(one_line(to_name), TO),
        sender=SENDER,
        sender_name=sender_name,
        reply_to=REPLY,
        reply_to_name=reply_name,
        subject=subject,
        text="body text",
        html="<p>body</p>",
        digest="0" * 64,
    )


@settings(max_examples=100, deadline=None)
@given(NAMES, NAMES, NAMES, NAMES)
def test_any_name_in_a_header_stays_one_display_name(sender_name, to_name, reply_name, subject):
    raw = bytes(
        mime_message(
            _message(sender_name, to_name, reply_name, subject),
            email.utils.make_msgid(domain="agency.example"),
            "Tue, 01 Dec 2026 10:00:00 +0000",
        )
    )
    for policy in (email.policy.default, email.policy.compat32):
        parsed = email.message_from_bytes(raw, policy=policy)
        for header, address in (("From", SENDER), ("To", TO), ("Reply-To", REPLY)):
            values = parsed.get_all(header)
            assert values is not None and len(values) == 1, (header, raw)
            found = email.utils.getaddresses([str(values[0])])
            assert [a for _n, a in found] == [address], (header, found, raw)
        assert parsed.get_all("Bcc") is None and parsed.get_all("Cc") is None
        subject_value = str(parsed["Subject"])
        if policy is email.policy.compat32:  # raw: unfold, then decode
            subject_value = re.sub(r"\r?\n(?=[ \t])", "", subject_value)
            subject_value = str(email.header.make_header(email.header.decode_header(subject_value)))
        assert "\n" not in subject_value and "\r" not in subject_value
        assert parsed.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in parsed.get_payload()] == ["text/plain", "text/html"]
    # What a mail client shows is what the project says, minus controls and encoded-word marks.
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    def words(text: str) -> list[str]:
        return text.split()

    assert words(parsed["Subject"]) == words(one_line(subject))
    assert words(parsed["From"].addresses[0].display_name) == words(one_line(sender_name))


def test_one_line_neutralises_encoded_words_and_controls():
    assert one_line("=?utf-8?q?a?=") == "= ?utf-8?q?a? ="
    assert one_line("a\x1b]52;c;x\x07b\x9bc\u202ed\r\ne") == "a ]52;c;x b c d e"
    assert "=?" not in one_line("=?=?=??==") and "?=" not in one_line("=?=?=??==")


# --- a project to send from -------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("harden") / "proj"
    make_project(root)
    with_site_url(root)
    assert run_cli("build", "--project", root).exit_code == 0
    return root


@pytest.fixture
def project(built, tmp_path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(built, target, symlinks=True)
    return target


def dry(root: Path, out: Path, *args: str, env: dict | None = None):
    result = run_cli("send", "--project", root, "--month", MONTH, "--dry-run", out, *args, env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def failed_with(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    for needle in needles:
        assert needle in result.output, result.output


# --- 2. the ledger's path: every kind of file in its place --------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


LEDGER_KINDS = {
    "fifo": (lambda root: _fifo(root / LEDGER), "not a regular file"),
    "link to /dev/zero": (lambda root: (root / LEDGER).symlink_to("/dev/zero"), "is a symlink"),
    "broken link": (lambda root: (root / LEDGER).symlink_to(root / "nowhere"), "is a symlink"),
    "link elsewhere": (
        lambda root: (root / LEDGER).symlink_to(root.parent / "elsewhere.jsonl"),
        "is a symlink",
    ),
    "link to /dev/null": (lambda root: (root / LEDGER).symlink_to("/dev/null"), "is a symlink"),
    "a folder": (lambda root: (root / LEDGER).mkdir(), "not a regular file"),
}


@pytest.mark.parametrize("kind", sorted(LEDGER_KINDS))
def test_a_ledger_that_is_not_a_plain_file_is_refused(project, tmp_path, kind):
    make, message = LEDGER_KINDS[kind]
    (project / ".reportgen").mkdir(exist_ok=True)
    (project.parent / "elsewhere.jsonl").write_text("")
    make(project)
    result = dry(project, tmp_path / "out")
    failed_with(result, ".reportgen/sent.jsonl", message)
    with pytest.raises(Exception) as info, LedgerWriter(project, wait=0):
        pass
    assert ".reportgen/sent.jsonl" in str(info.value)
    assert (project.parent / "elsewhere.jsonl").read_text() == ""


@pytest.mark.parametrize("kind", ["file", "link", "broken link"])
def test_a_reportgen_folder_that_is_not_a_folder_is_refused(project, tmp_path, kind):
    folder = project / ".reportgen"
    if kind == "file":
        folder.write_text("x")
    elif kind == "link":
        (tmp_path / "real").mkdir()
        folder.symlink_to(tmp_path / "real")
    else:
        folder.symlink_to(tmp_path / "nowhere")
    failed_with(dry(project, tmp_path / "out"), ".reportgen")
    with pytest.raises(Exception, match=r"\.reportgen"), LedgerWriter(project, wait=0):
        pass


def test_a_read_only_project_is_a_clear_error(project, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "mkdir", refuse)  # as on a read-only checkout (root writes anywhere)
    with (
        pytest.raises(Exception, match=r"\.reportgen/sent\.jsonl: cannot write it"),
        LedgerWriter(project, wait=0),
    ):
        pass


# --- 10. the ledger's records: every field checked -------------------------------------------

GOOD = {
    "client": "acme-corp",
    "month": MONTH,
    "recipient": "sam@acme.example",
    "message_id": "<1@x>",
    "time": "2026-11-04T06:00:00+00:00",
    "digest": "0" * 64,
}
BAD_LINES = [
    "[" * 100_000 + "]" * 100_000,
    "x" * 10_000,
    '{"client": 1}',
    "[]",
    "null",
    '"text"',
    json.dumps({**GOOD, "client": 7}),
    json.dumps({**GOOD, "month": "2026-13"}),
    json.dumps({**GOOD, "month": 202610}),
    json.dumps({**GOOD, "digest": ""}),
    json.dumps({**GOOD, "digest": "xyz"}),
    json.dumps({**GOOD, "time": "yesterday"}),
    json.dumps({**GOOD, "recipient": "not an address"}),
    json.dumps({**GOOD, "extra": 1}),
    json.dumps(GOOD)[:-1] + ', "client": "other"}',
    json.dumps(GOOD).replace('"0000', 'NaN, "x": "00'),
    json.dumps({k: v for k, v in GOOD.items() if k != "time"}),
    '{"client": NaN}',
    '{"a": Infinity}',
    json.dumps({**GOOD, "message_id": "no brackets"}),
    "\xff\xfe".encode("latin-1").decode("latin-1"),
]


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.sampled_from(BAD_LINES),
        st.dictionaries(
            st.sampled_from(list(GOOD)),
            st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=8), st.lists(st.integers())),
            max_size=6,
        ).map(json.dumps),
    )
)
def test_a_bad_ledger_line_is_an_error_at_its_line(tmp_path_factory, line):
    root = tmp_path_factory.mktemp("ledger")
    (root / ".reportgen").mkdir()
    (root / LEDGER).write_bytes(
        (json.dumps(GOOD) + "\n" + line + "\n" + json.dumps(GOOD) + "\n").encode("utf-8", "surrogateescape")
    )
    with pytest.raises(Exception) as info:
        load_ledger(root)
    assert [(p.path, p.line) for p in info.value.problems] == [(LEDGER, 2)]


def test_only_a_last_line_without_its_newline_is_unfinished(tmp_path):
    (tmp_path / ".reportgen").mkdir()
    (tmp_path / LEDGER).write_text(json.dumps(GOOD) + '\n{"client": "acme')
    records, problems = load_ledger(tmp_path)
    assert len(records) == 1 and [p.severity for p in problems] == ["warning"]
    (tmp_path / LEDGER).write_text(json.dumps(GOOD) + '\n{"client": "acme\n')  # a newline: finished
    with pytest.raises(Exception, match="not a ledger record"):
        load_ledger(tmp_path)


# --- 11. two runs at once: the second waits, then sends only the rest --------------------------


def test_a_second_run_waits_for_the_first(tmp_path):
    first = LedgerWriter(tmp_path, wait=0).__enter__()
    released = threading.Timer(0.5, first.__exit__)
    released.start()
    with LedgerWriter(tmp_path, wait=10):  # waits for the first, does not fail
        pass
    released.join()
    first = LedgerWriter(tmp_path).__enter__()
    try:
        with pytest.raises(Exception, match="another `reportgen send`"), LedgerWriter(tmp_path, wait=0.3):
            pass
    finally:
        first.__exit__()


# --- 4, 8, 13. the transport: the URL, the login, what a server says ---------------------------


@pytest.mark.parametrize(
    "url, message",
    [
        ("smtp://u:p@mail.example:587/path", "nothing may follow the host"),
        ("smtp://u:p@mail.example:587?x=1", "nothing may follow the host"),
        ("smtp://u:p@mail.example:587#f", "nothing may follow the host"),
        ("smtp://u:p@mail.example:0", "port 0"),
        ("smtp://u:p%C3%A4ss@mail.example:587", "plain ASCII"),
        ("smtp://%C3%BCser:Xq9z@mail.example:587", "plain ASCII"),
        ("smtp://u:p%0D%0A@mail.example:587", "control character"),
    ],
)
def test_a_bad_smtp_url_is_refused_without_echoing_it(url, message):
    with pytest.raises(SendError) as info:
        smtp_server({"REPORTGEN_SMTP_URL": url})
    assert message in info.value.message
    password = urllib.parse.unquote(urllib.parse.urlsplit(url).password or "")
    assert len(password) < 2 or password not in info.value.message


def test_the_client_selection_is_checked_before_the_server(project):
    result = run_cli("send", "--project", project, "--month", MONTH, "--client", "nope", env={})
    assert result.exit_code == 2 and "no such client" in result.output
    assert "REPORTGEN_SMTP_URL" not in result.output


class EchoServer:
    """An SMTP server that echoes what it is sent (the AUTH line, base64 and all) in its
    replies: nothing a server says may reach the output."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            f = conn.makefile("rwb")
            f.write(b"220 ECHOMARK ready\r\n")
            f.flush()
            for raw in f:
                line = raw.rstrip(b"\r\n")
                if line.upper().startswith((b"EHLO", b"HELO")):
                    f.write(b"250-ECHOMARK " + line + b"\r\n250 AUTH PLAIN LOGIN\r\n")
                elif line.upper().startswith(b"QUIT"):
                    f.write(b"221 bye\r\n")
                    f.flush()
                    return
                else:
                    f.write(b"535 5.7.8 ECHOMARK refused " + line + b"\r\n")
                f.flush()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()
        self.thread.join(5)


@settings(max_examples=15, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12))
def test_no_server_reply_is_printed_so_no_password_leaks(built, password):
    import base64

    with EchoServer() as server:
        url = f"smtp://user:{urllib.parse.quote(password, safe='')}@127.0.0.1:{server.port}"
        result = run_cli("send", "--project", built, "--month", MONTH, env={"REPORTGEN_SMTP_URL": url})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ECHOMARK" not in result.output and "***" not in result.output
    plain = base64.b64encode(b"\0user\0" + password.encode()).decode()
    assert plain not in result.output
    assert f"127.0.0.1:{server.port}" in result.output and "535" in result.output


# --- 9. names never reach the terminal as escape sequences --------------------------------------

ESCAPES = [
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "\x9b31m",
    "\x1b[2J",
    "\u202e",
    "\x07",
    "\x7f",
]


def test_names_cannot_put_escape_sequences_in_the_output(project, tmp_path):
    bad = "".join(ESCAPES)
    edit_config(
        project,
        lambda d: client_entry(d, "acme-corp").update(
            name=f"Acme {bad}", contacts=[{"name": f"Sam {bad}", "email": "sam@acme.example"}]
        ),
    )
    result = dry(project, tmp_path / "out", "--client", "acme-corp")
    assert result.exit_code == 0, result.output
    for ch in "\x1b\x9b\u202e\x07\x7f":
        assert ch not in result.output


# --- 6. --dry-run DIR: only a new, empty or earlier dry run's folder ---------------------------


@pytest.mark.parametrize(
    "where",
    [
        "site",
        "site/acme-corp",
        ".",
        "content",
        "content/acme-corp",
        "data",
        ".reportgen-cache",
        ".reportgen",
        "templates",
    ],
)
def test_a_dry_run_never_writes_into_the_project_or_its_site(project, where):
    target = project / where
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else None
    result = dry(project, target)
    failed_with(result, "--dry-run")
    assert not list(target.glob("*.eml")) if target.exists() else True
    if before is not None:
        assert sorted(p.name for p in target.iterdir()) == before


def test_a_dry_run_refuses_a_folder_it_did_not_write_and_replaces_its_own(project, tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    failed_with(dry(project, other), "non-empty folder")
    assert (other / "keep.txt").read_text() == "mine"
    out = tmp_path / "outbox"
    assert dry(project, out).exit_code == 0
    first = sorted(out.glob("*.eml"))
    assert dry(project, out, "--client", "acme-corp").exit_code == 0  # an earlier dry run's: replaced
    assert len(sorted(out.glob("*.eml"))) < len(first)


# --- 7. a built site older than the data: that client is not sent -----------------------------


def test_a_stale_site_stops_that_clients_message(project, tmp_path):
    data = project / "data" / "acme-corp" / "2026.csv"
    lines = data.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("2026-10-05,"))
    cells = lines[index].split(",")
    cells[-2] = str(int(cells[-2]) + 500)  # 500 more leads on 5 October
    lines[index] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n")
    result = dry(project, tmp_path / "out")
    failed_with(
        result, "not sent: acme-corp", "the built site is older than the data", "run `reportgen build`"
    )
    assert not list((tmp_path / "out").glob("*acme-corp*"))
    assert list((tmp_path / "out").glob("*saigon-foods*"))  # the other clients are unaffected
    assert run_cli("build", "--project", project).exit_code == 0
    assert dry(project, tmp_path / "out2").exit_code == 0


# --- 12. check renders the message templates -------------------------------------------------


def test_check_fails_at_the_line_of_a_broken_email_template(project):
    (project / "templates" / "email").mkdir(parents=True, exist_ok=True)
    (project / "templates" / "email" / "message.txt").write_text("Hello\n{{ mail.title | nosuchfilter }}\n")
    result = run_cli("check", "--project", project)
    failed_with(result, "templates/email/message.txt:2")
    (project / "templates" / "email" / "message.txt").write_text("Hello\n\n{{ 1 // 0 }}\n")
    failed_with(run_cli("check", "--project", project), "templates/email/message.txt:3")


# --- 15. next steps: every open one, by due date, as the portal home ---------------------------


def test_next_steps_carry_open_steps_and_are_ordered_by_due_date(project, tmp_path):
    assert dry(project, tmp_path / "out", "--client", "acme-corp").exit_code == 0
    text = read_eml(sorted((tmp_path / "out").glob("*.eml"))[0]).get_body(("plain",)).get_content()
    steps = text.split("Next steps", 1)[1]
    assert "Open task" in steps and "September task" in steps  # carried from September's note
    assert steps.index("Open task") < steps.index("September task")  # due date first
    assert "Done task" not in steps


# --- 14. addresses and site_url as written ----------------------------------------------------


@pytest.mark.parametrize("value", [" sam@acme.example", "sam@acme.example ", "\tsam@acme.example"])
def test_spaces_around_an_address_are_an_error(project, value):
    edit_config(project, lambda d: client_entry(d, "acme-corp")["contacts"][0].update(email=value))
    failed_with(run_cli("check", "--project", project), "expected an e-mail address", "no spaces")


@pytest.mark.parametrize(
    "url",
    [
        "https://r.example/<b>",
        "https://r.example/'x",
        "https://r.example/\u202ex",
        "https://r.example/ä",
        "https://r.example/%zz",
        " https://r.example/",
    ],
)
def test_site_url_only_takes_the_characters_of_a_url(project, url):
    edit_config(project, lambda d: d["agency"].update(site_url=url))
    result = run_cli("check", "--project", project)
    failed_with(result, "site_url")
    assert "\u202e" not in result.output


URL_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/@!$&()*+,;=[]%")


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        lambda path: "https://reports.example.com/" + path,
        st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    )
)
def test_an_accepted_site_url_holds_only_url_characters(text):
    from reportgen.addresses import site_url_problem

    if site_url_problem(text) is None:
        assert set(text) <= URL_CHARS
        assert not re.search(r"%(?![0-9A-Fa-f]{2})", text)
