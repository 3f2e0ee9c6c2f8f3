"""The SMTP transport of `reportgen send`: the server from REPORTGEN_SMTP_URL, a verified
TLS context, and one session that hands messages over one by one (send.py decides what).

The SMTP server is `REPORTGEN_SMTP_URL`: `smtp://user:password@host:587`
(STARTTLS) or `smtps://user:password@host:465` (TLS from the first byte),
user and password URL-encoded. Certificates are always verified (against the
system's CAs, or `REPORTGEN_SMTP_CAFILE`). The password is never printed: an
error says what failed in a fixed sentence with the server's numeric reply code
and host:port, never the text of a server reply or an exception.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import smtplib
import socket
import ssl
import urllib.parse
from dataclasses import dataclass, field

from .errors import ReportgenError
from .mail import Message, mime_message

SMTP_URL_ENV = "REPORTGEN_SMTP_URL"
CAFILE_ENV = "REPORTGEN_SMTP_CAFILE"
TIMEOUT = 30  # seconds for connecting and for each SMTP reply


class SendError(ReportgenError):
    """Sending failed (no server, refused login, a refused --dry-run folder, ...): exit 1, no
    traceback. Defined beside the transport; send.py raises it for the dry run too."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str  # smtp (STARTTLS) | smtps (implicit TLS)
    host: str
    port: int
    username: str | None
    password: str | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """host:port as messages name it (never the credentials)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def smtp_server(environ: dict[str, str] | None = None) -> SmtpServer:
    """REPORTGEN_SMTP_URL, parsed; errors never quote it (it holds the password)."""
    text = (environ if environ is not None else os.environ).get(SMTP_URL_ENV, "").strip()
    if not text:
        raise SendError(
            f"{SMTP_URL_ENV} is not set: give the SMTP server as "
            "smtp://USER:PASSWORD@HOST:587 (STARTTLS) or smtps://USER:PASSWORD@HOST:465 "
            "(password URL-encoded), or review the messages with --dry-run DIR"
        )
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise SendError(
            f"{SMTP_URL_ENV}: not a valid URL (is the port a number, and are '@', ':' "
            "and '/' in the password URL-encoded as %40, %3A and %2F?)"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise SendError(
            f"{SMTP_URL_ENV}: must start with smtp:// (STARTTLS, port 587) or smtps:// (TLS, port 465)"
        )
    if not parts.hostname:
        raise SendError(f"{SMTP_URL_ENV}: no host name (smtp://USER:PASSWORD@HOST:587)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise SendError(
            f"{SMTP_URL_ENV}: nothing may follow the host and port (no /path, ?query or "
            "#fragment; is a '/', '?' or '#' in the password URL-encoded as %2F, %3F, %23?)"
        )
    if port == 0:
        raise SendError(f"{SMTP_URL_ENV}: port 0 is not a port (587 for smtp://, 465 for smtps://)")
    username = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    if username and password is None:
        raise SendError(f"{SMTP_URL_ENV}: a user name without a password (smtp://USER:PASSWORD@HOST)")
    if not (username or "").isascii() or not (password or "").isascii():
        # smtplib logs in with ASCII only (RFC 4954 leaves other bytes to each server).
        raise SendError(
            f"{SMTP_URL_ENV}: the user name and password must be plain ASCII (smtplib "
            "cannot send other characters in a login); choose an ASCII password"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in (username or "") + (password or "")):
        raise SendError(f"{SMTP_URL_ENV}: the user name or password holds a control character")
    return SmtpServer(
        scheme,
        parts.hostname,
        port if port is not None else (465 if scheme == "smtps" else 587),
        username,
        password,
    )


def tls_context(environ: dict[str, str] | None = None) -> ssl.SSLContext:
    cafile = (environ if environ is not None else os.environ).get(CAFILE_ENV) or None
    if cafile and not os.path.isfile(cafile):
        raise SendError(
            f"{CAFILE_ENV}={cafile}: no such file (a PEM file of the CA certificates "
            "to trust for the SMTP server)"
        )
    try:
        return ssl.create_default_context(cafile=cafile)
    except (ssl.SSLError, OSError) as exc:
        raise SendError(f"{CAFILE_ENV}={cafile}: not a PEM file of certificates ({exc})") from None


class SmtpTransport:
    """One SMTP session: connect, secure, log in; then `send` message by message."""

    def __init__(self, server: SmtpServer, context: ssl.SSLContext):
        self.server = server
        self.context = context
        self.smtp: smtplib.SMTP | None = None

    def fail(self, what: str, exc: BaseException) -> SendError:
        """A fixed sentence for the error's class, the server's numeric reply code, host:port:
        never the text of a server reply or an exception, which may echo the credentials."""
        return SendError(f"{self.server.shown}: {what}: {describe(exc)}")

    def __enter__(self) -> SmtpTransport:
        server = self.server
        try:
            if server.scheme == "smtps":
                self.smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=self.context)
            else:
                self.smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
        except ssl.SSLCertVerificationError as exc:
            raise self.fail("its TLS certificate is not trusted", exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise self.fail("cannot reach the SMTP server", exc) from None
        try:
            self._secure_and_login()
        except BaseException:
            self._close()
            raise
        return self

    def _secure_and_login(self) -> None:
        smtp, server = self.smtp, self.server
        assert smtp is not None
        try:
            smtp.ehlo()
            if server.scheme == "smtp":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self.context)
                    smtp.ehlo()
                elif not server.is_loopback:
                    raise SendError(
                        f"{server.shown}: the server does not offer STARTTLS; refusing to "
                        "send the login and the reports unencrypted (use smtps:// if it "
                        "speaks TLS from the start)"
                    )
                # A server on this machine without STARTTLS (a local relay): nothing leaves it.
            if server.username:
                if not smtp.has_extn("auth"):
                    raise SendError(
                        f"{server.shown}: the server does not offer a login (AUTH), but "
                        f"{SMTP_URL_ENV} has a user name"
                    )
                smtp.login(server.username, server.password or "")
        except SendError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise self.fail(
                f"its TLS certificate is not trusted (a private CA? set {CAFILE_ENV})", exc
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise self.fail(
                f"the server refused the login for user '{server.username}' (check the "
                f"user name and password in {SMTP_URL_ENV})",
                exc,
            ) from None
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            raise self.fail("the SMTP session failed", exc) from None

    def send(self, message: Message, message_id: str, date: str) -> None:
        """Hand one message over; raises MessageRefused (this message) or SendError (the session)."""
        assert self.smtp is not None
        mime = mime_message(message, message_id, date)
        try:
            self.smtp.send_message(mime, from_addr=message.sender, to_addrs=[message.recipient.email])
        except smtplib.SMTPRecipientsRefused as exc:
            reply = next(iter(exc.recipients.values()), (0, b""))
            raise MessageRefused(f"the server refused the recipient: {reply_text(reply)}") from None
        except smtplib.SMTPDataError as exc:
            raise MessageRefused(
                f"the server refused the message: {reply_text((exc.smtp_code, exc.smtp_error))}"
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise SendError(
                f"{self.server.shown}: the server refused the sender {message.sender}: "
                f"{reply_text((exc.smtp_code, exc.smtp_error))}"
            ) from None
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            raise self.fail("the connection failed while sending", exc) from None

    def _close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None

    def __exit__(self, *exc_info: object) -> None:
        self._close()


class MessageRefused(Exception):
    """The server refused this one message (the session goes on)."""


_ENHANCED_STATUS = re.compile(rb"\s*([245]\.\d{1,3}\.\d{1,3})(?=\s|$)")


def reply_text(reply: tuple[int, bytes | str]) -> str:
    """A server reply as its numeric codes only ("reply 550, 5.1.1"): the text a server
    writes is never shown (a server may echo what it was sent, the login included)."""
    code, text = reply
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else (text or b"")
    enhanced = _ENHANCED_STATUS.match(raw)
    shown = f"server reply {int(code)}" if isinstance(code, int) and 0 < code < 1000 else "no server reply"
    return shown + (f", {enhanced.group(1).decode()}" if enhanced else "")


def describe(exc: BaseException) -> str:
    """A fixed sentence for each kind of failure: never the exception's own text."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return reply_text((exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {TIMEOUT} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the host and port right?)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificate verification failed" + (
            f" ({exc.verify_message})" if exc.verify_message and exc.verify_message.isprintable() else ""
        )
    if isinstance(exc, ssl.SSLError):
        return "TLS failed (does the server speak TLS on this port? smtps:// is TLS from the start)"
    if isinstance(exc, UnicodeError):
        return "a character the SMTP session cannot carry"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"network error ({errno.errorcode.get(exc.errno, exc.errno)})"
    return f"unexpected {type(exc).__name__}"


__all__ = [
    "CAFILE_ENV",
    "SMTP_URL_ENV",
    "TIMEOUT",
    "MessageRefused",
    "SendError",
    "SmtpServer",
    "SmtpTransport",
    "describe",
    "reply_text",
    "smtp_server",
    "tls_context",
]
