"""Built-in metrics and the default words a report shows, in one place.

What reportgen knows about a metric without being told (its formula, the
label it is shown under, how its values are shown) and every word it puts on
a page when clients.yaml or a note leaves one out (a KPI's label, a meeting's
title) live here, in English, the source language of the gettext catalogs
(reportgen/locales/*.po). The load stage keeps "not given" as None; the
present stage asks this module for the words and translates them with the
client's catalog, so a vi_VN portal shows "Lượt nhấp" where an en_US one
shows "Clicks", and a label an AE wrote is shown as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import Client

Gettext = Callable[[str], str]


def untranslated(message: str) -> str:
    """English, the catalogs' source language: for terminal output and logs."""
    return message


@dataclass(frozen=True)
class BuiltinMetric:
    """A metric every client has without declaring it."""

    name: str
    label: str  # English; translated when shown
    formula: str | None = None  # None: a base metric, read from the data's column of that name
    unit: str | None = None  # percent | currency | ratio; None: by name (metricset.MetricSet.unit)


BUILTIN_METRICS: tuple[BuiltinMetric, ...] = (
    # Derived: computed from sums, never averaged (SPEC 2.2).
    BuiltinMetric("ctr", "CTR", "clicks / impressions", "percent"),
    BuiltinMetric("cpc", "CPC", "spend / clicks", "currency"),
    BuiltinMetric("cpm", "CPM", "1000 * spend / impressions", "currency"),
    BuiltinMetric("cvr", "Conversion rate", "conversions / clicks", "percent"),
    BuiltinMetric("cpa", "Cost per acquisition", "spend / conversions", "currency"),
    BuiltinMetric("roas", "ROAS", "revenue / spend", "ratio"),
    # Common base metrics: named here so tables read well (and translate).
    BuiltinMetric("impressions", "Impressions"),
    BuiltinMetric("clicks", "Clicks"),
    BuiltinMetric("spend", "Spend"),
    BuiltinMetric("conversions", "Conversions"),
    BuiltinMetric("leads", "Leads"),
    BuiltinMetric("revenue", "Revenue"),
    BuiltinMetric("sessions", "Sessions"),
    BuiltinMetric("reach", "Reach"),
)
BUILTIN = {metric.name: metric for metric in BUILTIN_METRICS}
# The derived built-ins every client has: name -> formula text.
BUILTIN_FORMULAS = {m.name: m.formula for m in BUILTIN_METRICS if m.formula is not None}
# How derived built-ins are shown (a client's own formula of the same name is inferred instead).
BUILTIN_UNITS = {m.name: m.unit for m in BUILTIN_METRICS if m.formula is not None and m.unit}
PERCENT_METRICS = tuple(name for name, unit in BUILTIN_UNITS.items() if unit == "percent")
# A base metric (or a client's own) whose name has one of these words is money: `spend`,
# `cost_per_lead`, `sales_value`; any other base metric is a count.
CURRENCY_WORDS = ("spend", "cost", "revenue", "value", "sales", "budget", "amount")
# The order a campaign or channel table shows the built-ins in: volumes first, then ratios.
TABLE_ORDER = (
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "leads",
    "revenue",
    "ctr",
    "cpc",
    "cpm",
    "cvr",
    "cpa",
    "roas",
)

# A KPI without `better:` judges higher values as better, whatever its metric.
DEFAULT_BETTER = "higher"
# A meeting in a note's front matter without `title:`.
DEFAULT_MEETING_TITLE = "Meeting"

# Every default word a page can show: each needs a msgstr in every catalog (tests/test_i18n.py).
DEFAULT_WORDS = (*(m.label for m in BUILTIN_METRICS), DEFAULT_MEETING_TITLE)


def metric_words(metric: str, gettext: Gettext = untranslated) -> str:
    """A metric's default label: the built-in one translated, else its name made readable
    (`engaged_sessions` -> "Engaged sessions"; a client's own name is not in any catalog)."""
    builtin = BUILTIN.get(metric)
    return gettext(builtin.label) if builtin else metric.replace("_", " ").capitalize()


def kpi_label(label: str | None, metric: str, gettext: Gettext = untranslated) -> str:
    """A KPI's label: as written in clients.yaml, else its metric's default label."""
    return label if label is not None else metric_words(metric, gettext)


def metric_label(client: Client, metric: str, gettext: Gettext = untranslated) -> str:
    """A metric as a client's report names it: the label of its first KPI on that
    metric, else the metric's default label."""
    for kpi in client.kpis:
        if kpi.metric == metric:
            return kpi_label(kpi.label, metric, gettext)
    return metric_words(metric, gettext)


def meeting_title(title: str | None, gettext: Gettext = untranslated) -> str:
    return title if title is not None else gettext(DEFAULT_MEETING_TITLE)
