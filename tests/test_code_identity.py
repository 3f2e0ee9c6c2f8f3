"""A build never carries what other code made (screenshot review, this round).

Every cache key named reportgen's version only: an edited checkout, or a newer
commit installed with the same version (init's CI workflow installs reportgen from
git), carried the old code's pages into the new site until `--clean`. Now the
key is the version and a digest of the package's own files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import codeid
from reportgen.build import build_site
from reportgen.buildoptions import BuildOptions

PACKAGE = Path(codeid.__file__).parent


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["pages.py", "charts.py", "locales/de/LC_MESSAGES/reportgen.po", "__init__.py"]),
    edit=st.sampled_from(["append", "same size"]),
)
def test_any_edit_of_the_code_changes_the_identity(tmp_path_factory, name, edit):
    copy = tmp_path_factory.mktemp("pkg") / "reportgen"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = codeid.identity_of(str(copy))
    target = copy / name
    if not target.exists():
        target = copy / "pages.py"
    content = target.read_bytes()
    target.write_bytes(content + b"\n# edited\n" if edit == "append" else content[:-1] + b"#")
    assert codeid.identity_of(str(copy)) != before
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert codeid.identity_of(str(copy)) == codeid.identity_of(str(copy))


def test_a_build_by_other_code_renders_every_page_again(tmp_path, cli, monkeypatch):
    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    options = BuildOptions(project=root, out=root / "site", today=dt.date(2026, 11, 5), jobs=1)
    first = build_site(options)
    assert build_site(options).pages_written == 0
    monkeypatch.setattr(codeid, "code_identity", lambda: "0.1.0+other-code")
    for module in ("assets", "cache", "statuscache", "parsedcache", "notescache"):
        monkeypatch.setattr(f"reportgen.{module}.code_identity", codeid.code_identity)
    again = build_site(options)
    assert again.pages_written == first.pages_written and again.clients_loaded == first.clients_loaded
