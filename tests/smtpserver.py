"""A real SMTP server for the `reportgen send` tests: aiosmtpd on 127.0.0.1.

`SmtpServer` records every message it accepts; it can require STARTTLS and a
login, speak TLS from the first byte (smtps), or refuse messages after the
N-th. The TLS certificate is made at test time (the `cryptography` package):
self-signed for 127.0.0.1, written as a PEM file the client is told to trust
through REPORTGEN_SMTP_CAFILE.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

if os.environ.get("CI"):  # in the test extra: CI always has it, so a missing one fails there
    import aiosmtpd.controller as aiosmtpd_controller
else:
    aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd's own warnings (raised in its server thread, where pytest's "error" filter would
# break the connection): login_data is read by aiosmtpd itself; smtps is TLS it does not see.
SERVER_WARNINGS = [
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

USER, PASSWORD = "mailer@brightline.example", "p@ss:w/rd%Zz9 secret"  # needs URL-encoding


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate (usable as its own CA) for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reportgen test SMTP")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Recorder:
    """The handler: accepts messages, or refuses recipients once `refuse_after` were accepted."""

    received: list[Received] = field(default_factory=list)
    refuse_after: int | None = None
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_after is not None and len(self.received) >= self.refuse_after:
            return "550 5.7.1 Refused by the test server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


class SmtpServer:
    """`with SmtpServer(...) as server:` — a running server; `server.url` for REPORTGEN_SMTP_URL."""

    def __init__(
        self,
        mode: str = "plain",
        certs: tuple[Path, Path] | None = None,
        auth: bool = False,
        refuse_after: int | None = None,
    ):
        self.mode = mode  # plain | starttls | smtps
        self.port = free_port()
        self.recorder = Recorder(refuse_after=refuse_after)
        kwargs: dict = {}
        context = None
        if mode in ("starttls", "smtps"):
            assert certs
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certs[0]), str(certs[1]))
        if mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        if mode == "smtps":
            kwargs.update(ssl_context=context)
        if auth:
            kwargs.update(
                authenticator=self.recorder.authenticator,
                auth_required=True,
                # aiosmtpd counts only STARTTLS as TLS; smtps is TLS from the first byte
                auth_require_tls=mode == "starttls",
            )
        self.controller = aiosmtpd_controller.Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, **kwargs
        )

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def url(self, user: str | None = None, password: str | None = None) -> str:
        from urllib.parse import quote

        scheme = "smtps" if self.mode == "smtps" else "smtp"
        credentials = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()
