"""The Content Security Policy, in one place: what every page carries, and the host headers.

The renderer (site.py, overview.py) puts the policy on every page itself
(`with_policy`), after the templates have rendered: a project that overrides
`partials/head.html` or `base.html` cannot drop it or weaken it by accident.
A template chooses *where* the policy goes by writing
`<meta http-equiv="Content-Security-Policy" content="{{ csp }}">` early in
`<head>` (the built-in `partials/head.html` does); a page without it, with it
too late (after a script, style or stylesheet) or with another policy gets
the project's policy as the first thing in `<head>` instead, and no other.
"""

from __future__ import annotations

import re

# No inline script anywhere (figures are JSON blocks read by reportgen.js); no
# eval (plotly.js does not need it for the chart types used); nothing loads from
# outside the site. Inline *styles* stay allowed: Plotly positions its SVG with them.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'"
)
# A protected report's login page fetches its sealed report.pdf (same origin only) to open it
# with the reader's key (unlock.js): its own policy, and the hosts' header policy, allow that.
SEALED_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "default-src 'none';", "default-src 'none'; connect-src 'self';", 1
)
# Hosts that read `_headers` (Netlify, Cloudflare Pages) send these with every
# file. `/*` matches every path, assets and logos included, and a host joins the
# headers of all matching rules, so each security header is stated once, there.
# The header policy adds `frame-ancestors 'none'`, which a <meta> policy cannot carry.
HEADER_CONTENT_SECURITY_POLICY = f"{SEALED_PAGE_POLICY}; frame-ancestors 'none'"
HEADERS_FILE = f"""\
/*
  Content-Security-Policy: {HEADER_CONTENT_SECURITY_POLICY}
  X-Content-Type-Options: nosniff
  X-Frame-Options: DENY
  X-Robots-Tag: noindex, nofollow
  Referrer-Policy: no-referrer
  Cache-Control: no-cache
/assets/*
  Cache-Control: public, max-age=31536000, immutable
"""
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"

# Any policy <meta>, however a template spells it (and the line break after it).
_POLICY_META = re.compile(
    r"""<meta\b[^>]*?\bhttp-equiv\s*=\s*(["']?)content-security-policy\1[^>]*>\n?""", re.IGNORECASE
)
_HEAD_OPEN = re.compile(r"<head\b[^>]*>\n?", re.IGNORECASE)
_HEAD_CLOSE = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)
# What a <meta> policy must come before to govern it: a browser applies it only from there on.
_LOADS = re.compile(
    r"<(?:script|style|base|iframe|object|embed|img)\b"
    r"|<link\b[^>]*\brel\s*=\s*[\"']?[^\"'>]*\b(?:stylesheet|preload|modulepreload|prefetch)",
    re.IGNORECASE,
)


def csp_meta(policy: str) -> str:
    """The policy's <meta> line, exactly as the built-in partials/head.html writes it."""
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'


CSP_META = csp_meta(CONTENT_SECURITY_POLICY)


def with_policy(page: str, policy: str) -> str:
    """`page` carrying `policy` exactly once, early enough in <head> to govern everything.

    A page whose template already placed it (once, before anything that loads,
    and no other policy) is returned unchanged; otherwise every policy <meta>
    is removed and the project's goes first in <head> (or first in the page)."""
    meta = csp_meta(policy)
    found = list(_POLICY_META.finditer(page))
    if len(found) == 1 and _well_placed(page, found[0], meta):
        return page
    stripped = _POLICY_META.sub("", page)
    head = _HEAD_OPEN.search(stripped)
    at = head.end() if head else 0
    return stripped[:at] + meta + stripped[at:]


def without_policy(page: str) -> str:
    """`page` with no policy <meta>: a sealed page, written by its login page, whose
    policy stays in force (a second <meta> policy there would only be ignored)."""
    return _POLICY_META.sub("", page)


def policies(page: str) -> list[str]:
    """The policy <meta> tags of a page, as written (tests and the publish audit)."""
    return [match.group(0) for match in _POLICY_META.finditer(page)]


def _well_placed(page: str, found: re.Match[str], meta: str) -> bool:
    if found.group(0) != meta:
        return False
    head = _HEAD_OPEN.search(page)
    if head is None or found.start() < head.end():
        return False
    end = _HEAD_CLOSE.search(page, head.end())
    if end is not None and found.start() > end.start():
        return False
    first_load = _LOADS.search(page, head.end())
    return first_load is None or found.start() < first_load.start()
