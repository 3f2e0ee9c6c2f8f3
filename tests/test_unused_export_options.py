"""Export-only options on an entry that reads canonical CSVs are a warning (attack a15f).

`{path: data/acme/*.csv, campaign_map: {...}}` over canonical CSVs did nothing, and
nothing said so: the AE believed the campaigns were merged. Property: over random
options and files, the warning is given exactly when an entry with an export-only
option reads a canonical CSV, once per entry, at its clients.yaml line.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.model import Client, DataSource, Person
from reportgen.sources import load_client_data

CANONICAL = "date,campaign,spend\n2026-10-01,brand,10\n"
EXPORT = "Day,Campaign,Impressions,Clicks,Cost\n2026-10-02,Brand,100,5,3.20\n"
OPTIONS = {
    "currency": "EUR",
    "campaign_map": (("Brand", "brand"),),
    "channel": "search",
    "leads": "clicks",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    options=st.sets(st.sampled_from(sorted(OPTIONS))),
    files=st.sets(st.sampled_from(["canonical", "export"]), min_size=1),
)
def test_the_warning_names_exactly_the_unused_options(tmp_path_factory, options, files):
    root = tmp_path_factory.mktemp("p")
    (root / "data" / "acme").mkdir(parents=True)
    if "canonical" in files:
        (root / "data" / "acme" / "2026-10.csv").write_text(CANONICAL)
    if "export" in files:
        (root / "data" / "acme" / "ads.csv").write_text(EXPORT)
    source = DataSource("data/acme/*.csv", 7, **{name: OPTIONS[name] for name in options})
    client = Client(
        id="acme",
        name="Acme",
        account_executive=Person("AE", "ae@agency.example"),
        data=(source,),
        currency="EUR",
    )
    _table, problems = load_client_data(root, client)
    warned = [p for p in problems if "to platform exports only" in p.message]
    if options and "canonical" in files:
        assert len(warned) == 1 and warned[0].line == 7 and warned[0].severity == "warning"
        named = {name for name in OPTIONS if name in warned[0].message.split(":")[1]}
        assert named == options
    else:
        assert not warned, warned
