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
import os
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator
from jinja2.loaders import split_template_path
from markupsafe import Markup, escape

from . import __version__
from .charts import ChartView
from .errors import InputError, Problem, ReportgenError
from .i18n import Formatter
from .inputfiles import UnreadableInputError, line_at, read_input_bytes, real_path

THEME_STATIC = ("reportgen.css", "reportgen.js", "unlock.js")
CHART_PARTIAL = "partials/chart.html"
TABLE_PARTIAL = "partials/table.html"
# The built-in partials whose output chart_fragment and table_fragment build, by the sha256 of
# their text (tests/test_speed_charts.py checks both agree, and that these are the theme's
# files): another text, or a project's own partial, is rendered by Jinja from its template.
SHIPPED_PARTIALS = {
    CHART_PARTIAL: "e1cdb1055321559633c3ce65d57200ba397490fa059050e99697543754f85736",
    TABLE_PARTIAL: "ca810a3980f5285e08b849e411e6c0e3ae5678ccb47460fc1ba04caaeccff82f",
}


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


def has_own_templates(project_root: Path) -> bool:
    """Whether the project overrides any of the theme (its templates/ is not the theme's)."""
    return len(template_dirs(project_root)) > 1


class TemplateFileError(jinja2.TemplateError):
    """A template file that cannot be read: not a regular file, or not UTF-8."""

    def __init__(self, message: str, filename: str, lineno: int | None = None):
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno


class _FileLoader(jinja2.FileSystemLoader):
    """The project's templates, then the theme's; opens regular files only.

    A named pipe called `report.html` would hang a build, a folder or a loop
    would raise from `open`, and a template that is not UTF-8 would be a
    traceback: each is a `TemplateFileError` naming the file (and the line).
    """

    def __init__(self, searchpath: list[str], roots: list[Path]):
        super().__init__(searchpath)
        self.roots = [real_path(root) for root in roots]  # where a template may lead
        self.shipped_source: str | None = None  # the theme's chart or table partial, when read

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for searchpath in self.searchpath:
            filename = os.path.normpath(os.path.join(searchpath, *pieces))
            if not os.path.lexists(filename):
                continue
            if not any(real_path(filename).is_relative_to(root) for root in self.roots):
                # a symlink out of the project: nothing outside it is ever read
                raise TemplateFileError(
                    "leads outside the project (a symlink?); templates are read only from inside it", filename
                )
            try:
                raw = read_input_bytes(filename)
            except UnreadableInputError as exc:
                raise TemplateFileError(exc.message, filename) from None
            try:
                source = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = line_at(raw, exc.start)[0]
                raise TemplateFileError(
                    "not UTF-8 text (save the template as UTF-8)", filename, line
                ) from None
            mtime = os.path.getmtime(filename)

            def uptodate(filename: str = filename, mtime: float = mtime) -> bool:
                try:
                    return os.path.getmtime(filename) == mtime
                except OSError:
                    return False

            if template in SHIPPED_PARTIALS and filename == _builtin_file(template):
                self.shipped_source = source
            return source, filename, uptodate
        raise jinja2.TemplateNotFound(template)

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        self.shipped_source = None
        template = super().load(environment, name, globals)
        if self._shipped(name):
            # the theme's own partial, as shipped: its fragment built in Python
            fragment = chart_fragment if name == CHART_PARTIAL else table_fragment
            template.root_render_func = partial_root(fragment, template.root_render_func)
        return template

    def _shipped(self, name: str) -> bool:
        """The template just loaded is the theme's partial `name`, as shipped."""
        source = self.shipped_source
        return source is not None and hashlib.sha256(source.encode()).hexdigest() == SHIPPED_PARTIALS[name]


class _Environment(jinja2.Environment):
    """Jinja's environment, with each template's globals a plain dict instead of a ChainMap
    over the environment's: every render and every `{% include %}` makes a context that
    lists the globals (`set(globals)`), ~4 us through a ChainMap and ~0.4 us from a dict, a
    dozen times a page. The environment's globals are all set before any template is
    loaded (make_environment), so the snapshot holds what the ChainMap would show."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def make_environment(project_root: Path) -> jinja2.Environment:
    env = _Environment(
        loader=_FileLoader(
            [str(d) for d in template_dirs(project_root)], [project_root, builtin_templates_dir()]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One environment renders one build: a template is read once, not stat'ed again at
        # every include (thousands a build). A build hashes the theme before rendering.
        auto_reload=False,
    )
    env.filters["json_script"] = json_script
    env.filters["table_rows"] = table_rows
    env.globals["reportgen_version"] = __version__
    return env


def template_file_digest(path: Path) -> str:
    """What a theme file holds, for the site key; a FIFO or a loop by what it is
    (never opened), so that it is seen, and reported when a page uses it."""
    try:
        return hashlib.sha256(read_input_bytes(path)).hexdigest()
    except UnreadableInputError as exc:
        return exc.message


def read_static(project_root: Path, name: str) -> bytes:
    """A theme asset (CSS/JS), the project's own copy winning.

    A project file of that name that cannot be used — a FIFO, a folder, a
    symlink loop or a broken link, text that is not UTF-8 — is an error naming
    it, never silently replaced by the built-in asset (nor a hang)."""
    for folder in template_dirs(project_root):
        path = folder / "static" / name
        if not os.path.lexists(path):
            continue
        try:
            content = read_input_bytes(path)
        except UnreadableInputError as exc:
            raise InputError(
                [
                    Problem(
                        shown_template_path(str(path)),
                        None,
                        (
                            f"{exc.message} (it overrides the theme's static/{name}; replace it with a "
                            "regular file or delete it)"
                        ),
                    )
                ]
            ) from None
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = line_at(content, exc.start)[0]
            raise InputError(
                [Problem(shown_template_path(str(path)), line, "not UTF-8 text (save the file as UTF-8)")]
            ) from None
        return content
    raise FileNotFoundError(name)


def hashed_name(name: str, content: bytes) -> str:
    stem, dot, suffix = name.partition(".")
    digest = hashlib.sha256(content).hexdigest()[:10]
    return f"{stem}.{digest}{dot}{suffix}"


def json_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: nothing can close the tag."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(text)


def table_rows(rows: Iterable[tuple[str, ...]]) -> Markup:
    """Table body rows — a row header, then numeric cells — escaped and joined in
    one pass: a report has hundreds of cells, and Jinja loops cost per cell."""
    fast = _plain_rows(rows)
    return Markup(_rows_by_cell(rows) if fast is None else fast)


def _rows_by_cell(rows: Iterable[tuple[str, ...]]) -> str:
    lines = []
    for row in rows:
        head = f'<tr><th scope="row" dir="auto">{_cell_html(row[0])}</th>'
        if len(row) > 1:
            cells = '</td><td class="num">'.join(map(_cell_html, row[1:]))
            lines.append(f'{head}<td class="num">{cells}</td></tr>')
        else:
            lines.append(head + "</tr>")
    return "\n".join(lines)


# Between a row's header and its first cell, between cells, between rows: characters no
# cell of a plain table holds (_plain_rows counts them), which html.escape leaves alone.
_HEAD_END, _CELL_END, _ROW_END = "\x02", "\x00", "\x01"
_STR = frozenset({str})


def _plain_rows(rows: Iterable[tuple[str, ...]]) -> str | None:
    """table_rows' text for a tuple of rows of two or more `str` cells each, none holding
    a control character \\x00-\\x02: the cells joined by those, escaped at once
    (html.escape replaces character by character), and the marks made tags. None for any
    other table (table_rows escapes it cell by cell)."""
    if rows.__class__ is not tuple or not rows:
        return None
    width = len(rows[0])
    if width < 2:
        return None
    texts = []
    for row in rows:
        if row.__class__ is not tuple or len(row) != width or not _STR.issuperset(map(type, row)):
            return None
        texts.append(row[0] + _HEAD_END + _CELL_END.join(row[1:]))
    raw = _ROW_END.join(texts)
    if (
        raw.count(_HEAD_END) != len(rows)
        or raw.count(_ROW_END) != len(rows) - 1
        or raw.count(_CELL_END) != len(rows) * (width - 2)
    ):
        return None
    return (
        '<tr><th scope="row" dir="auto">'
        + html.escape(raw)
        .replace(_HEAD_END, '</th><td class="num">')
        .replace(_CELL_END, '</td><td class="num">')
        .replace(_ROW_END, '</td></tr>\n<tr><th scope="row" dir="auto">')
        + "</td></tr>"
    )


def _cell_html(cell: object) -> str:
    """A cell's text escaped (memoised: the same day labels and values recur)."""
    if cell.__class__ is not str:
        return html.escape(str(cell))
    text = _CELLS.get(cell)
    if text is None:
        if len(_CELLS) >= 1 << 16:
            _CELLS.clear()
        text = _CELLS[cell] = html.escape(cell)
    return text


_CELLS: dict[str, str] = {}


@dataclass(frozen=True)
class ChartSlot:
    """A chart placed on a page: its element id and what to draw."""

    id: str
    view: ChartView


def _builtin_file(name: str) -> str:
    return os.path.normpath(os.path.join(str(builtin_templates_dir()), *split_template_path(name)))


_Root = Callable[[jinja2.runtime.Context], Iterator[str]]


def partial_root(fragment: Callable[[jinja2.runtime.Context], str | None], template_root: _Root) -> _Root:
    """A built-in partial's render function: its whole fragment in one piece (`fragment`),
    or the template's own code for anything unusual (its output, and its errors at their
    lines)."""

    def root(context: jinja2.runtime.Context) -> Iterator[str]:
        try:
            text = fragment(context)
        except Exception:  # the template's own code raises it, at its line
            text = None
        if text is None:
            yield from template_root(context)
        else:
            yield text

    return root


def chart_fragment(context: jinja2.runtime.Context) -> str | None:
    """What templates/partials/chart.html renders for `chart` (a ChartSlot) and `_` (a
    Formatter's gettext), byte for byte, built at once: a page includes it five or six
    times, and the template's code yields some 40 pieces each time. None for any other
    value (the template then renders it)."""
    chart = context.resolve_or_missing("chart")
    gettext = context.resolve_or_missing("_")
    if chart.__class__ is not ChartSlot or getattr(gettext, "__func__", None) is not Formatter.gettext:
        return None
    view = chart.view
    figure = view.figure
    if view.__class__ is not ChartView or figure.__class__ is not dict:
        return None
    layout = figure.get("layout")
    columns, notes, print_height = view.columns, view.notes, view.print_height
    if layout.__class__ is not dict or columns.__class__ is not tuple or not columns:
        return None
    if notes.__class__ is not tuple:
        return None
    height = layout.get("height")
    if height:
        if height.__class__ is not int or (print_height and print_height.__class__ is not int):
            return None
        tall = f"; --print-height: {print_height}px" if print_height else ""
        style = f' style="--chart-height: {height}px{tall}"'
    else:
        style = ""
    filters = context.environment.filters
    figure_json = escape(filters["json_script"](figure))
    id_ = escape(chart.id)
    summary = escape(view.summary)
    if notes:
        items = "".join([f"<li>{escape(note)}</li>" for note in notes])
        listed = (
            f'  <ul class="chart-notes" aria-label="{escape(gettext("Events marked on the chart"))}">\n'
            f"{items}  </ul>\n"
        )
    else:
        listed = ""
    heads = "".join([f'<th scope="col" class="num">{escape(column)}</th>' for column in columns[1:]])
    return (
        f'<figure class="chart chart-{escape(view.kind)}" aria-labelledby="{id_}-title">\n'
        f'  <figcaption id="{id_}-title" class="chart-title" dir="auto">{escape(view.title)}</figcaption>\n'
        f'  <div class="chart-canvas" id="{id_}" data-figure="{id_}-data" aria-hidden="true"{style}></div>\n'
        f'  <script type="application/json" id="{id_}-data">{figure_json}</script>\n'
        f'  <p class="chart-summary" role="img" aria-label="{summary}">{summary}</p>\n'
        f"{listed}"
        '  <details class="chart-data">\n'
        f"    <summary>{escape(gettext('Show the numbers'))}</summary>\n"
        f'    <div class="table-scroll" role="region" aria-labelledby="{id_}-title" tabindex="0">\n'
        "    <table>\n"
        f'      <thead><tr><th scope="col">{escape(columns[0])}</th>{heads}</tr></thead>\n'
        "      <tbody>\n"
        f"      {escape(filters['table_rows'](view.rows))}\n"
        "      </tbody>\n    </table>\n    </div>\n  </details>\n</figure>\n"
    )


def table_fragment(context: jinja2.runtime.Context) -> str | None:
    """What templates/partials/table.html renders for `table` (a pages.Table of `str`
    cells), `label` and `_` (a Formatter's gettext), byte for byte, built at once: the cells
    joined (by characters none of them holds) and escaped in one piece. None for any other
    value (the template then renders it)."""
    from .pages import Table  # pages draws the charts that this module renders

    table = context.resolve_or_missing("table")
    label = context.resolve_or_missing("label")
    gettext = context.resolve_or_missing("_")
    if table.__class__ is not Table or getattr(gettext, "__func__", None) is not Formatter.gettext:
        return None
    columns, numeric, rows, total = table.columns, table.numeric, table.rows, table.total
    width = len(columns)
    if (
        label.__class__ is not str
        or columns.__class__ is not tuple
        or numeric.__class__ is not tuple
        or rows.__class__ is not tuple
        or not width
        or len(numeric) != width
        or not _STR.issuperset(map(type, columns))
        or not _BOOL.issuperset(map(type, numeric))
    ):
        return None
    if total is not None and (
        total.__class__ is not tuple or len(total) != width or not _STR.issuperset(map(type, total))
    ):
        return None
    opens = ['<td class="num">' if flag else "<td>" for flag in numeric[1:]]
    row_format = (
        '  <tr><th scope="row" dir="auto">{}</th>' + "".join(f"{o}{{}}</td>" for o in opens) + "</tr>\n"
    )
    lines = []
    for row in rows:
        if row.__class__ is not tuple or len(row) != width or not _STR.issuperset(map(type, row)):
            return None
        lines.append(_CELL_END.join(row))
    raw = _ROW_END.join(lines)
    if raw.count(_ROW_END) != max(len(rows) - 1, 0) or raw.count(_CELL_END) != len(rows) * (width - 1):
        return None
    escaped = str(escape(raw)).split(_ROW_END) if rows else []
    body = "".join([row_format.format(*line.split(_CELL_END)) for line in escaped])
    heads = "".join(
        [
            f'<th scope="col" class="num">{escape(column)}</th>'
            if flag
            else f'<th scope="col">{escape(column)}</th>'
            for column, flag in zip(columns[1:], numeric[1:], strict=True)
        ]
    )
    foot = ""
    if total:
        cells = "".join([f"{o}{escape(cell)}</td>" for o, cell in zip(opens, total[1:], strict=True)])
        foot = f'  <tfoot><tr><th scope="row">{escape(total[0])}</th>{cells}</tr></tfoot>\n'
    named = escape(gettext("Table: {name}").format(name=label))
    return (
        f'<div class="table-scroll" role="region" aria-label="{named}" tabindex="0">\n'
        '<table class="data-table">\n'
        f'  <thead><tr><th scope="col">{escape(columns[0])}</th>{heads}</tr></thead>\n'
        f"  <tbody>\n{body}  </tbody>\n{foot}</table>\n</div>\n"
    )


_BOOL = frozenset({bool})


def render_page(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(template).render(**context)
    except ReportgenError:
        raise
    except Exception as exc:  # anything template code raises ({{ 1 // 0 }}) is a template error
        raise template_error(exc, template) from None


def render_chart(env: jinja2.Environment, slot: ChartSlot, context: dict[str, Any]) -> Markup:
    try:
        return Markup(env.get_template("partials/chart.html").render(chart=slot, **context))
    except ReportgenError:
        raise
    except Exception as exc:  # as in render_page
        raise template_error(exc, "partials/chart.html") from None


def template_error(exc: Exception, template: str) -> InputError:
    """A template mistake as `templates/NAME:LINE: message`, not a traceback.

    Syntax errors and unreadable files carry their place; any other error (an
    undefined name, `{{ 1 // 0 }}`, a filter given the wrong value) is placed
    at the innermost line of template code that was running.
    """
    path, line = None, None
    compiling: tuple[str, int] | None = None
    if isinstance(exc, (jinja2.TemplateSyntaxError, TemplateFileError)):
        path, line = exc.filename, exc.lineno
    else:
        frame = exc.__traceback__
        while frame is not None:  # the innermost frame that ran template code
            filename = frame.tb_frame.f_code.co_filename
            if filename.endswith((".html", ".txt", ".j2", ".jinja")):  # .txt: e-mail parts
                path, line = filename, frame.tb_lineno
            generator = frame.tb_frame.f_locals.get("self")
            node = frame.tb_frame.f_locals.get("node")
            lineno = getattr(node, "lineno", None)
            if isinstance(generator, CodeGenerator) and isinstance(lineno, int) and lineno:
                # raised while compiling (constant folding: `{{ (2 ** 100000) | string }}`)
                compiling = (generator.filename or f"templates/{generator.name}", lineno)
            frame = frame.tb_next
        if path is None and compiling is not None:
            path, line = compiling
    shown = shown_template_path(path) if path else f"templates/{template}"
    if isinstance(exc, jinja2.TemplateNotFound):  # an include, import or extends of no file
        names = ", ".join(f"'{n}'" for n in getattr(exc, "templates", None) or [exc.name])
        message = (
            f"template {names} not found (looked in the project's templates/ folder and "
            "the built-in theme; check the name in the include, import or extends)"
        )
    elif isinstance(exc, jinja2.TemplateError):
        message = exc.message or type(exc).__name__
    else:  # a Python error raised by template code: say which, in its own words
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if shown.startswith("built-in theme:") and not isinstance(exc, jinja2.TemplateError):
        message += " (in reportgen's own theme: please report this as a bug)"
    return InputError([Problem(shown, line, f"template error: {message}")])


def shown_template_path(path: str) -> str:
    """A theme file as messages name it: `templates/NAME` (the project's own) or
    `built-in theme: templates/NAME`. The file itself is named, never where a
    symlink leads (only its folders are resolved)."""
    absolute = Path(os.path.abspath(path))
    resolved = real_path(absolute.parent) / absolute.name  # never raises on a symlink loop
    builtin = real_path(builtin_templates_dir())
    if resolved.is_relative_to(builtin):
        return f"built-in theme: templates/{resolved.relative_to(builtin).as_posix()}"
    parts = resolved.parts
    if "templates" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("templates") - 1 :])
    return path
