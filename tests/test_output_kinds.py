"""The output seam (output_kinds.py): a new format is one registered function and a test.

Registering a throwaway month kind (`summary.txt`) makes `reportgen build` write it into
every report's folder — sealed on a protected portal, like every file a kind returns —
and an incremental build adds it to the months an earlier build already made.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import make_project

from reportgen import output_kinds, overview, pdf  # noqa: F401  (they register their kinds)
from reportgen.output_kinds import MonthBuild, OutputKind, registered
from reportgen.protect import open_sealed

PASSWORD = "correct horse battery staple"
PROTECTED = "saigon-foods"


def summary(built: MonthBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """One line per month: the client, the month, the spend, and what the kinds before made."""
    spend = built.figures.totals.get("spend")
    return {
        "summary.txt": f"{built.plan.client.id} {built.month} spend={spend} "
        f"after={','.join(sorted(made))}\n".encode()
    }


SUMMARY = OutputKind("summary.txt", summary)


def months_built(site: Path) -> list[Path]:
    return sorted(p.parent for p in site.glob("*/[0-9][0-9][0-9][0-9]-[0-9][0-9]/index.html"))


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    make_project(root)
    return root


def test_the_builtin_kinds_are_registered_in_order():
    assert [k.name for k in output_kinds.MONTH_OUTPUTS][:4] == [
        "metrics.csv",
        "report.json",
        "index.html",
        "report.pdf",
    ]
    assert [k.name for k in output_kinds.CLIENT_OUTPUTS] == ["index.html"]
    assert [k.name for k in output_kinds.AGENCY_OUTPUTS] == ["overview"]
    assert output_kinds.added_kinds() == ()


def test_a_registered_month_kind_is_written_by_build(project):
    with registered(SUMMARY):
        result = run_cli("build", "--project", project, "--jobs", "1")
    assert result.exit_code == 0, result.output + result.stderr
    months = months_built(project / "site")
    assert months
    for folder in months:
        text = (folder / "summary.txt").read_text(encoding="utf-8")
        client, month = folder.parent.name, folder.name
        assert text.startswith(f"{client} {month} spend=")
        assert text.rstrip().endswith("after=index.html,metrics.csv,report.json")
    assert output_kinds.added_kinds() == ()  # unregistered after the block


def test_a_kind_added_later_is_built_for_months_already_made(project):
    assert run_cli("build", "--project", project, "--jobs", "1").exit_code == 0
    assert not list((project / "site").rglob("summary.txt"))
    with registered(SUMMARY):
        result = run_cli("build", "--project", project, "--jobs", "1")
    assert result.exit_code == 0, result.output + result.stderr
    assert all((folder / "summary.txt").is_file() for folder in months_built(project / "site"))


def test_a_kind_on_a_protected_portal_is_sealed(project):
    config = project / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == PROTECTED:
            client["access"] = {"password_env": "SAIGON_PORTAL_PASSWORD"}
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with registered(SUMMARY):
        result = run_cli(
            "build", "--project", project, "--jobs", "1", env={"SAIGON_PORTAL_PASSWORD": PASSWORD}
        )
    assert result.exit_code == 0, result.output + result.stderr
    sealed = sorted((project / "site" / PROTECTED).rglob("summary.txt"))
    assert sealed
    for path in sealed:
        assert not path.read_bytes().startswith(PROTECTED.encode())
        opened = open_sealed(json.loads(path.read_text(encoding="utf-8")), PASSWORD).decode()
        assert opened.startswith(f"{PROTECTED} {path.parent.name} ")
