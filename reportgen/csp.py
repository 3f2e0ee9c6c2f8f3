"""The Content Security Policy, in one place: what every page carries, and the host headers.

The renderer (site.py, overview.py) puts the policy on every page itself
(`with_policy`), after the templates have rendered: a project that overrides
`partials/head.html` or `base.html` cannot drop it or weaken it. It decides on
the page as a browser tokenizes it (htmltokens.py), never on the text: every
policy <meta> (any spelling of its http-equiv, Report-Only too) is removed and
the project's goes right after the leading doctype, where every browser puts it
first in <head>. A page that already starts with it — after only a doctype,
<html>, <head>, plain metas and a data: icon, as the built-in
`partials/head.html` writes it — and has no other is left byte for byte.
"""

from __future__ import annotations

import html
import re

from .htmltokens import Token, tokens

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

# The http-equiv values of a policy <meta> (after unescaping, trimming, lowercasing);
# a Report-Only one in a <meta> is ignored by browsers, so it is never left on a page either.
_POLICY_KINDS = frozenset({"content-security-policy", "content-security-policy-report-only"})
# What a page may start with, in this order, before its policy and stay as the template wrote
# it: none of them loads or runs anything (an icon written as a data: URL fetches nothing).
_LEADING = {"doctype": 0, "html": 1, "head": 2, "meta": 3, "link": 3}
_DOCTYPE = re.compile(r"[\t\n\f\r ]*<!doctype[^>]*>", re.IGNORECASE)


def csp_meta(policy: str) -> str:
    """The policy's <meta> line, exactly as the built-in partials/head.html writes it."""
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'


CSP_META = csp_meta(CONTENT_SECURITY_POLICY)


def with_policy(page: str, policy: str) -> str:
    """`page` carrying `policy` exactly once, before anything a browser could load or run.

    Decided on the page as a browser tokenizes it (htmltokens.py), not on its text.
    A page whose first tokens are an optional doctype, <html>, <head> and metas or a
    data: icon, then exactly this policy's <meta>, and that has no other policy <meta>,
    is returned unchanged (the built-in templates). Otherwise every policy <meta> is
    removed and this one goes right after the page's leading doctype — or first, after
    a `<!doctype html>` — where every browser puts it in <head> before anything else."""
    meta = csp_meta(policy)
    if _already_first(page, meta):
        return page
    spans = _policy_spans(page)
    if len(spans) == 1 and _placed_first(page, spans[0], meta):
        return page
    stripped = _remove(page, spans)
    doctype = _DOCTYPE.match(stripped)
    if doctype is None:
        return "<!doctype html>" + meta + stripped
    return stripped[: doctype.end()] + meta + stripped[doctype.end() :]


def _already_first(page: str, meta: str) -> bool:
    """The fast path for the built-in templates (tokenizing a whole page costs more than
    rendering it): the page starts with harmless tokens and then `meta`, and its text
    after `meta` holds no `http-equiv` in any case, so no other policy <meta> can be
    there (a browser reads attribute names as written, ASCII-lowercased: never from
    character references). Only the few hundred bytes up to `meta` are tokenized; they
    tokenize as in the whole page because `meta` ends a tag there (an unclosed comment
    or raw-text element before it swallows it, and this answers no). Anything else
    goes the whole page's way."""
    at = page.find(meta)
    if at == -1:
        return False
    end = at + len(meta)
    if _mentions_http_equiv(page, end):
        return False
    head = page[:end]
    known = _HEADS.get((head, meta))
    if known is None:
        spans = _policy_spans(head)
        known = len(spans) == 1 and _placed_first(head, spans[0], meta)
        if len(_HEADS) >= _HEADS_MAX:
            _HEADS.clear()
        _HEADS[head, meta] = known
    return known


# _already_first's answer for a page's head (the text up to its policy): a site's pages share
# a few heads (one per language), so each is tokenized once. Bounded: cleared when full.
_HEADS: dict[tuple[str, str], bool] = {}
_HEADS_MAX = 256


def _mentions_http_equiv(page: str, start: int) -> bool:
    """Whether `"http-equiv" in page[start:].lower()`, without lowercasing the page: only
    ASCII letters lowercase to the ASCII of "http-equiv" (U+0130 gives an "i" followed by
    U+0307, never by "v"), so a match is ten ASCII characters around a "q" or "Q"."""
    for q in "qQ":
        at = page.find(q, start + 6)
        while at != -1:
            if page[at - 6 : at + 4].lower() == "http-equiv":
                return True
            at = page.find(q, at + 1)
    return False


def without_policy(page: str) -> str:
    """`page` with no policy <meta>: a sealed page, written by its login page, whose
    policy stays in force (a second <meta> policy there would only be ignored)."""
    return _remove(page, _policy_spans(page))


def policies(page: str) -> list[str]:
    """The policy <meta> tags of a page, as written (tests and the publish audit)."""
    return [page[start:end] for start, end in _policy_spans(page)]


def _is_policy(token: Token) -> bool:
    if token.kind != "start" or token.name != "meta":
        return False
    kind = token.attribute("http-equiv")
    return kind is not None and html.unescape(kind).strip().lower() in _POLICY_KINDS


def _policy_spans(page: str) -> list[tuple[int, int]]:
    """The source spans of the page's policy <meta> tags, each with the line break after it."""
    spans = []
    for token in tokens(page):
        if _is_policy(token):
            end = token.end + 1 if page.startswith("\n", token.end) else token.end
            spans.append((token.start, end))
    return spans


def _remove(page: str, spans: list[tuple[int, int]]) -> str:
    kept, at = [], 0
    for start, end in spans:
        kept.append(page[at:start])
        at = end
    kept.append(page[at:])
    return "".join(kept)


def _placed_first(page: str, span: tuple[int, int], meta: str) -> bool:
    """Whether the page's one policy <meta> is `meta`, preceded only by harmless tokens."""
    if page[span[0] : span[1]] != meta:
        return False
    seen: set[str] = set()
    for token in tokens(page):
        if token.start >= span[0]:
            return token.start == span[0]
        if not _harmless_before_policy(page, token, seen):
            return False
    return False


def _harmless_before_policy(page: str, token: Token, seen: set[str]) -> bool:
    """Whether `token` may come before the policy: it neither loads nor runs anything,
    and keeps the page's order (doctype, <html>, <head> at most once each, then metas)."""
    if token.kind == "text":
        return page[token.start : token.end].strip("\t\n\f\r ") == ""
    what = "doctype" if token.kind == "doctype" else token.name if token.kind == "start" else ""
    rank = _LEADING.get(what)
    once = what in ("doctype", "html", "head")
    if rank is None or (once and what in seen) or any(_LEADING[earlier] > rank for earlier in seen):
        return False
    seen.add(what)
    if what == "meta":
        return "http-equiv" not in token.attributes
    if what == "link":
        return token.attribute("rel") == "icon" and (token.attribute("href") or "").startswith("data:")
    return True
