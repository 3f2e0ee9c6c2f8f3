"""`reportgen send` against hostile input (issue 13's attack): headers, the ledger,
the transport's errors, terminal output, --dry-run's folder, the SMTP URL, site_url."""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.mail import Message, Recipient, mime_message, one_line

SENDER, TO, REPLY = "send@agency.example", "one@client.example", "ae@agency.example"

# Names built from the pieces attacks use: encoded-word shapes (q and b, with CRLF, commas,
# addresses inside), quotes, angle brackets, commas, line breaks, controls, non-ASCII.
PIECES = st.sampled_from([
    "=?utf-8?q?boss=40evil=2Eexample=2C?=", "=?utf-8?b?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?=",
    "=?utf-8?b?DQpDb250ZW50LVR5cGU6IHRleHQvaHRtbA0KDQo8aDE+eDwvaDE+?=", "=?", "?=", "=?=",
    "?utf-8?q?", ",", ";", ":", '"', "\\", "<", ">", "<evil@evil.example>", "evil@evil.example",
    "(", ")", "\r\n", "\n", "\r", "\r\nBcc: x@evil.example", "\u2028", "\u0085", "\x1b]52;c;eA==\x07",
    "\x9b31m", "\u202e", " ", "\t", "Ünïcödé", "Sài Gòn", "שלום", "名前", "🙂", "a" * 80,
])
NAMES = st.one_of(st.lists(PIECES, max_size=6).map("".join), st.text(max_size=40),
                  st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=8).map("".join))


def _message(sender_name: str, to_name: str, reply_name: str, subject: str) -> Message:
    return Message(client_id="c", month="2026-10", recipient=Recipient(one_line(to_name), TO),
                   sender=SENDER, sender_name=sender_name, reply_to=REPLY, reply_to_name=reply_name,
                   subject=subject, text="body text", html="<p>body</p>", digest="0" * 64)


@settings(max_examples=100, deadline=None)
@given(NAMES, NAMES, NAMES, NAMES)
def test_any_name_in_a_header_stays_one_display_name(sender_name, to_name, reply_name, subject):
    raw = bytes(mime_message(_message(sender_name, to_name, reply_name, subject),
                             email.utils.make_msgid(domain="agency.example"), "Tue, 01 Dec 2026 10:00:00 +0000"))
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
