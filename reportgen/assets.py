"""Shared files under site/assets: the theme's CSS and JS, plotly.js, the agency logo.

Each is published under a content-hashed name (render.hashed_name), so a
browser may cache it for ever; `SiteAssets.key` digests everything every page
depends on (theme, catalogs, agency, version, asset names): a change there
re-renders every page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .codeid import code_identity
from .digests import content_of, digest
from .errors import InputError, Problem
from .i18n import LOCALES_DIR
from .images import publishable_image
from .model import ProjectConfig
from .output_kinds import added_kinds
from .plotlybundle import BUILTIN_PLOTLY_JS, BundleError, check_bundle, read_bundle
from .render import (
    THEME_STATIC,
    has_own_templates,
    hashed_name,
    read_static,
    template_dirs,
    template_file_digest,
)

PLOTLY_JS = BUILTIN_PLOTLY_JS


@dataclass(frozen=True)
class SiteAssets:
    """Shared files under site/assets, by logical name → hashed file name."""

    files: dict[str, tuple[str, bytes]]  # logical → (hashed name, content)
    key: str  # digest of everything every page depends on: theme, labels, agency, version

    def path(self, logical: str, depth: int) -> str:
        return "../" * depth + "assets/" + self.files[logical][0]


def collect_assets(root: Path, config: ProjectConfig) -> SiteAssets:
    files = {}
    for name in THEME_STATIC:
        content = read_static(root, name)
        files[name] = (hashed_name(name, content), content)
    read_static(root, "live.js")  # `serve`'s: an unusable override is an error in check and build too
    # The agency's own bundle (agency.plotly_js, checked when clients.yaml was read) or the
    # full one; its content-hashed name is in `key`, so a changed bundle re-renders every page.
    plotly_js = (
        plotly_bundle(root, config.agency.plotly_js) if config.agency.plotly_js else PLOTLY_JS.read_bytes()
    )
    files["plotly.js"] = (hashed_name("plotly.min.js", plotly_js), plotly_js)
    if config.agency.logo:
        content = publishable_image(config.agency.logo, root)
        files["agency-logo"] = (
            hashed_name("agency-logo" + config.agency.logo.suffix.lower(), content),
            content,
        )
    theme = sorted(
        (path.relative_to(folder).as_posix(), template_file_digest(path))
        for folder in template_dirs(root)
        for path in folder.rglob("*")
        if not path.is_dir()
        and "__pycache__" not in path.parts
        and path.relative_to(folder).parts[0] != "email"
    )  # e-mail only (`send`): no page uses it
    catalogs = sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in LOCALES_DIR.glob("*.po"))
    # where the agency block sits in clients.yaml: only a project's own templates could show it
    agency = config.agency if has_own_templates(root) else content_of(config.agency)
    key = digest(
        code_identity(), theme, catalogs, agency, sorted(v[0] for v in files.values()), *added_kinds()
    )  # formats beyond reportgen's own (output_kinds.py) are in every page
    return SiteAssets(files, key)


def plotly_bundle(root: Path, path: Path) -> bytes:
    """The bytes of `agency.plotly_js`, checked again as they are read (the file may have
    changed since clients.yaml was)."""
    try:
        content = read_bundle(path)
        check_bundle(content)
    except BundleError as exc:
        shown = (
            path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) else str(path)
        )
        raise InputError(
            [Problem("clients.yaml", None, f"agency.plotly_js: '{shown}' {exc.message}")]
        ) from None
    return content
