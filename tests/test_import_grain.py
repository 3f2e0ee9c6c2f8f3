"""`reportgen import` never loses an export's grain, and never clobbers another export
(attack a15d).

A `Week` or `Month` export imported as daily rows lost its grain: a daily file for
the same days was then summed on top of it, without the overlap error the raw
export gets. And a second, different export of the same dates was refused with
"remove it to import again", which would have deleted the first one's data.
"""

from __future__ import annotations

import datetime as dt

from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CAMPAIGNS = st.sampled_from(["Brand", "Generic", "Search – Brand", "Kittens & Cats"])
ROWS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=27),  # day offset in February 2026
        CAMPAIGNS,
        st.integers(min_value=0, max_value=10_000),  # impressions
        st.integers(min_value=0, max_value=500),  # clicks
        st.integers(min_value=0, max_value=99_999),  # cost in cents
    ),
    min_size=1,
    max_size=12,
)


def export(grain: str, rows: list[tuple[int, str, int, int, int]]) -> str:
    lines = [f"{grain},Campaign,Impressions,Clicks,Cost"]
    for offset, campaign, impressions, clicks, cents in rows:
        day = dt.date(2026, 2, 1) + dt.timedelta(days=offset)
        if grain == "Month":
            day = day.replace(day=1)
        elif grain == "Week":
            day -= dt.timedelta(days=day.weekday())
        lines.append(f"{day},{campaign},{impressions},{clicks},{cents / 100:.2f}")
    return "\n".join(lines) + "\n"


def new_project(tmp_path_factory) -> object:
    root = tmp_path_factory.mktemp("agency")
    assert run_cli("init", root).exit_code == 0
    return root


def csvs(root) -> list[str]:
    return sorted(p.name for p in (root / "data" / "example-client").glob("*.csv"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grain=st.sampled_from(["Week", "Month"]), rows=ROWS)
def test_a_period_export_is_refused_with_what_to_do(tmp_path_factory, grain, rows):
    root = new_project(tmp_path_factory)
    before = csvs(root)
    source = root / "export.csv"
    source.write_text(export(grain, rows), encoding="utf-8")
    result = run_cli("import", source, "--client", "example-client", "--project", root)
    assert result.exit_code == 1
    assert f"{source}:1:" in result.output and f"covers a {grain.lower()}" in result.output
    assert "Day breakdown" in result.output and "Traceback" not in result.output
    assert csvs(root) == before  # nothing written


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=ROWS, second=ROWS)
def test_exports_of_the_same_dates_are_kept_apart_and_none_twice(tmp_path_factory, first, second):
    root = new_project(tmp_path_factory)
    before = csvs(root)
    # the same date range for both: each export holds the first and the last day
    first = [(0, "Brand", 1, 1, 1), *first, (27, "Brand", 1, 1, 1)]
    second = [(0, "Generic", 2, 1, 1), *second, (27, "Generic", 2, 1, 1)]
    a, b = root / "a.csv", root / "b.csv"
    a.write_text(export("Day", first), encoding="utf-8")
    b.write_text(export("Day", second), encoding="utf-8")
    assert run_cli("import", a, "--client", "example-client", "--project", root).exit_code == 0
    made = [n for n in csvs(root) if n not in before]
    again = run_cli("import", a, "--client", "example-client", "--project", root)
    assert again.exit_code == 1 and "already holds this export" in again.output
    other = run_cli("import", b, "--client", "example-client", "--project", root)
    if export("Day", sorted(first)) == export("Day", sorted(second)):
        return
    assert other.exit_code == 0, other.output
    both = [n for n in csvs(root) if n not in before]
    assert len(both) == 2 and made[0] in both
    assert (root / "data" / "example-client" / made[0]).read_text().count("\n") == len(first) + 1
