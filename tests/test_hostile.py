"""Safe output (SPEC 5.4): hostile strings in every user field stay inert text."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import make_project, scan_html

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{ 7*7 }}",
    "' onmouseover='x",
]
# Every client gets two hostile strings in every one of its fields.
MARKERS = {
    "acme-corp": f"{HOSTILE[0]} {HOSTILE[1]}",
    "saigon-foods": f"{HOSTILE[2]} {HOSTILE[3]}",
    "berlin-bikes": f"{HOSTILE[4]} {HOSTILE[5]}",
}
RAW_HTML = """

<script>alert('raw')</script>
<img src=x onerror=alert('raw')>
<a href="javascript:alert('raw')">raw link</a> [md link](javascript:alert('md'))
<p onclick="alert('raw')" style="background:url(javascript:alert(1))">raw para</p>
<svg><script>alert('svg')</script></svg>
<iframe srcdoc="<script>alert(1)</script>"></iframe>
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "proj"
    make_project(root, MARKERS, agency_name="Agency " + " ".join(HOSTILE))
    for client_id in MARKERS:
        note = root / "content" / client_id / "2026-10.md"
        note.write_text(note.read_text(encoding="utf-8") + RAW_HTML, encoding="utf-8")
    result = run_cli("build", "--project", str(root))
    assert result.exit_code == 0, result.output
    return root / "site"


def pages(site: Path) -> list[Path]:
    found = sorted(site.rglob("*.html"))
    assert len(found) > 40
    return found


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def test_only_the_themes_scripts(hostile_site):
    for page in pages(hostile_site):
        scanner = scan_html(page.read_text(encoding="utf-8"))
        for attrs, content in scanner.scripts:
            if "src" in attrs:
                assert set(attrs) == {"src"}, (page, attrs)
                assert content.strip() == "", page
                src = attrs["src"]
                assert "/assets/" in src or src.startswith("assets/"), (page, src)
                assert (page.parent / src).resolve().is_file(), (page, src)
            else:
                assert attrs.get("type") == "application/json", (page, attrs, content[:200])
                json.loads(content)


def test_no_event_handlers_or_javascript_urls(hostile_site):
    for page in pages(hostile_site):
        scanner = scan_html(page.read_text(encoding="utf-8"))
        for tag, name, value in scanner.attributes:
            assert not name.lower().startswith("on"), (page, tag, name, value)
            if name.lower() in ("href", "src", "action", "formaction", "srcdoc", "style"):
                scheme = "".join(ch for ch in (value or "") if ch > " ").lower()
                assert not scheme.startswith("javascript:"), (page, tag, value)
                if name.lower() == "style":
                    assert "javascript:" not in scheme, (page, tag, value)
        for tag in ("iframe", "svg", "object", "embed", "form"):
            assert tag not in scanner.tags, (page, tag)
        assert scanner.tags.count("img") == 0 or all(
            value and (value.startswith("../") or "logo" in value)
            for tag, name, value in scanner.attributes
            if tag == "img" and name == "src"
        ), page


def test_hostile_text_is_shown_literally(hostile_site):
    for client_id, marker in MARKERS.items():
        for page in (
            hostile_site / client_id / "index.html",
            hostile_site / client_id / "2026-10" / "index.html",
        ):
            text = "".join(scan_html(page.read_text(encoding="utf-8")).text)
            assert f"Client {marker}" in text, page  # escaped, so it reads as typed
    berlin = "".join(scan_html((hostile_site / "berlin-bikes" / "index.html").read_text()).text)
    assert "Client {{ 7*7 }}" in berlin and "Client 49" not in berlin  # never a template
    report = (hostile_site / "berlin-bikes" / "2026-10" / "index.html").read_text()
    text = "".join(scan_html(report).text)
    for field in (
        "Summary October",
        "Highlight one",
        "Recommendation",
        "Open task",
        "Monthly review",
        "Meeting notes",
        "Annotation",
        "Chart title",
        "Body paragraph",
        "Brand search",
        "Leads",
        "AE",
    ):
        assert f"{field} {MARKERS['berlin-bikes']}" in text, field
    assert "raw para" in text and "raw link" in text


def test_json_blocks_round_trip_hostile_strings(hostile_site):
    for client_id, marker in MARKERS.items():
        for page in (
            hostile_site / client_id / "index.html",
            hostile_site / client_id / "2026-10" / "index.html",
        ):
            blocks = [
                json.loads(content)
                for attrs, content in scan_html(page.read_text(encoding="utf-8")).scripts
                if attrs.get("type") == "application/json"
            ]
            assert blocks, page
            # Text inside chart figures is Plotly text: escaped, shown by Plotly as written.
            found = [
                s for block in blocks for s in strings_in(block) if marker in s or marker in html.unescape(s)
            ]
            assert found, (page, marker)


def test_downloads_round_trip_hostile_strings(hostile_site):
    for client_id, marker in MARKERS.items():
        folder = hostile_site / client_id / "2026-10"
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        assert f"Leads {marker}" in [k["label"] for k in report["kpis"]]
        assert f"Brand search {marker}" in [c["name"] for c in report["campaigns"]]
        rows = list(csv.DictReader(io.StringIO((folder / "metrics.csv").read_text("utf-8"))))
        assert f"brand-search {marker}" in {r["campaign"] for r in rows}
