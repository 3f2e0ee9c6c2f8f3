"""Attack on issue 14, the status cache: a client protected since it was cached leaves no
plaintext in .reportgen-cache; a damaged or hand-edited status.json never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DEFAULT_MARKERS, TODAY, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.agency import collect_summaries
from reportgen.cache import CACHE_DIR
from reportgen.statuscache import status_file, valid_summary

PASSWORD = "a long enough password here"


def protect(root: Path, client_id: str) -> dict:
    text = (root / "clients.yaml").read_text(encoding="utf-8")
    variable = client_id.upper().replace("-", "_") + "_PW"
    text = text.replace(
        f"- id: {client_id}\n", f"- id: {client_id}\n  access: {{password_env: {variable}}}\n", 1
    )
    (root / "clients.yaml").write_text(text, encoding="utf-8")
    return {variable: PASSWORD}


def cache_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in (root / CACHE_DIR).rglob("*") if p.is_file()
    )


def plaintext_of(root: Path, client_id: str) -> list[str]:
    """Its marker (in its name, KPI labels, campaigns) and the tasks of its next steps."""
    words = [DEFAULT_MARKERS[client_id]]
    for note in (root / "content" / client_id).glob("*.md"):
        for line in note.read_text(encoding="utf-8").splitlines():
            if "task:" in line:
                words.append(line.split("task:", 1)[1].strip(" {}'\",").split(",")[0].strip(" '\""))
    return [w for w in words if len(w) > 6]


@pytest.mark.parametrize("first", ["status", "build", "overview"])
@pytest.mark.parametrize("then", ["status", "build", "build-clean", "overview"])
def test_a_client_protected_after_it_was_cached_leaves_no_plaintext(tmp_path, cli, first, then):
    root = tmp_path / "proj"
    make_project(root)
    command = {
        "status": ["status"],
        "build": ["build"],
        "build-clean": ["build", "--clean"],
        "overview": ["overview"],
    }
    assert cli(*command[first], "--project", root).exit_code == 0
    assert DEFAULT_MARKERS["berlin-bikes"] in status_file(root / CACHE_DIR, "berlin-bikes").read_text()
    env = protect(root, "berlin-bikes")
    result = cli(*command[then], "--project", root, env=env)
    assert result.exit_code == 0, result.output
    text = cache_text(root)
    for word in plaintext_of(root, "berlin-bikes"):
        assert word not in text, (word, first, then)
    assert not status_file(root / CACHE_DIR, "berlin-bikes").exists()
    kept = status_file(root / CACHE_DIR, "acme-corp").read_text()
    assert DEFAULT_MARKERS["acme-corp"] in kept  # others kept


# --- a damaged or edited status file ---------------------------------------------------------


@pytest.fixture(scope="module")
def warm(tmp_path_factory) -> tuple[Path, dict]:
    """The project and acme-corp's status file, as {"clients": {"acme-corp": its document}}
    (written back by `store`)."""
    root = tmp_path_factory.mktemp("warm") / "proj"
    make_project(root)
    collect_summaries(root, None, TODAY)
    document = json.loads(status_file(root / CACHE_DIR, "acme-corp").read_text())
    return root, {"clients": {"acme-corp": document}}


def store(root: Path, document: object) -> None:
    """acme-corp's status file as `document` says (its "clients" → "acme-corp"), or junk."""
    try:
        text = json.dumps(document["clients"]["acme-corp"])  # type: ignore[index]
    except (KeyError, TypeError):
        text = json.dumps(document)
    status_file(root / CACHE_DIR, "acme-corp").write_text(text, encoding="utf-8")


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def paths(value, prefix=()):
    """Every (path to a value) inside a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutate(document, path, junk, delete: bool):
    if not path:
        return junk
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = junk
    return document


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), junk=JUNK, delete=st.booleans())
def test_a_mutated_status_cache_never_crashes_status(warm, cli, data, junk, delete):
    root, original = warm
    document = json.loads(json.dumps(original))
    candidates = [p for p in paths(document) if len(p) >= 2 and p[0] == "clients"]
    path = data.draw(st.sampled_from(candidates))
    document = mutate(document, path, junk, delete)
    store(root, document)
    for args in (["status"], ["status", "--json"]):
        result = cli(*args, "--project", root)
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output


def test_the_attackers_mutations_are_ignored_and_recomputed(warm, cli):
    root, original = warm
    for change in (
        {"budget": "x"},
        {"kpis": None},
        {"steps": [{"task": 1}]},
        {"month": "2026-13"},
        {"name": "Planted name"},
        {"history": [{"month": "x"}]},
    ):
        document = json.loads(json.dumps(original))
        document["clients"]["acme-corp"]["summary"].update(change)
        store(root, document)
        found = collect_summaries(root, None, TODAY)
        assert found.loaded >= 1
        assert valid_summary(found.summaries["acme-corp"])
        assert found.summaries["acme-corp"]["name"] != "Planted name"
        result = cli("status", "--project", root)
        assert result.exit_code == 0 and "Planted name" not in result.output


def test_overview_survives_a_mutated_cache(warm, cli, tmp_path):
    root, original = warm
    document = json.loads(json.dumps(original))
    document["clients"]["acme-corp"]["summary"]["history"] = [{"month": "2026-01", "kpis": None}]
    store(root, document)
    result = cli("overview", "--project", root, "--out", tmp_path / "ov")
    assert result.exit_code == 0, result.output
