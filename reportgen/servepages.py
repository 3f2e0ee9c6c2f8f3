"""What `reportgen serve` answers besides the site's own files: addresses in their one form,
a page where there is none (the failed build's problems, and a page that reloads after the
next good build), the live-reload tag every page gets, and the preview banner of a protected
portal. Plain functions of strings and bytes: serve.py's handler calls them."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from .errors import terminal_text  # (a bidi override in a path shown escaped: it spoofs nothing)

LIVE_SCRIPT = "/__reportgen/live.js"
PREVIEW_MARK = "preview, not protected"


def target_parts(raw: str) -> tuple[str, str]:
    """A request target's path and query, as typed: `//acme/` is the path `//acme/` (urlsplit
    would read `acme` as a host name and answer the site's root under it)."""
    path, _mark, query = raw.partition("#")[0].partition("?")
    return path, query


def canonical_location(path: str, raw_path: str, query: str = "") -> str | None:
    """Where an address that is not in its one form goes (doubled slashes collapsed, an
    encoded slash decoded); None for one that is. The browser resolves a page's relative
    links against the address as typed: `/acme//2026-11/` would lose its stylesheet."""
    collapsed = re.sub(r"/{2,}", "/", path)
    if collapsed == path and not re.search(r"%2f", raw_path, re.IGNORECASE):
        return None
    location = "/" + quote(collapsed.lstrip("/"), safe=URL_SAFE)
    return location + (f"?{query}" if query and re.fullmatch(r"[\x21-\x7e]+", query) else "")


URL_SAFE = "/-._~!$&'()*+,;=:@"  # what a path keeps unencoded in a Location


def folder_location(path: str, query: str = "") -> str:
    """Where `/folder` redirects: `/folder/`, percent-encoded, on this server
    (one leading slash: never `//host`), with the query when it is plain ASCII."""
    folder = path.lstrip("/")  # only slashes: the site's root, never `//`
    location = "/" + quote(folder, safe=URL_SAFE) + "/" if folder else "/"
    if query and re.fullmatch(r"[\x21-\x7e]+", query):
        location += "?" + query
    return location


def inject_live_reload(html: bytes, version: int) -> bytes:
    """The live-reload script, told which build the page comes from (a build that ends before
    the page starts listening still reloads it), and a policy that lets it listen to the server."""
    html = html.replace(b"default-src 'none';", b"default-src 'none'; connect-src 'self';", 1)
    tag = f'<script src="{LIVE_SCRIPT}" data-version="{version}"></script>'.encode()
    if b"</body>" in html:
        return html.replace(b"</body>", tag + b"\n</body>", 1)
    return html + tag


def wants_page(path: str) -> bool:
    """A request for a page (a folder, `.html`, or a name without an extension), not a file."""
    name = path.rsplit("/", 1)[-1]
    return "." not in name or name.lower().endswith((".html", ".htm"))


def missing_page(path: str, built: bool, version: int, error: str | None = None) -> bytes:
    """The page serve answers where there is none: why, the failed build's problems (shown
    without JavaScript too), and live.js to reload after the next good build."""
    if built:
        title, say = "Not found", f"There is no page at {terminal_text(path)} in this preview."
    else:
        title, say = "No site yet", "The first build failed: fix the problems below and save."
    problems = (  # (live.js keeps this list up to date: no overlay over this page)
        f'<pre id="reportgen-problems"{"" if error else " hidden"} style="white-space:pre-wrap;'
        'background:#fef2f2;color:#7f1d1d;padding:12px 16px;border-left:4px solid #b91c1c">'
        f"{escape(error or '')}</pre>"
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'\">"
        f"<title>reportgen serve: {escape(title)}</title></head>"
        '<body style="font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:24px;'
        'color:#1f2937;overflow-wrap:anywhere">'
        f'<main><h1 style="font-size:1.25rem">{escape(title)}</h1><p>{escape(say)}</p>{problems}'
        "<p>This page reloads by itself after the next build<noscript> (with JavaScript on; without, "
        'reload it after you save)</noscript>. <a href="/">The site\'s first page</a></p>'
        f'</main><script src="{LIVE_SCRIPT}" data-version="{version}"></script></body></html>'
    )
    return page.encode()


PREVIEW_BANNER = (
    '<div id="reportgen-preview" role="status" style="position:sticky;top:0;z-index:99998;'
    "background:#b45309;color:#fff;padding:8px 16px;font:600 14px/1.4 system-ui,sans-serif;"
    'text-align:center">reportgen serve: ' + PREVIEW_MARK + " — this portal has a password "
    "(access.password_env); the published site is sealed, this preview is not.</div>"
).encode()


def mark_preview(html: bytes) -> bytes:
    """A visible banner at the top of the page of a protected client, unsealed for preview."""
    match = re.search(rb"<body[^>]*>", html)
    if match is None:
        return PREVIEW_BANNER + html
    return html[: match.end()] + PREVIEW_BANNER + html[match.end() :]
