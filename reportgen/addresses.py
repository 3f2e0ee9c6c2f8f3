"""E-mail addresses and web addresses as clients.yaml may write them.

One strict, simple rule for an address, checked when clients.yaml is loaded
(so `check`, `build` and `send` agree): `local@domain`, the local part a
dot-atom of RFC 5322 (letters, digits and ``!#$%&'*+/=?^_`{|}~-``, dots
between them), the domain host names separated by dots (letters, digits,
inner hyphens; an internationalised domain in its ``xn--`` form), ASCII only,
no name, no comment, no quotes, no spaces. Everything the rule accepts is
also read back unchanged by `email.utils.parseaddr` and fits an SMTP
`RCPT TO`, so a message never goes to anyone but the address as written.
"""

from __future__ import annotations

import email.utils
import re
import urllib.parse

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS_RE = re.compile(rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>{_LABEL}(?:\.{_LABEL})+)")
MAX_LOCAL, MAX_ADDRESS = 64, 254
# RFC 3986's characters, less the ' (it ends an HTML attribute in some mail clients), a
# % only before two hex digits (? and # are refused before this: no query, no fragment).
URL_RE = re.compile(r"(?:[A-Za-z0-9\-._~:/@!$&()*+,;=\[\]]|%[0-9A-Fa-f]{2})+")


def address_problem(text: str) -> str | None:
    """Why `text` is not an e-mail address reportgen sends to, or None."""
    if not text.isascii():
        return "only plain ASCII addresses are accepted (write an internationalised domain in its xn-- form)"
    if "<" in text or ">" in text or "," in text or ";" in text:
        return "write one address only, without a name or <...> (the name goes in 'name')"
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "an address has no spaces or line breaks"
    if text.count("@") != 1:
        return "an address has exactly one @"
    match = ADDRESS_RE.fullmatch(text)
    if not match:
        return "expected name@domain.tld (letters, digits and . _ + - before the @; a domain with a dot)"
    if len(match["local"]) > MAX_LOCAL or len(text) > MAX_ADDRESS:
        return f"too long (at most {MAX_LOCAL} characters before the @, {MAX_ADDRESS} in all)"
    if match["domain"].rsplit(".", 1)[1].isdigit():
        return "the domain must end in a name, not a number"
    if email.utils.parseaddr(text) != ("", text):  # belt and braces: the parser reads it as written
        return "not read back unchanged by an e-mail parser"
    return None


def site_url_problem(text: str) -> str | None:
    """Why `text` is not a public base URL for the portals (http(s)://host/path), or None."""
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "a URL has no spaces or line breaks"
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an http:// or https:// address, e.g. https://reports.example.com/"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return "must not have a ?query or #fragment (the client's folder is added after it)"
    if not URL_RE.fullmatch(text):
        return (
            "only the characters of a URL (RFC 3986: letters, digits and - . _ ~ : / @ ! $ & "
            "( ) * + , ; = and %XX; no quotes, < >, non-ASCII — write an internationalised "
            "domain in its xn-- form and other characters %-encoded)"
        )
    return None


def base_url(text: str) -> str:
    """The site URL ending in exactly one '/', ready for `slug/YYYY-MM/`."""
    return text.rstrip("/") + "/"
