"""One `Platform` record per import format (reportgen/importers.py): every list of formats
derives from PLATFORMS, and a new format is one record (and this kind of test)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import importers
from reportgen.cli import import_
from reportgen.config import CLIENTS_YAML
from reportgen.importers import (
    EXPORTS,
    FORMAT_NAMES,
    PLATFORM_NAMES,
    PLATFORMS,
    Platform,
    Profile,
    detect_format,
    read_export,
)
from reportgen.schema import Choice, ListOf, Obj, TextOr

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _data_format_choice() -> Choice:
    data = next(f for f in CLIENTS_YAML.fields if f.name == "clients").kind
    assert isinstance(data, ListOf) and isinstance(data.item, Obj)
    entry = next(f for f in data.item.fields if f.name == "data").kind
    assert isinstance(entry, ListOf) and isinstance(entry.item, TextOr)
    mapping = entry.item.mapping
    assert isinstance(mapping, Obj)
    choice = next(f for f in mapping.fields if f.name == "format").kind
    assert isinstance(choice, Choice)
    return choice


def test_every_list_of_formats_derives_from_the_platforms():
    assert set(FORMAT_NAMES) == {"auto", *PLATFORMS}
    assert _data_format_choice().choices == FORMAT_NAMES
    cli_choice = next(p for p in import_.params if p.name == "format_").type
    assert list(cli_choice.choices) == ["auto", *EXPORTS]
    assert set(PLATFORM_NAMES) == set(PLATFORMS)
    assert tuple(name for name, p in PLATFORMS.items() if p.profile is not None) == EXPORTS


def test_the_readme_names_every_format():
    line = re.search(r"format: \w+ +# auto \(default\), (.+)$", README, re.M)
    assert line, "README's data entry example lists the formats"
    assert line[1].split(", ") == list(FORMAT_NAMES[1:])
    for name in EXPORTS:  # the table of what is read, one row per platform
        assert re.search(rf"^\| {re.escape(PLATFORMS[name].title)} \|", README, re.M), name


def test_an_unknown_export_names_every_platform():
    _export, problems = read_export(b"foo,bar\n1,2\n", "data/x.csv")
    assert problems[0].message == (
        "not an export reportgen knows (Google Ads, Meta Ads, LinkedIn Ads, "
        "GA4 or canonical CSV): no recognisable header in the first 50 lines"
    )


@pytest.fixture
def tiktok(monkeypatch):
    """A throwaway platform: one record, and it is detected and read."""
    platform = Platform(
        "tiktok_ads",
        "TikTok Ads",
        tried=5,
        detect=lambda cells: "video views" in {c.casefold() for c in cells},
        profile=Profile(
            date=("stat time day",),
            date_formats=("%Y-%m-%d",),
            campaign=("campaign name",),
            metrics={"impressions": ("impressions",), "spend": ("cost",), "video_views": ("video views",)},
        ),
    )
    monkeypatch.setitem(PLATFORMS, platform.name, platform)
    monkeypatch.setitem(PLATFORM_NAMES, platform.name, platform.title)
    return platform


def test_a_new_platform_is_one_record(tiktok):
    raw = (
        b"Stat Time Day,Campaign name,Impressions,Cost,Video views\n"
        b"2026-10-01,Launch,1000,12.5,300\n2026-10-02,Launch,800,10,250\n"
    )
    assert detect_format(["Stat Time Day", "Campaign name", "Video views"]) == "tiktok_ads"
    export, problems = read_export(raw, "data/tiktok.csv")
    assert problems == [] and export is not None
    assert export.format == "tiktok_ads"
    assert export.table.metrics == ("impressions", "spend", "video_views")
    assert [r.values for r in export.table.rows] == [(1000, 12.5, 300), (800, 10, 250)]


# --- generative: a header written from any platform's own column names is recognised ------


def _cell(value: object) -> str:
    return str(value)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(EXPORTS), data=st.data())
def test_each_platform_reads_a_header_made_of_its_own_names(name, data):
    profile = PLATFORMS[name].profile
    assert profile is not None

    def written(names: tuple[str, ...]) -> str:  # the platform's name as an export might case it
        text = data.draw(st.sampled_from(names[:1]))
        return "".join(ch.upper() if data.draw(st.booleans()) else ch for ch in text)

    columns = [("date", written(profile.date))]
    if profile.campaign:
        columns.append(("campaign", written(profile.campaign)))
    if profile.channel:
        columns.append(("channel", written(profile.channel)))
    metrics = list(profile.metrics)
    columns += [(metric, written(profile.metrics[metric])) for metric in metrics]
    day = dt.date(2026, 10, 1) + dt.timedelta(days=data.draw(st.integers(0, 30)))
    values = {metric: data.draw(st.integers(1, 9999)) for metric in metrics}
    cells = {"date": day.strftime(profile.date_formats[0]), "campaign": "c1", "channel": "Search"}
    header = ",".join(text for _key, text in columns)
    row = ",".join(_cell(values.get(key, cells.get(key))) for key, _text in columns)
    assert detect_format([text for _key, text in columns]) == name
    export, problems = read_export(f"{header}\n{row}\n".encode(), f"data/{name}.csv")
    assert problems == [] and export is not None, problems
    assert export.format == name
    assert set(export.table.metrics) == set(metrics)
    (read,) = export.table.rows
    assert read.date == day
    assert dict(zip(export.table.metrics, read.values, strict=True)) == values


def test_no_module_restates_the_formats():
    """Each export format's name is written once in the package: in its Platform record."""
    package = Path(importers.__file__).parent
    for name in EXPORTS:
        found = {
            path.name: path.read_text(encoding="utf-8").count(f'"{name}"') for path in package.glob("*.py")
        }
        assert {module: n for module, n in found.items() if n} == {"importers.py": 1}, name
