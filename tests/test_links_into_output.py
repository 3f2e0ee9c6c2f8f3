"""A data link into the build's output is never read as data (attack a15c).

`data/acme -> ../site/acme` (or one file linked to a published metrics.csv)
read last build's figures back as input, so every rebuild counted them again.
A glob already skipped `site/` itself; now where a link leads counts too.
Property: over random links into `site/`, a marked `--out` folder, the cache
and plain folders, no data file found lies (after links) in generated output.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.datafiles import OUTPUT_MARKER, find_data_sources, is_generated_path
from reportgen.inputfiles import real_path
from reportgen.model import Client, DataSource, Person

TARGETS = [
    "site/acme",
    "site/acme/m.csv",
    "out/acme",
    "out/acme/m.csv",
    ".site.back/acme",
    ".out.back/acme/m.csv",
    ".site.staging-0a1b2c3d4e5f/acme",
    ".site.old-0a1b2c3d4e5f/acme/m.csv",
    "exports",
    "exports/e.csv",
]
LINKS = st.lists(
    st.tuples(
        st.sampled_from(["data/acme", "data/x.csv", "data/sub/y.csv", "data/sub"]), st.sampled_from(TARGETS)
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(links=LINKS, pattern=st.sampled_from(["data/**/*.csv", "data/*/*.csv", "data/*.csv", "**/*.csv"]))
def test_no_data_file_is_read_from_the_output(tmp_path_factory, links, pattern):
    root = tmp_path_factory.mktemp("p")
    for folder in (
        "site/acme",
        "out/acme",
        "exports",
        "data",
        ".site.back/acme",
        ".out.back/acme",
        ".site.staging-0a1b2c3d4e5f/acme",
        ".site.old-0a1b2c3d4e5f/acme",
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        name = "e.csv" if folder == "exports" else "m.csv"
        (root / folder / name).write_text("date\n")
    (root / "out" / OUTPUT_MARKER).write_text("")
    for name, target in links:
        link = root / name
        if os.path.lexists(link) or (os.path.lexists(link.parent) and not link.parent.is_dir()):
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(root / target, link.parent), link)
    client = Client(
        id="acme",
        name="Acme",
        account_executive=Person("AE", "ae@agency.example"),
        data=(DataSource(pattern, 1),),
    )
    found, _problems = find_data_sources(root, client)
    real_root = real_path(root)
    for path, _source in found:
        # independent of is_generated_path: in this tree, every top folder but
        # exports/ and data/ is output or a folder a build keeps beside it
        top = Path(real_path(path)).relative_to(real_root).parts[0]
        assert top in ("exports", "data"), path
    # ... and what is not output, through a link, is still found
    exports_linked = any(t.startswith("exports") for _n, t in links)
    if exports_linked and pattern == "**/*.csv":
        assert any(Path(real_path(p)).parent.name == "exports" for p, _s in found)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet="abcz-_.0", min_size=1, max_size=8).filter(lambda n: n not in (".", "..")))
def test_the_folders_a_build_keeps_beside_its_output_are_never_data(tmp_path_factory, name):
    """datafiles.BUILD_FOLDER names what output.py makes (it is not imported: loading
    must not depend on later stages)."""
    from reportgen import output
    from reportgen.datafiles import BUILD_FOLDER

    base = tmp_path_factory.mktemp("o")
    out = base / name
    assert BUILD_FOLDER.fullmatch(output.back_buffer_path(out).name)
    assert BUILD_FOLDER.fullmatch(output._aside(out).name)
    assert BUILD_FOLDER.fullmatch(output.StagedSite(out).staging.name)
    assert is_generated_path(base, output.back_buffer_path(out) / "acme" / "m.csv")
