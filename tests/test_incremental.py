"""Incremental, parallel and sharded builds equal a clean build, byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import tree_bytes
from synthetic import write_synthetic_agency

from reportgen.cache import CACHE_DIR


@pytest.fixture
def agency(tmp_path) -> Path:
    root = tmp_path / "agency"
    write_synthetic_agency(
        root, clients=5, months=5, end=dt.date(2026, 11, 22), seed=7, campaigns_per_client=3
    )
    return root


def build(root: Path, *args: str):
    result = run_cli("build", "--project", root, *args)
    assert result.exit_code == 0, result.output
    return result


def clean_tree(root: Path, tmp_path: Path, name: str, *args: str) -> dict[str, bytes]:
    out = tmp_path / name
    build(root, "--clean", "--out", out, "--jobs", "1", *args)
    return tree_bytes(out)


def summary(root: Path, *args: str) -> dict:
    return json.loads(build(root, "--json", *args).stdout)


def test_noop_rebuild_renders_nothing(agency):
    first = summary(agency)
    assert first["pages_written"] > 0 and first["pages_skipped"] == 0
    again = summary(agency)
    assert again["pages_written"] == 0
    assert again["pages_skipped"] == first["pages_written"]
    assert again["clients_loaded"] == 0


def test_one_note_edit_rerenders_its_report_and_home_only(agency):
    build(agency)
    note = sorted((agency / "content" / "client-0002").glob("*.md"))[-2]
    note.write_text(
        note.read_text(encoding="utf-8").replace("summary:", "summary: Edited.", 1), encoding="utf-8"
    )
    result = summary(agency)
    assert result["clients_loaded"] == 1
    assert result["pages_written"] == 2  # that month's report and the client's home


@pytest.mark.slow
def test_random_edits_stay_identical_to_a_clean_build(agency, tmp_path):
    rng = random.Random(2026)
    build(agency)
    for step in range(8):
        edit = rng.choice(EDITS)
        edit(agency, rng)
        build(agency, "--jobs", str(rng.choice([1, 2])))
        assert tree_bytes(agency / "site") == clean_tree(agency, tmp_path, f"clean{step}"), edit.__name__


def test_jobs_do_not_change_the_output(agency, tmp_path):
    assert clean_tree(agency, tmp_path, "one") == clean_tree(agency, tmp_path, "two", "--jobs", "2")


def test_shards_together_are_the_full_site(agency, tmp_path):
    full = clean_tree(agency, tmp_path, "full")
    union: dict[str, bytes] = {}
    clients_seen = []
    for index in (1, 2, 3):
        shard = clean_tree(agency, tmp_path, f"shard{index}", "--shard", f"{index}/3")
        clients_seen.append({path.split("/")[0] for path in shard if path.startswith("client-")})
        for path, content in shard.items():
            assert union.get(path, content) == content  # shared files agree between shards
            union[path] = content
    assert union == full
    assert sum(len(c) for c in clients_seen) == 5  # each client in exactly one shard


def test_bad_shard_is_a_usage_error(agency):
    for bad in ("0/3", "4/3", "x", "1-3"):
        assert run_cli("build", "--project", agency, "--shard", bad).exit_code == 2


def test_removed_month_is_pruned(agency):
    build(agency)
    month = "2026-07"
    for path in (agency / "data").rglob(f"{month}.csv"):
        path.unlink()
    for path in (agency / "content").rglob(f"{month}.md"):
        path.unlink()
    result = summary(agency)
    assert result["pages_pruned"] == 5
    assert not list((agency / "site").glob(f"*/{month}"))


@pytest.mark.parametrize("damage", ["garbage", "foreign", "truncated"])
def test_corrupt_or_foreign_cache_is_discarded(agency, tmp_path, damage):
    build(agency)
    manifest = next((agency / CACHE_DIR).glob("build-*.json"))
    text = manifest.read_text()
    if damage == "garbage":
        manifest.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        manifest.write_text(text[: len(text) // 2])
    else:  # a manifest that claims every page is current, from some other output
        data = json.loads(text)
        data["out"] = "/somewhere/else"
        manifest.write_text(json.dumps(data))
    # change an input: a trusted stale manifest could not notice it
    note = sorted((agency / "content" / "client-0001").glob("*.md"))[-2]
    note.write_text(note.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    result = summary(agency)
    assert result["pages_skipped"] == 0  # full build
    assert tree_bytes(agency / "site") == clean_tree(agency, tmp_path, "clean")


def test_clean_ignores_the_cache(agency):
    build(agency)
    assert summary(agency, "--clean")["pages_skipped"] == 0


def test_client_filter_keeps_other_portals(agency):
    build(agency)
    before = tree_bytes(agency / "site")
    note = sorted((agency / "content" / "client-0003").glob("*.md"))[-2]
    note.write_text(note.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(agency, "--client", "client-0003")
    after = tree_bytes(agency / "site")
    assert {p for p in before if not p.startswith("client-0003/")} == {
        p for p in after if not p.startswith("client-0003/")
    }
    changed = [p for p in after if before.get(p) != after[p]]
    assert changed and all(p.startswith("client-0003/") for p in changed)


# --- edits an AE makes -----------------------------------------------------------------------


def _pick(root: Path, pattern: str, rng: random.Random) -> Path:
    return rng.choice(sorted(root.glob(pattern)))


def edit_note(root: Path, rng: random.Random) -> None:
    note = _pick(root, "content/*/*.md", rng)
    text = note.read_text(encoding="utf-8")
    note.write_text(text + f"\nAdded paragraph {rng.random()}.\n", encoding="utf-8")


def delete_note(root: Path, rng: random.Random) -> None:
    _pick(root, "content/*/*.md", rng).unlink()


def change_a_number(root: Path, rng: random.Random) -> None:
    path = _pick(root, "data/*/*.csv", rng)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = rng.randrange(1, len(lines))
    cells = lines[index].rstrip("\n").split(",")
    cells[3] = str(int(cells[3]) + 1)  # impressions: same size or one digit longer
    lines[index] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def delete_a_data_file(root: Path, rng: random.Random) -> None:
    _pick(root, "data/*/*.csv", rng).unlink()


def change_a_target(root: Path, rng: random.Random) -> None:
    config = root / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    targets = list(re.finditer(r"target: (\d+)", text))
    match = rng.choice(targets)
    text = text[: match.start(1)] + str(int(match.group(1)) + 1) + text[match.end(1) :]
    config.write_text(text, encoding="utf-8")


def override_a_template(root: Path, rng: random.Random) -> None:
    target = root / "templates" / "partials" / "table.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    builtin = Path(__file__).resolve().parent.parent / "templates" / "partials" / "table.html"
    shutil.copyfile(builtin, target)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(f"<!-- {rng.random()} -->\n")


EDITS = [edit_note, delete_note, change_a_number, delete_a_data_file, change_a_target, override_a_template]
