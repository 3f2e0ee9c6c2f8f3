"""config: clients.yaml validation, every problem as clients.yaml:LINE: message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import line_of

from reportgen.config import load_project_config
from reportgen.errors import InputError


def write(root: Path, text: str) -> str:
    text = textwrap.dedent(text)
    (root / "clients.yaml").write_text(text, encoding="utf-8")
    return text


def problems(root: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_project_config(root)
    return [str(p) for p in info.value.problems]


def assert_problem(found: list[str], line: int, *fragments: str) -> None:
    prefix = f"clients.yaml:{line}: "
    matching = [p for p in found if p.startswith(prefix) and all(f in p for f in fragments)]
    assert matching, f"no problem at line {line} with {fragments}; got:\n" + "\n".join(found)


VALID = """\
agency:
  name: Brightline
  website: https://brightline.example
  contact_email: reports@brightline.example
defaults:
  locale: de_DE
  currency: EUR
  metrics:
    cpl: spend / leads
    aov: revenue / conversions
  kpis:
    - {metric: leads, label: Leads, target: 400}
    - {metric: cpl, label: Cost per lead, target: 45, better: lower}
clients:
  - id: inherits
    name: Inherits Everything
    account_executive: {name: Jane Doe, email: jane@brightline.example, phone: +1 555 0100}
  - id: overrides
    name: Overrides
    account_executive: {name: John, phone: 5550100}
    contacts:
      - {name: Sam Lee, role: Marketing Director, email: sam@acme.example}
    locale: vi_VN
    currency: VND
    brand: {color: "#0B6", logo: assets/logo.svg}
    since: 2025-01
    budget:
      monthly: 20000
      months: {2026-11: 30000}
    metrics:
      aov: revenue / orders
      cpo: spend / orders
    kpis:
      - {metric: orders, target: 10}
    campaigns:
      - {id: brand-search, name: Brand search, channel: search, budget: 5000}
      - {id: 12345}
    data:
      - data/overrides/*.csv
      - data/extra.csv
"""


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return tmp_path


def test_valid_file_and_defaults_inheritance(root):
    write(root, VALID)
    config = load_project_config(root)
    assert config.agency.name == "Brightline"
    inherits, overrides = config.clients
    # locale / currency / kpis / metrics come from the defaults
    assert inherits.locale == "de_DE"
    assert inherits.currency == "EUR"
    assert [(k.metric, k.label, k.target, k.better) for k in inherits.kpis] == [
        ("leads", "Leads", 400, "higher"),
        ("cpl", "Cost per lead", 45, "lower"),
    ]
    assert {name: f.source for name, f, _line in inherits.metrics} == {
        "cpl": "spend / leads",
        "aov": "revenue / conversions",
    }
    assert inherits.account_executive.phone == "+1 555 0100"
    # a client's own values win; metrics merge (client formula replaces the default one)
    assert overrides.locale == "vi_VN"
    assert overrides.currency == "VND"
    # no label given: None in the model (the page shows the metric's words in its language)
    assert [(k.metric, k.label, k.better) for k in overrides.kpis] == [("orders", None, "higher")]
    assert {name: f.source for name, f, _line in overrides.metrics} == {
        "cpl": "spend / leads",
        "aov": "revenue / orders",
        "cpo": "spend / orders",
    }
    assert overrides.account_executive.phone == "5550100"
    assert overrides.brand.color == "#00bb66"
    assert overrides.brand.logo == (root / "assets" / "logo.svg").resolve()
    assert str(overrides.since) == "2025-01"
    assert overrides.budget.monthly == 20000
    assert [(str(m), v) for m, v in overrides.budget.months] == [("2026-11", 30000)]
    assert [(c.id, c.name, c.channel, c.budget) for c in overrides.campaigns] == [
        ("brand-search", "Brand search", "search", 5000),
        ("12345", "12345", None, None),
    ]
    assert [d.pattern for d in overrides.data] == ["data/overrides/*.csv", "data/extra.csv"]


def test_built_in_defaults_without_defaults_section(root):
    write(
        root,
        """\
        agency: {name: A}
        clients:
          - id: solo
            name: Solo
            account_executive: {name: X}
            data: data/solo.csv
        """,
    )
    (client,) = load_project_config(root).clients
    assert (client.locale, client.currency, client.kpis) == ("en_US", "USD", ())
    assert [d.pattern for d in client.data] == ["data/solo.csv"]  # a single path is a list


def test_missing_file(tmp_path):
    found = problems(tmp_path)
    assert len(found) == 1 and found[0].startswith("clients.yaml: no clients.yaml")


def test_yaml_syntax_error_has_line(root):
    write(root, "agency:\n  name: A\nclients: [\n  - id: x\n")
    found = problems(root)
    assert len(found) == 1 and found[0].startswith("clients.yaml:")
    assert found[0].split(":")[1].isdigit()


def test_duplicate_yaml_key_both_lines(root):
    text = write(
        root,
        """\
        agency:
          name: A
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            name: Acme again
        """,
    )
    found = problems(root)
    assert_problem(
        found, line_of(text, "Acme again"), "duplicate key 'name'", f"line {line_of(text, 'name: Acme')}"
    )


def test_not_a_mapping(root):
    write(root, "- just\n- a list\n")
    assert problems(root) == ["clients.yaml:1: expected a mapping with 'agency' and 'clients'"]


def test_unknown_field_with_did_you_mean(root):
    text = write(
        root,
        """\
        agency:
          name: A
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            curency: EUR
            kpis:
              - {metric: leads, tagret: 400}
        """,
    )
    found = problems(root)
    assert_problem(
        found, line_of(text, "curency"), "unknown field 'clients[1].curency'", "did you mean 'currency'?"
    )
    assert_problem(found, line_of(text, "tagret"), "tagret", "did you mean 'target'?")


def test_unknown_top_level_field(root):
    text = write(root, "agency: {name: A}\nclient: []\n")
    found = problems(root)
    assert_problem(found, line_of(text, "client:"), "unknown field 'client'", "did you mean 'clients'?")
    assert_problem(found, 1, "missing required field 'clients'")


def test_missing_required_fields(root):
    text = write(
        root,
        """\
        agency:
          website: https://a.example
        clients:
          - id: acme
            account_executive: {email: x@y.example}
        """,
    )
    found = problems(root)
    assert_problem(found, line_of(text, "website"), "missing required field 'agency.name'")
    assert_problem(found, line_of(text, "id: acme"), "missing required field 'clients[1].name'")
    assert_problem(
        found,
        line_of(text, "account_executive"),
        "missing required field 'clients[1].account_executive.name'",
    )


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("name", "[a, b]", "expected text, got a list"),
        ("name", "{a: 1}", "expected text, got a mapping"),
        ("budget", "{monthly: lots}", "expected a number, got 'lots'"),
        ("budget", "{monthly: -5}", "must be at least 0"),
        ("budget", "{months: {2026-13: 5}}", "expected a month as YYYY-MM"),
        ("since", "yesterday", "expected a month as YYYY-MM"),
        ("kpis", "{metric: leads}", "expected a list"),
        ("kpis", "[{metric: leads, better: up}]", "expected one of higher, lower"),
        ("kpis", "[{metric: Leads}]", "expected a metric name"),
        ("brand", "{color: red}", "expected #rrggbb"),
        ("contacts", "[{name: Sam, email: not-an-email}]", "expected an e-mail address"),
        ("access", "{password_env: 'not valid'}", "expected an environment variable name"),
        ("campaigns", "[{name: no id}]", "missing required field"),
        ("locale", "true", "expected text, got 'true'"),
        ("currency", "usd", "expected an ISO 4217 code"),
    ],
)
def test_wrong_types(root, field, value, fragment):
    fields = {"id": "acme", "name": "Acme", "account_executive": "{name: X}", field: value}
    text = write(
        root,
        "agency: {name: A}\nclients:\n"
        + "".join(f"{'  - ' if i == 0 else '    '}{k}: {v}\n" for i, (k, v) in enumerate(fields.items())),
    )
    found = problems(root)
    assert_problem(found, line_of(text, f"{field}: {value}"), fragment)


@pytest.mark.parametrize(
    "bad_id", ["Acme", "-acme", "acme_corp", "a" * 64, "../etc", "acme corp", "ünïcode", "''"]
)
def test_bad_client_id(root, bad_id):
    text = (
        write(
            root,
            f"""\
        agency: {{name: A}}
        clients:
          - id: "{bad_id}"
            name: Acme
            account_executive: {{name: X}}
        """,
        )
        if bad_id != "''"
        else write(
            root,
            """\
        agency: {name: A}
        clients:
          - id: ''
            name: Acme
            account_executive: {name: X}
        """,
        )
    )
    found = problems(root)
    assert_problem(found, line_of(text, "id:"), "clients[1].id")


def test_duplicate_client_id(root):
    text = write(
        root,
        """\
        agency: {name: A}
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
          - id: acme
            name: Acme two
            account_executive: {name: Y}
        """,
    )
    found = problems(root)
    assert_problem(
        found, line_of(text, "id: acme", 2), "duplicate client id 'acme'", f"line {line_of(text, 'id: acme')}"
    )


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("locale", "xx_YY", "unknown locale 'xx_YY'"),
        ("currency", "ABC", "unknown currency code 'ABC'"),
    ],
)
def test_unknown_locale_and_currency(root, key, value, fragment):
    text = write(
        root,
        f"""\
        agency: {{name: A}}
        clients:
          - id: acme
            name: Acme
            account_executive: {{name: X}}
            {key}: {value}
        """,
    )
    assert_problem(problems(root), line_of(text, f"{key}:"), fragment)


def test_unknown_locale_in_defaults_reported_at_defaults_line(root):
    text = write(
        root,
        """\
        agency: {name: A}
        defaults:
          locale: zz_ZZ
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
        """,
    )
    assert_problem(problems(root), line_of(text, "zz_ZZ"), "unknown locale 'zz_ZZ'")


def test_logo_problems(root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "logo.svg"
    outside.write_text("<svg/>")
    (root / "assets" / "escape.svg").symlink_to(outside)
    (root / "assets" / "notes.txt").write_text("hi")
    text = write(
        root,
        f"""\
        agency:
          name: A
          logo: assets/missing.svg
        clients:
          - id: a
            name: A
            account_executive: {{name: X}}
            brand: {{logo: ../logo.svg}}
          - id: b
            name: B
            account_executive: {{name: X}}
            brand: {{logo: assets/escape.svg}}
          - id: c
            name: C
            account_executive: {{name: X}}
            brand: {{logo: {outside}}}
          - id: d
            name: D
            account_executive: {{name: X}}
            brand: {{logo: assets/notes.txt}}
        """,
    )
    found = problems(root)
    assert_problem(found, line_of(text, "missing.svg"), "agency.logo", "not found")
    assert_problem(found, line_of(text, "../logo.svg"), "clients[1].brand.logo", "must not leave")
    assert_problem(found, line_of(text, "escape.svg"), "clients[2].brand.logo", "outside the project")
    assert_problem(found, line_of(text, str(outside)), "clients[3].brand.logo", "relative")
    assert_problem(found, line_of(text, "notes.txt"), "clients[4].brand.logo", "not an image")


def test_data_paths_must_stay_in_project(root):
    text = write(
        root,
        """\
        agency: {name: A}
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            data:
              - ../other/*.csv
              - data/../../x.csv
              - /etc/*.csv
              - C:/data/x.csv
        """,
    )
    found = problems(root)
    assert_problem(found, line_of(text, "../other"), "must not leave the project")
    assert_problem(found, line_of(text, "data/../.."), "must not leave the project")
    assert_problem(found, line_of(text, "/etc"), "must be relative")
    assert_problem(found, line_of(text, "C:/"), "must be relative")


def test_bad_formulas(root):
    text = write(
        root,
        """\
        agency: {name: A}
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            metrics:
              evil: __import__('os')
              power: spend ** 2
              date: clicks
        """,
    )
    found = problems(root)
    assert_problem(found, line_of(text, "evil:"), "evil")
    assert_problem(found, line_of(text, "power:"), "power")
    assert_problem(found, line_of(text, "date:"), "dimension")


def test_bad_metric_name(root):
    text = write(
        root,
        """\
        agency: {name: A}
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            metrics:
              Bad: clicks
        """,
    )
    assert_problem(problems(root), line_of(text, "Bad:"), "metric name")


def test_all_problems_of_all_clients_in_one_run(root):
    text = write(
        root,
        """\
        agency:
          name: A
          webiste: https://a.example
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            locale: xx_YY
          - id: Beta
            name: Beta
            account_executive: {name: X}
          - id: acme
            name: Again
            account_executive: {name: X}
          - id: gamma
            name: [1]
            account_executive: {name: X}
          - id: delta
            name: Delta
            account_executive: {name: X}
            data: [../x.csv]
          - id: epsilon
            name: Epsilon
            account_executive: {name: X}
            currency: ABC
        """,
    )
    found = problems(root)
    assert_problem(found, line_of(text, "webiste"), "did you mean 'website'?")
    assert_problem(found, line_of(text, "xx_YY"), "unknown locale")
    assert_problem(found, line_of(text, "id: Beta"), "clients[2].id")
    assert_problem(found, line_of(text, "id: acme", 2), "duplicate client id")
    assert_problem(found, line_of(text, "name: [1]"), "expected text")
    assert_problem(found, line_of(text, "../x.csv"), "must not leave")
    assert_problem(found, line_of(text, "ABC"), "unknown currency")
    assert len(found) == 7, found


def test_all_problems_of_one_client_in_one_run(root):
    text = write(
        root,
        """\
        agency: {name: A}
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            bogus: 1
            locale: xx_YY
            currency: ABC
            data: [../x.csv]
            brand: {logo: assets/missing.svg}
        """,
    )
    found = problems(root)
    assert_problem(found, line_of(text, "bogus"), "unknown field")
    assert_problem(found, line_of(text, "xx_YY"), "unknown locale")
    assert_problem(found, line_of(text, "ABC"), "unknown currency")
    assert_problem(found, line_of(text, "../x.csv"), "must not leave")
    assert_problem(found, line_of(text, "missing.svg"), "not found")


def test_utf8_bom_accepted_and_latin1_refused(root):
    (root / "clients.yaml").write_bytes("\ufeffagency: {name: Ä}\nclients: []\n".encode())
    assert load_project_config(root).agency.name == "Ä"
    (root / "clients.yaml").write_bytes("agency: {name: \xc4}\nclients: []\n".encode("latin-1"))
    found = problems(root)
    assert len(found) == 1 and "UTF-8" in found[0]
