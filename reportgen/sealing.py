"""Sealing a protected portal's files: login pages around sealed pages, sealed downloads.

With a `Sealer` (protect.py) every file of a client's portal is sealed: a page
becomes its login page carrying the encrypted page, a download an encrypted
envelope. The publish audit (audit.py) requires every protected page to be
exactly a login shell (`login_shells`) around one sealed block.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import jinja2
import jinja2.meta

from .csp import without_policy
from .protect import Sealer
from .render import json_script, shown_template_path

# Stands for the sealed envelope when the publish audit renders a login page's shell.
LOGIN_PLACEHOLDER = "reportgen-sealed-page-placeholder"

# (depth, sealed envelope) → the login page's bytes
LoginRenderer = Callable[[int, object], bytes]


def seal_files(files: dict[str, bytes], sealer: Sealer | None, login_page: LoginRenderer) -> dict[str, bytes]:
    """`files` as published: unchanged without a sealer; else each page inside its
    login page and each download in a sealed envelope."""
    if sealer is None:
        return files
    sealed = {}
    for relative, content in files.items():
        if relative.endswith(".html"):
            # The login page's policy stays in force after it writes the opened
            # page; a second <meta> policy there would only be ignored (with a warning).
            opened = without_policy(content.decode()).encode()
            sealed[relative] = login_page(relative.count("/"), sealer.seal(opened))
        else:
            sealed[relative] = sealer.seal_file(content)
    return sealed


def login_shell(page: bytes) -> tuple[bytes, bytes]:
    """A login page rendered around LOGIN_PLACEHOLDER, as (before, after) its sealed block."""
    before, _, after = page.partition(json_script(LOGIN_PLACEHOLDER).encode())
    return before, after


def login_templates(env: jinja2.Environment) -> list[str]:
    """The theme files the login page is made from (login.html and what it
    includes), as messages name them: the project's own overrides first."""
    found: list[str] = []
    pending, visited = ["login.html"], set()
    loader = env.loader
    assert loader is not None, "render.make_environment always sets the loader"
    while pending:
        name = pending.pop(0)
        if name in visited:
            continue
        visited.add(name)
        try:
            source, filename, _ = loader.get_source(env, name)
            shown = shown_template_path(filename or name)
            pending.extend(
                n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if isinstance(n, str)
            )
        except jinja2.TemplateError:
            continue
        if shown not in found:
            found.append(shown)
    return sorted(found, key=lambda f: (f.startswith("built-in theme:"), f != "templates/login.html"))


def data_uri(suffix: str, content: bytes) -> str:
    """A logo inside a sealed page (the files beside a protected page are sealed too)."""
    kind = {
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".webp": "image/webp",
        ".gif": "image/gif",
    }[suffix.lower()]
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"
