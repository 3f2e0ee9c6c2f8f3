"""reportgen init / new client / new report."""

from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema
import pytest
import yaml
from conftest import run_cli

from reportgen.scaffold import CLIENTS_SCHEMA, NOTE_SCHEMA, SCHEMA_DIR, WORKFLOW, json_schemas


def test_init_makes_a_project_that_builds_at_once(tmp_path):
    root = tmp_path / "agency"
    assert run_cli("init", root).exit_code == 0
    assert (
        (root / "clients.yaml")
        .read_text()
        .startswith(f"# yaml-language-server: $schema={SCHEMA_DIR}/{CLIENTS_SCHEMA}")
    )
    result = run_cli("build", "--project", root, "--strict")
    assert result.exit_code == 0, result.output
    assert (root / "site" / "example-client" / "index.html").is_file()
    workflow = yaml.safe_load((root / WORKFLOW).read_text())
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["build"]["steps"])
    assert "--month previous" in steps and "--strict" in steps
    assert workflow[True]["schedule"][0]["cron"].split()[2] == "4"  # the 4th ("on" loads as True)
    assert "site" in (root / ".gitignore").read_text()


def test_init_demo_builds(tmp_path):
    root = tmp_path / "demo"
    assert run_cli("init", root, "--demo").exit_code == 0
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    assert len([p for p in (root / "site").iterdir() if p.is_dir() and p.name != "assets"]) == 4


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    result = run_cli("init", tmp_path / "x")
    assert result.exit_code == 1 and "not empty" in result.output
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


def test_new_client_keeps_comments_and_builds(tmp_path):
    root = tmp_path / "agency"
    run_cli("init", root)
    before = (root / "clients.yaml").read_text()
    result = run_cli("new", "client", "harbor-dental", "--name", "Harbor Dental", "--project", root)
    assert result.exit_code == 0, result.output
    after = (root / "clients.yaml").read_text()
    assert after.startswith(before.rstrip("\n"))  # nothing above was disturbed, comments included
    assert "# every client inherits these" in after
    assert (root / "content" / "harbor-dental").is_dir() and (root / "data" / "harbor-dental").is_dir()
    assert run_cli("check", "--project", root).exit_code == 0
    again = run_cli("new", "client", "harbor-dental", "--name", "Again", "--project", root)
    assert again.exit_code == 1 and "already exists" in again.output
    bad = run_cli("new", "client", "Bad Id", "--name", "X", "--project", root)
    assert bad.exit_code == 1


def test_new_client_inserts_before_a_later_top_level_key(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "clients.yaml").write_text(
        "clients:\n  - id: a\n    name: A  # first\n    account_executive: {name: J}\n\nagency:\n  name: X\n"
    )
    assert run_cli("new", "client", "b", "--name", "B", "--project", root).exit_code == 0
    document = yaml.safe_load((root / "clients.yaml").read_text())
    assert [c["id"] for c in document["clients"]] == ["a", "b"]
    assert "# first" in (root / "clients.yaml").read_text()


def test_new_report_carries_open_steps_and_refuses_to_overwrite(tmp_path):
    root = tmp_path / "agency"
    run_cli("init", root, "--demo")
    # The default month is the first one with data after the newest final note
    # (October): November, whose draft the demo already has.
    refused = run_cli("new", "report", "acme-corp", "--project", root)
    assert refused.exit_code == 1 and "2026-11.md already exists" in refused.output
    (root / "content" / "acme-corp" / "2026-11.md").unlink()
    result = run_cli("new", "report", "acme-corp", "--project", root)
    assert result.exit_code == 0, result.output
    note = root / "content" / "acme-corp" / "2026-11.md"
    front = yaml.safe_load(note.read_text().split("---")[1])
    october = yaml.safe_load((root / "content" / "acme-corp" / "2026-10.md").read_text().split("---")[1])
    open_before = [s["task"] for s in october["next_steps"] if not s.get("done")]
    assert [s["task"] for s in front["next_steps"]] == open_before and open_before
    assert front["status"] == "draft"
    again = run_cli("new", "report", "acme-corp", "--month", "2026-11", "--project", root)
    assert again.exit_code == 1 and "never overwrites" in again.output


def test_new_report_suggests_a_summary_from_the_data(tmp_path):
    root = tmp_path / "agency"
    run_cli("init", root, "--demo")
    (root / "content" / "acme-corp" / "2026-10.md").unlink()
    assert run_cli("new", "report", "acme-corp", "--month", "2026-10", "--project", root).exit_code == 0
    front = yaml.safe_load((root / "content" / "acme-corp" / "2026-10.md").read_text().split("---")[1])
    assert "on last month" in front["summary"]
    assert run_cli("build", "--project", root, "--drafts").exit_code == 0


# --- the JSON Schemas editors use ---------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas():
    return json_schemas()


def test_the_demo_project_is_valid_against_the_schemas(tmp_path, schemas):
    root = tmp_path / "demo"
    run_cli("init", root, "--demo")
    jsonschema.validate(yaml.safe_load((root / "clients.yaml").read_text()), schemas[CLIENTS_SCHEMA])
    for note in (root / "content").rglob("*.md"):
        front = yaml.safe_load(note.read_text().split("---")[1])
        jsonschema.validate(json.loads(json.dumps(front, default=str)), schemas[NOTE_SCHEMA])
    written = json.loads((root / SCHEMA_DIR / CLIENTS_SCHEMA).read_text())
    assert written == json.loads(json.dumps(schemas[CLIENTS_SCHEMA]))


BROKEN = [
    ("unknown field", lambda d: d["clients"][0].update(colour="red")),
    ("bad id", lambda d: d["clients"][0].update(id="Not Valid")),
    ("missing name", lambda d: d["clients"][0].pop("name")),
    ("bad better", lambda d: d["clients"][0]["kpis"][0].update(better="up")),
    ("target not a number", lambda d: d["clients"][0]["kpis"][0].update(target="lots")),
    ("bad currency", lambda d: d["clients"][0].update(currency="dollars")),
    ("bad month key", lambda d: d["clients"][0]["budget"].update(months={"2026-13": 5})),
    ("agency missing", lambda d: d.pop("agency")),
]


@pytest.mark.parametrize(("what", "break_it"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_field_fails_the_schema_and_the_validator(tmp_path, schemas, what, break_it):
    root = tmp_path / "p"
    run_cli("init", root)
    document = yaml.safe_load((root / "clients.yaml").read_text())
    break_it(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schemas[CLIENTS_SCHEMA])
    (root / "clients.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    assert run_cli("check", "--project", root).exit_code == 1  # the validator agrees


def test_note_schema_refuses_what_the_loader_refuses(schemas):
    for front in ({"status": "final-ish"}, {"sumary": "x"}, {"next_steps": [{"owner": "x"}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(front, schemas[NOTE_SCHEMA])


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_gitignore_keeps_every_output_folder_out_of_git(tmp_path):
    """After a build that swaps, the back buffer (.site.back) sits beside site/: none of the
    build's folders may show up as something to commit."""
    root = tmp_path / "demo"
    assert run_cli("init", root, "--demo").exit_code == 0
    assert run_cli("build", "--project", root).exit_code == 0
    notes = sorted((root / "content").glob("*/*.md"))
    for note in (notes[0], notes[-1]):  # two portals: the whole site is swapped (one is edited in place)
        note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert run_cli("build", "--project", root).exit_code == 0  # swaps: the old site is kept
    assert run_cli("overview", "--project", root).exit_code == 0
    assert any(p.name.startswith(".site.") for p in root.iterdir()), "no back buffer to ignore"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    paths = [line[3:] for line in listed]
    outputs = ("site/", ".site", "overview/", ".overview", ".reportgen-cache/")
    assert paths and not [p for p in paths if p.startswith(outputs)]
