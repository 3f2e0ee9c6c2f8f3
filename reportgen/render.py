"""Render: page contexts → HTML strings. Never touches the output folder.

The Jinja environment autoescapes everything and fails on undefined names.
Templates are looked up first in the project's `templates/` folder, then in
the built-in theme, so a user overrides any page or partial by placing a
file of the same name in their project.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import __version__
from .charts import ChartView
from .errors import InputError, Problem

THEME_STATIC = ("reportgen.css", "reportgen.js", "unlock.js")


def builtin_templates_dir() -> Path:
    """The built-in theme: installed as reportgen/templates, or the repo's templates/."""
    packaged = resources.files("reportgen") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "templates"


def template_dirs(project_root: Path) -> list[Path]:
    dirs = []
    own = project_root / "templates"
    builtin = builtin_templates_dir()
    if own.is_dir() and own.resolve() != builtin.resolve():
        dirs.append(own)
    dirs.append(builtin)
    return dirs


def make_environment(project_root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(project_root)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["json_script"] = json_script
    env.filters["table_rows"] = table_rows
    env.globals["reportgen_version"] = __version__
    return env


def read_static(project_root: Path, name: str) -> bytes:
    """A theme asset (CSS/JS), the project's own copy winning."""
    for folder in template_dirs(project_root):
        path = folder / "static" / name
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(name)


def hashed_name(name: str, content: bytes) -> str:
    stem, dot, suffix = name.partition(".")
    digest = hashlib.sha256(content).hexdigest()[:10]
    return f"{stem}.{digest}{dot}{suffix}"


def json_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: nothing can close the tag."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)


def table_rows(rows: Iterable[tuple[str, ...]]) -> Markup:
    """Table body rows — a row header, then numeric cells — escaped and joined in
    one pass: a report has hundreds of cells, and Jinja loops cost per cell."""
    escape = html.escape
    return Markup("\n".join(
        f'<tr><th scope="row" dir="auto">{escape(str(row[0]))}</th>'
        + "".join(f'<td class="num">{escape(str(cell))}</td>' for cell in row[1:]) + "</tr>"
        for row in rows))


@dataclass(frozen=True)
class ChartSlot:
    """A chart placed on a page: its element id and what to draw."""

    id: str
    view: ChartView


def render_page(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateError as exc:
        raise template_error(exc, template) from None


def render_chart(env: jinja2.Environment, slot: ChartSlot, context: dict[str, Any]) -> Markup:
    try:
        return Markup(env.get_template("partials/chart.html").render(chart=slot, **context))
    except jinja2.TemplateError as exc:
        raise template_error(exc, "partials/chart.html") from None


def template_error(exc: jinja2.TemplateError, template: str) -> InputError:
    """A template mistake as `templates/NAME:LINE: message`, not a traceback."""
    path, line = None, None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path, line = exc.filename, exc.lineno
    else:
        frame = exc.__traceback__
        while frame is not None:  # the innermost frame that ran template code
            filename = frame.tb_frame.f_code.co_filename
            if filename.endswith((".html", ".j2", ".jinja")):
                path, line = filename, frame.tb_lineno
            frame = frame.tb_next
    shown = _shown_template_path(path) if path else f"templates/{template}"
    message = exc.message or type(exc).__name__
    return InputError([Problem(shown, line, f"template error: {message}")])


def _shown_template_path(path: str) -> str:
    resolved = Path(path).resolve()
    builtin = builtin_templates_dir().resolve()
    if resolved.is_relative_to(builtin):
        return f"built-in theme: templates/{resolved.relative_to(builtin).as_posix()}"
    parts = resolved.parts
    if "templates" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("templates") - 1:])
    return path


def number_charts(views: Iterable[ChartView], prefix: str) -> list[ChartSlot]:
    return [ChartSlot(f"{prefix}-{i + 1}", view) for i, view in enumerate(views)]
