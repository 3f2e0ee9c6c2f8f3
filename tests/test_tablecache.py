"""The parsed-data cache: exact round trips, and damage is a miss, never a wrong table."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.model import MetricRow, MetricTable
from reportgen.tablecache import load_table, save_table, table_key

TABLE = MetricTable(
    metrics=("impressions", "spend", "leads"),
    rows=(MetricRow(dt.date(2026, 10, 1), "brand", "search", (1200, 402.17, None)),
          MetricRow(dt.date(2026, 10, 1), None, None, (0, 0.1 + 0.2, 3)),
          MetricRow(dt.date(1999, 12, 31), "Café – ☕", "social", (None, None, None)),
          MetricRow(dt.date(2026, 10, 2), "brand", "search", (5, 7, 2.5))),  # ints and floats mixed
    has_campaign=True, has_channel=True)


def test_round_trip_is_exact(tmp_path):
    save_table(tmp_path, "k", TABLE, {"kind": "google_ads", "problems": [["a.csv", 3, "note", "info"]]})
    table, extra = load_table(tmp_path, "k")
    assert table == TABLE
    assert [type(v) for v in table.rows[0].values] == [int, float, type(None)]
    assert [type(v) for v in table.rows[3].values] == [int, int, float]
    assert extra == {"kind": "google_ads", "problems": [["a.csv", 3, "note", "info"]]}


def test_empty_table(tmp_path):
    empty = MetricTable(metrics=("clicks",), rows=())
    save_table(tmp_path, "e", empty)
    assert load_table(tmp_path, "e")[0] == empty


@pytest.mark.parametrize("damage", [lambda b: b[:-3], lambda b: b + b"x", lambda b: b"junk" + b,
                                    lambda b: b.replace(b'"rows": 4', b'"rows": 9'), lambda b: b""])
def test_damaged_files_are_misses(tmp_path, damage):
    save_table(tmp_path, "k", TABLE)
    path = tmp_path / "k.bin"
    path.write_bytes(damage(path.read_bytes()))
    assert load_table(tmp_path, "k") is None


def test_missing_is_a_miss(tmp_path):
    assert load_table(tmp_path, "nothing") is None


def test_keys_change_with_content_and_settings():
    assert table_key("abc", ("x",)) != table_key("abd", ("x",)) != table_key("abc", ("y",))
