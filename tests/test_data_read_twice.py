"""Two clients that read the same data file get a warning (attack a15e).

`data/**/*.csv` on one client and `data/acme/*.csv` on another: each portal showed
acme's figures, and nothing said so. Property: over random data entries and links,
the pairs warned about are exactly the pairs of clients whose files (by where their
folders lead) meet, whatever order the clients come in.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.datafiles import files_read_twice, find_data_sources
from reportgen.model import Client, DataSource, Person

PATTERNS = ["data/acme/*.csv", "data/beta/*.csv", "data/**/*.csv", "data/mirror/*.csv", "data/*/2026-*.csv"]


def client(ident: str, patterns: list[str], line: int) -> Client:
    return Client(
        id=ident,
        name=ident.title(),
        account_executive=Person("AE", "ae@agency.example"),
        data=tuple(DataSource(p, line) for p in patterns),
        line=line,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(
        st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2, unique=True), min_size=1, max_size=4
    ),
    mirror=st.sampled_from(["no", "symlink", "hard link"]),
    notes=st.lists(st.sampled_from(["own", "note linked", "folder linked", "note hard-linked"]), max_size=4),
)
def test_a_warning_for_exactly_the_clients_that_share_a_file(tmp_path_factory, entries, mirror, notes):
    root = tmp_path_factory.mktemp("p")
    for folder in ("acme", "beta"):
        (root / "data" / folder).mkdir(parents=True)
        (root / "data" / folder / "2026-10.csv").write_text("date\n")
    if mirror == "symlink":  # another name for acme's folder
        os.symlink("acme", root / "data" / "mirror")
    elif mirror == "hard link":
        (root / "data" / "mirror").mkdir()
        os.link(root / "data" / "acme" / "2026-10.csv", root / "data" / "mirror" / "copy.csv")
    clients = [client(f"c{i}", patterns, 10 * i + 1) for i, patterns in enumerate(entries)]
    content = root / "content"
    for number, (c, how) in enumerate(zip(clients, notes, strict=False)):
        folder = content / c.id
        if how == "folder linked" and number:
            os.symlink(clients[0].id, folder)
            continue
        folder.mkdir(parents=True)
        (folder / "2026-09.md").write_text(f"{c.id}\n")
        if how == "note linked" and number:
            os.symlink(f"../{clients[0].id}/2026-09.md", folder / "2026-10.md")
        elif how == "note hard-linked" and number:
            os.link(content / clients[0].id / "2026-09.md", folder / "2026-10.md")

    def inodes(paths) -> set[tuple[int, int]]:
        return {(os.stat(p).st_dev, os.stat(p).st_ino) for p in paths if os.path.exists(p)}

    files = {c.id: inodes(p for p, _s in find_data_sources(root, c)[0]) for c in clients}
    kept = {c.id: inodes((content / c.id).glob("*.md")) for c in clients}
    expected = {
        (a.id, b.id)
        for i, a in enumerate(clients)
        for b in clients[i + 1 :]
        if files[a.id] & files[b.id] or kept[a.id] & kept[b.id]
    }
    problems = files_read_twice(clients, None, root)
    warned = set()
    for problem in problems:
        assert problem.severity == "warning" and problem.path == "clients.yaml"
        second = next(c for c in clients if c.line == problem.line)
        first = next(c for c in clients if f"client '{c.id}' also reads" in problem.message)
        warned.add((first.id, second.id))
    assert warned == expected
    assert len(problems) <= 2 * len(expected)  # one per pair and kind (data, notes), not per file


def test_check_and_build_warn_at_the_second_clients_line(tmp_path, cli):
    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    config = root / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    assert cli("new", "client", "other", "--name", "Other", "--project", str(root)).exit_code == 0
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("data/other/*.csv", "data/**/*.csv"), encoding="utf-8")
    for command in ("check", "build"):
        result = cli(command, "--project", str(root))
        assert result.exit_code == 0, result.output
        assert "client 'other' reads" in result.output and "'example-client' also reads" in result.output
    again = cli("build", "--project", str(root))  # a no-op says it again
    assert "client 'other' reads" in again.output
    assert cli("build", "--project", str(root), "--strict").exit_code == 1
