"""metrics: ratios of sums, no-value rules, KPIs, budget pacing, units."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from reportgen import metrics as m
from reportgen.formulas import parse_formula
from reportgen.model import Budget, Campaign, Client, Kpi, MetricRow, MetricTable, Month, Person

BASE = ("impressions", "clicks", "spend", "conversions", "leads", "revenue")
TODAY = dt.date(2026, 11, 23)


def row(day: str, campaign="a", channel="search", **values) -> MetricRow:
    return MetricRow(dt.date.fromisoformat(day), campaign, channel, tuple(values.get(name) for name in BASE))


def client(**kwargs) -> Client:
    defaults = dict(
        id="acme",
        name="Acme",
        account_executive=Person("Jane"),
        metrics=(("cpl", parse_formula("spend / leads"), 3),),
    )
    return Client(**{**defaults, **kwargs})


def facts(rows, c: Client | None = None, metrics=BASE, until=None) -> m.ClientFacts:
    table = MetricTable(metrics=tuple(metrics), rows=tuple(rows), has_campaign=True, has_channel=True)
    return m.compute_client_facts(c or client(), table, until)


def finite_or_none(values: dict) -> None:
    for name, value in values.items():
        assert value is None or math.isfinite(value), (name, value)


def test_ratio_of_sums_not_mean_of_ratios():
    rows = [
        row("2026-10-01", impressions=10, clicks=1, spend=100.0, conversions=1, leads=1, revenue=50.0),
        row("2026-10-02", impressions=1000, clicks=10, spend=10.0, conversions=10, leads=9, revenue=500.0),
    ]
    totals = m.compute_month(facts(rows), Month(2026, 10), TODAY).totals
    assert totals["impressions"] == 1010 and totals["clicks"] == 11
    assert totals["ctr"] == pytest.approx(11 / 1010)
    assert totals["ctr"] != pytest.approx((1 / 10 + 10 / 1000) / 2)
    assert totals["cpc"] == pytest.approx(110 / 11)
    assert totals["cpm"] == pytest.approx(1000 * 110 / 1010)
    assert totals["cvr"] == pytest.approx(11 / 11)
    assert totals["cpa"] == pytest.approx(110 / 11)
    assert totals["roas"] == pytest.approx(550 / 110)
    assert totals["cpl"] == pytest.approx(110 / 10)
    assert totals["cpl"] != pytest.approx((100 / 1 + 10 / 9) / 2)


def test_campaign_and_channel_groups_are_ratios_of_sums():
    rows = [
        row("2026-10-01", "a", "search", impressions=10, clicks=1, spend=5.0),
        row("2026-10-02", "a", "search", impressions=1000, clicks=10, spend=5.0),
        row("2026-10-01", "b", "social", impressions=100, clicks=0, spend=2.0),
    ]
    c = client(campaigns=(Campaign("b", "Bee", "social"), Campaign("a", "Ay", "search")))
    figures = m.compute_month(facts(rows, c), Month(2026, 10), TODAY)
    assert [(g.key, g.name, g.channel) for g in figures.campaigns] == [
        ("b", "Bee", "social"),
        ("a", "Ay", "search"),
    ]  # clients.yaml order
    a = figures.campaigns[1].values
    assert a["ctr"] == pytest.approx(11 / 1010)
    assert figures.campaigns[0].values["cpc"] is None  # 0 clicks
    channels = {g.key: g.values for g in figures.channels}
    assert channels["search"]["spend"] == 10.0 and channels["social"]["ctr"] == 0


@pytest.mark.parametrize(
    "values",
    [
        dict(impressions=0, clicks=0, spend=0.0, conversions=0, leads=0, revenue=0.0),
        dict(impressions=None, clicks=None, spend=None, conversions=None, leads=None, revenue=None),
        dict(impressions=0, clicks=5, spend=10.0, conversions=0, leads=0, revenue=None),
    ],
)
def test_zero_or_missing_denominators_have_no_value(values):
    totals = m.compute_month(facts([row("2026-10-01", **values)]), Month(2026, 10), TODAY).totals
    finite_or_none(totals)
    if not values["impressions"]:
        assert totals["ctr"] is None and totals["cpm"] is None
    if not values["leads"]:
        assert totals["cpl"] is None
    if not values["spend"]:
        assert totals["roas"] is None
    if not values["conversions"]:
        assert totals["cpa"] is None


def test_missing_columns_give_no_value():
    rows = [MetricRow(dt.date(2026, 10, 1), None, None, (100, 3))]
    f = facts(rows, metrics=("impressions", "clicks"))
    totals = m.compute_month(f, Month(2026, 10), TODAY).totals
    assert totals["ctr"] == pytest.approx(0.03)
    for name in ("cpc", "cpm", "cvr", "cpa", "roas", "cpl"):
        assert totals[name] is None
    finite_or_none(totals)


def test_blank_cells_are_skipped_not_zero():
    rows = [row("2026-10-01", spend=10.0, revenue=None), row("2026-10-02", spend=10.0, revenue=40.0)]
    totals = m.compute_month(facts(rows), Month(2026, 10), TODAY).totals
    assert totals["revenue"] == 40.0
    assert totals["roas"] == pytest.approx(2.0)


def test_month_without_rows_has_no_values():
    figures = m.compute_month(facts([row("2026-10-01", spend=1.0)]), Month(2026, 8), TODAY)
    assert not figures.has_data
    assert all(v is None for v in figures.totals.values())


def test_kpi_value_previous_last_year_and_verdicts():
    rows = [
        row("2025-09-15", spend=900.0, leads=30),
        row("2026-08-15", spend=500.0, leads=10),
        row("2026-09-10", spend=300.0, leads=10),
        row("2026-09-20", spend=300.0, leads=10),
    ]
    c = client(
        kpis=(
            Kpi("leads", "Leads", target=25),
            Kpi("cpl", "CPL", target=40, better="lower"),
            Kpi("spend", "Spend"),
        )
    )
    figures = m.compute_month(facts(rows, c), Month(2026, 9), TODAY)
    leads, cpl, spend = figures.kpis
    assert (leads.value, leads.previous, leads.last_year, leads.target) == (20, 10, 30, 25)
    assert leads.vs_previous.verdict == "better" and leads.vs_previous.ratio == pytest.approx(1.0)
    assert leads.vs_last_year.verdict == "worse"
    assert leads.vs_last_year.ratio == pytest.approx(-1 / 3)
    assert leads.pct_of_target == pytest.approx(0.8)
    assert leads.status == "behind"
    # cost per lead fell from 50 to 30: a fall is good when lower is better
    assert (cpl.value, cpl.previous, cpl.last_year) == (
        pytest.approx(30),
        pytest.approx(50),
        pytest.approx(30),
    )
    assert cpl.vs_previous.verdict == "better" and cpl.vs_previous.ratio == pytest.approx(-0.4)
    assert cpl.vs_last_year.verdict == "same"
    assert cpl.status == "met"
    assert cpl.unit == "currency"
    assert spend.target is None and spend.status == "none" and spend.pct_of_target is None


def test_kpi_without_earlier_months():
    c = client(kpis=(Kpi("leads", "Leads", target=0),))
    (kpi,) = m.compute_month(facts([row("2026-09-10", leads=5)], c), Month(2026, 9), TODAY).kpis
    assert kpi.previous is None and kpi.last_year is None
    assert kpi.vs_previous.verdict == "none" and kpi.vs_previous.ratio is None
    assert kpi.pct_of_target is None  # target 0: no percentage, no division error


@pytest.mark.parametrize(
    "value, before, better, verdict",
    [
        (12, 10, "higher", "better"),
        (8, 10, "higher", "worse"),
        (12, 10, "lower", "worse"),
        (8, 10, "lower", "better"),
        (10, 10, "lower", "same"),
        (-5, -10, "higher", "better"),
        (5, 0, "higher", "none"),
        (None, 10, "higher", "none"),
        (5, None, "lower", "none"),
    ],
)
def test_change_verdict_follows_better_direction(value, before, better, verdict):
    assert m.compute_change(value, before, better).verdict == verdict


@pytest.mark.parametrize(
    "value, target, better, status",
    [
        (100, 100, "higher", "met"),
        (95, 100, "higher", "close"),
        (50, 100, "higher", "behind"),
        (40, 45, "lower", "met"),
        (48, 45, "lower", "close"),
        (90, 45, "lower", "behind"),
        (None, 45, "lower", "none"),
        (10, None, "higher", "none"),
    ],
)
def test_target_status(value, target, better, status):
    assert m.target_status(value, target, better) == status


def test_budget_full_month_and_override():
    rows = [row("2026-10-01", spend=1000.0), row("2026-10-31", spend=500.5)]
    c = client(budget=Budget(monthly=2000, months=((Month(2026, 11), 3000),)))
    f = facts(rows, c)
    october = m.compute_month(f, Month(2026, 10), TODAY).budget
    assert october.budget == 2000
    assert october.spent == pytest.approx(1500.5)
    assert october.expected_by_now == pytest.approx(2000)
    assert october.cumulative[0] == (dt.date(2026, 10, 1), 1000.0)
    assert october.cumulative[-1] == (dt.date(2026, 10, 31), pytest.approx(1500.5))
    assert m.compute_month(f, Month(2026, 11), TODAY).budget.budget == 3000


def test_budget_partial_month_paced_by_days_elapsed():
    rows = [row(f"2026-11-{d:02d}", spend=100.0) for d in range(1, 23)]  # up to yesterday
    c = client(budget=Budget(monthly=2000, months=((Month(2026, 11), 3000),)))
    figures = m.compute_month(facts(rows, c), Month(2026, 11), TODAY)
    assert figures.partial
    assert figures.days_elapsed == 22
    assert figures.budget.budget == 3000
    assert figures.budget.spent == pytest.approx(2200)
    assert figures.budget.expected_by_now == pytest.approx(3000 * 22 / 30)
    assert figures.budget.status == "on_pace"
    assert len(figures.budget.cumulative) == 22


def test_budget_status_over_and_under():
    c = client(budget=Budget(monthly=1000))
    over = m.compute_month(facts([row("2026-10-05", spend=1500.0)], c), Month(2026, 10), TODAY)
    under = m.compute_month(facts([row("2026-10-05", spend=100.0)], c), Month(2026, 10), TODAY)
    assert over.budget.status == "over" and under.budget.status == "under"


def test_budget_without_spend_column_or_budget():
    f = facts([MetricRow(dt.date(2026, 10, 1), None, None, (5,))], metrics=("leads",))
    budget = m.compute_month(f, Month(2026, 10), TODAY).budget
    assert budget.budget is None and budget.spent is None and budget.expected_by_now is None


def test_past_month_is_not_partial():
    f = facts([row("2026-10-03", spend=1.0)])
    assert not m.compute_month(f, Month(2026, 10), TODAY).partial
    assert m.compute_month(f, Month(2026, 10), TODAY).days_elapsed == 31


def test_until_drops_later_months():
    rows = [row("2026-09-01", leads=1), row("2026-10-01", leads=2), row("2026-11-01", leads=3)]
    f = facts(rows, until=Month(2026, 10))
    assert list(f.rows_by_month) == [Month(2026, 9), Month(2026, 10)]


@pytest.mark.parametrize(
    "formula, unit",
    [
        ("spend / leads", "currency"),
        ("revenue / spend", "ratio"),
        ("revenue - spend", "currency"),
        ("1000 * spend / impressions", "currency"),
        ("leads / clicks", "number"),
        ("leads * 2", "count"),
        ("spend / 2", "currency"),
    ],
)
def test_custom_metric_units(formula, unit):
    metric_set = m.MetricSet(BASE, [("custom", parse_formula(formula), 1)])
    assert metric_set.unit("custom") == unit


def test_builtin_units():
    metric_set = m.MetricSet(BASE)
    assert {
        n: metric_set.unit(n)
        for n in ("ctr", "cvr", "cpc", "cpm", "cpa", "roas", "spend", "clicks", "revenue")
    } == {
        "ctr": "percent",
        "cvr": "percent",
        "cpc": "currency",
        "cpm": "currency",
        "cpa": "currency",
        "roas": "ratio",
        "spend": "currency",
        "clicks": "count",
        "revenue": "currency",
    }


def test_formulas_can_build_on_each_other():
    metric_set = m.MetricSet(
        BASE, [("cpl", parse_formula("spend / leads"), 1), ("cpl_k", parse_formula("cpl * 1000"), 2)]
    )
    sums = [100, 10, 50.0, 5, 4, 200.0]
    assert metric_set.value(sums, "cpl_k") == pytest.approx(12500)


def test_check_reports_unknown_metrics_and_cycles():
    c = client(
        metrics=(("loop", parse_formula("loop + 1"), 7), ("typo", parse_formula("spend / lead"), 8)),
        kpis=(Kpi("leeds", "Leads", line=11),),
    )
    metric_set = m.MetricSet(BASE, c.metrics)
    found = [str(p) for p in metric_set.check(c)]
    assert any(p.startswith("clients.yaml:7:") and "refers to itself" in p for p in found)
    assert any(
        p.startswith("clients.yaml:8:") and "'lead'" in p and "did you mean 'leads'" in p for p in found
    )
    assert any(p.startswith("clients.yaml:11:") and "'leeds'" in p for p in found)
    # a cycle evaluates to no value instead of recursing forever
    assert metric_set.value(list(range(6)), "loop") is None


def test_kpi_on_metric_whose_inputs_are_missing():
    metric_set = m.MetricSet(("impressions", "clicks"), client().metrics)
    c = client(kpis=(Kpi("cpl", "CPL", line=4),))
    found = [str(p) for p in metric_set.check(c)]
    assert any(p.startswith("clients.yaml:4:") and "'spend'" in p and "'leads'" in p for p in found)
