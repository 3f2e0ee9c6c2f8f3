"""`reportgen import` writes only a file the client's data entries read (attack a15c).

The import always wrote `data/ID/FORMAT-FIRST-LAST.csv`; a client whose data
entries read `exports/acme/*.csv` (or only `data/acme/2026-*.csv`) never saw
it, and nothing said so: the AE thought the month was in. Property: over
random data entries, an import either succeeds and the next `check` reads the
file, or fails with clients.yaml:line, exit 1, and nothing written.
"""

from __future__ import annotations

import os
import re

from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.config import read_project_config
from reportgen.datafiles import find_data_sources

EXPORT = "Day,Campaign,Impressions,Clicks,Cost\n2026-02-03,Brand,100,5,3.20\n2026-02-04,Brand,90,4,2.10\n"
ENTRIES = st.lists(
    st.sampled_from(
        [
            "data/example-client/*.csv",
            "data/example-client/2026-*.csv",
            "data/example-client/google_ads-*.csv",
            "data/**/*.csv",
            "exports/example-client/*.csv",
            "data/example-client/google_ads-2026-02-03-2026-02-04.csv",
        ]
    ),
    unique=True,
    max_size=3,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=ENTRIES)
def test_an_import_is_read_by_the_next_build_or_refused(tmp_path_factory, entries):
    root = tmp_path_factory.mktemp("agency")
    assert run_cli("init", root).exit_code == 0
    config = root / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    block = "    data:\n" + "".join(f"      - {entry}\n" for entry in entries) if entries else ""
    text = re.sub(r"    data:\n      - data/example-client/\*\.csv\n", block, text)
    config.write_text(text, encoding="utf-8")
    (root / "exports" / "example-client").mkdir(parents=True)
    before = sorted(p.relative_to(root) for p in root.rglob("*.csv"))
    source = root / "export.csv"
    source.write_text(EXPORT, encoding="utf-8")
    result = run_cli("import", source, "--client", "example-client", "--project", root)
    written = root / "data" / "example-client" / "google_ads-2026-02-03-2026-02-04.csv"
    if result.exit_code == 0:
        # the client's entries find it: the file is among what the build reads
        project, _problems = read_project_config(root)
        client = next(c for c in project.clients if c.id == "example-client")
        found, _ = find_data_sources(root, client)
        assert written in [path for path, _source in found]
    else:
        assert result.exit_code == 1, result.output
        assert re.search(r"clients\.yaml:\d+:", result.output), result.output
        assert "Traceback" not in result.output and "nothing was written" in result.output
        assert sorted(p.relative_to(root) for p in root.rglob("*.csv") if p != source) == before
    reads = any(
        e in ("data/example-client/*.csv", "data/**/*.csv", "data/example-client/google_ads-*.csv")
        for e in entries
    ) or ("data/example-client/google_ads-2026-02-03-2026-02-04.csv" in entries)
    assert (result.exit_code == 0) == reads, (entries, result.output)


# --- entries with format:, and data/ID linked elsewhere (attack a15e) -------------------------

FORMATTED = st.lists(
    st.tuples(
        st.sampled_from(
            ["data/example-client/*.csv", "data/**/*.csv", "data/example-client/google_ads-*.csv"]
        ),
        st.sampled_from(["auto", "canonical", "meta_ads", "google_ads"]),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda entry: entry[0],
)
LINKED = st.sampled_from([None, "site/example-client", ".site.back/example-client", "../elsewhere", "keep"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=FORMATTED, linked=LINKED)
def test_an_import_is_read_as_canonical_from_inside_the_project_or_refused(tmp_path_factory, entries, linked):
    """Written only where the next build reads it, as a canonical CSV: never through a
    link into the output (`.site.back/` holds every client's published files) or out of
    the project, never where the entry reading it expects a platform's export."""
    base = tmp_path_factory.mktemp("agency")
    root = base / "project"
    root.mkdir()
    assert run_cli("init", root).exit_code == 0
    config = root / "clients.yaml"
    block = "    data:\n" + "".join(f"      - {{path: '{p}', format: {f}}}\n" for p, f in entries)
    text = re.sub(
        r"    data:\n      - data/example-client/\*\.csv\n", block, config.read_text(encoding="utf-8")
    )
    config.write_text(text, encoding="utf-8")
    if linked is not None:
        target = (root / linked).resolve()
        target.mkdir(parents=True, exist_ok=True)
        folder = root / "data" / "example-client"
        for old in folder.iterdir():
            old.unlink()
        folder.rmdir()
        os.symlink(os.path.relpath(target, folder.parent), folder)
    everything = {p: p.read_bytes() for p in base.rglob("*") if p.is_file()}
    source = base / "export.csv"
    source.write_text(EXPORT, encoding="utf-8")
    result = run_cli("import", source, "--client", "example-client", "--project", root)
    written = root / "data" / "example-client" / "google_ads-2026-02-03-2026-02-04.csv"
    project, _problems = read_project_config(root)
    client = next(c for c in project.clients if c.id == "example-client")
    if result.exit_code == 0:
        found, _ = find_data_sources(root, client)
        reader = next(s for p, s in found if p == written)
        assert reader.format in ("auto", "canonical")
        assert linked in (None, "keep")
    else:
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        now = {p: p.read_bytes() for p in base.rglob("*") if p.is_file() and p != source}
        assert now == everything  # nothing written anywhere, not even for a moment's trace
        first = next(
            (
                f
                for p, f in entries
                if (linked is None or "**" not in p)  # (`**` never walks into a linked folder)
                and re.fullmatch(
                    p.replace("**/", "(.*/)?").replace("*", "[^/]*"),
                    "data/example-client/google_ads-2026-02-03-2026-02-04.csv",
                )
            ),
            None,
        )
        assert linked not in (None, "keep") or first not in ("auto", "canonical"), result.output
        if linked in ("site/example-client", ".site.back/example-client"):
            assert "which is never read as data" in result.output  # refused before writing
        elif linked == "../elsewhere":
            assert "leads outside the project" in result.output
        elif first is not None:
            assert re.search(rf"clients\.yaml:\d+: .*as a {first} export", result.output), result.output


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    other_entry=st.sampled_from(["data/other/*.csv", "data/**/*.csv", "exports/*.csv"]),
    linked=st.booleans(),
)
def test_an_import_is_never_read_by_another_client(tmp_path_factory, other_entry, linked):
    """`data/harbor -> acme` (or acme's `data/**/*.csv`): the import wrote into what another
    client reads, and its portal showed this client's figures (attack a15f)."""
    root = tmp_path_factory.mktemp("agency")
    assert run_cli("init", root).exit_code == 0
    assert run_cli("new", "client", "other", "--name", "Other", "--project", root).exit_code == 0
    config = root / "clients.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("data/other/*.csv", other_entry), "utf-8")
    if linked:
        folder = root / "data" / "example-client"
        for old in folder.iterdir():
            old.unlink()
        folder.rmdir()
        (root / "data" / "other").mkdir(parents=True, exist_ok=True)
        os.symlink("other", folder)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    source = root.parent / f"{root.name}-export.csv"
    source.write_text(EXPORT, encoding="utf-8")
    result = run_cli("import", source, "--client", "example-client", "--project", root)
    project, _problems = read_project_config(root)
    other = next(c for c in project.clients if c.id == "other")
    read_by_other = {os.path.realpath(p) for p, _s in find_data_sources(root, other)[0]}
    written = root / "data" / "example-client" / "google_ads-2026-02-03-2026-02-04.csv"
    if result.exit_code == 0:
        assert os.path.realpath(written) not in read_by_other
    else:
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    shares = other_entry == "data/**/*.csv" or (linked and other_entry == "data/other/*.csv")
    assert (result.exit_code != 0) == shares, result.output
    if shares:
        assert "client 'other' would read" in result.output
